//! PostgreSQL's names for functions whose DataFusion namesakes mean otherwise.
//!
//! DataFusion's `array_length(a)` answers 0 for an empty array where
//! PostgreSQL's `array_length(a, 1)` answers NULL, and its `array_contains`
//! (which datafusion-pg-catalog's parser plans `x = ANY(a)` and
//! `x <> ALL(a)` as) answers false where PostgreSQL's `= ANY` answers NULL.
//! Registering conversql's functions under those names would not do:
//! DataFusion's own functions carry the same names as aliases, and which
//! registration wins depends on the order a session state's functions are
//! copied in. So the calls are renamed in the syntax tree, after the
//! PostgreSQL-compatibility rewrites, to `pg_array_length` and
//! `pg_any_equal` (conversql-udfs). The result column keeps the name
//! written (the column naming rewrite runs first).

use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::{
    Expr, Ident, ObjectNamePart, Statement, visit_expressions_mut,
};

/// The renamed functions: PostgreSQL's (or the parser's) name, conversql's function.
const RENAMED: [(&str, &str); 2] = [
    ("array_length", "pg_array_length"),
    ("array_contains", "pg_any_equal"),
];

/// Renames the calls of [`RENAMED`] functions in `statement`.
pub fn rename(statement: &mut Statement) {
    let _ = visit_expressions_mut(statement, |expr| {
        if let Expr::Function(f) = expr {
            let parts = &mut f.name.0;
            let qualified_by_pg_catalog = parts.len() == 2
                && parts[0]
                    .as_ident()
                    .is_some_and(|i| i.value.eq_ignore_ascii_case("pg_catalog"));
            if parts.len() == 1 || qualified_by_pg_catalog {
                let last = parts.len() - 1;
                if let Some(name) = parts[last].as_ident().map(|i| i.value.to_ascii_lowercase())
                    && let Some((_, ours)) = RENAMED.iter().find(|(theirs, _)| *theirs == name)
                {
                    *parts = vec![ObjectNamePart::Identifier(Ident::new(*ours))];
                }
            }
        }
        ControlFlow::<()>::Continue(())
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;
    use datafusion::sql::sqlparser::parser::Parser;

    #[test]
    fn renames_postgres_array_functions() {
        let mut statements = Parser::parse_sql(
            &PostgreSqlDialect {},
            "SELECT array_length(a, 1) AS n, pg_catalog.array_length(a, 1), array_contains(a, 1), other.array_length(a) FROM t",
        )
        .unwrap();
        rename(&mut statements[0]);
        assert_eq!(
            statements[0].to_string(),
            "SELECT pg_array_length(a, 1) AS n, pg_array_length(a, 1), pg_any_equal(a, 1), other.array_length(a) FROM t"
        );
    }
}
