//! A scalar subquery as PostgreSQL means it: its one value, NULL when it
//! returns no row, and error 21000 ("more than one row returned by a subquery
//! used as an expression") when it returns more than one.
//!
//! DataFusion plans a scalar subquery as a join after decorrelating it, which
//! would repeat the outer row once per subquery row instead. The analyzer
//! rule [`SingleRowSubqueries`] makes every scalar subquery that is not single
//! row by construction (an aggregate without `GROUP BY`, `LIMIT 1`, no
//! `FROM`) answer the list of its first two values (the aggregate
//! [`FirstRows`]) and reads its value with [`SingleValue`], which fails on a
//! list of two. Correlated subqueries stay decorrelatable (an aggregate over a
//! correlated filter is the form DataFusion decorrelates), each outer key
//! being one group, and the error comes only for an outer row whose subquery
//! has more than one row, as in PostgreSQL.
//!
//! A correlated subquery DataFusion's decorrelation would not take (its test,
//! `PullUpCorrelatedExpr`, is asked) is planned as a join with the rows of
//! the node's input instead ([`subquery_join`]), for a subquery in a
//! projection, a filter or an aggregation. A subquery in an aggregation's
//! arguments, which DataFusion does not decorrelate there, is computed by a
//! projection below it.

use std::sync::{Arc, LazyLock};

use arrow::array::{Array, ArrayRef, AsArray};
use arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::{Transformed, TransformedResult, TreeNode};
use datafusion::common::{Column, Result, ScalarValue};
use datafusion::error::DataFusionError;
use datafusion::logical_expr::expr::Case;
use datafusion::logical_expr::expr_rewriter::NamePreserver;
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::utils::{conjunction, split_conjunction};
use datafusion::logical_expr::{
    Accumulator, AggregateUDF, AggregateUDFImpl, ColumnarValue, Expr, Filter, LogicalPlan,
    LogicalPlanBuilder, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Subquery,
    Volatility,
};
use datafusion::optimizer::AnalyzerRule;
use datafusion::optimizer::decorrelate::PullUpCorrelatedExpr;

use super::{exists_subquery, subquery_join};

/// The error of a scalar subquery that returned more than one row (SQLSTATE 21000).
#[derive(Debug)]
pub struct MoreThanOneRow;

impl std::fmt::Display for MoreThanOneRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("more than one row returned by a subquery used as an expression")
    }
}

impl std::error::Error for MoreThanOneRow {}

fn more_than_one_row() -> DataFusionError {
    DataFusionError::External(Box::new(MoreThanOneRow))
}

/// The analyzer rule that makes scalar subqueries single-valued (module docs).
#[derive(Debug, Default)]
pub struct SingleRowSubqueries;

impl AnalyzerRule for SingleRowSubqueries {
    fn analyze(&self, plan: LogicalPlan, _config: &ConfigOptions) -> Result<LogicalPlan> {
        let mut joined = 0_usize;
        // The value may be NULL where the subquery's column is not (no row), so
        // every node's schema is computed again.
        plan.transform_up_with_subqueries(|node| {
            // A changed expression keeps its name: the nodes above refer to it by name.
            let names = NamePreserver::new(&node);
            let outer = join_input(&node).map(|input| Arc::clone(input.schema()));
            let aggregates = matches!(node, LogicalPlan::Aggregate(_));
            // DataFusion plans `EXISTS` in a `WHERE` (a semi-join), not as a value.
            let exists_values =
                matches!(node, LogicalPlan::Projection(_) | LogicalPlan::Aggregate(_));
            let mut joins: Vec<(String, Attached)> = vec![];
            let node = node.map_expressions(|expr| {
                let saved = names.save(&expr);
                expr.transform_up(|e| match e {
                    Expr::Exists(exists) if exists_values => Ok(Transformed::yes(
                        Expr::ScalarSubquery(exists_subquery::as_count(exists)?),
                    )),
                    other => Ok(Transformed::no(other)),
                })?
                .transform_data(|expr| {
                    expr.transform_up(|e| match e {
                        Expr::ScalarSubquery(subquery) => {
                            let (subquery, guard) = outer_conditions(subquery)?;
                            let transformed = guard.is_some();
                            let value = if let Some(outer) = &outer
                                && !decorrelated(&subquery)
                                && subquery_join::joinable(&subquery, outer)
                            {
                                joined += 1;
                                let name = format!("__pg_subquery_{joined}");
                                joins.push((name.clone(), Attached::Join(subquery)));
                                Expr::Column(Column::from_name(name))
                            } else {
                                let value = if single_row(&subquery.subquery) {
                                    if !transformed && !aggregates {
                                        return Ok(Transformed::no(Expr::ScalarSubquery(subquery)));
                                    }
                                    Expr::ScalarSubquery(subquery)
                                } else {
                                    SINGLE_VALUE
                                        .call(vec![Expr::ScalarSubquery(first_rows(subquery)?)])
                                };
                                if aggregates {
                                    joined += 1;
                                    let name = format!("__pg_subquery_{joined}");
                                    joins.push((name.clone(), Attached::Projected(value)));
                                    Expr::Column(Column::from_name(name))
                                } else {
                                    value
                                }
                            };
                            Ok(Transformed::yes(match guard {
                                Some(condition) => Expr::Case(Case::new(
                                    None,
                                    vec![(Box::new(condition), Box::new(value))],
                                    None,
                                )),
                                None => value,
                            }))
                        }
                        other => Ok(Transformed::no(other)),
                    })
                })
                .map(|t| t.update_data(|e| saved.restore(e)))
            })?;
            if joins.is_empty() {
                return node.map_data(LogicalPlan::recompute_schema);
            }
            node.map_data(|node| with_joins(node, joins)).map(|t| {
                // The joins are a change even where no expression said so.
                Transformed::yes(t.data)
            })
        })
        .data()
    }

    fn name(&self) -> &'static str {
        "pg_single_row_subqueries"
    }
}

/// The input of `node` a subquery in its expressions can be joined with
/// ([`subquery_join`]): that of a projection, a filter or an aggregation.
fn join_input(node: &LogicalPlan) -> Option<&LogicalPlan> {
    match node {
        LogicalPlan::Projection(p) => Some(&p.input),
        LogicalPlan::Filter(f) => Some(&f.input),
        LogicalPlan::Aggregate(a) => Some(&a.input),
        _ => None,
    }
}

/// How a subquery's value becomes a column of a node's input.
enum Attached {
    /// Joined with the input ([`subquery_join::attach`]).
    Join(Subquery),
    /// Computed by a projection of the input: DataFusion decorrelates a
    /// subquery in a projection or a filter, not one in an aggregation's
    /// arguments.
    Projected(Expr),
}

/// `node` over its input with the values of `joins` as columns of the names
/// given, with the schema it had.
fn with_joins(node: LogicalPlan, joins: Vec<(String, Attached)>) -> Result<LogicalPlan> {
    let Some(input) = join_input(&node) else {
        return datafusion::common::internal_err!("subquery joined under {}", node.display());
    };
    let mut input = input.clone();
    let columns: Vec<Expr> = input
        .schema()
        .iter()
        .map(|(qualifier, field)| Expr::Column(Column::new(qualifier.cloned(), field.name())))
        .collect();
    for (name, attached) in joins {
        input = match attached {
            Attached::Join(subquery) => subquery_join::attach(input, &subquery, &name)?,
            Attached::Projected(value) => {
                let mut projected: Vec<Expr> = input
                    .schema()
                    .iter()
                    .map(|(q, f)| Expr::Column(Column::new(q.cloned(), f.name())))
                    .collect();
                projected.push(value.alias(&name));
                LogicalPlanBuilder::from(input)
                    .project(projected)?
                    .build()?
            }
        };
    }
    let keeps_input = matches!(node, LogicalPlan::Filter(_));
    let node = node.with_new_exprs(node.expressions(), vec![input])?;
    if keeps_input {
        LogicalPlanBuilder::from(node).project(columns)?.build()
    } else {
        Ok(node)
    }
}

/// Whether DataFusion's decorrelation (`scalar_subquery_to_join`) takes
/// `subquery` as this rule leaves it otherwise; an uncorrelated one needs
/// none.
fn decorrelated(subquery: &Subquery) -> bool {
    // A function of the outer row in `FROM` is no correlated condition to pull up.
    let per_row_from = subquery
        .subquery
        .exists(|node| Ok(super::lateral_unnest::per_row(node)))
        .unwrap_or(true);
    if per_row_from {
        return false;
    }
    let plan = if single_row(&subquery.subquery) {
        subquery.subquery.as_ref().clone()
    } else {
        match first_rows(subquery.clone()) {
            Ok(s) => s.subquery.as_ref().clone(),
            Err(_) => return false,
        }
    };
    let mut pull_up = PullUpCorrelatedExpr::new().with_need_handle_count_bug(true);
    plan.rewrite(&mut pull_up).is_ok() && pull_up.can_pull_up
}

/// `FirstRows` of `expr`: the list of its first two values.
pub(super) fn first_rows_of(expr: Expr) -> Expr {
    FIRST_ROWS.call(vec![expr])
}

/// `SingleValue` of `rows`, a [`first_rows_of`]: NULL, the value or 21000.
pub(super) fn single_value_of(rows: Expr) -> Expr {
    SINGLE_VALUE.call(vec![rows])
}

/// Takes the conditions of `subquery`'s `WHERE` that read only outer columns
/// (SQLAlchemy's `WHERE pg_attribute.atthasdef AND …`) out of it: DataFusion
/// cannot decorrelate them. `(SELECT e FROM t WHERE outer AND inner)` is
/// `CASE WHEN outer THEN (SELECT e FROM t WHERE inner) END`: where `outer`
/// does not hold the subquery has no row, and its value is NULL either way.
/// Only a `WHERE` right under the select list is taken (not one under an
/// aggregate, whose value over no rows need not be NULL).
fn outer_conditions(subquery: Subquery) -> Result<(Subquery, Option<Expr>)> {
    fn take(plan: &LogicalPlan) -> Result<Option<(LogicalPlan, Vec<Expr>)>> {
        match plan {
            LogicalPlan::Projection(p) => Ok(take(&p.input)?.map(|(input, outer)| {
                let mut projection = p.clone();
                projection.input = Arc::new(input);
                (LogicalPlan::Projection(projection), outer)
            })),
            LogicalPlan::Filter(filter) => {
                let (outer, inner): (Vec<Expr>, Vec<Expr>) = split_conjunction(&filter.predicate)
                    .into_iter()
                    .cloned()
                    .partition(|e| {
                        e.column_refs().is_empty()
                            && e.exists(|x| Ok(matches!(x, Expr::OuterReferenceColumn(..))))
                                .unwrap_or(false)
                    });
                if outer.is_empty() {
                    return Ok(None);
                }
                let input = match conjunction(inner) {
                    Some(predicate) => {
                        LogicalPlan::Filter(Filter::try_new(predicate, filter.input.clone())?)
                    }
                    None => filter.input.as_ref().clone(),
                };
                Ok(Some((input, outer)))
            }
            _ => Ok(None),
        }
    }
    let Some((plan, outer)) = take(&subquery.subquery)? else {
        return Ok((subquery, None));
    };
    let condition = conjunction(
        outer
            .into_iter()
            .map(|e| {
                e.transform(|x| match x {
                    Expr::OuterReferenceColumn(_, column) => {
                        Ok(Transformed::yes(Expr::Column(column)))
                    }
                    other => Ok(Transformed::no(other)),
                })
                .data()
            })
            .collect::<Result<Vec<_>>>()?,
    );
    let still_correlated = plan.exists(|node| {
        Ok(node.expressions().iter().any(|e| {
            e.exists(|x| Ok(matches!(x, Expr::OuterReferenceColumn(..))))
                .unwrap_or(false)
        }))
    })?;
    let outer_ref_columns = if still_correlated {
        subquery.outer_ref_columns.clone()
    } else {
        vec![]
    };
    Ok((
        Subquery {
            subquery: Arc::new(plan),
            outer_ref_columns,
            ..subquery
        },
        condition,
    ))
}

/// Whether `plan` returns exactly one row whatever its input (an aggregate
/// without `GROUP BY`, a `SELECT` without `FROM`). A subquery that may return no
/// row goes through [`FirstRows`] even when it returns at most one (`LIMIT 1`):
/// DataFusion takes a scalar subquery's nullability from its column, so a
/// subquery of a `NOT NULL` column that returns no row would break the result.
fn single_row(plan: &LogicalPlan) -> bool {
    match plan {
        LogicalPlan::Projection(p) => single_row(&p.input),
        LogicalPlan::SubqueryAlias(a) => single_row(&a.input),
        LogicalPlan::Sort(s) => single_row(&s.input),
        LogicalPlan::Aggregate(a) => a.group_expr.is_empty(),
        LogicalPlan::EmptyRelation(e) => e.produce_one_row,
        _ => false,
    }
}

/// `subquery` answering the list of its first two values ([`FirstRows`]).
fn first_rows(subquery: Subquery) -> Result<Subquery> {
    let plan = subquery.subquery.as_ref().clone();
    let (qualifier, field) = plan.schema().qualified_field(0);
    let column = Expr::Column(Column::new(qualifier.cloned(), field.name()));
    let name = field.name().clone();
    let rows = FIRST_ROWS.call(vec![column]).alias(name);
    let plan = LogicalPlanBuilder::from(plan)
        .aggregate(Vec::<Expr>::new(), vec![rows])?
        .build()?;
    Ok(Subquery {
        subquery: Arc::new(plan),
        ..subquery
    })
}

static FIRST_ROWS: LazyLock<AggregateUDF> =
    LazyLock::new(|| AggregateUDF::new_from_impl(FirstRows::new()));
static SINGLE_VALUE: LazyLock<ScalarUDF> =
    LazyLock::new(|| ScalarUDF::new_from_impl(SingleValue::new()));

/// The aggregate of a scalar subquery's rows: a list of its first two values
/// (two are enough to know there is more than one).
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct FirstRows {
    signature: Signature,
}

impl FirstRows {
    fn new() -> Self {
        FirstRows {
            signature: Signature::any(1, Volatility::Immutable),
        }
    }
}

fn list_of(data_type: &DataType) -> DataType {
    DataType::List(Arc::new(Field::new_list_field(data_type.clone(), true)))
}

impl AggregateUDFImpl for FirstRows {
    fn name(&self) -> &'static str {
        "pg_subquery_rows"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        Ok(list_of(&arg_types[0]))
    }

    fn accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        let DataType::List(element) = args.return_field.data_type() else {
            return datafusion::common::internal_err!("pg_subquery_rows returns a list");
        };
        Ok(Box::new(FirstRowsAccumulator {
            element: element.data_type().clone(),
            values: vec![],
        }))
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        Ok(vec![Arc::new(
            args.return_field
                .as_ref()
                .clone()
                .with_name("rows")
                .with_nullable(true),
        )])
    }
}

#[derive(Debug)]
struct FirstRowsAccumulator {
    element: DataType,
    values: Vec<ScalarValue>,
}

impl FirstRowsAccumulator {
    fn extend(&mut self, values: &ArrayRef) -> Result<()> {
        for i in 0..values.len() {
            if self.values.len() >= 2 {
                break;
            }
            self.values.push(ScalarValue::try_from_array(values, i)?);
        }
        Ok(())
    }
}

impl Accumulator for FirstRowsAccumulator {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        self.extend(&values[0])
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        Ok(ScalarValue::List(ScalarValue::new_list_nullable(
            &self.values,
            &self.element,
        )))
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self) + self.values.iter().map(ScalarValue::size).sum::<usize>()
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        Ok(vec![self.evaluate()?])
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let lists = states[0].as_list::<i32>();
        for i in 0..lists.len() {
            if !lists.is_null(i) {
                self.extend(&lists.value(i))?;
            }
        }
        Ok(())
    }
}

/// The value of a scalar subquery from its [`FirstRows`]: NULL for none, the
/// value for one, error 21000 for more.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct SingleValue {
    signature: Signature,
}

impl SingleValue {
    fn new() -> Self {
        SingleValue {
            signature: Signature::any(1, Volatility::Immutable),
        }
    }
}

impl ScalarUDFImpl for SingleValue {
    fn name(&self) -> &'static str {
        "pg_subquery_value"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_field_from_args(
        &self,
        args: datafusion::logical_expr::ReturnFieldArgs,
    ) -> Result<FieldRef> {
        // NULL when the subquery returns no row, whatever its column's nullability.
        let data_type = self.return_type(&[args.arg_fields[0].data_type().clone()])?;
        Ok(Arc::new(Field::new(self.name(), data_type, true)))
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        match &arg_types[0] {
            DataType::List(element) => Ok(element.data_type().clone()),
            DataType::Null => Ok(DataType::Null),
            other => datafusion::common::plan_err!("pg_subquery_value of {other}"),
        }
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let rows = args.args[0].to_array(args.number_rows)?;
        if rows.data_type() == &DataType::Null {
            return Ok(ColumnarValue::Scalar(ScalarValue::Null));
        }
        let lists = rows.as_list::<i32>();
        let element = args.return_field.data_type().clone();
        let mut indices = Vec::with_capacity(lists.len());
        let offsets = lists.value_offsets();
        for i in 0..lists.len() {
            let length = if lists.is_null(i) {
                0
            } else {
                offsets[i + 1] - offsets[i]
            };
            match length {
                0 => indices.push(None),
                1 => indices.push(Some(u64::try_from(offsets[i]).unwrap_or_default())),
                _ => return Err(more_than_one_row()),
            }
        }
        let values = lists.values();
        let taken = arrow::compute::take(
            values.as_ref(),
            &arrow::array::UInt64Array::from(indices),
            None,
        )?;
        debug_assert_eq!(taken.data_type(), &element);
        Ok(ColumnarValue::Array(taken))
    }
}
#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use datafusion::prelude::SessionContext;

    use super::SingleRowSubqueries;

    async fn run(ctx: &SessionContext, sql: &str) -> Result<String, String> {
        let df = ctx.sql(sql).await.map_err(|e| e.to_string())?;
        let batches = df.collect().await.map_err(|e| e.to_string())?;
        Ok(arrow::util::pretty::pretty_format_batches(&batches)
            .unwrap()
            .to_string())
    }

    #[tokio::test]
    async fn one_row_is_the_value_none_is_null_more_is_an_error() {
        let ctx = SessionContext::new();
        ctx.add_analyzer_rule(Arc::new(SingleRowSubqueries));
        ctx.sql("CREATE TABLE t AS VALUES (1, 'a'), (2, 'b'), (2, 'c'), (3, 'd')")
            .await
            .unwrap();
        let out = run(
            &ctx,
            "SELECT o.k, (SELECT column2 FROM t WHERE t.column1 = o.k) AS v \
             FROM (VALUES (1), (3), (4)) o(k) ORDER BY o.k",
        )
        .await
        .unwrap();
        for row in ["| 1 | a |", "| 3 | d |", "| 4 |   |"] {
            assert!(out.contains(row), "{out}");
        }
        let err = run(&ctx, "SELECT (SELECT column2 FROM t) AS v")
            .await
            .unwrap_err();
        assert!(
            err.contains("more than one row returned by a subquery used as an expression"),
            "{err}"
        );
        let err = run(
            &ctx,
            "SELECT o.k, (SELECT column2 FROM t WHERE t.column1 = o.k) AS v FROM (VALUES (2)) o(k)",
        )
        .await
        .unwrap_err();
        assert!(err.contains("more than one row"), "{err}");
        let out = run(
            &ctx,
            "SELECT o.k, (SELECT column2 FROM t WHERE o.k > 1 AND t.column1 = o.k) AS v \
             FROM (VALUES (1), (3)) o(k) ORDER BY o.k",
        )
        .await
        .unwrap();
        for row in ["| 1 |   |", "| 3 | d |"] {
            assert!(out.contains(row), "{out}");
        }
        let out = run(&ctx, "SELECT (SELECT max(column2) FROM t) AS m, (SELECT column2 FROM t WHERE column1 = 9) AS n")
            .await
            .unwrap();
        assert!(out.contains("| d |   |"), "{out}");
    }

    #[tokio::test]
    async fn correlated_beyond_equality_is_planned_as_a_join() {
        let ctx = SessionContext::new();
        ctx.add_analyzer_rule(Arc::new(SingleRowSubqueries));
        ctx.sql("CREATE TABLE t AS VALUES (1, 'a'), (2, 'b'), (2, 'c'), (3, 'd')")
            .await
            .unwrap();
        let out = run(
            &ctx,
            "SELECT string_agg(o.k::text || '=' || coalesce((SELECT v.s FROM (VALUES (1, 'a'), (2, 'b')) v(k, s) WHERE v.k = o.k), 'none'), ',' ORDER BY o.k) AS r FROM (VALUES (1), (2), (3)) o(k)",
        )
        .await
        .unwrap();
        assert!(out.contains("1=a,2=b,3=none"), "{out}");
        let out = run(
            &ctx,
            "SELECT o.k, (SELECT column2 FROM t WHERE t.column1 > o.k AND t.column1 <> 2) AS v, \
             (SELECT count(*) FROM t WHERE t.column1 < o.k) AS n \
             FROM (VALUES (0), (1), (2), (3)) o(k) WHERE o.k > 0 ORDER BY o.k",
        )
        .await
        .unwrap();
        for row in ["| 1 | d | 0 |", "| 2 | d | 1 |", "| 3 |   | 3 |"] {
            assert!(out.contains(row), "{out}");
        }
        let err = run(
            &ctx,
            "SELECT o.k, (SELECT column2 FROM t WHERE t.column1 < o.k) AS v FROM (VALUES (1), (2), (3)) o(k)",
        )
        .await
        .unwrap_err();
        assert!(err.contains("more than one row"), "{err}");
        let out = run(
            &ctx,
            "SELECT o.k FROM (VALUES (1), (2), (3)) o(k) \
             WHERE (SELECT column2 FROM t WHERE t.column1 > o.k AND t.column1 <> 2) = 'd' ORDER BY o.k",
        )
        .await
        .unwrap();
        assert!(
            out.contains("| 1 |") && out.contains("| 2 |") && !out.contains("| 3 |"),
            "{out}"
        );
    }
}
