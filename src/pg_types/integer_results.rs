//! PostgreSQL's `integer` results of functions DataFusion answers in `bigint`.
//!
//! `cardinality`, `array_position`, `array_ndims` and `regexp_count` are
//! `integer` in PostgreSQL (`array_positions` an `integer[]`); `gcd` and
//! `lcm` of `integer`s are `integer`s. DataFusion gives 64-bit integers
//! (unsigned for the array functions), so a client reads another type OID
//! and decodes binary values of another width. The call is wrapped in a
//! cast to `integer` (`integer[]`); a value outside its range (`lcm` of large
//! integers) is an error, as PostgreSQL's `integer out of range`.
//!
//! This is a function rewrite, run before DataFusion's type coercion, so
//! `gcd` and `lcm` see their arguments' types as written; the output column
//! keeps the function's name.

use std::sync::Arc;

use arrow::datatypes::{DataType, Field};
use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::Transformed;
use datafusion::common::{DFSchema, Result};
use datafusion::logical_expr::expr::ScalarFunction;
use datafusion::logical_expr::expr_rewriter::FunctionRewrite;
use datafusion::logical_expr::{Cast, Expr, ExprSchemable};

/// Casts the results of [`INTEGER`], [`INTEGER_ARRAY`] and, of integers, [`SAME_AS_INTEGERS`] to `integer`.
#[derive(Debug, Default)]
pub struct IntegerResults;

/// Functions whose result is PostgreSQL's `integer`.
pub const INTEGER: &[&str] = &[
    "cardinality",
    "array_position",
    "array_ndims",
    "regexp_count",
];

/// Functions whose result is PostgreSQL's `integer[]`.
pub const INTEGER_ARRAY: &[&str] = &["array_positions"];

/// Functions that give an `integer` of `integer`s (and a `bigint` of `bigint`s).
pub const SAME_AS_INTEGERS: &[&str] = &["gcd", "lcm"];

fn integer_array() -> DataType {
    DataType::List(Arc::new(Field::new_list_field(DataType::Int32, true)))
}

fn is_small_integer(t: &DataType) -> bool {
    matches!(t, DataType::Int8 | DataType::Int16 | DataType::Int32)
}

impl FunctionRewrite for IntegerResults {
    fn name(&self) -> &'static str {
        "conversql_integer_results"
    }

    fn rewrite(
        &self,
        expr: Expr,
        schema: &DFSchema,
        _config: &ConfigOptions,
    ) -> Result<Transformed<Expr>> {
        let Expr::ScalarFunction(ScalarFunction { func, args }) = &expr else {
            return Ok(Transformed::no(expr));
        };
        let name = func.name();
        let to = if INTEGER.contains(&name) {
            DataType::Int32
        } else if INTEGER_ARRAY.contains(&name) {
            integer_array()
        } else if SAME_AS_INTEGERS.contains(&name)
            && args
                .iter()
                .all(|a| a.get_type(schema).is_ok_and(|t| is_small_integer(&t)))
        {
            DataType::Int32
        } else {
            return Ok(Transformed::no(expr));
        };
        Ok(Transformed::yes(Expr::Cast(Cast::new(Box::new(expr), to))))
    }
}

#[cfg(test)]
mod tests {
    use datafusion::execution::FunctionRegistry;
    use datafusion::prelude::SessionContext;

    async fn types(sql: &str) -> Vec<String> {
        let ctx = SessionContext::new();
        ctx.state_ref()
            .write()
            .register_function_rewrite(std::sync::Arc::new(super::IntegerResults))
            .unwrap();
        let df = ctx.sql(sql).await.unwrap();
        let batches = df.collect().await.unwrap();
        batches[0]
            .schema()
            .fields()
            .iter()
            .map(|f| format!("{} {}", f.name(), f.data_type()))
            .collect()
    }

    #[tokio::test]
    async fn integer_results_keep_their_names() {
        assert_eq!(
            types(
                "SELECT cardinality(make_array(1, 2)) AS c, gcd(CAST(12 AS INT), CAST(18 AS INT)) AS g, \
                 gcd(12, 18) AS b, regexp_count('banana', 'an'), array_positions(make_array(1, 2, 1), 1) AS p"
            )
            .await,
            [
                "c Int32",
                "g Int32",
                "b Int64",
                "regexp_count(Utf8(\"banana\"),Utf8(\"an\")) Int32",
                "p List(Int32)"
            ]
        );
    }
}
