//! Grafana's "schemas on the search_path" subquery (postgresMetaQuery.ts,
//! buildSchemaConstraint), which its table and column pickers embed:
//!
//! ```sql
//! SELECT CASE WHEN trim(s[i]) = '"$user"' THEN user ELSE trim(s[i]) END
//! FROM generate_series(array_lower(string_to_array(current_setting('search_path'),','),1),
//!                      array_upper(string_to_array(current_setting('search_path'),','),1)) as i,
//!      string_to_array(current_setting('search_path'),',') s
//! ```
//!
//! always as `x IN (<subquery>)`. DataFusion cannot use a scalar function as
//! a FROM item nor an `IN` subquery inside `CASE`, and datafusion-pg-catalog's
//! parser replaces the whole subquery by `''` (so every table comes out
//! schema-qualified and column lookups find nothing). [`rewrite_sql`]
//! replaces `IN (<subquery>)`, before that parser sees it, by the equivalent
//! `= ANY(string_to_array(replace(replace(current_setting('search_path'), ' ', ''), '"$user"', current_user), ','))`.

use std::borrow::Cow;
use std::sync::LazyLock;

use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;
use datafusion::sql::sqlparser::keywords::Keyword;
use datafusion::sql::sqlparser::tokenizer::{Token, Tokenizer};

const GRAFANA: &str = r#"SELECT
            CASE WHEN trim(s[i]) = '"$user"' THEN user ELSE trim(s[i]) END
          FROM
            generate_series(
              array_lower(string_to_array(current_setting('search_path'),','),1),
              array_upper(string_to_array(current_setting('search_path'),','),1)
            ) as i,
            string_to_array(current_setting('search_path'),',') s"#;

const EQUIVALENT: &str = r#"= ANY(string_to_array(replace(replace(current_setting('search_path'), ' ', ''), '"$user"', current_user), ','))"#;

fn tokens(sql: &str) -> Option<Vec<Token>> {
    Tokenizer::new(&PostgreSqlDialect {}, sql).tokenize().ok()
}

fn significant(tokens: &[Token]) -> Vec<(usize, &Token)> {
    tokens
        .iter()
        .enumerate()
        .filter(|(_, t)| !matches!(t, Token::Whitespace(_)))
        .collect()
}

static PATTERN: LazyLock<Vec<Token>> = LazyLock::new(|| {
    tokens(GRAFANA)
        .map(|t| {
            significant(&t)
                .into_iter()
                .map(|(_, t)| t.clone())
                .collect()
        })
        .unwrap_or_default()
});

/// `sql` with every `IN (<Grafana's search_path subquery>)` replaced by its
/// equivalent (token-wise, so whitespace and line breaks do not matter).
pub fn rewrite_sql(sql: &str) -> Cow<'_, str> {
    if !sql.contains("search_path") || !sql.contains("generate_series") {
        return Cow::Borrowed(sql);
    }
    let Some(all) = tokens(sql) else {
        return Cow::Borrowed(sql);
    };
    let sig = significant(&all);
    let pattern = &*PATTERN;
    let mut replace: Vec<(usize, usize)> = vec![];
    let mut i = 0;
    while i + pattern.len() <= sig.len() {
        let end = i + pattern.len();
        let framed = i >= 2
            && matches!(sig[i - 2].1, Token::Word(w) if w.keyword == Keyword::IN)
            && sig[i - 1].1 == &Token::LParen
            && sig.get(end).is_some_and(|(_, t)| *t == &Token::RParen);
        if framed && sig[i..end].iter().map(|(_, t)| *t).eq(pattern.iter()) {
            replace.push((sig[i - 2].0, sig[end].0));
            i = end + 1;
        } else {
            i += 1;
        }
    }
    if replace.is_empty() {
        return Cow::Borrowed(sql);
    }
    let mut out = String::with_capacity(sql.len());
    let mut next = 0;
    for (first, last) in replace {
        out.extend(
            all[next..first]
                .iter()
                .map(std::string::ToString::to_string),
        );
        out.push_str(EQUIVALENT);
        next = last + 1;
    }
    out.extend(all[next..].iter().map(std::string::ToString::to_string));
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_grafanas_subquery_whatever_the_layout() {
        let sql = format!(
            "SELECT 1 WHERE quote_ident('public') IN ({})",
            GRAFANA.split_whitespace().collect::<Vec<_>>().join(" ")
        );
        let out = rewrite_sql(&sql);
        assert!(!out.contains("generate_series"), "{out}");
        assert!(
            out.starts_with("SELECT 1 WHERE quote_ident('public') = ANY(string_to_array("),
            "{out}"
        );
        assert!(out.ends_with("','))"), "{out}");
        assert_eq!(rewrite_sql("SELECT 1"), "SELECT 1");
    }

    #[test]
    fn grafanas_show_tables_query_parses_after_the_rewrite() {
        let sql = format!(
            "SELECT CASE WHEN quote_ident(table_schema) IN ({GRAFANA}) THEN quote_ident(table_name) \
             ELSE quote_ident(table_schema) || '.' || quote_ident(table_name) END AS \"table\" \
             FROM information_schema.tables ORDER BY CASE WHEN quote_ident(table_schema) IN ({GRAFANA}) THEN 0 ELSE 1 END, 1"
        );
        let out = rewrite_sql(&sql);
        let parsed = datafusion_pg_catalog::sql::PostgresCompatibilityParser::new().parse(&out);
        assert!(parsed.is_ok(), "{out}\n{parsed:?}");
    }

    #[tokio::test]
    async fn the_equivalent_runs() {
        let ctx = datafusion::prelude::SessionContext::new();
        // current_user is turned into session_user() by the session's parser; a plain context lacks it.
        // (and current_setting is the catalog's; the plain context gets the value directly).
        let equivalent = EQUIVALENT
            .replace(", current_user)", ", 'x')")
            .replace("current_setting('search_path')", "'public'");
        let sql = format!(
            "SELECT CASE WHEN 'public' {equivalent} THEN 'unqualified' ELSE 'qualified' END"
        );
        let rows = ctx.sql(&sql).await.unwrap().collect().await.unwrap();
        let text = arrow::util::pretty::pretty_format_batches(&rows)
            .unwrap()
            .to_string();
        assert!(text.contains("| unqualified"), "{text}");
    }
}
