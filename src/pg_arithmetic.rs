//! PostgreSQL's errors of arithmetic where DataFusion answers a number.
//!
//! - `+`, `-` and `*` of two `bigint`s or two `integer`s wrap around in
//!   DataFusion (`9223372036854775807 + 1` is `-9223372036854775808`);
//!   PostgreSQL raises `bigint out of range` or `integer out of range`
//!   (SQLSTATE 22003). They are planned as PostgreSQL's own functions for
//!   them, `int8pl`, `int8mi`, `int8mul`, `int4pl`, `int4mi` and `int4mul`
//!   (`conversql_udfs`), which check.
//! - `/` of two `double precision`s by zero is `Infinity` in DataFusion,
//!   `division by zero` (SQLSTATE 22012) in PostgreSQL: it is planned as
//!   `float8div`.
//!
//! `smallint`s (of which the log has none) keep DataFusion's wrapping
//! operators. This analyzer rule runs after DataFusion's type coercion, so
//! it sees the operand types PostgreSQL's operator would be chosen by; the
//! output names are kept.

use std::sync::Arc;

use arrow::datatypes::DataType;
use conversql_udfs::{
    Float8DivFunc, Int4MiFunc, Int4MulFunc, Int4PlFunc, Int8MiFunc, Int8MulFunc, Int8PlFunc,
};
use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::common::{DFSchema, Result};
use datafusion::logical_expr::expr::ScalarFunction;
use datafusion::logical_expr::expr_rewriter::NamePreserver;
use datafusion::logical_expr::utils::merge_schema;
use datafusion::logical_expr::{BinaryExpr, Expr, ExprSchemable, LogicalPlan, Operator, ScalarUDF};
use datafusion::optimizer::AnalyzerRule;

/// Plans `bigint` and `integer` `+ - *` and `double precision` `/` as PostgreSQL's checking functions.
#[derive(Debug, Default)]
pub struct CheckedArithmetic;

impl AnalyzerRule for CheckedArithmetic {
    fn analyze(&self, plan: LogicalPlan, _config: &ConfigOptions) -> Result<LogicalPlan> {
        plan.transform_up_with_subqueries(|plan| {
            let schema = merge_schema(&plan.inputs());
            let names = NamePreserver::new(&plan);
            plan.map_expressions(|expr| {
                let saved = names.save(&expr);
                let checked = expr.transform_up(|e| Ok(checked(e, &schema)))?;
                Ok(checked.update_data(|e| saved.restore(e)))
            })
        })
        .map(|t| t.data)
    }

    fn name(&self) -> &'static str {
        "conversql_checked_arithmetic"
    }
}

fn checked(expr: Expr, schema: &DFSchema) -> Transformed<Expr> {
    let Expr::BinaryExpr(BinaryExpr { left, op, right }) = &expr else {
        return Transformed::no(expr);
    };
    let (Ok(left_type), Ok(right_type)) = (left.get_type(schema), right.get_type(schema)) else {
        return Transformed::no(expr);
    };
    let udf: ScalarUDF = match (op, &left_type, &right_type) {
        (Operator::Plus, DataType::Int64, DataType::Int64) => Int8PlFunc::new().into(),
        (Operator::Minus, DataType::Int64, DataType::Int64) => Int8MiFunc::new().into(),
        (Operator::Multiply, DataType::Int64, DataType::Int64) => Int8MulFunc::new().into(),
        (Operator::Plus, DataType::Int32, DataType::Int32) => Int4PlFunc::new().into(),
        (Operator::Minus, DataType::Int32, DataType::Int32) => Int4MiFunc::new().into(),
        (Operator::Multiply, DataType::Int32, DataType::Int32) => Int4MulFunc::new().into(),
        (Operator::Divide, DataType::Float64, DataType::Float64) => Float8DivFunc::new().into(),
        _ => return Transformed::no(expr),
    };
    Transformed::yes(Expr::ScalarFunction(ScalarFunction::new_udf(
        Arc::new(udf),
        vec![(**left).clone(), (**right).clone()],
    )))
}

#[cfg(test)]
mod tests {
    use datafusion::prelude::SessionContext;

    async fn run(sql: &str) -> Result<String, String> {
        let ctx = SessionContext::new();
        ctx.add_analyzer_rule(std::sync::Arc::new(super::CheckedArithmetic));
        let batches = ctx
            .sql(sql)
            .await
            .map_err(|e| e.to_string())?
            .collect()
            .await
            .map_err(|e| e.to_string())?;
        Ok(
            datafusion::arrow::util::pretty::pretty_format_batches(&batches)
                .unwrap()
                .to_string(),
        )
    }

    #[tokio::test]
    async fn overflow_and_division_by_zero_are_errors() {
        assert!(
            run("SELECT CAST(9223372036854775807 AS BIGINT) + 1 AS n")
                .await
                .unwrap_err()
                .contains("bigint out of range")
        );
        assert!(
            run("SELECT CAST(2147483647 AS INT) + CAST(1 AS INT) AS n")
                .await
                .unwrap_err()
                .contains("integer out of range")
        );
        assert!(
            run("SELECT CAST(1 AS DOUBLE) / 0 AS n")
                .await
                .unwrap_err()
                .contains("division by zero")
        );
        let fine = run("SELECT 40 + 2 AS a, 6 * 7 AS b, CAST(1 AS DOUBLE) / 4 AS c")
            .await
            .unwrap();
        assert!(fine.contains("| 42 | 42 | 0.25 |"), "{fine}");
    }
}
