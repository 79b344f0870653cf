//! The one home of what stays client-specific: SQL that one client sends,
//! word for word, which conversql cannot plan as written and which no general
//! model of PostgreSQL makes plannable. Each client has a file here, citing
//! the client source its rule mirrors; [`RULES`] is the ordered list and
//! [`rewrite`] applies it, before the SQL is parsed (the session calls it
//! through `catalog::driver_compat::rewrite_sql`).
//!
//! A rule matches its client's statement (or, for Grafana, its client's
//! whole subquery) token for token, whitespace aside, and replaces it with
//! SQL of the same meaning: it never changes the meaning of SQL that did not
//! come from its client. Each file tests that its rule leaves other SQL
//! unchanged. Everything else PostgreSQL clients send is modelled generally
//! (types, names, catalog) and needs no rule.

use std::borrow::Cow;

pub mod asyncpg;
pub mod grafana;
mod tokens;

/// A rewrite of one client's SQL.
pub trait ClientRule: Sync {
    /// The rule's name: the client and what it rewrites.
    fn name(&self) -> &'static str;
    /// `sql` rewritten, or `None` when `sql` is not this client's.
    fn rewrite(&self, sql: &str) -> Option<String>;
}

/// The rules, in the order they apply.
pub static RULES: &[&dyn ClientRule] = &[&asyncpg::IntroLookupTypes, &grafana::SearchPathSubquery];

/// `sql` after every rule of [`RULES`], in order.
pub fn rewrite(sql: &str) -> Cow<'_, str> {
    let mut sql = Cow::Borrowed(sql);
    for rule in RULES {
        if let Some(new) = rule.rewrite(&sql) {
            sql = Cow::Owned(new);
        }
    }
    sql
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SQL of other clients and of users, none of which any rule may touch.
    pub(crate) const OTHER_SQL: &[&str] = &[
        "SELECT 1",
        "SELECT * FROM conversations WHERE account_id = $1",
        "WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM t WHERE n < 3) SELECT n FROM t",
        "SELECT t.oid, t.typname FROM pg_catalog.pg_type t WHERE t.oid = any($1::oid[])",
        "SELECT current_setting('search_path')",
        "SELECT s FROM string_to_array(current_setting('search_path'), ',') s",
        "SELECT x FROM generate_series(1, 3) AS i(x) WHERE x IN (SELECT 2)",
        "SELECT quote_ident(table_schema) IN (SELECT trim(s) FROM t) FROM information_schema.tables",
    ];

    #[test]
    fn no_rule_touches_other_sql() {
        for sql in OTHER_SQL {
            assert_eq!(rewrite(sql), *sql, "{sql}");
            for rule in RULES {
                assert!(rule.rewrite(sql).is_none(), "{} rewrote {sql}", rule.name());
            }
        }
    }

    #[test]
    fn the_rules_have_distinct_names() {
        let mut names: Vec<&str> = RULES.iter().map(|r| r.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), RULES.len());
    }
}
