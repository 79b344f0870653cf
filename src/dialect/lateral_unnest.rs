//! A function in `FROM` over the columns of the items before it:
//! `FROM pg_constraint con CROSS JOIN unnest(con.conkey) AS k`.
//!
//! PostgreSQL reads a function call in `FROM` as implicitly `LATERAL`: it is
//! evaluated once per row of the items to its left, with that row's values
//! (ADBC's `adbc_get_objects` lists a constraint's columns so). DataFusion
//! plans such an item as a subquery whose outer references are the left
//! columns, over a one-row relation, and its physical planner refuses the
//! outer references (`OuterReferenceColumn`).
//!
//! [`LateralUnnest`] plans an inner or cross join whose right side is such a
//! subquery built only of projections, unnests and filters over that one
//! row (what `unnest(…)` and other functions of the left row plan to)
//! without a join: the one row becomes the left input itself, every
//! projection carries the left columns along, and the outer references
//! become plain columns. Each left row thus yields the rows the subquery
//! yields for it, as in PostgreSQL; the join's condition filters them. Any
//! other shape (a `LEFT JOIN`, an aggregate or a limit in the subquery,
//! references beyond the left side) is left as it was, with DataFusion's
//! error.

use std::sync::Arc;

use arrow::datatypes::DataType;
use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::common::{Column, DFSchema, Result};
use datafusion::logical_expr::expr::Case;
use datafusion::logical_expr::utils::conjunction;
use datafusion::logical_expr::{
    Expr, Filter, Join, JoinType, LogicalPlan, LogicalPlanBuilder, Projection, Subquery,
    SubqueryAlias, cast, lit,
};
use datafusion::optimizer::AnalyzerRule;

/// The prefix of the names the subquery's results are carried under.
const CARRIED: &str = "__lateral_unnest_";

/// Plans joins with a function of the left row as the module docs say.
#[derive(Debug, Default)]
pub struct LateralUnnest;

impl AnalyzerRule for LateralUnnest {
    fn analyze(&self, plan: LogicalPlan, _config: &ConfigOptions) -> Result<LogicalPlan> {
        plan.transform_up_with_subqueries(|node| match node {
            LogicalPlan::Join(join) if join.join_type == JoinType::Inner => match lateral(&join)? {
                Some(plan) => Ok(Transformed::yes(plan)),
                None => Ok(Transformed::no(LogicalPlan::Join(join))),
            },
            other => Ok(Transformed::no(other)),
        })
        .map(|t| t.data)
    }

    fn name(&self) -> &'static str {
        "conversql_lateral_unnest"
    }
}

/// The subquery on the right of `join`, if it is one with outer references.
fn right_subquery(join: &Join) -> Option<&Subquery> {
    let plan = match join.right.as_ref() {
        LogicalPlan::SubqueryAlias(SubqueryAlias { input, .. }) => input.as_ref(),
        other => other,
    };
    match plan {
        LogicalPlan::Subquery(subquery) if !subquery.outer_ref_columns.is_empty() => Some(subquery),
        _ => None,
    }
}

/// `join` planned without a join, if its right side is a function of the left row.
fn lateral(join: &Join) -> Result<Option<LogicalPlan>> {
    let Some(subquery) = right_subquery(join) else {
        return Ok(None);
    };
    let left = join.left.schema();
    let outer_refs_on_left = subquery.outer_ref_columns.iter().all(|e| match e {
        Expr::OuterReferenceColumn(_, column) => left.index_of_column(column).is_ok(),
        _ => false,
    });
    if !outer_refs_on_left {
        return Ok(None);
    }
    let Some(per_row) = rebuild(&subquery.subquery, &join.left, true, None)? else {
        return Ok(None);
    };
    let results = join
        .right
        .schema()
        .iter()
        .enumerate()
        .map(|(i, (qualifier, field))| {
            Expr::Column(Column::from_name(format!("{CARRIED}{i}")))
                .alias_qualified(qualifier.cloned(), field.name())
        });
    let joined = LogicalPlan::Projection(Projection::try_new(
        carried(left, &DFSchema::empty()).chain(results).collect(),
        Arc::new(per_row),
    )?);
    let conditions = join
        .on
        .iter()
        .map(|(l, r)| l.clone().eq(r.clone()))
        .chain(join.filter.clone());
    Ok(Some(match conjunction(conditions) {
        Some(condition) => LogicalPlan::Filter(Filter::try_new(condition, Arc::new(joined))?),
        None => joined,
    }))
}

/// `plan` (the subquery) evaluated over every row of `left`, the left columns
/// carried along; `top` names the results `__lateral_unnest_<i>`. `None` for a
/// node that is not per row. With `keep` (a column name), every left row is
/// kept ([`expand_left`]): the one unnest yields first a row numbered 0 in
/// `keep` whose unnested values are NULL, then its elements numbered from 1.
fn rebuild(
    plan: &LogicalPlan,
    left: &Arc<LogicalPlan>,
    top: bool,
    keep: Option<&str>,
) -> Result<Option<LogicalPlan>> {
    Ok(Some(match plan {
        LogicalPlan::EmptyRelation(empty) if empty.produce_one_row && !top => left.as_ref().clone(),
        LogicalPlan::Projection(projection) => {
            let Some(input) = rebuild(&projection.input, left, false, keep)? else {
                return Ok(None);
            };
            let mut exprs = projection
                .expr
                .iter()
                .zip(projection.schema.iter())
                .enumerate()
                .map(|(i, (expr, (qualifier, field)))| {
                    let expr = outer_to_columns(expr.clone())?;
                    Ok(if top {
                        expr.alias(format!("{CARRIED}{i}"))
                    } else {
                        expr.alias_qualified(qualifier.cloned(), field.name())
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            exprs.extend(carried(input.schema(), projection.input.schema()));
            LogicalPlan::Projection(Projection::try_new(exprs, Arc::new(input))?)
        }
        LogicalPlan::Unnest(unnest) if !top => {
            let Some(input) = rebuild(&unnest.input, left, false, keep)? else {
                return Ok(None);
            };
            match keep {
                None => LogicalPlanBuilder::from(input)
                    .unnest_columns_with_options(
                        unnest.exec_columns.clone(),
                        unnest.options.clone(),
                    )?
                    .build()?,
                Some(index) => match numbered_unnest(unnest, input, index)? {
                    Some(plan) => plan,
                    None => return Ok(None),
                },
            }
        }
        LogicalPlan::Filter(filter) if !top && keep.is_none() => {
            let Some(input) = rebuild(&filter.input, left, false, keep)? else {
                return Ok(None);
            };
            LogicalPlan::Filter(Filter::try_new(
                outer_to_columns(filter.predicate.clone())?,
                Arc::new(input),
            )?)
        }
        _ => return Ok(None),
    }))
}

/// `unnest` over `input` keeping every input row: the lists' positions
/// `0..=n` (`n` the longest list's length) unnested as `index`, each list's
/// value its element at that position (NULL at 0 and past its end, as
/// PostgreSQL pads the shorter lists of a multi-argument unnest). Only lists
/// unnested one level deep are planned so.
fn numbered_unnest(
    unnest: &datafusion::logical_expr::Unnest,
    input: LogicalPlan,
    index: &str,
) -> Result<Option<LogicalPlan>> {
    use datafusion::functions::expr_fn::{coalesce, greatest};
    use datafusion::functions_nested::expr_fn::{array_element, cardinality, gen_series};

    if !unnest.struct_type_columns.is_empty()
        || unnest.list_type_columns.iter().any(|(_, l)| l.depth != 1)
        || input.schema().has_column_with_unqualified_name(index)
    {
        return Ok(None);
    }
    let original = unnest.input.schema();
    let lists: Vec<usize> = unnest.list_type_columns.iter().map(|(i, _)| *i).collect();
    let lengths: Vec<Expr> = lists
        .iter()
        .map(|&i| {
            let (qualifier, field) = original.qualified_field(i);
            coalesce(vec![
                cast(
                    cardinality(Expr::Column(Column::new(qualifier.cloned(), field.name()))),
                    DataType::Int64,
                ),
                lit(0_i64),
            ])
        })
        .collect();
    let longest = if lengths.len() == 1 {
        lengths.into_iter().next().unwrap_or_else(|| lit(0_i64))
    } else {
        greatest(lengths)
    };
    let mut exprs: Vec<Expr> = input
        .schema()
        .columns()
        .into_iter()
        .map(Expr::Column)
        .collect();
    exprs.push(gen_series(lit(0_i64), longest, lit(1_i64)).alias(index));
    let positions = LogicalPlanBuilder::from(input)
        .project(exprs)?
        .unnest_column(index)?
        .build()?;
    let position = Expr::Column(Column::from_name(index));
    let mut exprs = vec![];
    for (k, (qualifier, field)) in unnest.schema.iter().enumerate() {
        let source = unnest.dependency_indices[k];
        let (source_qualifier, source_field) = original.qualified_field(source);
        let column = Expr::Column(Column::new(source_qualifier.cloned(), source_field.name()));
        exprs.push(if lists.contains(&source) {
            array_element(column, position.clone())
                .alias_qualified(qualifier.cloned(), field.name())
        } else {
            column
        });
    }
    exprs.extend(carried(positions.schema(), original));
    Ok(Some(
        LogicalPlanBuilder::from(positions)
            .project(exprs)?
            .build()?,
    ))
}

/// Whether `plan` (under an optional alias) is a subquery of the rows of a
/// function of the outer row, as [`expand_left`] plans it.
pub(super) fn per_row(plan: &LogicalPlan) -> bool {
    fn chain(plan: &LogicalPlan, unnests: &mut usize) -> bool {
        match plan {
            LogicalPlan::EmptyRelation(empty) => empty.produce_one_row,
            LogicalPlan::Projection(p) => chain(&p.input, unnests),
            LogicalPlan::Unnest(u) => {
                *unnests += 1;
                chain(&u.input, unnests)
            }
            _ => false,
        }
    }
    let plan = match plan {
        LogicalPlan::SubqueryAlias(SubqueryAlias { input, .. }) => input.as_ref(),
        other => other,
    };
    let mut unnests = 0;
    matches!(plan, LogicalPlan::Subquery(s)
        if !s.outer_ref_columns.is_empty()
            && matches!(s.subquery.as_ref(), LogicalPlan::Projection(_))
            && chain(&s.subquery, &mut unnests) && unnests == 1)
}

/// `left` with the rows of `from` (a [`per_row`] subquery) for each of its
/// rows, as a `LEFT JOIN LATERAL … ON true` would: the left columns, then
/// the subquery's named `names`, then `matched`, true for a row of the
/// subquery and NULL for the one row of a left row it has none for (each
/// left row has it; its other columns are NULL).
pub(super) fn expand_left(
    left: LogicalPlan,
    from: &LogicalPlan,
    names: &[String],
    matched: &str,
) -> Result<Option<LogicalPlan>> {
    let subquery = match from {
        LogicalPlan::SubqueryAlias(SubqueryAlias { input, .. }) => input.as_ref(),
        other => other,
    };
    let LogicalPlan::Subquery(subquery) = subquery else {
        return Ok(None);
    };
    let index = format!("{matched}_position");
    let left = Arc::new(left);
    let Some(per_row) = rebuild(&subquery.subquery, &left, true, Some(&index))? else {
        return Ok(None);
    };
    let mut exprs: Vec<Expr> = carried(left.schema(), &DFSchema::empty()).collect();
    exprs.extend(
        names
            .iter()
            .enumerate()
            .map(|(i, name)| Expr::Column(Column::from_name(format!("{CARRIED}{i}"))).alias(name)),
    );
    exprs.push(
        Expr::Case(Case::new(
            None,
            vec![(
                Box::new(Expr::Column(Column::from_name(&index)).gt(lit(0_i64))),
                Box::new(lit(true)),
            )],
            None,
        ))
        .alias(matched),
    );
    Ok(Some(
        LogicalPlanBuilder::from(per_row).project(exprs)?.build()?,
    ))
}

/// The columns of `schema` that `original` lacks (those carried along), as expressions.
fn carried<'a>(schema: &'a DFSchema, original: &'a DFSchema) -> impl Iterator<Item = Expr> + 'a {
    schema
        .columns()
        .into_iter()
        .filter(|c| !original.has_column(c))
        .map(Expr::Column)
}

/// `expr` with its outer references as columns of the left input.
fn outer_to_columns(expr: Expr) -> Result<Expr> {
    expr.transform(|e| match e {
        Expr::OuterReferenceColumn(_, column) => Ok(Transformed::yes(Expr::Column(column))),
        other => Ok(Transformed::no(other)),
    })
    .map(|t| t.data)
}

#[cfg(test)]
mod tests {
    use datafusion::prelude::SessionContext;

    use super::*;

    async fn rows(sql: &str) -> Result<String> {
        let ctx = SessionContext::new();
        ctx.add_analyzer_rule(Arc::new(LateralUnnest));
        ctx.sql(
            "CREATE TABLE t AS SELECT * FROM (VALUES (1, [10, 20]), (2, []), (3, NULL), (4, [40])) \
             AS v(id, xs)",
        )
        .await?
        .collect()
        .await?;
        let batches = ctx.sql(sql).await?.collect().await?;
        Ok(arrow::util::pretty::pretty_format_batches(&batches)?.to_string())
    }

    #[tokio::test]
    async fn a_function_of_the_left_row_runs_per_row() {
        let text = rows("SELECT t.id, k FROM t CROSS JOIN unnest(t.xs) AS u(k) ORDER BY t.id, k")
            .await
            .unwrap();
        let expected = [
            "+----+----+",
            "| id | k  |",
            "+----+----+",
            "| 1  | 10 |",
            "| 1  | 20 |",
            "| 4  | 40 |",
            "+----+----+",
        ]
        .join("\n");
        assert_eq!(text, expected);
    }

    #[tokio::test]
    async fn the_join_condition_filters_the_rows() {
        let text = rows(
            "SELECT t.id, k FROM t JOIN unnest(xs) AS u(k) ON k > 15 AND t.id < 4 ORDER BY t.id, k",
        )
        .await
        .unwrap();
        assert!(text.contains("| 1  | 20 |"), "{text}");
        assert!(!text.contains("10"), "{text}");
        assert!(!text.contains("40"), "{text}");
    }
}
