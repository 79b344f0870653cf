//! Display scales carried through a plan, node by node (see the module docs
//! of [`super`]).

use std::sync::Arc;

use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Column, Result, ScalarValue};
use datafusion::functions_aggregate::count::count_udaf;
use datafusion::functions_aggregate::expr_fn::{first_value, max};
use datafusion::logical_expr::expr::AggregateFunction;
use datafusion::logical_expr::expr_rewriter::NamePreserver;
use datafusion::logical_expr::{
    Aggregate, AggregateUDF, Expr, ExprSchemable, JoinType, LogicalPlan, Projection, SubqueryAlias,
    Union, Values,
};

use super::Slot;
use super::expr::{Functions, Scale, Scope, natural};

/// A plan with the display scales of its fields: one entry per field, `None`
/// for a companion field or a field of no known scale.
pub struct Scaled {
    /// The plan, with companion fields where a scale varies by row.
    pub plan: LogicalPlan,
    /// Per field: its display scale.
    pub slots: Vec<Option<Slot>>,
    /// Per field: whether it is a companion (a scale, not a value).
    pub companions: Vec<bool>,
}

impl Scaled {
    /// A plan whose fields show their types' scales.
    fn plain(plan: LogicalPlan) -> Self {
        let width = plan.schema().fields().len();
        Self {
            plan,
            slots: vec![None; width],
            companions: vec![false; width],
        }
    }

    fn has_companions(&self) -> bool {
        self.companions.iter().any(|c| *c)
    }

    /// The positions of the value fields (not companions), and a column
    /// reference to each.
    pub fn value_columns(&self) -> (Vec<usize>, Vec<Expr>) {
        let schema = self.plan.schema();
        let values: Vec<usize> = (0..self.companions.len())
            .filter(|i| !self.companions[*i])
            .collect();
        let columns = values
            .iter()
            .map(|i| Expr::Column(Column::from(schema.qualified_field(*i))))
            .collect();
        (values, columns)
    }
}

/// The rewrite of one plan: a counter for unique companion names.
pub struct Rewrite<'a> {
    /// The functions it calls.
    pub functions: &'a Functions,
    next: usize,
}

impl<'a> Rewrite<'a> {
    /// A rewrite calling `functions`.
    pub fn new(functions: &'a Functions) -> Self {
        Self { functions, next: 0 }
    }

    fn companion_name(&mut self) -> String {
        self.next += 1;
        format!("__conversql_scale_{}", self.next)
    }

    /// `plan` with display scales (bottom up).
    pub fn plan(&mut self, plan: LogicalPlan) -> Result<Scaled> {
        match plan {
            LogicalPlan::Projection(projection) => self.projection(projection),
            LogicalPlan::Filter(_)
            | LogicalPlan::Sort(_)
            | LogicalPlan::Limit(_)
            | LogicalPlan::Repartition(_) => {
                let input = self.plan(plan.inputs()[0].clone())?;
                let exprs = plan.expressions();
                let rebuilt = plan.with_new_exprs(exprs, vec![input.plan])?;
                Ok(Scaled {
                    plan: rebuilt,
                    slots: input.slots,
                    companions: input.companions,
                })
            }
            LogicalPlan::SubqueryAlias(alias) => {
                let input = self.plan(Arc::unwrap_or_clone(alias.input))?;
                let rebuilt = SubqueryAlias::try_new(Arc::new(input.plan), alias.alias)?;
                Ok(Scaled {
                    plan: LogicalPlan::SubqueryAlias(rebuilt),
                    slots: input.slots,
                    companions: input.companions,
                })
            }
            LogicalPlan::Join(ref join)
                if !matches!(join.join_type, JoinType::LeftMark | JoinType::RightMark) =>
            {
                let join_type = join.join_type;
                let left = self.plan(Arc::unwrap_or_clone(join.left.clone()))?;
                let right = self.plan(Arc::unwrap_or_clone(join.right.clone()))?;
                let left_width = left.slots.len();
                let shifted: Vec<Option<Slot>> = right
                    .slots
                    .iter()
                    .map(|s| match s {
                        Some(Slot::Companion(k)) => Some(Slot::Companion(k + left_width)),
                        other => other.clone(),
                    })
                    .collect();
                let (slots, companions) = match join_type {
                    JoinType::LeftSemi | JoinType::LeftAnti => (left.slots, left.companions),
                    JoinType::RightSemi | JoinType::RightAnti => (right.slots, right.companions),
                    _ => (
                        [left.slots, shifted].concat(),
                        [left.companions, right.companions].concat(),
                    ),
                };
                let exprs = plan.expressions();
                let rebuilt = plan.with_new_exprs(exprs, vec![left.plan, right.plan])?;
                Ok(Scaled {
                    plan: rebuilt,
                    slots,
                    companions,
                })
            }
            LogicalPlan::Union(union) => self.union(union),
            LogicalPlan::Values(values) => Ok(Self::values(values)),
            LogicalPlan::Aggregate(aggregate) => self.aggregate(aggregate),
            other => Ok(Scaled::plain(other)),
        }
    }

    fn projection(&mut self, projection: Projection) -> Result<Scaled> {
        let plan = LogicalPlan::Projection(projection.clone());
        let names = NamePreserver::new(&plan);
        let input = self.plan(Arc::unwrap_or_clone(projection.input))?;
        let scope = Scope {
            schema: input.plan.schema(),
            slots: &input.slots,
            functions: self.functions,
        };
        let width = projection.expr.len();
        let mut exprs = Vec::with_capacity(width);
        let mut slots = Vec::with_capacity(width);
        let mut extra = vec![];
        for expr in projection.expr {
            let saved = names.save(&expr);
            let (rewritten, scale) = scope.scaled(expr)?;
            exprs.push(saved.restore(rewritten));
            slots.push(match scale {
                Some(Scale::Const(c)) => Some(Slot::Const(c)),
                Some(Scale::Row(e)) => {
                    // Each varying scale becomes a companion field after the values.
                    extra.push(e);
                    Some(Slot::Companion(width + extra.len() - 1))
                }
                Some(Scale::Null) | None => None,
            });
        }
        let mut companions = vec![false; width];
        for e in extra {
            exprs.push(e.alias(self.companion_name()));
            companions.push(true);
            slots.push(None);
        }
        let rebuilt = Projection::try_new(exprs, Arc::new(input.plan))?;
        Ok(Scaled {
            plan: LogicalPlan::Projection(rebuilt),
            slots,
            companions,
        })
    }

    /// The value fields of `scaled` and, after them, a companion for each
    /// field in `needed` (a column or constant): a projection every input of
    /// a union gets, so that their fields line up.
    fn aligned(&mut self, scaled: Scaled, needed: &[bool]) -> Result<LogicalPlan> {
        let schema = scaled.plan.schema().clone();
        let (values, mut exprs) = scaled.value_columns();
        for (position, i) in values.iter().enumerate() {
            if !needed[position] {
                continue;
            }
            let scale = match &scaled.slots[*i] {
                Some(Slot::Const(c)) => Scale::Const(*c),
                Some(Slot::Companion(k)) => {
                    Scale::Row(Expr::Column(Column::from(schema.qualified_field(*k))))
                }
                None => natural(schema.field(*i).data_type()).unwrap_or(Scale::Null),
            };
            exprs.push(scale.expr().alias(self.companion_name()));
        }
        Ok(LogicalPlan::Projection(Projection::try_new(
            exprs,
            Arc::new(scaled.plan),
        )?))
    }

    fn union(&mut self, union: Union) -> Result<Scaled> {
        let inputs = union
            .inputs
            .iter()
            .map(|i| self.plan(Arc::unwrap_or_clone(i.clone())))
            .collect::<Result<Vec<_>>>()?;
        let width = union.schema.fields().len();
        // Per column: the one constant scale of every input, or a companion.
        let mut slots: Vec<Option<Slot>> = vec![];
        let mut needed = vec![false; width];
        for (column, need) in needed.iter_mut().enumerate() {
            let scales: Vec<Option<Slot>> = inputs
                .iter()
                .map(|input| {
                    let i = (0..input.companions.len())
                        .filter(|i| !input.companions[*i])
                        .nth(column)?;
                    input.slots[i].clone().or_else(|| {
                        match natural(input.plan.schema().field(i).data_type()) {
                            Some(Scale::Const(c)) => Some(Slot::Const(c)),
                            _ => None,
                        }
                    })
                })
                .collect();
            let first = scales.first().cloned().flatten();
            let same = scales.iter().all(|s| match (s, &first) {
                (Some(Slot::Const(a)), Some(Slot::Const(b))) => a == b,
                (None, None) => true,
                _ => false,
            });
            slots.push(if same { first } else { None });
            *need = !same;
        }
        if !needed.iter().any(|n| *n) && !inputs.iter().any(Scaled::has_companions) {
            let plans = inputs.into_iter().map(|i| Arc::new(i.plan)).collect();
            return Ok(Scaled {
                plan: LogicalPlan::Union(Union::try_new_with_loose_types(plans)?),
                slots,
                companions: vec![false; width],
            });
        }
        let plans = inputs
            .into_iter()
            .map(|input| self.aligned(input, &needed).map(Arc::new))
            .collect::<Result<Vec<_>>>()?;
        let mut companions = vec![false; width];
        let mut next = width;
        for (column, need) in needed.iter().enumerate() {
            if *need {
                slots[column] = Some(Slot::Companion(next));
                companions.push(true);
                next += 1;
            }
        }
        slots.resize(next, None);
        Ok(Scaled {
            plan: LogicalPlan::Union(Union::try_new_with_loose_types(plans)?),
            slots,
            companions,
        })
    }

    fn values(values: Values) -> Scaled {
        let width = values.schema.fields().len();
        let mut slots = vec![];
        let mut varying = vec![];
        for column in 0..width {
            // Where the rows' types differ, the planner casts every row to
            // their common type: the places shown are the row's own, from
            // under that cast.
            let cells: Vec<&Expr> = values.values.iter().map(|row| &row[column]).collect();
            let under_cast: Vec<Option<DataType>> = cells
                .iter()
                .map(|e| match e {
                    Expr::Cast(c) => type_of_value(&c.expr),
                    other => type_of_value(other),
                })
                .collect();
            let coerced = under_cast.iter().any(|t| *t != under_cast[0]);
            let scales: Vec<Option<i32>> = cells
                .iter()
                .map(|cell| match (cell, coerced) {
                    (Expr::Cast(c), true) => value_scale(&c.expr),
                    (other, _) => value_scale(other),
                })
                .map(|scale| match scale {
                    Some(Scale::Const(c)) => Some(c),
                    _ => None,
                })
                .collect();
            let known: Vec<i32> = scales.iter().flatten().copied().collect();
            let decimal = matches!(
                values.schema.field(column).data_type(),
                DataType::Decimal128(_, _)
            );
            if decimal && known.iter().any(|c| *c != known[0]) {
                varying.push((column, scales));
                slots.push(None);
            } else {
                slots.push(known.first().map(|c| Slot::Const(*c)));
            }
        }
        if varying.is_empty() {
            return Scaled {
                plan: LogicalPlan::Values(values),
                slots,
                companions: vec![false; width],
            };
        }
        let rows: Vec<Vec<Expr>> = values
            .values
            .iter()
            .enumerate()
            .map(|(r, row)| {
                let mut row = row.clone();
                for (_, scales) in &varying {
                    row.push(datafusion::logical_expr::lit(
                        datafusion::common::ScalarValue::Int32(scales[r]),
                    ));
                }
                row
            })
            .collect();
        let Ok(plan) = datafusion::logical_expr::LogicalPlanBuilder::values(rows)
            .and_then(datafusion::logical_expr::LogicalPlanBuilder::build)
        else {
            return Scaled::plain(LogicalPlan::Values(values));
        };
        if plan
            .schema()
            .fields()
            .iter()
            .zip(values.schema.fields())
            .any(|(a, b)| a.data_type() != b.data_type() || a.name() != b.name())
        {
            return Scaled::plain(LogicalPlan::Values(values));
        }
        let mut companions = vec![false; width];
        for (k, (column, _)) in varying.iter().enumerate() {
            slots[*column] = Some(Slot::Companion(width + k));
            companions.push(true);
            slots.push(None);
        }
        Scaled {
            plan,
            slots,
            companions,
        }
    }

    fn aggregate(&mut self, aggregate: Aggregate) -> Result<Scaled> {
        let grouping_sets = aggregate
            .group_expr
            .iter()
            .any(|e| matches!(e, Expr::GroupingSet(_)));
        if grouping_sets {
            return Ok(Scaled::plain(LogicalPlan::Aggregate(aggregate)));
        }
        let plan = LogicalPlan::Aggregate(aggregate.clone());
        let names = NamePreserver::new(&plan);
        let input = self.plan(Arc::unwrap_or_clone(aggregate.input.clone()))?;
        let scope = Scope {
            schema: input.plan.schema(),
            slots: &input.slots,
            functions: self.functions,
        };
        let mut slots = vec![];
        for group in &aggregate.group_expr {
            let (_, scale) = scope.scaled(group.clone())?;
            slots.push(match scale {
                Some(Scale::Const(c)) => Some(Slot::Const(c)),
                _ => None,
            });
        }
        let groups = aggregate.group_expr.len();
        let width = groups + aggregate.aggr_expr.len();
        let mut aggr_expr = vec![];
        let mut extra = vec![];
        let mut averages = vec![];
        let mut counts = vec![];
        for (k, expr) in aggregate.aggr_expr.into_iter().enumerate() {
            let (rewritten, scale) = if let Some(parts) = Self::numeric_avg(&scope, &expr)? {
                let (qualifier, field) = aggregate.schema.qualified_field(groups + k);
                averages.push(Average {
                    position: groups + k,
                    count: counts.len(),
                    qualifier: qualifier.cloned(),
                    name: field.name().clone(),
                });
                counts.push(parts.count.alias(self.companion_name()));
                (
                    parts.sum.alias(self.companion_name()),
                    Some(parts.sum_scale),
                )
            } else {
                let saved = names.save(&expr);
                let (rewritten, scale) = Self::aggregate_expr(&scope, expr)?;
                (saved.restore(rewritten), scale)
            };
            aggr_expr.push(rewritten);
            slots.push(match scale {
                Some(Scale::Const(c)) => Some(Slot::Const(c)),
                Some(Scale::Row(e)) => {
                    extra.push(e);
                    Some(Slot::Companion(width + extra.len() - 1))
                }
                _ => None,
            });
        }
        let mut companions = vec![false; width];
        for e in extra {
            aggr_expr.push(e.alias(self.companion_name()));
            companions.push(true);
            slots.push(None);
        }
        aggr_expr.extend(counts);
        let rebuilt = Aggregate::try_new(Arc::new(input.plan), aggregate.group_expr, aggr_expr)?;
        if !averages.is_empty() {
            return self.averages(
                LogicalPlan::Aggregate(rebuilt),
                &averages,
                slots,
                companions,
            );
        }
        Ok(Scaled {
            plan: LogicalPlan::Aggregate(rebuilt),
            slots,
            companions,
        })
    }

    /// `avg` of integers or `numeric`s as PostgreSQL computes it: the sum
    /// divided by the count at `select_div_scale` (`numeric_avg` and
    /// `int8_avg` call `numeric_div`); `None` for any other call.
    fn numeric_avg(scope: &Scope, expr: &Expr) -> Result<Option<AverageParts>> {
        let Expr::AggregateFunction(function) = expr else {
            return Ok(None);
        };
        if function.func.name() != "avg" || function.params.args.len() != 1 {
            return Ok(None);
        }
        let (arg, scale) = scope.scaled(function.params.args[0].clone())?;
        let exact = match arg.get_type(scope.schema)? {
            DataType::Decimal128(_, _) => true,
            t => t.is_integer(),
        };
        let sum_scale = match scale {
            Some(Scale::Const(c)) => Scale::Const(c),
            Some(Scale::Row(e)) => {
                let mut places = max(e);
                if let Expr::AggregateFunction(ref mut f) = places {
                    f.params.filter.clone_from(&function.params.filter);
                }
                Scale::Row(places)
            }
            _ => return Ok(None),
        };
        if !exact {
            return Ok(None);
        }
        let with_args = |func: Arc<AggregateUDF>| {
            let mut params = function.params.clone();
            params.args = vec![arg.clone()];
            Expr::AggregateFunction(AggregateFunction { func, params })
        };
        Ok(Some(AverageParts {
            sum: with_args(Arc::clone(&scope.functions.sum)),
            sum_scale,
            count: with_args(count_udaf()),
        }))
    }

    /// A projection over `aggregate` that divides each average's sum by its
    /// count (the count fields, last, are not passed on).
    fn averages(
        &mut self,
        aggregate: LogicalPlan,
        averages: &[Average],
        mut slots: Vec<Option<Slot>>,
        mut companions: Vec<bool>,
    ) -> Result<Scaled> {
        let schema = Arc::clone(aggregate.schema());
        let passed = slots.len();
        let column = |i: usize| Expr::Column(Column::from(schema.qualified_field(i)));
        let mut exprs: Vec<Expr> = (0..passed).map(column).collect();
        for average in averages {
            let places = match &slots[average.position] {
                Some(Slot::Const(c)) => datafusion::logical_expr::lit(*c),
                Some(Slot::Companion(k)) => column(*k),
                None => datafusion::logical_expr::lit(ScalarValue::Int32(None)),
            };
            let args = vec![
                column(average.position),
                places,
                column(passed + average.count),
                datafusion::logical_expr::lit(0i32),
            ];
            exprs[average.position] = self
                .functions
                .div
                .call(args.clone())
                .alias_qualified(average.qualifier.clone(), average.name.clone());
            exprs.push(
                self.functions
                    .div_scale
                    .call(args)
                    .alias(self.companion_name()),
            );
            slots[average.position] = Some(Slot::Companion(exprs.len() - 1));
            slots.push(None);
            companions.push(true);
        }
        let projection = Projection::try_new(exprs, Arc::new(aggregate))?;
        Ok(Scaled {
            plan: LogicalPlan::Projection(projection),
            slots,
            companions,
        })
    }

    /// An aggregate call with its argument rewritten, and its display scale:
    /// a `sum` shows the most places of its rows (their `max`, an aggregate
    /// of its own where they vary); a `min` or `max` shows the places of the
    /// row it chose (`first_value` of the places in the value's order).
    fn aggregate_expr(scope: &Scope, expr: Expr) -> Result<(Expr, Option<Scale>)> {
        let (inner, alias) = match expr {
            Expr::Alias(alias) => (*alias.expr.clone(), Some(alias)),
            other => (other, None),
        };
        let Expr::AggregateFunction(function) = inner else {
            let rewrap = |e: Expr| match &alias {
                Some(a) => e.alias_qualified(a.relation.clone(), a.name.clone()),
                None => e,
            };
            return Ok((rewrap(inner), None));
        };
        let name = function.func.name().to_string();
        let mut args = vec![];
        let mut scales = vec![];
        for arg in function.params.args.clone() {
            let (arg, scale) = scope.scaled(arg)?;
            args.push(arg);
            scales.push(scale);
        }
        let mut params = function.params.clone();
        params.args = args;
        let rewritten = Expr::AggregateFunction(AggregateFunction {
            func: function.func.clone(),
            params: params.clone(),
        });
        let scale = match (name.as_str(), scales.as_slice()) {
            ("sum" | "min" | "max" | "mode", [Some(Scale::Const(c))])
            | ("percentile_disc", [Some(Scale::Const(c)), _]) => Some(Scale::Const(*c)),
            ("min" | "max", [Some(Scale::Row(e))]) => {
                // The places of the row whose value is chosen.
                let ascending = name == "min";
                let mut places = first_value(
                    e.clone(),
                    vec![params.args[0].clone().sort(ascending, false)],
                );
                if let Expr::AggregateFunction(ref mut f) = places {
                    f.params.filter.clone_from(&params.filter);
                }
                Some(Scale::Row(places))
            }
            ("sum", [Some(Scale::Row(e))]) => {
                let mut places = max(e.clone());
                if let Expr::AggregateFunction(ref mut f) = places {
                    f.params.filter.clone_from(&params.filter);
                }
                Some(Scale::Row(places))
            }
            _ => None,
        };
        let rewritten = match alias {
            Some(a) => rewritten.alias_qualified(a.relation, a.name),
            None => rewritten,
        };
        Ok((rewritten, scale))
    }
}

/// An `avg` of integers or `numeric`s, in the parts PostgreSQL divides.
struct AverageParts {
    /// `sum(x)`, with the call's `DISTINCT` and `FILTER`.
    sum: Expr,
    /// The sum's display scale.
    sum_scale: Scale,
    /// `count(x)`, likewise.
    count: Expr,
}

/// Where an average's parts sit in the rewritten aggregate.
struct Average {
    /// The field of the sum, which was the average's.
    position: usize,
    /// Its count's index among the counts (the aggregate's last fields).
    count: usize,
    /// The average's qualifier.
    qualifier: Option<datafusion::common::TableReference>,
    /// The average's output name.
    name: String,
}

/// The type of a literal or of a cast, the expressions a `VALUES` row holds.
fn type_of_value(expr: &Expr) -> Option<DataType> {
    match expr {
        Expr::Literal(v, _) => Some(v.data_type()),
        Expr::Cast(c) => Some(c.field.data_type().clone()),
        _ => None,
    }
}

/// The places a `VALUES` cell shows: a literal's own, a cast's target's.
fn value_scale(expr: &Expr) -> Option<Scale> {
    match expr {
        Expr::Literal(v, _) if !v.is_null() => natural(&v.data_type()),
        Expr::Cast(c) => natural(c.field.data_type()),
        _ => None,
    }
}
