//! `SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL <level>`, which
//! Metabase sends around every sync, becomes
//! `SET default_transaction_isolation = '<level>'` (what PostgreSQL sets), so
//! the session accepts it like any other setting. conversql is read-only and
//! answers from immutable logs, so every isolation level behaves the same.

/// The rewritten statement, or `None` when `sql` is not that statement.
pub fn rewrite_sql(sql: &str) -> Option<String> {
    let words: Vec<String> = sql
        .trim()
        .trim_end_matches(';')
        .split_whitespace()
        .map(str::to_ascii_lowercase)
        .collect();
    let prefix = [
        "set",
        "session",
        "characteristics",
        "as",
        "transaction",
        "isolation",
        "level",
    ];
    if words.len() <= prefix.len() || words[..prefix.len()] != prefix {
        return None;
    }
    let level = words[prefix.len()..].join(" ");
    matches!(
        level.as_str(),
        "read uncommitted" | "read committed" | "repeatable read" | "serializable"
    )
    .then(|| format!("SET default_transaction_isolation = '{level}'"))
}

#[cfg(test)]
mod tests {
    use super::rewrite_sql;

    #[test]
    fn metabase_form() {
        assert_eq!(
            rewrite_sql(
                "SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL READ UNCOMMITTED"
            )
            .unwrap(),
            "SET default_transaction_isolation = 'read uncommitted'"
        );
        assert!(
            rewrite_sql("SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL sideways")
                .is_none()
        );
        assert!(rewrite_sql("SELECT 1").is_none());
    }
}
