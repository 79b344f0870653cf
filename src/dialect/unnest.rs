//! `unnest(array)` in `FROM` as PostgreSQL reads it.
//!
//! - `pg_catalog.unnest(…)` is the same function as `unnest(…)` (psql's `\d+`
//!   and pgcli write it qualified); the parser reads a qualified name as a
//!   table function, which DataFusion does not have.
//! - The column of `FROM unnest(a)` is named `unnest`, and that of
//!   `FROM unnest(a) x` is named `x`: a function returning a scalar names its
//!   column after its alias (DataFusion names it after the expression,
//!   `UNNEST(…)`).

use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::{
    FunctionArg, FunctionArgExpr, Ident, Statement, TableAlias, TableAliasColumnDef, TableFactor,
    VisitMut, VisitorMut,
};

/// Rewrites the `unnest` calls in `FROM` of `statement` as the module docs say.
pub fn rewrite(statement: &mut Statement) {
    let _ = statement.visit(&mut Unnest);
}

struct Unnest;

impl VisitorMut for Unnest {
    type Break = ();

    fn pre_visit_table_factor(&mut self, factor: &mut TableFactor) -> ControlFlow<()> {
        if let TableFactor::Table {
            name,
            alias,
            args: Some(args),
            with_ordinality: false,
            ..
        } = factor
            && let [schema, function] = name.0.as_slice()
            && schema
                .as_ident()
                .is_some_and(|i| i.value.eq_ignore_ascii_case("pg_catalog"))
            && function
                .as_ident()
                .is_some_and(|i| i.value.eq_ignore_ascii_case("unnest"))
        {
            let array_exprs: Option<Vec<_>> = args
                .args
                .iter()
                .map(|arg| match arg {
                    FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => Some(e.clone()),
                    _ => None,
                })
                .collect();
            if let Some(array_exprs) = array_exprs {
                *factor = TableFactor::UNNEST {
                    alias: alias.take(),
                    array_exprs,
                    with_offset: false,
                    with_offset_alias: None,
                    with_ordinality: false,
                };
            }
        }
        if let TableFactor::UNNEST {
            alias,
            array_exprs,
            with_offset: false,
            with_ordinality: false,
            ..
        } = factor
            && array_exprs.len() == 1
        {
            match alias {
                None => {
                    *alias = Some(TableAlias {
                        explicit: true,
                        name: Ident::new("unnest"),
                        columns: vec![TableAliasColumnDef::from_name("unnest")],
                        at: None,
                    });
                }
                Some(alias) if alias.columns.is_empty() => {
                    alias.columns = vec![TableAliasColumnDef {
                        name: alias.name.clone(),
                        data_type: None,
                    }];
                }
                Some(_) => {}
            }
        }
        ControlFlow::Continue(())
    }
}

#[cfg(test)]
mod tests {
    use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;
    use datafusion::sql::sqlparser::parser::Parser;

    fn rewritten(sql: &str) -> String {
        let mut statements = Parser::parse_sql(&PostgreSqlDialect {}, sql).unwrap();
        super::rewrite(&mut statements[0]);
        statements[0].to_string()
    }

    #[test]
    fn names_the_column_and_reads_the_qualified_name() {
        assert_eq!(
            rewritten("SELECT * FROM unnest(a)"),
            "SELECT * FROM UNNEST(a) AS unnest (unnest)"
        );
        assert_eq!(
            rewritten("SELECT x FROM pg_catalog.unnest(t.o) x"),
            "SELECT x FROM UNNEST(t.o) x (x)"
        );
        assert_eq!(
            rewritten("SELECT * FROM unnest(a) AS u(v)"),
            "SELECT * FROM UNNEST(a) AS u (v)"
        );
        assert_eq!(
            rewritten("SELECT * FROM other.unnest(a)"),
            "SELECT * FROM other.unnest(a)"
        );
    }
}
