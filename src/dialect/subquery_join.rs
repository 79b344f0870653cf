//! A correlated scalar subquery that DataFusion cannot decorrelate, planned
//! as a join with the rows it is evaluated for.
//!
//! DataFusion decorrelates a scalar subquery only when its correlated
//! conditions can be pulled above its aggregate: equalities between an inner
//! and an outer column. psql's `\d` and SQLAlchemy's column reflection ask
//! others (`a.attcollation <> t.typcollation`, a condition on a cast of an
//! outer function's value), and such a subquery would stay a
//! `ScalarSubquery` the physical planner refuses.
//!
//! [`attach`] plans `(SELECT e FROM f WHERE p)` over an input `i` without
//! correlation: every row of `i` is numbered (`row_number()`), joined
//! `LEFT JOIN f ON p` (the outer references of `p` now columns of `i`; a
//! condition that is not an equality runs as a nested-loop join), and
//! grouped back by its number, each column of `i` kept (`first_value`, one
//! value per group) and the subquery's value taken as PostgreSQL does:
//! [`FirstRows`](super::scalar_subquery::FirstRows) of `e` over the matched
//! rows only, read by [`SingleValue`](super::scalar_subquery::SingleValue)
//! (NULL for none, 21000 for more than one). A subquery that aggregates
//! without `GROUP BY` (`SELECT count(*) FROM f WHERE p`) has its aggregates
//! computed per group over the matched rows (a `FILTER`), so an outer row
//! without match sees them over no rows (`count` 0, `max` NULL), as in
//! PostgreSQL.
//!
//! Only the shape `SELECT e FROM f [WHERE p] [ORDER BY … LIMIT/OFFSET]`
//! (optionally aggregated without `GROUP BY`, with `HAVING`; through derived
//! tables above the `WHERE`) with `f` free of correlation is planned so;
//! another one keeps DataFusion's error. `ORDER BY … LIMIT` counts per outer
//! row: the matched rows are numbered (`row_number()` partitioned by the
//! outer row's number, in the subquery's order) and only those within the
//! limit are aggregated.
//!
//! A `FROM` that is a function of the outer row (`FROM unnest(tc.reloptions)
//! x`, psql's and pgcli's `\d+`) is not joined but expanded per outer row
//! ([`expand_left`](super::lateral_unnest::expand_left)), each outer row
//! kept with a row that matches nothing; `WHERE` chooses among its rows.

use std::sync::Arc;

use datafusion::common::tree_node::{Transformed, TreeNode, TreeNodeRecursion};
use datafusion::common::{Column, DFSchema, Result, internal_datafusion_err};
use datafusion::functions_aggregate::expr_fn::first_value;
use datafusion::functions_window::expr_fn::row_number;
use datafusion::logical_expr::expr::{AggregateFunction, Case};
use datafusion::logical_expr::utils::{conjunction, split_conjunction};
use datafusion::logical_expr::{
    Aggregate, Expr, ExprFunctionExt, FetchType, JoinType, LogicalPlan, LogicalPlanBuilder,
    Projection, SkipType, SortExpr, Subquery, lit,
};

/// The parts of a subquery [`attach`] plans.
struct Shape<'a> {
    /// The select list's one expression, over the aggregation's output if
    /// any, else over `from`.
    value: Expr,
    /// Its `ORDER BY`, over `from` (without aggregation only).
    order: Vec<SortExpr>,
    /// Its `OFFSET` and `LIMIT` (without aggregation only).
    limit: Option<(usize, usize)>,
    /// The aggregation without `GROUP BY` the value is computed over, if any.
    aggregate: Option<&'a Aggregate>,
    /// The conjuncts of its `HAVING`, over the aggregation's output.
    having: Vec<Expr>,
    /// The conjuncts of its `WHERE`, over `from`.
    predicates: Vec<Expr>,
    /// Its `FROM`, without correlation.
    from: &'a LogicalPlan,
}

/// `expr` over the input of `projection`, `expr` being over its output.
fn inline(expr: Expr, projection: &Projection) -> Option<Expr> {
    expr.transform(|e| match e {
        Expr::Column(column) => {
            let index = projection
                .schema
                .maybe_index_of_column(&column)
                .ok_or_else(|| internal_datafusion_err!("no column {column} in the projection"))?;
            Ok(Transformed::yes(projection.expr[index].clone().unalias()))
        }
        other => Ok(Transformed::no(other)),
    })
    .map(|t| t.data)
    .ok()
}

/// Whether `expr` has a subquery other than a scalar one.
fn has_other_subquery(expr: &Expr) -> bool {
    expr.exists(|e| Ok(matches!(e, Expr::Exists(_) | Expr::InSubquery(_))))
        .unwrap_or(true)
}

/// The scalar subqueries of `expr` (not those inside them).
fn scalar_subqueries(expr: &Expr) -> Vec<&Subquery> {
    let mut found = vec![];
    let _ = expr.apply(|e| {
        if let Expr::ScalarSubquery(subquery) = e {
            found.push(subquery);
            return Ok(TreeNodeRecursion::Jump);
        }
        Ok(TreeNodeRecursion::Continue)
    });
    found
}

/// `expr` over `to`, `expr` being over `from`, a schema of the same columns
/// under other names (a derived table's alias).
fn requalify(expr: Expr, from: &DFSchema, to: &DFSchema) -> Option<Expr> {
    expr.transform(|e| match e {
        Expr::Column(column) => {
            let index = from
                .maybe_index_of_column(&column)
                .ok_or_else(|| internal_datafusion_err!("no column {column} in the alias"))?;
            let (qualifier, field) = to.qualified_field(index);
            Ok(Transformed::yes(Expr::Column(Column::new(
                qualifier.cloned(),
                field.name(),
            ))))
        }
        other => Ok(Transformed::no(other)),
    })
    .map(|t| t.data)
    .ok()
}

/// The parts of `plan` (module docs): `[LIMIT] {projection | ORDER BY |
/// derived table} [[HAVING] aggregation] {WHERE} FROM`.
fn shape(plan: &LogicalPlan) -> Option<Shape<'_>> {
    let mut node = plan;
    let mut limit = None;
    if let LogicalPlan::Limit(l) = node {
        let (Ok(SkipType::Literal(skip)), Ok(FetchType::Literal(fetch))) =
            (l.get_skip_type(), l.get_fetch_type())
        else {
            return None;
        };
        limit = Some((skip, fetch.unwrap_or(usize::MAX)));
        node = l.input.as_ref();
    }
    let mut value: Option<Expr> = None;
    let mut order: Option<Vec<SortExpr>> = None;
    loop {
        match node {
            LogicalPlan::Projection(projection) => {
                value = Some(match value {
                    None => {
                        let [expr] = projection.expr.as_slice() else {
                            return None;
                        };
                        expr.clone().unalias()
                    }
                    Some(value) => inline(value, projection)?,
                });
                if let Some(sorts) = order {
                    order = Some(
                        sorts
                            .into_iter()
                            .map(|s| Some(s.with_expr(inline(s.expr.clone(), projection)?)))
                            .collect::<Option<Vec<_>>>()?,
                    );
                }
                node = projection.input.as_ref();
            }
            LogicalPlan::SubqueryAlias(alias) => {
                let requalify = |e: Expr| requalify(e, &alias.schema, alias.input.schema());
                value = Some(requalify(value?)?);
                if let Some(sorts) = order {
                    order = Some(
                        sorts
                            .into_iter()
                            .map(|s| Some(s.with_expr(requalify(s.expr.clone())?)))
                            .collect::<Option<Vec<_>>>()?,
                    );
                }
                node = alias.input.as_ref();
            }
            LogicalPlan::Sort(sort) if sort.fetch.is_none() => {
                if order.is_none() {
                    order = Some(sort.expr.clone());
                }
                node = sort.input.as_ref();
            }
            _ => break,
        }
    }
    let value = value?;
    let mut having = vec![];
    let mut below = node;
    if let LogicalPlan::Filter(filter) = below
        && matches!(filter.input.as_ref(), LogicalPlan::Aggregate(_))
    {
        having = split_conjunction(&filter.predicate)
            .into_iter()
            .cloned()
            .collect();
        below = filter.input.as_ref();
    }
    let mut aggregate = None;
    if let LogicalPlan::Aggregate(a) = below {
        let plain = a.group_expr.is_empty()
            && a.aggr_expr.iter().all(|e| {
                matches!(e.clone().unalias(), Expr::AggregateFunction(_))
                    && !has_other_subquery(e)
                    && scalar_subqueries(e).is_empty()
            });
        // One row at most: an order does not matter, a limit must keep it.
        let kept = limit.is_none_or(|(skip, fetch)| skip == 0 && fetch > 0);
        if !plain || !kept {
            return None;
        }
        aggregate = Some(a);
        order = None;
        limit = None;
        below = a.input.as_ref();
    } else if !having.is_empty() {
        return None;
    }
    let mut predicates = vec![];
    while let LogicalPlan::Filter(filter) = below {
        predicates.extend(split_conjunction(&filter.predicate).into_iter().cloned());
        below = filter.input.as_ref();
    }
    // A function of the outer row in `FROM` (`FROM unnest(outer.a) x`) is
    // expanded per outer row (without `LIMIT`, which would count its rows).
    let per_row = super::lateral_unnest::per_row(below) && limit.is_none();
    let correlated = !per_row
        && below
            .exists(|node| Ok(node.contains_outer_reference()))
            .unwrap_or(true);
    let order = order.unwrap_or_default();
    let other_subquery = has_other_subquery(&value)
        || predicates.iter().chain(&having).any(has_other_subquery)
        || order
            .iter()
            .any(|s| has_other_subquery(&s.expr) || !scalar_subqueries(&s.expr).is_empty())
        || having.iter().any(|h| !scalar_subqueries(h).is_empty());
    if correlated || other_subquery {
        return None;
    }
    Some(Shape {
        value,
        order,
        limit,
        aggregate,
        having,
        predicates,
        from: below,
    })
}

/// The outer columns `subquery` refers to.
fn outer_columns(plan: &LogicalPlan) -> Vec<Column> {
    let mut columns = vec![];
    let _ = plan.apply(|node| {
        let _ = node.apply_expressions(|e| {
            e.apply(|x| {
                if let Expr::OuterReferenceColumn(_, column) = x {
                    columns.push(column.clone());
                }
                Ok(TreeNodeRecursion::Continue)
            })
        });
        Ok(TreeNodeRecursion::Continue)
    });
    columns
}

/// Whether [`attach`] can plan `subquery` over an input of schema `outer`:
/// its shape is the one planned (module docs), all its outer references are
/// columns of that input, and so are those of the scalar subqueries in its
/// `WHERE` and select list (none reads a column of its `FROM`).
pub(super) fn joinable(subquery: &Subquery, outer: &DFSchema) -> bool {
    let columns = outer_columns(&subquery.subquery);
    let Some(shape) = shape(&subquery.subquery) else {
        return false;
    };
    let from = shape.from.schema();
    let nested_outer = shape
        .predicates
        .iter()
        .chain([&shape.value])
        .flat_map(scalar_subqueries)
        .all(|nested| {
            outer_columns(&nested.subquery)
                .iter()
                .all(|c| outer.has_column(c) && !from.has_column(c))
        });
    !columns.is_empty() && columns.iter().all(|c| outer.has_column(c)) && nested_outer
}

/// `expr` with its scalar subqueries (all correlated with the outer input
/// only, [`joinable`]) replaced by columns of that input added to `hoisted`
/// (the subquery and its column's name), named after `name`.
fn hoist(expr: Expr, name: &str, hoisted: &mut Vec<(Expr, String)>) -> Result<Expr> {
    expr.transform_down(|e| match e {
        Expr::ScalarSubquery(_) => {
            let column = format!("{name}_s{}", hoisted.len());
            hoisted.push((e, column.clone()));
            Ok(Transformed::new(
                Expr::Column(Column::from_name(column)),
                true,
                TreeNodeRecursion::Jump,
            ))
        }
        other => Ok(Transformed::no(other)),
    })
    .map(|t| t.data)
}

/// `expr` over the renamed columns of `schema` (`names[i]` for its field `i`),
/// its outer references columns of the outer input.
fn rebase(expr: Expr, schema: &DFSchema, names: &[String]) -> Result<Expr> {
    expr.transform(|e| match e {
        Expr::OuterReferenceColumn(_, column) => Ok(Transformed::yes(Expr::Column(column))),
        Expr::Column(column) => {
            let index = schema
                .maybe_index_of_column(&column)
                .ok_or_else(|| internal_datafusion_err!("no column {column} in the subquery"))?;
            Ok(Transformed::yes(Expr::Column(Column::from_name(
                names[index].clone(),
            ))))
        }
        other => Ok(Transformed::no(other)),
    })
    .map(|t| t.data)
}

fn columns_of(schema: &DFSchema) -> Vec<Expr> {
    schema
        .iter()
        .map(|(qualifier, field)| Expr::Column(Column::new(qualifier.cloned(), field.name())))
        .collect()
}

/// `input` with a column `name` holding the value of `subquery` for each of
/// its rows (module docs); `subquery` must be [`joinable`] over `input`.
pub(super) fn attach(input: LogicalPlan, subquery: &Subquery, name: &str) -> Result<LogicalPlan> {
    let shape = shape(&subquery.subquery)
        .ok_or_else(|| internal_datafusion_err!("subquery not joinable: {subquery:?}"))?;
    let row = format!("{name}_row");
    let matched = format!("{name}_matched");
    let original = Arc::clone(input.schema());
    let from_schema = shape.from.schema();
    let from_names: Vec<String> = (0..from_schema.fields().len())
        .map(|i| format!("{name}_c{i}"))
        .collect();

    // The scalar subqueries inside, computed first as columns of the input
    // (in a projection, where DataFusion decorrelates them).
    let mut hoisted = vec![];
    let on = shape
        .predicates
        .iter()
        .map(|p| {
            hoist(
                rebase(p.clone(), from_schema, &from_names)?,
                name,
                &mut hoisted,
            )
        })
        .collect::<Result<Vec<_>>>()?;
    let aggregate_names: Vec<String> = shape
        .aggregate
        .map(|a| {
            (0..a.schema.fields().len())
                .map(|i| format!("{name}_a{i}"))
                .collect()
        })
        .unwrap_or_default();
    let value = match shape.aggregate {
        None => rebase(shape.value.clone(), from_schema, &from_names)?,
        Some(aggregate) => {
            let value = rebase(shape.value.clone(), &aggregate.schema, &aggregate_names)?;
            match conjunction(shape.having.clone()) {
                // No row where `HAVING` does not hold.
                Some(having) => Expr::Case(Case::new(
                    None,
                    vec![(
                        Box::new(rebase(having, &aggregate.schema, &aggregate_names)?),
                        Box::new(value),
                    )],
                    None,
                )),
                None => value,
            }
        }
    };
    let value = hoist(value, name, &mut hoisted)?;
    let input = if hoisted.is_empty() {
        input
    } else {
        let mut columns = columns_of(&original);
        columns.extend(hoisted.into_iter().map(|(e, column)| e.alias(column)));
        LogicalPlanBuilder::from(input).project(columns)?.build()?
    };
    let outer = Arc::clone(input.schema());

    let numbered = LogicalPlanBuilder::from(input)
        .window(vec![row_number()])?
        .build()?;
    let (_, number) = numbered.schema().qualified_field(outer.fields().len());
    let mut numbered_columns = columns_of(&outer);
    numbered_columns.push(Expr::Column(Column::from_name(number.name())).alias(&row));
    let numbered = LogicalPlanBuilder::from(numbered)
        .project(numbered_columns)?
        .build()?;

    let mut is_matched = Expr::Column(Column::from_name(&matched)).is_not_null();
    let joined = if super::lateral_unnest::per_row(shape.from) {
        // Every outer row with its own rows; the conditions choose among them.
        if let Some(on) = conjunction(on) {
            is_matched = is_matched.and(on);
        }
        super::lateral_unnest::expand_left(numbered, shape.from, &from_names, &matched)?
            .ok_or_else(|| internal_datafusion_err!("not a function of the outer row"))?
    } else {
        let mut renamed: Vec<Expr> = columns_of(from_schema)
            .into_iter()
            .zip(&from_names)
            .map(|(column, name)| column.alias(name))
            .collect();
        renamed.push(lit(true).alias(&matched));
        let from = LogicalPlanBuilder::from(shape.from.clone())
            .project(renamed)?
            .build()?;
        LogicalPlanBuilder::from(numbered)
            .join_on(
                from,
                JoinType::Left,
                vec![conjunction(on).unwrap_or(lit(true))],
            )?
            .build()?
    };
    let joined_schema = Arc::clone(joined.schema());

    let joined = match shape.limit {
        // Each outer row's matched rows numbered in the subquery's order;
        // those of the limit are its rows.
        Some((skip, fetch)) => {
            let rank = format!("{name}_rank");
            let order = shape
                .order
                .iter()
                .map(|s| {
                    Ok(s.clone()
                        .with_expr(rebase(s.expr.clone(), from_schema, &from_names)?))
                })
                .collect::<Result<Vec<_>>>()?;
            let ranked = LogicalPlanBuilder::from(joined)
                .window(vec![
                    row_number()
                        .partition_by(vec![Expr::Column(Column::from_name(&row))])
                        .order_by(order)
                        .build()?,
                ])?
                .build()?;
            let mut columns = columns_of(joined_schema.as_ref());
            let (_, number) = ranked.schema().qualified_field(columns.len());
            columns.push(Expr::Column(Column::from_name(number.name())).alias(&rank));
            let rank = Expr::Column(Column::from_name(&rank));
            let (skip, fetch) = (skip as u64, fetch.min(u64::MAX as usize) as u64);
            is_matched = is_matched
                .and(rank.clone().gt(lit(skip)))
                .and(rank.lt_eq(lit(skip.saturating_add(fetch))));
            LogicalPlanBuilder::from(ranked).project(columns)?.build()?
        }
        None => joined,
    };
    let mut aggregates: Vec<Expr> = outer
        .iter()
        .map(|(qualifier, field)| {
            first_value(
                Expr::Column(Column::new(qualifier.cloned(), field.name())),
                vec![],
            )
            .alias_qualified(qualifier.cloned(), field.name())
        })
        .collect();
    let value = match shape.aggregate {
        None => {
            let rows = format!("{name}_rows");
            aggregates.push(
                matched_only(super::scalar_subquery::first_rows_of(value), &is_matched)?
                    .alias(&rows),
            );
            super::scalar_subquery::single_value_of(Expr::Column(Column::from_name(rows)))
        }
        Some(aggregate) => {
            for (expr, output) in aggregate.aggr_expr.iter().zip(&aggregate_names) {
                let expr = rebase(expr.clone().unalias(), from_schema, &from_names)?;
                aggregates.push(matched_only(expr, &is_matched)?.alias(output));
            }
            value
        }
    };
    let grouped = LogicalPlanBuilder::from(joined)
        .aggregate(vec![Expr::Column(Column::from_name(&row))], aggregates)?
        .build()?;
    let mut columns = columns_of(&original);
    columns.push(value.alias(name));
    LogicalPlanBuilder::from(grouped).project(columns)?.build()
}

/// The aggregate `expr` over the rows where `is_matched` holds.
fn matched_only(expr: Expr, is_matched: &Expr) -> Result<Expr> {
    let Expr::AggregateFunction(AggregateFunction { func, mut params }) = expr else {
        return Err(internal_datafusion_err!("not an aggregate: {expr}"));
    };
    params.filter = Some(Box::new(match params.filter {
        Some(filter) => filter.and(is_matched.clone()),
        None => is_matched.clone(),
    }));
    Ok(Expr::AggregateFunction(AggregateFunction { func, params }))
}
