//! SQL as PostgreSQL's tokenizer sees it, whitespace and comments aside: how
//! the rules recognise a client's statement whatever its layout.

use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;
use datafusion::sql::sqlparser::tokenizer::{Token, Tokenizer};

/// The tokens of `sql`, or `None` when it does not tokenize.
pub fn tokenize(sql: &str) -> Option<Vec<Token>> {
    Tokenizer::new(&PostgreSqlDialect {}, sql).tokenize().ok()
}

/// The tokens that carry meaning (not whitespace or comments), each with its
/// index in `tokens`.
pub fn significant(tokens: &[Token]) -> Vec<(usize, &Token)> {
    tokens
        .iter()
        .enumerate()
        .filter(|(_, t)| !matches!(t, Token::Whitespace(_)))
        .collect()
}

/// The significant tokens of `sql`, owned (for a rule's pattern).
pub fn pattern(sql: &str) -> Vec<Token> {
    let all = tokenize(sql).expect("a rule's pattern tokenizes");
    significant(&all)
        .into_iter()
        .map(|(_, t)| t.clone())
        .collect()
}

/// Whether `sql` is, token for token, the statement `pattern` (a trailing
/// `;` aside).
pub fn is_statement(sql: &str, pattern: &[Token]) -> bool {
    let Some(all) = tokenize(sql) else {
        return false;
    };
    let mut sig: Vec<&Token> = significant(&all).into_iter().map(|(_, t)| t).collect();
    while sig.last() == Some(&&Token::SemiColon) {
        sig.pop();
    }
    sig.len() == pattern.len() && sig.into_iter().eq(pattern.iter())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_does_not_matter_but_every_token_does() {
        let p = pattern("SELECT a FROM t WHERE b = 1");
        assert!(is_statement("SELECT  a\nFROM t -- c\n WHERE b = 1;", &p));
        assert!(!is_statement("SELECT a FROM t WHERE b = 2", &p));
        assert!(!is_statement("SELECT a FROM t WHERE b = 1 AND c", &p));
        assert!(!is_statement("SELECT 'unterminated", &p));
    }
}
