//! PostgreSQL's rounding where DataFusion's differs.
//!
//! - A cast of a fraction to an integer rounds in PostgreSQL
//!   (`CAST(2.5 AS INTEGER)` is 3, `CAST(2.5::float8 AS INTEGER)` is 2:
//!   `numeric` rounds half away from zero, `double precision` half to even);
//!   Arrow's cast truncates (2).
//! - `round(double precision)` rounds half to even in PostgreSQL (`rint`:
//!   `round(2.5::float8)` is 2); DataFusion's rounds half away from zero.
//! - `trunc`, `ceil` and `floor` of a `numeric` have no decimal places in
//!   PostgreSQL (`trunc(3.789)` is `3`); DataFusion's keep the argument's
//!   scale (`3.000`). `trunc(numeric, n)` has `n` places (`trunc(3.789, 1)`
//!   is `3.7`, DataFusion's `3.700`), when `n` is a constant.
//!
//! This analyzer rule, run after DataFusion's type coercion, rewrites those
//! expressions; output names are kept.

use datafusion::arrow::datatypes::DataType;
use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::common::{DFSchema, Result};
use datafusion::logical_expr::expr::ScalarFunction;
use datafusion::logical_expr::expr_rewriter::NamePreserver;
use datafusion::logical_expr::utils::merge_schema;
use datafusion::logical_expr::{Cast, Expr, ExprSchemable, LogicalPlan, TryCast, lit, when};
use datafusion::optimizer::AnalyzerRule;

/// Rewrites casts of fractions to integers, `round` of floats and
/// `trunc`/`ceil`/`floor` of decimals to PostgreSQL's meaning (see the module docs).
#[derive(Debug, Default)]
pub struct PostgresRounding;

impl AnalyzerRule for PostgresRounding {
    fn analyze(&self, plan: LogicalPlan, _config: &ConfigOptions) -> Result<LogicalPlan> {
        plan.transform_up_with_subqueries(|plan| {
            let schema = merge_schema(&plan.inputs());
            let names = NamePreserver::new(&plan);
            let rewritten = plan.map_expressions(|expr| {
                let saved = names.save(&expr);
                let new = expr.transform_up(|e| rewrite(e, &schema))?;
                Ok(new.update_data(|e| saved.restore(e)))
            })?;
            if rewritten.transformed {
                rewritten.map_data(LogicalPlan::recompute_schema)
            } else {
                Ok(rewritten)
            }
        })
        .map(|t| t.data)
    }

    fn name(&self) -> &'static str {
        "conversql_postgres_rounding"
    }
}

fn is_integer(t: &DataType) -> bool {
    matches!(
        t,
        DataType::Int8 | DataType::Int16 | DataType::Int32 | DataType::Int64
    )
}

fn is_float(t: &DataType) -> bool {
    matches!(t, DataType::Float32 | DataType::Float64)
}

/// The value of a constant integer argument (decimal places), possibly cast.
fn constant_places(expr: &Expr) -> Option<i64> {
    match expr {
        Expr::Literal(value, _) => match value {
            datafusion::common::ScalarValue::Int64(Some(n)) => Some(*n),
            datafusion::common::ScalarValue::Int32(Some(n)) => Some(i64::from(*n)),
            _ => None,
        },
        Expr::Cast(Cast { expr, .. }) | Expr::TryCast(TryCast { expr, .. }) => {
            constant_places(expr)
        }
        _ => None,
    }
}

/// `x` rounded half to even (C's `rint`, as PostgreSQL rounds `double precision`).
fn rint(x: Expr) -> Result<Expr> {
    let math = datafusion::functions::math::expr_fn::round;
    let trunc = datafusion::functions::math::trunc();
    let abs = datafusion::functions::math::abs();
    let half = abs
        .call(vec![x.clone() - trunc.call(vec![x.clone()])])
        .eq(lit(0.5));
    when(half, lit(2.0) * math(vec![x.clone() / lit(2.0)])).otherwise(math(vec![x]))
}

fn rewrite(expr: Expr, schema: &DFSchema) -> Result<Transformed<Expr>> {
    match &expr {
        Expr::Cast(Cast { expr: inner, field }) | Expr::TryCast(TryCast { expr: inner, field })
            if is_integer(field.data_type()) =>
        {
            let source = inner.get_type(schema)?;
            let rounded = if is_float(&source) {
                rint((**inner).clone())?
            } else if matches!(source, DataType::Decimal128(_, s) if s > 0) {
                datafusion::functions::math::expr_fn::round(vec![(**inner).clone()])
            } else {
                return Ok(Transformed::no(expr));
            };
            let field = field.clone();
            Ok(Transformed::yes(match expr {
                Expr::TryCast(_) => {
                    Expr::TryCast(TryCast::new_from_field(Box::new(rounded), field))
                }
                _ => Expr::Cast(Cast::new_from_field(Box::new(rounded), field)),
            }))
        }
        Expr::ScalarFunction(ScalarFunction { func, args })
            if args.len() == 2 && func.name() == "trunc" =>
        {
            let (DataType::Decimal128(p, s), Some(places)) =
                (args[0].get_type(schema)?, constant_places(&args[1]))
            else {
                return Ok(Transformed::no(expr));
            };
            let places = places.clamp(0, 38);
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let precision = (i64::from(p) - i64::from(s) + places).clamp(1, 38) as u8;
            #[allow(clippy::cast_possible_truncation)]
            let scale = places as i8;
            if scale == s {
                return Ok(Transformed::no(expr));
            }
            Ok(Transformed::yes(Expr::Cast(Cast::new(
                Box::new(expr.clone()),
                DataType::Decimal128(precision, scale),
            ))))
        }
        Expr::ScalarFunction(ScalarFunction { func, args }) if args.len() == 1 => {
            let source = args[0].get_type(schema)?;
            match (func.name(), &source) {
                ("round", t) if is_float(t) => Ok(Transformed::yes(rint(args[0].clone())?)),
                ("trunc" | "ceil" | "floor", DataType::Decimal128(_, s)) if *s > 0 => {
                    Ok(Transformed::yes(Expr::Cast(Cast::new(
                        Box::new(expr.clone()),
                        DataType::Decimal128(38, 0),
                    ))))
                }
                _ => Ok(Transformed::no(expr)),
            }
        }
        _ => Ok(Transformed::no(expr)),
    }
}

#[cfg(test)]
mod tests {
    use datafusion::prelude::SessionContext;

    async fn values(sql: &str) -> Vec<String> {
        let ctx = SessionContext::new();
        ctx.add_analyzer_rule(std::sync::Arc::new(super::PostgresRounding));
        let batches = ctx.sql(sql).await.unwrap().collect().await.unwrap();
        let batch = &batches[0];
        (0..batch.num_columns())
            .map(|i| {
                datafusion::arrow::util::display::ArrayFormatter::try_new(
                    batch.column(i).as_ref(),
                    &datafusion::arrow::util::display::FormatOptions::default(),
                )
                .unwrap()
                .value(0)
                .to_string()
            })
            .collect()
    }

    #[tokio::test]
    async fn casts_and_round_follow_postgresql() {
        assert_eq!(
            values(
                "SELECT CAST(CAST(2.5 AS DECIMAL(3,1)) AS INT) AS a, \
                 CAST(CAST(-2.5 AS DECIMAL(3,1)) AS INT) AS b, CAST(CAST(2.5 AS DOUBLE) AS INT) AS c, \
                 CAST(CAST(3.5 AS DOUBLE) AS INT) AS d, CAST(CAST(3.7 AS DOUBLE) AS BIGINT) AS e, \
                 round(CAST(2.5 AS DOUBLE)) AS f, round(CAST(-2.5 AS DOUBLE)) AS g, \
                 round(CAST(2.4 AS DOUBLE)) AS h"
            )
            .await,
            ["3", "-3", "2", "4", "4", "2.0", "-2.0", "2.0"]
        );
        assert_eq!(
            values(
                "SELECT trunc(CAST(3.789 AS DECIMAL(4,3))) AS a, floor(CAST(-3.2 AS DECIMAL(2,1))) AS b"
            ).await,
            ["3", "-4"]
        );
        assert_eq!(
            values("SELECT trunc(CAST(3.789 AS DECIMAL(4,3)), 1) AS a, trunc(CAST(3.7 AS DECIMAL(2,1)), 3) AS b").await,
            ["3.7", "3.700"]
        );
    }
}
