//! Comparisons with `regproc` columns in drivers' type-loading queries.
//! conversql's `pg_type.typinput/typoutput/typreceive/typsend` hold function
//! names (what PostgreSQL prints for a regproc), not oids, so:
//! - pgjdbc's `typinput='pg_catalog.array_in'::regproc` (TypeInfoCache,
//!   getTypeInfo) becomes `typinput='array_in'`;
//! - Npgsql's `LEFT JOIN pg_proc AS proc ON proc.oid = typ.typreceive`
//!   (PostgresDatabaseInfo) becomes `… ON proc.proname = typ.typreceive`.
//!
//! Both work on the SQL text's tokens before the Postgres-compatibility parser
//! (which would turn the `::regproc` cast into an oid lookup).

use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;
use datafusion::sql::sqlparser::tokenizer::{Token, Tokenizer, Word};

const REGPROC_COLUMNS: &[&str] = &["typinput", "typoutput", "typreceive", "typsend"];

fn word(t: &Token) -> Option<&Word> {
    match t {
        Token::Word(w) => Some(w),
        _ => None,
    }
}

fn is_word(t: &Token, value: &str) -> bool {
    word(t).is_some_and(|w| w.quote_style.is_none() && w.value.eq_ignore_ascii_case(value))
}

fn is_regproc_column(t: &Token) -> bool {
    REGPROC_COLUMNS.iter().any(|c| is_word(t, c))
}

/// `sql` with the rewrites above, or `None` when nothing matched.
pub fn rewrite_sql(sql: &str) -> Option<String> {
    let lower = sql.to_ascii_lowercase();
    if !REGPROC_COLUMNS.iter().any(|c| lower.contains(c)) {
        return None;
    }
    let mut tokens = Tokenizer::new(&PostgreSqlDialect {}, sql).tokenize().ok()?;
    let sig: Vec<usize> = (0..tokens.len())
        .filter(|i| !matches!(tokens[*i], Token::Whitespace(_)))
        .collect();
    let mut changed = false;
    let mut drop = vec![false; tokens.len()];
    for k in 0..sig.len() {
        // <regproc column> = 'schema.name' :: regproc
        if k + 4 < sig.len()
            && is_regproc_column(&tokens[sig[k]])
            && tokens[sig[k + 1]] == Token::Eq
            && matches!(tokens[sig[k + 2]], Token::SingleQuotedString(_))
            && tokens[sig[k + 3]] == Token::DoubleColon
            && is_word(&tokens[sig[k + 4]], "regproc")
        {
            if let Token::SingleQuotedString(name) = &tokens[sig[k + 2]] {
                let bare = name.rsplit('.').next().unwrap_or(name).to_string();
                tokens[sig[k + 2]] = Token::SingleQuotedString(bare);
            }
            drop[sig[k + 2] + 1..=sig[k + 4]]
                .iter_mut()
                .for_each(|d| *d = true);
            changed = true;
        }
        // <alias> . oid = <alias> . <regproc column>
        if k + 6 < sig.len()
            && word(&tokens[sig[k]]).is_some()
            && tokens[sig[k + 1]] == Token::Period
            && is_word(&tokens[sig[k + 2]], "oid")
            && tokens[sig[k + 3]] == Token::Eq
            && word(&tokens[sig[k + 4]]).is_some()
            && tokens[sig[k + 5]] == Token::Period
            && is_regproc_column(&tokens[sig[k + 6]])
        {
            tokens[sig[k + 2]] = Token::make_word("proname", None);
            changed = true;
        }
    }
    changed.then(|| {
        tokens
            .iter()
            .enumerate()
            .filter(|(i, _)| !drop[*i])
            .map(|(_, t)| t.to_string())
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::rewrite_sql;

    #[test]
    fn pgjdbc_and_npgsql_forms() {
        let jdbc = "SELECT typinput='pg_catalog.array_in'::regproc as is_array, typtype FROM pg_catalog.pg_type";
        assert_eq!(
            rewrite_sql(jdbc).unwrap(),
            "SELECT typinput='array_in' as is_array, typtype FROM pg_catalog.pg_type"
        );
        let npgsql = "LEFT JOIN pg_proc AS proc ON proc.oid = typ.typreceive\n LEFT JOIN x";
        assert_eq!(
            rewrite_sql(npgsql).unwrap(),
            "LEFT JOIN pg_proc AS proc ON proc.proname = typ.typreceive\n LEFT JOIN x"
        );
        assert!(rewrite_sql("SELECT oid FROM pg_type").is_none());
    }
}
