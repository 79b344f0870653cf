//! Grafana's "schemas on the search_path" subquery (grafana/grafana,
//! public/app/plugins/datasource/grafana-postgresql-datasource/postgresMetaQuery.ts,
//! `buildSchemaConstraint`), which its table and column pickers (`showTables`,
//! `getSchema`) embed, always as `x IN (<subquery>)`:
//!
//! ```sql
//! SELECT CASE WHEN trim(s[i]) = '"$user"' THEN user ELSE trim(s[i]) END
//! FROM generate_series(array_lower(string_to_array(current_setting('search_path'),','),1),
//!                      array_upper(string_to_array(current_setting('search_path'),','),1)) as i,
//!      string_to_array(current_setting('search_path'),',') s
//! ```
//!
//! DataFusion cannot use a scalar function as a FROM item nor an `IN`
//! subquery inside `CASE`, and datafusion-pg-catalog's parser replaces the
//! whole subquery by `''` (so every table would come out schema-qualified and
//! column lookups find nothing). [`SearchPathSubquery`] replaces
//! `IN (<that subquery, token for token>)`, before that parser sees it, by
//! [`EQUIVALENT`]: `= ANY(<the same list>)`, the search_path split at its
//! commas, each element with its surrounding spaces trimmed (as `trim(s[i])`
//! does) and `"$user"` replaced by the current user. The replacement has the
//! subquery's meaning wherever it stands, so a statement that is not
//! Grafana's but holds the same subquery keeps its meaning too.

use std::borrow::Cow;
use std::sync::LazyLock;

use datafusion::sql::sqlparser::keywords::Keyword;
use datafusion::sql::sqlparser::tokenizer::Token;

use super::ClientRule;
use super::tokens::{self, significant};

const GRAFANA: &str = r#"SELECT
            CASE WHEN trim(s[i]) = '"$user"' THEN user ELSE trim(s[i]) END
          FROM
            generate_series(
              array_lower(string_to_array(current_setting('search_path'),','),1),
              array_upper(string_to_array(current_setting('search_path'),','),1)
            ) as i,
            string_to_array(current_setting('search_path'),',') s"#;

/// What replaces `IN (<Grafana's subquery>)`: the search_path's elements,
/// spaces around each trimmed, `"$user"` as the current user.
pub const EQUIVALENT: &str = r#"= ANY(array_replace_all(string_to_array(btrim(regexp_replace(current_setting('search_path'), ' *, *', ',', 'g'), ' '), ','), '"$user"', current_user))"#;

static PATTERN: LazyLock<Vec<Token>> = LazyLock::new(|| tokens::pattern(GRAFANA));

/// The rule: every `IN (<Grafana's search_path subquery>)` becomes
/// `= ANY(<the list>)` ([`EQUIVALENT`]).
#[derive(Debug)]
pub struct SearchPathSubquery;

impl ClientRule for SearchPathSubquery {
    fn name(&self) -> &'static str {
        "Grafana: search_path subquery"
    }

    fn rewrite(&self, sql: &str) -> Option<String> {
        match rewrite_sql(sql) {
            Cow::Owned(new) => Some(new),
            Cow::Borrowed(_) => None,
        }
    }
}

/// `sql` with every `IN (<Grafana's search_path subquery>)` replaced by its
/// equivalent (token-wise, so whitespace and line breaks do not matter).
fn rewrite_sql(sql: &str) -> Cow<'_, str> {
    if !sql.contains("search_path") || !sql.contains("generate_series") {
        return Cow::Borrowed(sql);
    }
    let Some(all) = tokens::tokenize(sql) else {
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
        assert_eq!(
            out,
            format!("SELECT 1 WHERE quote_ident('public') {EQUIVALENT}")
        );
        assert_eq!(rewrite_sql("SELECT 1"), "SELECT 1");
    }

    #[test]
    fn leaves_other_sql_unchanged() {
        for sql in crate::client_rules::tests::OTHER_SQL {
            assert!(SearchPathSubquery.rewrite(sql).is_none(), "{sql}");
        }
        // The subquery not inside IN (...), or changed by one token, is left alone.
        assert!(SearchPathSubquery.rewrite(GRAFANA).is_none());
        let changed = format!(
            "SELECT 1 WHERE 'a' IN ({})",
            GRAFANA.replace("'\"$user\"'", "'x'")
        );
        assert!(SearchPathSubquery.rewrite(&changed).is_none());
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
        for (search_path, schema, on_path) in [
            ("public", "public", true),
            (r#""$user", public"#, "public", true),
            (r#""$user", public"#, "x", true),
            (r#""$user", public"#, r#""$user""#, false),
            ("a ,  b,c", "b", true),
            ("a ,  b,c", " b", false),
            ("ab", "a", false),
        ] {
            let equivalent = EQUIVALENT.replace(", current_user)", ", 'x')").replace(
                "current_setting('search_path')",
                &format!("'{}'", search_path.replace('\'', "''")),
            );
            let sql = format!(
                "SELECT CASE WHEN '{}' {equivalent} THEN 'on' ELSE 'off' END AS r",
                schema.replace('\'', "''")
            );
            let rows = ctx.sql(&sql).await.unwrap().collect().await.unwrap();
            let text = arrow::util::pretty::pretty_format_batches(&rows)
                .unwrap()
                .to_string();
            let want = if on_path { "| on " } else { "| off" };
            assert!(text.contains(want), "{schema} on {search_path}: {text}");
        }
    }
}
