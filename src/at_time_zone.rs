//! `ts AT TIME ZONE zone` with PostgreSQL's meaning: the statement's
//! `AT TIME ZONE` becomes `timezone(zone, ts)` (PostgreSQL's name for it,
//! `conversql_udfs::TimezoneFunc`). DataFusion's own planning of
//! `AT TIME ZONE` is a cast to a timestamp in that zone, the same instant
//! with another display offset, where PostgreSQL turns a `timestamptz` into
//! the wall-clock `timestamp` in that zone and a `timestamp` into a `timestamptz`.

use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::{
    Expr, Function, FunctionArg, FunctionArgExpr, FunctionArgumentList, FunctionArguments, Ident,
    ObjectName, Statement, visit_expressions_mut,
};

/// Rewrites every `AT TIME ZONE` of `statement` into a `timezone` call.
pub fn rewrite(statement: &mut Statement) {
    let _ = visit_expressions_mut(statement, |expr| {
        if let Expr::AtTimeZone {
            timestamp,
            time_zone,
        } = expr
        {
            let args = vec![(**time_zone).clone(), (**timestamp).clone()];
            *expr = Expr::Function(Function {
                name: ObjectName::from(vec![Ident::new("timezone")]),
                uses_odbc_syntax: false,
                parameters: FunctionArguments::None,
                args: FunctionArguments::List(FunctionArgumentList {
                    duplicate_treatment: None,
                    args: args
                        .into_iter()
                        .map(|e| FunctionArg::Unnamed(FunctionArgExpr::Expr(e)))
                        .collect(),
                    clauses: vec![],
                }),
                filter: None,
                null_treatment: None,
                over: None,
                within_group: vec![],
            });
        }
        ControlFlow::<()>::Continue(())
    });
}

#[cfg(test)]
mod tests {
    use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;
    use datafusion::sql::sqlparser::parser::Parser;

    #[test]
    fn at_time_zone_becomes_timezone() {
        let mut statements = Parser::parse_sql(
            &PostgreSqlDialect {},
            "SELECT (t AT TIME ZONE 'UTC') AT TIME ZONE z FROM x",
        )
        .unwrap();
        super::rewrite(&mut statements[0]);
        assert_eq!(
            statements[0].to_string(),
            "SELECT timezone(z, (timezone('UTC', t))) FROM x"
        );
    }
}
