//! Display scales carried through a plan, node by node (see the module docs
//! of [`super`]).

use std::sync::Arc;

use datafusion::arrow::datatypes::DataType;
use datafusion::common::tree_node::Transformed;
use datafusion::common::{Column, DFSchema, Result, ScalarValue};
use datafusion::functions_aggregate::count::count_udaf;
use datafusion::functions_aggregate::expr_fn::{first_value, max};
use datafusion::functions_aggregate::min_max::max_udaf;
use datafusion::logical_expr::expr::{AggregateFunction, Alias};
use datafusion::logical_expr::expr_rewriter::NamePreserver;
use datafusion::logical_expr::utils::grouping_set_to_exprlist;
use datafusion::logical_expr::{
    Aggregate, AggregateUDF, Distinct, Expr, ExprSchemable, JoinType, LogicalPlan,
    LogicalPlanBuilder, Projection, SubqueryAlias, Union, Values, Window, WindowFunctionDefinition,
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

impl Scaled {
    /// The plan without its companions, and its fields' constant scales: for
    /// a node that cannot carry companions (its fields then show their
    /// types' scales where a scale varied by row).
    fn into_values(self) -> Result<(LogicalPlan, Vec<Option<Slot>>)> {
        let (values, columns) = self.value_columns();
        let slots = values
            .iter()
            .map(|i| match &self.slots[*i] {
                Some(Slot::Const(c)) => Some(Slot::Const(*c)),
                _ => None,
            })
            .collect();
        if !self.has_companions() {
            return Ok((self.plan, slots));
        }
        let projection = Projection::try_new(columns, Arc::new(self.plan))?;
        Ok((LogicalPlan::Projection(projection), slots))
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
        // The subqueries in the node's expressions first, each a plan of its own.
        let plan = plan
            .map_subqueries(|subquery| Ok(Transformed::yes(self.plan(subquery)?.plan)))?
            .data;
        match plan {
            LogicalPlan::Projection(projection) => self.projection(projection),
            LogicalPlan::Filter(_)
            | LogicalPlan::Sort(_)
            | LogicalPlan::Limit(_)
            | LogicalPlan::Repartition(_) => {
                let input = self.plan(plan.inputs()[0].clone())?;
                let scope = Scope {
                    schema: input.plan.schema(),
                    slots: &input.slots,
                    functions: self.functions,
                };
                // A predicate's or a sort key's quotient is PostgreSQL's too.
                let exprs = plan
                    .expressions()
                    .into_iter()
                    .map(|e| scope.scaled(e).map(|(e, _)| e))
                    .collect::<Result<Vec<_>>>()?;
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
            LogicalPlan::Values(values) => self.values(values),
            LogicalPlan::Aggregate(aggregate) => self.aggregate(aggregate),
            LogicalPlan::Window(window) => self.window(window),
            LogicalPlan::Distinct(Distinct::All(input)) => {
                self.distinct(Arc::unwrap_or_clone(input))
            }
            LogicalPlan::Subquery(mut subquery) => {
                let (plan, slots) = self
                    .plan(Arc::unwrap_or_clone(subquery.subquery))?
                    .into_values()?;
                subquery.subquery = Arc::new(plan);
                let width = slots.len();
                Ok(Scaled {
                    plan: LogicalPlan::Subquery(subquery),
                    slots,
                    companions: vec![false; width],
                })
            }
            other => self.opaque(other),
        }
    }

    /// A node that carries no companions (`DISTINCT ON`, a recursive query,
    /// `UNNEST`, …): its inputs are rewritten, without their companions,
    /// and its fields show their types' scales.
    fn opaque(&mut self, plan: LogicalPlan) -> Result<Scaled> {
        if plan.inputs().is_empty() {
            return Ok(Scaled::plain(plan));
        }
        let inputs = plan
            .inputs()
            .into_iter()
            .map(|input| Ok(self.plan(input.clone())?.into_values()?.0))
            .collect::<Result<Vec<_>>>()?;
        let exprs = match inputs.as_slice() {
            // A one-input node's expressions (`DISTINCT ON`'s select list)
            // get PostgreSQL's quotient too.
            [input] if !matches!(plan, LogicalPlan::Extension(_)) => {
                let slots = vec![None; input.schema().fields().len()];
                let scope = Scope {
                    schema: input.schema(),
                    slots: &slots,
                    functions: self.functions,
                };
                let names = NamePreserver::new(&plan);
                plan.expressions()
                    .into_iter()
                    .map(|e| {
                        let saved = names.save(&e);
                        scope.scaled(e).map(|(e, _)| saved.restore(e))
                    })
                    .collect::<Result<Vec<_>>>()?
            }
            _ => plan.expressions(),
        };
        if let LogicalPlan::RecursiveQuery(query) = &plan {
            check_recursive_scales(&query.name, &inputs[0], &inputs[1])?;
        }
        Ok(Scaled::plain(plan.with_new_exprs(exprs, inputs)?))
    }

    /// A window node: the input's fields pass through with their scales; a
    /// window function shows its argument's places where they are one
    /// constant, a `sum` the most of its frame's rows' (`max` of their
    /// places over the same window).
    fn window(&mut self, window: Window) -> Result<Scaled> {
        let plan = LogicalPlan::Window(window.clone());
        let names = NamePreserver::new(&plan);
        let input = self.plan(Arc::unwrap_or_clone(window.input))?;
        let scope = Scope {
            schema: input.plan.schema(),
            slots: &input.slots,
            functions: self.functions,
        };
        let width = input.slots.len() + window.window_expr.len();
        let mut exprs = vec![];
        let mut slots = input.slots.clone();
        let mut extra = vec![];
        for expr in window.window_expr {
            let saved = names.save(&expr);
            let (rewritten, scale) = Self::window_expr(&scope, expr)?;
            exprs.push(saved.restore(rewritten));
            slots.push(match scale {
                Some(Scale::Const(c)) => Some(Slot::Const(c)),
                Some(Scale::Row(e)) => {
                    extra.push(e);
                    Some(Slot::Companion(width + extra.len() - 1))
                }
                _ => None,
            });
        }
        let mut companions = [input.companions, vec![false; exprs.len()]].concat();
        for e in extra {
            exprs.push(e.alias(self.companion_name()));
            companions.push(true);
            slots.push(None);
        }
        let rebuilt = Window::try_new(exprs, Arc::new(input.plan))?;
        Ok(Scaled {
            plan: LogicalPlan::Window(rebuilt),
            slots,
            companions,
        })
    }

    /// A window function with its arguments rewritten, and its display scale.
    fn window_expr(scope: &Scope, expr: Expr) -> Result<(Expr, Option<Scale>)> {
        let (inner, alias) = split_alias(expr);
        let rewrap = |e: Expr| realias(e, alias.as_ref());
        let Expr::WindowFunction(function) = inner else {
            let (rewritten, _) = scope.scaled(inner)?;
            return Ok((rewrap(rewritten), None));
        };
        let mut function = *function;
        let mut scales = vec![];
        let mut args = vec![];
        for arg in std::mem::take(&mut function.params.args) {
            let (arg, scale) = scope.scaled(arg)?;
            args.push(arg);
            scales.push(scale);
        }
        let name = function.fun.name().to_string();
        if name == "numeric_variance" {
            fill_places(&mut args, &scales);
        }
        function.params.args = args;
        let rewrite_all = |exprs: Vec<Expr>| {
            exprs
                .into_iter()
                .map(|e| scope.scaled(e).map(|(e, _)| e))
                .collect::<Result<Vec<_>>>()
        };
        function.params.partition_by =
            rewrite_all(std::mem::take(&mut function.params.partition_by))?;
        let keeps_argument = matches!(
            name.as_str(),
            "sum" | "min" | "max" | "first_value" | "last_value" | "nth_value" | "lag" | "lead"
        );
        let scale = match scales.first() {
            Some(Some(Scale::Const(c))) if keeps_argument => Some(Scale::Const(*c)),
            _ if name == "numeric_variance" => {
                let mut places = function.clone();
                places.fun = WindowFunctionDefinition::AggregateUDF(Arc::clone(
                    &scope.functions.variance_scale,
                ));
                Some(Scale::Row(Expr::WindowFunction(Box::new(places))))
            }
            Some(Some(Scale::Row(places))) if name == "sum" => {
                // The most places of the frame's rows, over the same window.
                let mut most = function.clone();
                most.fun = WindowFunctionDefinition::AggregateUDF(max_udaf());
                most.params.args = vec![places.clone()];
                most.params.distinct = false;
                Some(Scale::Row(Expr::WindowFunction(Box::new(most))))
            }
            _ => None,
        };
        Ok((rewrap(Expr::WindowFunction(Box::new(function))), scale))
    }

    /// `SELECT DISTINCT`: with companions, a grouping on the values that
    /// keeps the most places of each group's rows (PostgreSQL keeps one
    /// row of equal values, which of them is not defined).
    fn distinct(&mut self, input: LogicalPlan) -> Result<Scaled> {
        let input = self.plan(input)?;
        if !input.has_companions() {
            let slots = input.slots;
            let companions = input.companions;
            return Ok(Scaled {
                plan: LogicalPlan::Distinct(Distinct::All(Arc::new(input.plan))),
                slots,
                companions,
            });
        }
        let schema = Arc::clone(input.plan.schema());
        let (values, columns) = input.value_columns();
        let mut places = vec![];
        let mut slots = vec![];
        for i in &values {
            slots.push(match &input.slots[*i] {
                Some(Slot::Const(c)) => Some(Slot::Const(*c)),
                Some(Slot::Companion(k)) => {
                    let most = max(Expr::Column(Column::from(schema.qualified_field(*k))));
                    places.push(most.alias(self.companion_name()));
                    Some(Slot::Companion(values.len() + places.len() - 1))
                }
                None => None,
            });
        }
        let width = values.len();
        let mut companions = vec![false; width];
        companions.resize(width + places.len(), true);
        slots.resize(width + places.len(), None);
        let grouped = Aggregate::try_new(Arc::new(input.plan), columns, places)?;
        Ok(Scaled {
            plan: LogicalPlan::Aggregate(grouped),
            slots,
            companions,
        })
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

    /// `VALUES`: each cell rewritten (a quotient is PostgreSQL's) with its
    /// own places; where a column's places vary by row, a companion column
    /// holds each row's. Where the rows' types differ, the planner cast
    /// every cell to their common type; those casts are taken off and the
    /// rows typed again, since a rewritten cell may have another type.
    fn values(&self, values: Values) -> Result<Scaled> {
        let width = values.schema.fields().len();
        let empty = DFSchema::empty();
        let scope = Scope {
            schema: &empty,
            slots: &[],
            functions: self.functions,
        };
        let mut coerced = vec![false; width];
        for (column, coerced) in coerced.iter_mut().enumerate() {
            let under_cast: Vec<Option<DataType>> = values
                .values
                .iter()
                .map(|row| match &row[column] {
                    Expr::Cast(c) => type_of_value(&c.expr),
                    other => type_of_value(other),
                })
                .collect();
            *coerced = under_cast.iter().any(|t| *t != under_cast[0]);
        }
        let mut rows = vec![];
        let mut scales: Vec<Vec<Option<Scale>>> = vec![vec![]; width];
        let mut changed = false;
        for row in &values.values {
            let mut cells = vec![];
            for (column, cell) in row.iter().enumerate() {
                let (rewritten, scale) = match cell {
                    // The places are the value's own, from under the
                    // planner's cast; the cast goes only where the value
                    // was rewritten, so the rows are typed again.
                    Expr::Cast(c) if coerced[column] => {
                        let (inner, scale) = scope.scaled(c.expr.as_ref().clone())?;
                        if inner == *c.expr {
                            (cell.clone(), scale)
                        } else {
                            (inner, scale)
                        }
                    }
                    other => scope.scaled(other.clone())?,
                };
                changed |= rewritten != *cell;
                cells.push(rewritten);
                scales[column].push(scale);
            }
            rows.push(cells);
        }
        let mut slots = vec![];
        let mut varying = vec![];
        for column_scales in scales {
            let known: Vec<&Scale> = column_scales
                .iter()
                .flatten()
                .filter(|s| !matches!(s, Scale::Null))
                .collect();
            let constant = known.first().and_then(|s| match s {
                Scale::Const(c) if known.iter().all(|k| k.is_const(*c)) => Some(*c),
                _ => None,
            });
            match constant {
                Some(c) => slots.push(Some(Slot::Const(c))),
                None if known.is_empty() => slots.push(None),
                None => {
                    varying.push(column_scales);
                    slots.push(Some(Slot::Companion(width + varying.len() - 1)));
                }
            }
        }
        if varying.is_empty() && !changed {
            return Ok(Scaled {
                plan: LogicalPlan::Values(values),
                slots,
                companions: vec![false; width],
            });
        }
        for (r, row) in rows.iter_mut().enumerate() {
            for column_scales in &varying {
                let places = column_scales[r].as_ref().map_or(Scale::Null, Clone::clone);
                row.push(places.expr());
            }
        }
        let plan = LogicalPlanBuilder::values(rows)?.build()?;
        if plan
            .schema()
            .fields()
            .iter()
            .zip(values.schema.fields())
            .any(|(a, b)| a.name() != b.name())
        {
            return datafusion::common::internal_err!(
                "VALUES retyped with other column names: {} for {}",
                plan.schema(),
                values.schema
            );
        }
        let mut companions = vec![false; width];
        companions.resize(width + varying.len(), true);
        slots.resize(width + varying.len(), None);
        Ok(Scaled {
            plan,
            slots,
            companions,
        })
    }

    fn aggregate(&mut self, aggregate: Aggregate) -> Result<Scaled> {
        let plan = LogicalPlan::Aggregate(aggregate.clone());
        let names = NamePreserver::new(&plan);
        let input = self.plan(Arc::unwrap_or_clone(aggregate.input.clone()))?;
        let scope = Scope {
            schema: input.plan.schema(),
            slots: &input.slots,
            functions: self.functions,
        };
        let groups = aggregate.schema.fields().len() - aggregate.aggr_expr.len();
        let width = groups + aggregate.aggr_expr.len();
        let mut slots = vec![];
        let mut extra = vec![];
        // The grouping fields: under grouping sets (`ROLLUP`, `CUBE`) each
        // distinct expression once, then the grouping id. Equal values of
        // a group may show different places (`1.5`, `1.50`): PostgreSQL shows
        // one of them, here the most.
        for group in grouping_set_to_exprlist(&aggregate.group_expr)? {
            let (_, scale) = scope.scaled(group.clone())?;
            slots.push(match scale {
                Some(Scale::Const(c)) => Some(Slot::Const(c)),
                Some(Scale::Row(e)) => {
                    extra.push(max(e));
                    Some(Slot::Companion(width + extra.len() - 1))
                }
                _ => None,
            });
        }
        slots.resize(groups, None);
        let mut aggr_expr = vec![];
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
        let (inner, alias) = split_alias(expr);
        let Expr::AggregateFunction(function) = inner else {
            return Ok((realias(inner, alias.as_ref()), None));
        };
        let name = function.func.name().to_string();
        let mut args = vec![];
        let mut scales = vec![];
        for arg in function.params.args.clone() {
            let (arg, scale) = scope.scaled(arg)?;
            args.push(arg);
            scales.push(scale);
        }
        if name == "numeric_variance" {
            fill_places(&mut args, &scales);
        }
        let mut params = function.params.clone();
        params.args = args;
        let rewritten = Expr::AggregateFunction(AggregateFunction {
            func: function.func.clone(),
            params: params.clone(),
        });
        let scale = match (name.as_str(), scales.as_slice()) {
            ("numeric_variance", _) => {
                Some(Scale::Row(Expr::AggregateFunction(AggregateFunction {
                    func: Arc::clone(&scope.functions.variance_scale),
                    params: params.clone(),
                })))
            }
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
        Ok((realias(rewritten, alias.as_ref()), scale))
    }
}

/// An expression without its alias, and the alias.
fn split_alias(expr: Expr) -> (Expr, Option<Alias>) {
    match expr {
        Expr::Alias(alias) => (*alias.expr.clone(), Some(alias)),
        other => (other, None),
    }
}

/// `expr` under `alias` again, if it had one.
fn realias(expr: Expr, alias: Option<&Alias>) -> Expr {
    match alias {
        Some(a) => expr.alias_qualified(a.relation.clone(), a.name.clone()),
        None => expr,
    }
}

/// `numeric_variance(x, places, statistic)` with the places of `x` (its
/// display scale, in its row), where the planner left them NULL.
fn fill_places(args: &mut [Expr], scales: &[Option<Scale>]) {
    if let (Some(places), Some(Some(scale))) = (args.get_mut(1), scales.first()) {
        match scale {
            Scale::Const(_) | Scale::Row(_) => *places = scale.expr(),
            Scale::Null => {}
        }
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

/// The type of a literal or of a cast, the expressions a `VALUES` row
/// holds where the planner has not had to convert it.
fn type_of_value(expr: &Expr) -> Option<DataType> {
    match expr {
        Expr::Literal(v, _) => Some(v.data_type()),
        Expr::Cast(c) => Some(c.field.data_type().clone()),
        _ => None,
    }
}

/// A recursive query's rows take the non-recursive term's types (the
/// planner casts the recursive term's columns to them): a `numeric` of the
/// recursive term with more places than that term's would be rounded into
/// them, where PostgreSQL's `numeric` keeps every place. Refused (0A000)
/// rather than rounded.
fn check_recursive_scales(
    name: &str,
    initial: &LogicalPlan,
    recursive: &LogicalPlan,
) -> Result<()> {
    let LogicalPlan::Projection(projection) = recursive else {
        return Ok(());
    };
    let held = |e: &Expr| match e.get_type(projection.input.schema()) {
        Ok(DataType::Decimal128(_, s)) => Some(s),
        _ => None,
    };
    for (position, (expr, field)) in projection
        .expr
        .iter()
        .zip(initial.schema().fields())
        .enumerate()
    {
        let inner = match expr {
            Expr::Alias(alias) => alias.expr.as_ref(),
            other => other,
        };
        if let (Expr::Cast(cast), DataType::Decimal128(_, s0)) = (inner, field.data_type())
            && let Some(s1) = held(&cast.expr)
            && s1 > *s0
        {
            return Err(datafusion::error::DataFusionError::NotImplemented(format!(
                "recursive query \"{name}\" column {} (\"{}\") has {s0} decimal places in its \
                 non-recursive term and {s1} in its recursive term, which would be rounded to \
                 {s0}; cast the non-recursive term's column to numeric(38, {s1})",
                position + 1,
                field.name()
            )));
        }
    }
    Ok(())
}
