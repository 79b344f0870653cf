//! PostgreSQL's common type of a `numeric` and a float: the float.
//!
//! Where values of several number types meet in one column (`VALUES`,
//! `UNION`, `CASE`, `coalesce`, `greatest`, `least`, `ARRAY[…]`), PostgreSQL
//! takes the type the others convert to implicitly: in the order `smallint`,
//! `integer`, `bigint`, `numeric`, `real`, `double precision`, the last one
//! present. DataFusion agrees except between decimals and floats, where it
//! takes a decimal of scale 15 — `CASE WHEN c THEN 1e-20::float8 ELSE 0.5
//! END` would be `0.000000000000000`, and a large double would overflow. So
//! the decimal inputs of such a column are cast to the float type first.
//!
//! Arithmetic between a `real` and an integer or a `numeric` is `double
//! precision` in PostgreSQL (its operator resolution prefers the category's
//! preferred type, `float8`, for the converted operand), `real` in
//! DataFusion: both operands are cast to `double precision`.
//!
//! This analyzer rule runs before DataFusion's type coercion, which would
//! otherwise choose the decimal; `VALUES`, whose column types DataFusion's
//! SQL planner has already chosen, are re-typed from the values as written.

use arrow::datatypes::DataType;
use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::common::{DFSchema, Result};
use datafusion::logical_expr::expr::{Case, ScalarFunction};
use datafusion::logical_expr::expr_rewriter::NamePreserver;
use datafusion::logical_expr::utils::merge_schema;
use datafusion::logical_expr::{
    BinaryExpr, Cast, Expr, ExprSchemable, LogicalPlan, LogicalPlanBuilder, Operator, Union, Values,
};
use datafusion::optimizer::AnalyzerRule;

/// Casts the decimals of a column that also holds floats to the float type (see the module docs).
#[derive(Debug, Default)]
pub struct NumericCommonType;

/// The functions whose arguments meet in one result column.
const UNIFYING_FUNCTIONS: &[&str] = &["coalesce", "greatest", "least", "make_array"];

fn is_float(t: &DataType) -> bool {
    matches!(t, DataType::Float16 | DataType::Float32 | DataType::Float64)
}

fn is_decimal(t: &DataType) -> bool {
    matches!(
        t,
        DataType::Decimal32(_, _)
            | DataType::Decimal64(_, _)
            | DataType::Decimal128(_, _)
            | DataType::Decimal256(_, _)
    )
}

/// The float type decimals among `types` are cast to, if decimals and floats meet there.
fn float_of(types: &[DataType]) -> Option<DataType> {
    if !types.iter().any(is_decimal) {
        return None;
    }
    if types.contains(&DataType::Float64) {
        Some(DataType::Float64)
    } else if types.iter().any(is_float) {
        Some(DataType::Float32)
    } else {
        None
    }
}

fn cast(expr: Expr, to: &DataType) -> Expr {
    Expr::Cast(Cast::new(Box::new(expr), to.clone()))
}

/// `expr` cast to `to` if it is a decimal.
fn decimal_cast(expr: Expr, to: &DataType, schema: &DFSchema) -> Expr {
    match expr.get_type(schema) {
        Ok(t) if is_decimal(&t) => cast(expr, to),
        _ => expr,
    }
}

fn types_of<'a>(exprs: impl IntoIterator<Item = &'a Expr>, schema: &DFSchema) -> Vec<DataType> {
    exprs
        .into_iter()
        .filter_map(|e| e.get_type(schema).ok())
        .collect()
}

fn is_arithmetic(op: Operator) -> bool {
    matches!(
        op,
        Operator::Plus | Operator::Minus | Operator::Multiply | Operator::Divide | Operator::Modulo
    )
}

/// One expression with PostgreSQL's common type where DataFusion's differs.
fn unify(expr: Expr, schema: &DFSchema) -> Transformed<Expr> {
    match expr {
        Expr::Case(case) => {
            let results = case
                .when_then_expr
                .iter()
                .map(|(_, then)| then.as_ref())
                .chain(case.else_expr.as_deref());
            let Some(to) = float_of(&types_of(results, schema)) else {
                return Transformed::no(Expr::Case(case));
            };
            let when_then_expr = case
                .when_then_expr
                .into_iter()
                .map(|(when, then)| (when, Box::new(decimal_cast(*then, &to, schema))))
                .collect();
            let else_expr = case
                .else_expr
                .map(|e| Box::new(decimal_cast(*e, &to, schema)));
            Transformed::yes(Expr::Case(Case {
                expr: case.expr,
                when_then_expr,
                else_expr,
            }))
        }
        Expr::ScalarFunction(ScalarFunction { func, args })
            if UNIFYING_FUNCTIONS.contains(&func.name()) =>
        {
            let Some(to) = float_of(&types_of(&args, schema)) else {
                return Transformed::no(Expr::ScalarFunction(ScalarFunction { func, args }));
            };
            let args = args
                .into_iter()
                .map(|a| decimal_cast(a, &to, schema))
                .collect();
            Transformed::yes(Expr::ScalarFunction(ScalarFunction { func, args }))
        }
        Expr::BinaryExpr(BinaryExpr { left, op, right }) if is_arithmetic(op) => {
            let (Ok(l), Ok(r)) = (left.get_type(schema), right.get_type(schema)) else {
                return Transformed::no(Expr::BinaryExpr(BinaryExpr { left, op, right }));
            };
            let widened = |real: &DataType, other: &DataType| {
                *real == DataType::Float32 && (other.is_integer() || is_decimal(other))
            };
            if widened(&l, &r) || widened(&r, &l) {
                return Transformed::yes(Expr::BinaryExpr(BinaryExpr {
                    left: Box::new(cast(*left, &DataType::Float64)),
                    op,
                    right: Box::new(cast(*right, &DataType::Float64)),
                }));
            }
            Transformed::no(Expr::BinaryExpr(BinaryExpr { left, op, right }))
        }
        other => Transformed::no(other),
    }
}

/// The expression a `VALUES` cell was written as, under the cast to the
/// column type DataFusion's planner added.
fn as_written(cell: &Expr, column_type: &DataType) -> Expr {
    match cell {
        Expr::Cast(Cast { expr, field }) if field.data_type() == column_type => (**expr).clone(),
        other => other.clone(),
    }
}

/// `VALUES` re-typed where a column mixes decimals and floats.
fn unify_values(values: Values) -> Result<Transformed<LogicalPlan>> {
    let empty = DFSchema::empty();
    let columns = values.schema.fields().len();
    let mut rows = values.values.clone();
    let mut changed = false;
    for j in 0..columns {
        let column_type = values.schema.field(j).data_type();
        let written: Vec<Expr> = rows
            .iter()
            .map(|r| as_written(&r[j], column_type))
            .collect();
        let Some(to) = float_of(&types_of(&written, &empty)) else {
            continue;
        };
        if &to == column_type {
            continue;
        }
        for (row, cell) in rows.iter_mut().zip(written) {
            row[j] = cell.cast_to(&to, &empty)?;
        }
        changed = true;
    }
    if !changed {
        return Ok(Transformed::no(LogicalPlan::Values(values)));
    }
    let names: Vec<String> = values
        .schema
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    let plan = LogicalPlanBuilder::values(rows)?.build()?;
    // The planner's column names (`column1`, …) are those of the original.
    let renamed = plan
        .schema()
        .fields()
        .iter()
        .zip(&names)
        .map(|(f, name)| Expr::Column(f.name().into()).alias(name))
        .collect::<Vec<_>>();
    if names
        .iter()
        .zip(plan.schema().fields())
        .all(|(n, f)| n == f.name())
    {
        return Ok(Transformed::yes(plan));
    }
    Ok(Transformed::yes(
        LogicalPlanBuilder::from(plan).project(renamed)?.build()?,
    ))
}

/// A `UNION` whose inputs' columns mix decimals and floats, with the decimals cast.
fn unify_union(union: Union) -> Result<Transformed<LogicalPlan>> {
    let columns = union.schema.fields().len();
    let targets: Vec<Option<DataType>> = (0..columns)
        .map(|j| {
            let types: Vec<DataType> = union
                .inputs
                .iter()
                .filter_map(|i| i.schema().fields().get(j).map(|f| f.data_type().clone()))
                .collect();
            float_of(&types)
        })
        .collect();
    if targets.iter().all(Option::is_none) {
        return Ok(Transformed::no(LogicalPlan::Union(union)));
    }
    let inputs = union
        .inputs
        .iter()
        .map(|input| {
            let schema = input.schema();
            let exprs = schema
                .columns()
                .into_iter()
                .zip(schema.fields())
                .zip(&targets)
                .map(|((column, field), target)| match target {
                    Some(to) if is_decimal(field.data_type()) => {
                        cast(Expr::Column(column), to).alias(field.name())
                    }
                    _ => Expr::Column(column),
                })
                .collect::<Vec<_>>();
            LogicalPlanBuilder::from(input.as_ref().clone())
                .project(exprs)?
                .build()
                .map(std::sync::Arc::new)
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Transformed::yes(LogicalPlan::Union(Union {
        inputs,
        schema: union.schema,
    })))
}

impl AnalyzerRule for NumericCommonType {
    fn analyze(&self, plan: LogicalPlan, _config: &ConfigOptions) -> Result<LogicalPlan> {
        let mut changed_below = false;
        plan.transform_up_with_subqueries(|plan| {
            let plan = match plan {
                LogicalPlan::Values(values) => unify_values(values)?,
                LogicalPlan::Union(union) => unify_union(union)?,
                other => {
                    let schema = merge_schema(&other.inputs());
                    let names = NamePreserver::new(&other);
                    other.map_expressions(|expr| {
                        let saved = names.save(&expr);
                        let unified = expr.transform_up(|e| Ok(unify(e, &schema)))?;
                        Ok(unified.update_data(|e| saved.restore(e)))
                    })?
                }
            };
            changed_below |= plan.transformed;
            if changed_below {
                // A child's column types may have changed.
                let recomputed = plan.data.recompute_schema()?;
                return Ok(Transformed::yes(recomputed));
            }
            Ok(plan)
        })
        .map(|t| t.data)
    }

    fn name(&self) -> &'static str {
        "conversql_numeric_common_type"
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use datafusion::execution::SessionStateBuilder;
    use datafusion::optimizer::Analyzer;
    use datafusion::prelude::{SessionConfig, SessionContext};

    async fn types_and_values(sql: &str) -> String {
        let mut rules = Analyzer::new().rules;
        rules.insert(rules.len() - 1, Arc::new(super::NumericCommonType));
        // Decimal literals are decimals, as in conversql's sessions.
        let config =
            SessionConfig::new().set_bool("datafusion.sql_parser.parse_float_as_decimal", true);
        let state = SessionStateBuilder::new()
            .with_config(config)
            .with_default_features()
            .with_analyzer_rules(rules)
            .build();
        let ctx = SessionContext::new_with_state(state);
        let batches = ctx.sql(sql).await.unwrap().collect().await.unwrap();
        let types: Vec<String> = batches[0]
            .schema()
            .fields()
            .iter()
            .map(|f| f.data_type().to_string())
            .collect();
        format!(
            "{}\n{}",
            types.join(","),
            datafusion::arrow::util::pretty::pretty_format_batches(&batches).unwrap()
        )
    }

    #[tokio::test]
    async fn a_float_and_a_decimal_meet_in_the_float() {
        let values = types_and_values(
            "SELECT x, sum(x) OVER () AS s FROM (VALUES (CAST(1e-20 AS DOUBLE)), (2.25)) AS t(x)",
        )
        .await;
        assert!(values.starts_with("Float64,Float64\n"), "{values}");
        assert!(values.contains("1e-20"), "{values}");
        let case = types_and_values(
            "SELECT CASE WHEN true THEN CAST(1e-20 AS DOUBLE) ELSE 0.5 END AS c, \
             coalesce(NULL, 0.5, CAST(1 AS DOUBLE)) AS k",
        )
        .await;
        assert!(case.starts_with("Float64,Float64\n"), "{case}");
        assert!(case.contains("1e-20"), "{case}");
        let union =
            types_and_values("SELECT CAST(1e-20 AS DOUBLE) AS u UNION ALL SELECT 2.25").await;
        assert!(union.starts_with("Float64\n"), "{union}");
        let real =
            types_and_values("SELECT CAST(5 AS REAL) + 1 AS n, CAST(5 AS REAL) * 2 AS m").await;
        assert!(real.starts_with("Float64,Float64\n"), "{real}");
    }

    #[tokio::test]
    async fn other_columns_keep_their_types() {
        let kept =
            types_and_values("SELECT x FROM (VALUES (1.5), (2)) AS t(x) UNION ALL SELECT 2.25")
                .await;
        assert!(kept.starts_with("Decimal128("), "{kept}");
        let real = types_and_values("SELECT CAST(5 AS REAL) + CAST(1 AS REAL) AS n").await;
        assert!(real.starts_with("Float32\n"), "{real}");
    }
}
