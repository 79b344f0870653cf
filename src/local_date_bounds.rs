//! Instant bounds implied by a filter on a local date, so that the scan can skip
//! files, row groups and pages by the instant's statistics.
//!
//! The views date every row in its account's zone: `placed_date` is
//! `local_date(placed_at, timezone)`, where the zone comes from a join with
//! `accounts`. A filter on such a date references two tables and cannot reach
//! the scan of either, so a report over 30 days read every order ever placed.
//! No zone is more than a day from UTC (the widest offsets, local mean times
//! included, are under 16 hours), so a local date `D` is an instant in
//! `[D − 1 day, D + 2 days)` UTC, and this rule adds that looser bound on the
//! instant alone beside every comparison of `local_date(instant, zone)` with a
//! date literal. The bound is implied by the original comparison, which stays:
//! no row can change, only fewer are read.
//!
//! The rule runs first among the optimizer's rules ([`optimizer_rules`]), so
//! it sees each filter as the query wrote it. The optimizer runs its rules in
//! several passes and moves filters down between them, so a bound is added
//! only if the plan has no comparison of the same column name with the same
//! literal yet.

use std::collections::HashSet;
use std::sync::Arc;

use arrow::datatypes::{DataType, TimeUnit};
use datafusion::common::tree_node::{Transformed, TreeNode, TreeNodeRecursion};
use datafusion::common::{DFSchema, Result, ScalarValue};
use datafusion::logical_expr::utils::{conjunction, split_conjunction};
use datafusion::logical_expr::{
    Between, BinaryExpr, Cast, Expr, ExprSchemable, LogicalPlan, Operator,
};
use datafusion::optimizer::{Optimizer, OptimizerConfig, OptimizerRule};

/// The name of the UDF whose comparisons imply bounds.
const LOCAL_DATE: &str = "local_date";
/// Microseconds in a day.
const DAY_MICROS: i64 = 86_400_000_000;

/// The optimizer rule: see the module documentation.
#[derive(Debug, Default)]
pub struct LocalDateBounds;

impl OptimizerRule for LocalDateBounds {
    fn name(&self) -> &'static str {
        "local_date_bounds"
    }

    fn rewrite(
        &self,
        plan: LogicalPlan,
        _config: &dyn OptimizerConfig,
    ) -> Result<Transformed<LogicalPlan>> {
        let mut present = HashSet::new();
        plan.apply(|node| {
            for predicate in predicates_of(node) {
                for conjunct in split_conjunction(predicate) {
                    if let Some(key) = comparison_key(conjunct) {
                        present.insert(key);
                    }
                }
            }
            Ok(TreeNodeRecursion::Continue)
        })?;
        plan.transform_down(|node| match node {
            LogicalPlan::Filter(mut filter) => {
                let schema = filter.input.schema().clone();
                match with_bounds(&filter.predicate, &schema, &mut present)? {
                    Some(predicate) => {
                        filter.predicate = predicate;
                        Ok(Transformed::yes(LogicalPlan::Filter(filter)))
                    }
                    None => Ok(Transformed::no(LogicalPlan::Filter(filter))),
                }
            }
            LogicalPlan::Join(mut join) => {
                let Some(predicate) = join.filter.as_ref() else {
                    return Ok(Transformed::no(LogicalPlan::Join(join)));
                };
                let schema = join.left.schema().join(join.right.schema())?;
                match with_bounds(predicate, &schema, &mut present)? {
                    Some(predicate) => {
                        join.filter = Some(predicate);
                        Ok(Transformed::yes(LogicalPlan::Join(join)))
                    }
                    None => Ok(Transformed::no(LogicalPlan::Join(join))),
                }
            }
            other => Ok(Transformed::no(other)),
        })
    }
}

/// The predicates a node holds (a filter's, a join's, a scan's).
fn predicates_of(node: &LogicalPlan) -> Vec<&Expr> {
    match node {
        LogicalPlan::Filter(f) => vec![&f.predicate],
        LogicalPlan::Join(j) => j.filter.iter().collect(),
        LogicalPlan::TableScan(s) => s.filters.iter().collect(),
        _ => vec![],
    }
}

/// A comparison of a column with a literal, as (column name, operator, literal):
/// what tells whether a bound is already in the plan.
fn comparison_key(expr: &Expr) -> Option<(String, Operator, String)> {
    let Expr::BinaryExpr(BinaryExpr { left, op, right }) = expr else {
        return None;
    };
    match (left.as_ref(), right.as_ref()) {
        (Expr::Column(c), Expr::Literal(v, _)) => Some((c.name.clone(), *op, v.to_string())),
        _ => None,
    }
}

/// The predicate with the bounds its local-date comparisons imply, if it gains any.
fn with_bounds(
    predicate: &Expr,
    schema: &DFSchema,
    present: &mut HashSet<(String, Operator, String)>,
) -> Result<Option<Expr>> {
    let mut added = vec![];
    for conjunct in split_conjunction(predicate) {
        for bound in implied_bounds(conjunct, schema)? {
            if let Some(key) = comparison_key(&bound)
                && present.insert(key)
            {
                added.push(bound);
            }
        }
    }
    if added.is_empty() {
        return Ok(None);
    }
    Ok(conjunction(
        split_conjunction(predicate)
            .into_iter()
            .cloned()
            .chain(added),
    ))
}

/// The bounds on the instant that one conjunct implies (none if it is not a
/// comparison of `local_date(column, zone)` with a date literal).
fn implied_bounds(conjunct: &Expr, schema: &DFSchema) -> Result<Vec<Expr>> {
    // (operator with the local date on the left, date in days)
    let comparisons: Vec<(&Expr, Operator, i32)> = match conjunct {
        Expr::BinaryExpr(BinaryExpr { left, op, right }) => {
            match (date_literal(right), date_literal(left), op.swap()) {
                (Some(day), _, _) => vec![(left.as_ref(), *op, day)],
                (None, Some(day), Some(swapped)) => vec![(right.as_ref(), swapped, day)],
                _ => vec![],
            }
        }
        Expr::Between(Between {
            expr,
            negated: false,
            low,
            high,
        }) => match (date_literal(low), date_literal(high)) {
            (Some(low), Some(high)) => vec![
                (expr.as_ref(), Operator::GtEq, low),
                (expr.as_ref(), Operator::LtEq, high),
            ],
            _ => vec![],
        },
        _ => vec![],
    };
    let mut bounds = vec![];
    for (date_expr, op, day) in comparisons {
        let Some(instant) = local_date_instant(date_expr) else {
            continue;
        };
        // The engine reads every instant as µs (docs/contract.md: "normalises to µs UTC").
        let DataType::Timestamp(TimeUnit::Microsecond, zone) = instant.get_type(schema)? else {
            continue;
        };
        let midnight = i64::from(day) * DAY_MICROS;
        // A local date D is an instant in [D − 1 day, D + 2 days) UTC.
        let (lower, upper) = match op {
            Operator::GtEq => (Some(midnight - DAY_MICROS), None),
            Operator::Gt => (Some(midnight), None),
            Operator::LtEq => (None, Some(midnight + 2 * DAY_MICROS)),
            Operator::Lt => (None, Some(midnight + DAY_MICROS)),
            Operator::Eq => (Some(midnight - DAY_MICROS), Some(midnight + 2 * DAY_MICROS)),
            _ => (None, None),
        };
        let literal = |micros: i64| {
            Expr::Literal(
                ScalarValue::TimestampMicrosecond(Some(micros), zone.clone()),
                None,
            )
        };
        if let Some(lower) = lower {
            bounds.push(instant.clone().gt_eq(literal(lower)));
        }
        if let Some(upper) = upper {
            bounds.push(instant.clone().lt(literal(upper)));
        }
    }
    Ok(bounds)
}

/// The instant column of `local_date(column, zone)`.
fn local_date_instant(expr: &Expr) -> Option<&Expr> {
    match expr {
        Expr::ScalarFunction(f) if f.name() == LOCAL_DATE && f.args.len() == 2 => {
            matches!(f.args[0], Expr::Column(_)).then(|| &f.args[0])
        }
        _ => None,
    }
}

/// The days since 1970-01-01 of a date literal, or of a literal cast to a
/// date (`DATE '…'` and `'…'` compared with a date, before constant folding).
fn date_literal(expr: &Expr) -> Option<i32> {
    match expr {
        Expr::Literal(ScalarValue::Date32(Some(day)), _) => Some(*day),
        Expr::Cast(Cast { expr, field }) if field.data_type() == &DataType::Date32 => {
            match expr.as_ref() {
                Expr::Literal(value, _) => match value.cast_to(&DataType::Date32).ok()? {
                    ScalarValue::Date32(Some(day)) => Some(day),
                    _ => None,
                },
                _ => None,
            }
        }
        _ => None,
    }
}

/// DataFusion's optimizer rules, this one first: it sees each filter where the
/// query wrote it, before the filters move and common subexpressions are
/// taken out of them.
pub fn optimizer_rules() -> Vec<Arc<dyn OptimizerRule + Send + Sync>> {
    let mut rules: Vec<Arc<dyn OptimizerRule + Send + Sync>> = vec![Arc::new(LocalDateBounds)];
    rules.extend(Optimizer::new().rules);
    rules
}

#[cfg(test)]
mod tests {
    use arrow::array::{RecordBatch, StringArray, TimestampMicrosecondArray};
    use arrow::datatypes::{Field, Schema};
    use datafusion::datasource::MemTable;
    use datafusion::execution::SessionStateBuilder;
    use datafusion::prelude::SessionContext;

    use super::*;

    /// Instants around the edges of the range in the zones furthest from UTC.
    fn table() -> MemTable {
        let zones = [
            "Pacific/Kiritimati",
            "Etc/GMT+12",
            "UTC",
            "America/New_York",
        ];
        let mut instants = vec![];
        let mut tz = vec![];
        // From 2026-05-07 to 2026-06-11, every 3 hours, in each zone.
        let start = 20_580 * DAY_MICROS;
        for step in 0..(35 * 8) {
            for zone in zones {
                instants.push(start + step * 3 * 3_600_000_000);
                tz.push(zone);
            }
        }
        let schema = Arc::new(Schema::new(vec![
            Field::new(
                "ts",
                DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
                false,
            ),
            Field::new("tz", DataType::Utf8, false),
        ]));
        let batch = RecordBatch::try_new(
            schema.clone(),
            vec![
                Arc::new(TimestampMicrosecondArray::from(instants).with_timezone("UTC")),
                Arc::new(StringArray::from(tz)),
            ],
        )
        .unwrap();
        MemTable::try_new(schema, vec![vec![batch]]).unwrap()
    }

    async fn answers(with_rule: bool, sql: &str) -> (Vec<RecordBatch>, String) {
        let mut builder = SessionStateBuilder::new().with_default_features();
        if with_rule {
            builder = builder.with_optimizer_rules(optimizer_rules());
        }
        let ctx = SessionContext::new_with_state(builder.build());
        conversql_udfs::register_all(&ctx);
        ctx.register_table("t", Arc::new(table())).unwrap();
        let frame = ctx.sql(sql).await.unwrap();
        let plan = frame
            .clone()
            .into_optimized_plan()
            .unwrap()
            .display_indent()
            .to_string();
        (frame.collect().await.unwrap(), plan)
    }

    #[tokio::test]
    async fn the_bounds_reach_the_scan_and_change_no_answer() {
        for predicate in [
            "local_date(ts, tz) BETWEEN DATE '2026-05-10' AND DATE '2026-06-08'",
            "local_date(ts, tz) >= DATE '2026-06-01'",
            "local_date(ts, tz) > DATE '2026-06-01'",
            "DATE '2026-05-20' > local_date(ts, tz)",
            "local_date(ts, tz) <= DATE '2026-05-12'",
            "local_date(ts, tz) = DATE '2026-05-31'",
        ] {
            let sql = format!(
                "SELECT tz, count(*), min(ts), max(ts) FROM t WHERE {predicate} GROUP BY tz ORDER BY tz"
            );
            let (with, plan) = answers(true, &sql).await;
            let (without, _) = answers(false, &sql).await;
            assert_eq!(with, without, "{predicate}");
            assert!(
                with.iter().map(RecordBatch::num_rows).sum::<usize>() == 4,
                "{predicate}"
            );
            // Each bound once, on the row beside the scan (a MemTable takes no filters).
            let (lower, upper) = (
                plan.matches("t.ts >=").count(),
                plan.matches("t.ts <").count(),
            );
            assert!(
                lower + upper >= 1 && lower <= 1 && upper <= 1,
                "{predicate}: {plan}"
            );
            let above_scan = plan.lines().rev().nth(1).unwrap();
            assert!(above_scan.contains("Filter: t.ts"), "{predicate}: {plan}");
        }
    }

    #[tokio::test]
    async fn other_comparisons_gain_nothing() {
        let (_, plan) = answers(
            true,
            "SELECT * FROM t WHERE local_date(ts, tz) IS NOT NULL AND tz = 'UTC'",
        )
        .await;
        assert!(
            !plan.contains("t.ts >=") && !plan.contains("t.ts <"),
            "{plan}"
        );
    }
}
