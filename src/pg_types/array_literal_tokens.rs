//! Keeps array literals (`'{a,"b,c",NULL}'::text[]`) away from
//! datafusion-pg-catalog's naive rewrites.
//!
//! The PostgreSQL-compatibility parser of datafusion-pg-catalog rewrites
//! `'…'::T[]` and `x = ANY('…')` into `ARRAY[…]` by splitting the text on
//! commas: quoting, escapes and NULL are lost (`'{a,NULL}'::text[]` would
//! become `['a', 'NULL']`). Before parsing, conversql wraps such a string
//! literal in `pg_array_in(…)` (conversql-udfs: PostgreSQL's array input
//! syntax), which that rewrite leaves alone and which gives the list of text
//! the cast then converts (and which rejects a text that is not an array,
//! `'a,b'::text[]`, as PostgreSQL does). Only a literal directly cast to an array type
//! (`::name[]`, `::name(…)[]`, `::a b[]`) or directly inside `ANY (`/`ALL (`
//! is wrapped; every other token is kept as written.

use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;
use datafusion::sql::sqlparser::keywords::Keyword;
use datafusion::sql::sqlparser::tokenizer::{Token, Tokenizer};

/// `sql` with its array literals wrapped in `pg_array_in(…)`; unchanged when it has none
/// (or does not tokenize, which the parser then reports).
pub fn protect_array_literals(sql: &str) -> String {
    if !sql.contains('\'') {
        return sql.to_string();
    }
    let Ok(located) = Tokenizer::new(&PostgreSqlDialect {}, sql).tokenize_with_location() else {
        return sql.to_string();
    };
    let tokens: Vec<Token> = located.iter().map(|t| t.token.clone()).collect();
    let significant: Vec<usize> = (0..tokens.len())
        .filter(|i| !matches!(tokens[*i], Token::Whitespace(_)))
        .collect();
    let mut wrapped: Vec<(usize, usize)> = vec![];
    for (k, &i) in significant.iter().enumerate() {
        if !matches!(tokens[i], Token::SingleQuotedString(_)) {
            continue;
        }
        let next = |n: usize| significant.get(k + n).map(|j| &tokens[*j]);
        let previous = |n: usize| {
            k.checked_sub(n)
                .and_then(|p| significant.get(p))
                .map(|j| &tokens[*j])
        };
        let cast_to_array = matches!(next(1), Some(Token::DoubleColon))
            && is_array_type(&tokens, significant.get(k + 2..).unwrap_or_default());
        let in_any_all = matches!(previous(1), Some(Token::LParen))
            && matches!(previous(2), Some(Token::Word(w)) if matches!(w.keyword, Keyword::ANY | Keyword::ALL | Keyword::SOME))
            && matches!(next(1), Some(Token::RParen));
        if !(cast_to_array || in_any_all) {
            continue;
        }
        let span = located[i].span;
        if let (Some(start), Some(end)) = (
            offset(sql, span.start.line, span.start.column),
            offset(sql, span.end.line, span.end.column),
        ) {
            wrapped.push((start, end));
        }
    }
    if wrapped.is_empty() {
        return sql.to_string();
    }
    let mut out = String::with_capacity(sql.len() + 16 * wrapped.len());
    let mut at = 0;
    for (start, end) in wrapped {
        out.push_str(&sql[at..start]);
        out.push_str("pg_array_in(");
        out.push_str(&sql[start..end]);
        out.push(')');
        at = end;
    }
    out.push_str(&sql[at..]);
    out
}

/// The byte offset of 1-based `line` and `column` (in characters) of `sql`.
fn offset(sql: &str, line: u64, column: u64) -> Option<usize> {
    let mut line_start = 0;
    for _ in 1..line {
        line_start += sql[line_start..].find('\n')? + 1;
    }
    let column = usize::try_from(column).ok()?.checked_sub(1)?;
    let rest = &sql[line_start..];
    Some(
        line_start
            + rest
                .char_indices()
                .nth(column)
                .map_or(rest.len(), |(i, _)| i),
    )
}

/// Whether the tokens at `rest` (indices into `tokens`) start with an array type name.
fn is_array_type(tokens: &[Token], rest: &[usize]) -> bool {
    let mut k = 0;
    let mut words = 0;
    while let Some(&i) = rest.get(k) {
        match &tokens[i] {
            Token::Word(_) => words += 1,
            Token::Period => {}
            Token::LParen => {
                // A type modifier: skip to the closing parenthesis.
                while let Some(&j) = rest.get(k) {
                    if matches!(tokens[j], Token::RParen) {
                        break;
                    }
                    k += 1;
                }
            }
            Token::LBracket => return words > 0,
            _ => return false,
        }
        k += 1;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_array_literals_only() {
        assert_eq!(
            protect_array_literals("SELECT '{a,\"b,c\"}'::text[]"),
            "SELECT pg_array_in('{a,\"b,c\"}')::text[]"
        );
        assert_eq!(
            protect_array_literals("SELECT '{1}'::pg_catalog.int4 []"),
            "SELECT pg_array_in('{1}')::pg_catalog.int4 []"
        );
        assert_eq!(
            protect_array_literals("SELECT '{1.5}'::numeric(4, 1)[]"),
            "SELECT pg_array_in('{1.5}')::numeric(4, 1)[]"
        );
        assert_eq!(
            protect_array_literals("SELECT 'a,b'::text[]"),
            "SELECT pg_array_in('a,b')::text[]"
        );
        assert_eq!(
            protect_array_literals("SELECT 'a' = ANY ('{a,b}')"),
            "SELECT 'a' = ANY (pg_array_in('{a,b}'))"
        );
        assert_eq!(
            protect_array_literals("SELECT\n  'é', '{it''s}'::text[] -- c"),
            "SELECT\n  'é', pg_array_in('{it''s}')::text[] -- c"
        );
        for untouched in [
            "SELECT '{\"a\": 1}'::json",
            "SELECT '{a}'",
            "SELECT 1",
            "SELECT '{a}' || 'b'",
        ] {
            assert_eq!(protect_array_literals(untouched), untouched);
        }
    }
}
