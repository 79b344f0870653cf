//! PostgreSQL's choice between the `double precision` and the `numeric`
//! version of a math function, before DataFusion's type coercion.
//!
//! PostgreSQL has two of `sqrt`, `power`, `exp`, `ln` and `log`: of a
//! `double precision` (chosen when an argument is one, or for integers) and
//! of a `numeric` (chosen when an argument is a `numeric` and none is a
//! float), whose answer's scale depends on the value (`sqrt(2.0)` is
//! `1.414213562373095`, `power(2.0, 3)` is `8.0000000000000000`); `log(b, x)`
//! exists for `numeric` only. DataFusion computes every one in floats. So:
//!
//! - the float version stays DataFusion's; `power` of integers is computed
//!   in floats as PostgreSQL does (DataFusion's is an integer);
//! - the `numeric` versions are errors (SQLSTATE 0A000) naming the function
//!   and saying to cast the argument to `double precision`;
//! - the aggregates `stddev`, `variance` and their `_pop`/`_samp` forms of
//!   integers and `numeric`s, `numeric` in PostgreSQL, become conversql's
//!   `numeric_variance(x, NULL, statistic)`, computed exactly as PostgreSQL
//!   computes them (`conversql_udfs::numeric_accum`; the display scale
//!   module fills in the values' places), as aggregates and over windows.
//!
//! This is a function rewrite, which DataFusion runs before its type
//! coercion, so it sees the argument types as written.

use arrow::datatypes::DataType;
use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::Transformed;
use std::sync::Arc;

use datafusion::common::{DFSchema, DataFusionError, Result, ScalarValue};
use datafusion::logical_expr::expr::{AggregateFunction, ScalarFunction};
use datafusion::logical_expr::expr_rewriter::FunctionRewrite;
use datafusion::logical_expr::{
    AggregateUDF, Cast, Expr, ExprSchemable, WindowFunctionDefinition, lit,
};

/// Keeps PostgreSQL's float math functions, refuses its numeric ones and
/// plans its numeric variances (see the module docs).
#[derive(Debug, Default)]
pub struct FloatMath;

/// The scalar functions PostgreSQL has in a `double precision` and a `numeric` version.
const SCALAR: &[&str] = &["sqrt", "power", "pow", "exp", "ln", "log", "log10"];

/// The aggregates PostgreSQL computes in `numeric` for integers and `numeric`s.
const AGGREGATE: &[&str] = &[
    "stddev",
    "stddev_samp",
    "stddev_pop",
    "variance",
    "var_samp",
    "var_sample",
    "var_pop",
    "var_population",
    "var",
];

fn is_float(t: &DataType) -> bool {
    matches!(t, DataType::Float16 | DataType::Float32 | DataType::Float64)
}

fn is_numeric(t: &DataType) -> bool {
    matches!(
        t,
        DataType::Decimal32(_, _)
            | DataType::Decimal64(_, _)
            | DataType::Decimal128(_, _)
            | DataType::Decimal256(_, _)
    )
}

fn refused(function: &str, argument: &str) -> DataFusionError {
    DataFusionError::NotImplemented(format!(
        "{function}({argument}) is not supported: PostgreSQL computes it in numeric, with a scale \
         chosen by the value; cast the argument to double precision"
    ))
}

/// `numeric_variance`, PostgreSQL's variances of integers and numerics.
fn numeric_variance() -> Arc<AggregateUDF> {
    Arc::new(AggregateUDF::from(
        conversql_udfs::NumericVarianceFunc::new(),
    ))
}

/// The arguments of `numeric_variance` for the aggregate `name` of `args`,
/// if its argument is an integer or a numeric: the value, its places
/// (unknown here: NULL) and the statistic.
fn numeric_variance_args(name: &str, args: &[Expr], schema: &DFSchema) -> Option<Vec<Expr>> {
    let [x] = args else { return None };
    let t = x.get_type(schema).ok()?;
    if !(is_numeric(&t) || t.is_integer()) {
        return None;
    }
    let statistic = match name {
        "stddev" | "stddev_samp" => "stddev_samp",
        "stddev_pop" => "stddev_pop",
        "var_pop" | "var_population" => "var_pop",
        _ => "var_samp",
    };
    Some(vec![
        x.clone(),
        lit(ScalarValue::Int32(None)),
        lit(statistic),
    ])
}

fn types(args: &[Expr], schema: &DFSchema) -> Option<Vec<DataType>> {
    args.iter().map(|a| a.get_type(schema).ok()).collect()
}

impl FunctionRewrite for FloatMath {
    fn name(&self) -> &'static str {
        "conversql_float_math"
    }

    fn rewrite(
        &self,
        expr: Expr,
        schema: &DFSchema,
        _config: &ConfigOptions,
    ) -> Result<Transformed<Expr>> {
        match &expr {
            Expr::ScalarFunction(ScalarFunction { func, args })
                if SCALAR.contains(&func.name()) =>
            {
                let Some(arg_types) = types(args, schema) else {
                    return Ok(Transformed::no(expr));
                };
                let name = func.name();
                if name == "log" && args.len() == 2 {
                    return Err(refused("log", "numeric, numeric"));
                }
                if arg_types.iter().any(is_float) {
                    return Ok(Transformed::no(expr));
                }
                if arg_types.iter().any(is_numeric) {
                    let numeric = vec!["numeric"; args.len()].join(", ");
                    return Err(refused(name, &numeric));
                }
                if matches!(name, "power" | "pow") && arg_types.iter().all(DataType::is_integer) {
                    let args = args
                        .iter()
                        .map(|a| Expr::Cast(Cast::new(Box::new(a.clone()), DataType::Float64)))
                        .collect();
                    return Ok(Transformed::yes(Expr::ScalarFunction(ScalarFunction {
                        func: func.clone(),
                        args,
                    })));
                }
                Ok(Transformed::no(expr))
            }
            Expr::AggregateFunction(AggregateFunction { func, params })
                if AGGREGATE.contains(&func.name()) =>
            {
                let Some(args) = numeric_variance_args(func.name(), &params.args, schema) else {
                    return Ok(Transformed::no(expr));
                };
                let mut params = params.clone();
                params.args = args;
                Ok(Transformed::yes(Expr::AggregateFunction(
                    AggregateFunction {
                        func: numeric_variance(),
                        params,
                    },
                )))
            }
            Expr::WindowFunction(window)
                if matches!(&window.fun, WindowFunctionDefinition::AggregateUDF(f)
                    if AGGREGATE.contains(&f.name())) =>
            {
                let Some(args) =
                    numeric_variance_args(window.fun.name(), &window.params.args, schema)
                else {
                    return Ok(Transformed::no(expr));
                };
                let mut window = window.as_ref().clone();
                window.fun = WindowFunctionDefinition::AggregateUDF(numeric_variance());
                window.params.args = args;
                Ok(Transformed::yes(Expr::WindowFunction(Box::new(window))))
            }
            _ => Ok(Transformed::no(expr)),
        }
    }
}

#[cfg(test)]
mod tests {
    use datafusion::execution::FunctionRegistry;
    use datafusion::prelude::SessionContext;

    async fn run(sql: &str) -> Result<String, String> {
        let ctx = SessionContext::new();
        ctx.state_ref()
            .write()
            .register_function_rewrite(std::sync::Arc::new(super::FloatMath))
            .unwrap();
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
    async fn numeric_versions_are_refused_float_ones_kept() {
        let sqrt = run("SELECT sqrt(CAST(2.0 AS DECIMAL(2,1)))")
            .await
            .unwrap_err();
        assert!(sqrt.contains("sqrt(numeric) is not supported"), "{sqrt}");
        let log = run("SELECT log(2, 8)").await.unwrap_err();
        assert!(log.contains("log(numeric, numeric)"), "{log}");
        let stddev = run("SELECT stddev(x) AS s FROM (VALUES (1), (2), (3), (4)) AS t(x)")
            .await
            .unwrap();
        assert!(
            stddev.contains("| 1.290994448735805600000000 |"),
            "{stddev}"
        );
        let kept = run("SELECT power(2, 10) AS p, sqrt(CAST(16 AS DOUBLE)) AS s")
            .await
            .unwrap();
        assert!(kept.contains("| 1024.0 | 4.0 |"), "{kept}");
    }
}
