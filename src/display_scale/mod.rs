//! PostgreSQL's display scale of `numeric` values.
//!
//! A PostgreSQL `numeric` value carries its own display scale: `1` cast to
//! `numeric` shows no places and `2.5` one, so `CASE … THEN 1 ELSE 2.5 END`,
//! `coalesce(sum(x), 0)` or `greatest(1, 2.5, 3)` show each value with the
//! places of the argument it came from (`1`, `3`), and a quotient shows the
//! places `select_div_scale` chooses from the operands' values (`1.0 / 3`
//! has 20, `125 * 100.0 / 241` 16). An Arrow decimal column has one scale,
//! so conversql computes each value's places beside it:
//!
//! - Before type coercion, every projection and aggregate of a client's
//!   query is walked bottom up ([`plan`]); each expression gets its display
//!   scale ([`expr`]) by PostgreSQL's rules: a column or literal its own, an
//!   integer 0, `+`/`-`/`%` the larger of the operands', `*` their sum, a
//!   cast with a precision its scale (`x::numeric` keeps the value's,
//!   `conversql_udfs::numeric_cast`), `round(x, n)` `n`, `CASE`,
//!   `coalesce`, `greatest`, `least` the chosen argument's, `sum`/`min`/`max`
//!   the most of their rows'. A `/` of numerics becomes `numeric_div`,
//!   rounded to PostgreSQL's places (`conversql_udfs::numeric_div`).
//! - A scale that varies by row travels as a *companion* field after the
//!   values, through filters, sorts, limits, joins, aliases, unions,
//!   `VALUES`, windows (a window's `sum` gets the `max` of its frame's
//!   places), `DISTINCT` and grouping sets (each group's equal values show
//!   the most places among them). Other nodes (`DISTINCT ON`, recursive
//!   queries, `UNNEST`, subqueries in expressions, …) get their inputs
//!   rewritten without companions, so their quotients are PostgreSQL's, and
//!   show their fields at the Arrow type's scale.
//! - The query's output gets a companion field named [`COMPANION_PREFIX`]
//!   and the index of the column it scales; the server formats each value
//!   with its row's places and never sends the companions
//!   (`server::scale_form`).
//!
//! Only a client's query is rewritten: the session wraps it in
//! [`ClientOutput`], which [`DisplayScales`] replaces; other plans (views
//! as they are defined, the fact store's queries) are untouched.

mod expr;
mod plan;

use std::fmt;
use std::sync::Arc;

use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::common::{Column, DFSchemaRef, Result};
use datafusion::logical_expr::{
    Expr, Extension, LogicalPlan, Projection, UserDefinedLogicalNodeCore,
};
use datafusion::optimizer::AnalyzerRule;

use expr::{Functions, Scale, natural};

/// The name of an output companion field: this prefix, then the index of the column it scales.
pub const COMPANION_PREFIX: &str = "\u{1}conversql.display_scale.";

/// The column an output field gives the display scale of, if it is a companion.
pub fn companion_of(name: &str) -> Option<usize> {
    name.strip_prefix(COMPANION_PREFIX)?.parse().ok()
}

/// Where a field's display scale is: a constant, or a companion field of the same plan.
#[derive(Debug, Clone)]
pub enum Slot {
    /// Every value shows this many places.
    Const(i32),
    /// The field at this index holds each row's places.
    Companion(usize),
}

/// A client's query, whose output gets display scales ([`DisplayScales`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd)]
pub struct ClientOutput {
    input: LogicalPlan,
}

impl ClientOutput {
    /// `plan` marked as a client's query, when it is one (not `EXPLAIN` or a command).
    pub fn wrap(plan: LogicalPlan) -> LogicalPlan {
        match plan {
            LogicalPlan::Explain(_)
            | LogicalPlan::Analyze(_)
            | LogicalPlan::Statement(_)
            | LogicalPlan::Ddl(_)
            | LogicalPlan::Dml(_)
            | LogicalPlan::Copy(_)
            | LogicalPlan::DescribeTable(_)
            | LogicalPlan::Extension(_) => plan,
            plan => LogicalPlan::Extension(Extension {
                node: Arc::new(ClientOutput { input: plan }),
            }),
        }
    }
}

impl UserDefinedLogicalNodeCore for ClientOutput {
    fn name(&self) -> &'static str {
        "ClientOutput"
    }

    fn inputs(&self) -> Vec<&LogicalPlan> {
        vec![&self.input]
    }

    fn schema(&self) -> &DFSchemaRef {
        self.input.schema()
    }

    fn expressions(&self) -> Vec<Expr> {
        vec![]
    }

    fn fmt_for_explain(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "ClientOutput")
    }

    fn with_exprs_and_inputs(
        &self,
        _exprs: Vec<Expr>,
        mut inputs: Vec<LogicalPlan>,
    ) -> Result<Self> {
        Ok(Self {
            input: inputs.swap_remove(0),
        })
    }
}

/// The analyzer rule that gives a [`ClientOutput`]'s query its display
/// scales; placed before type coercion, which then types what it added.
#[derive(Debug)]
pub struct DisplayScales {
    functions: Functions,
}

impl DisplayScales {
    /// The rule, calling conversql's `numeric_div` and `numeric_div_scale`.
    pub fn new() -> Self {
        Self {
            functions: Functions {
                div: Arc::new(conversql_udfs::NumericDivFunc::new().into()),
                div_scale: Arc::new(conversql_udfs::NumericDivScaleFunc::new().into()),
                cast_scale: Arc::new(conversql_udfs::NumericCastScaleFunc::new().into()),
                sum: Arc::new(conversql_udfs::PgSumFunc::new().into()),
                variance_scale: Arc::new(conversql_udfs::NumericVarianceScaleFunc::new().into()),
            },
        }
    }
}

impl Default for DisplayScales {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for Functions {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("Functions")
    }
}

impl AnalyzerRule for DisplayScales {
    fn analyze(&self, plan: LogicalPlan, _config: &ConfigOptions) -> Result<LogicalPlan> {
        plan.transform_down(|plan| {
            let LogicalPlan::Extension(Extension { node }) = &plan else {
                return Ok(Transformed::no(plan));
            };
            let Some(output) = node.as_any().downcast_ref::<ClientOutput>() else {
                return Ok(Transformed::no(plan));
            };
            let scaled = self.output(output.input.clone())?;
            Ok(Transformed::new(
                scaled,
                true,
                datafusion::common::tree_node::TreeNodeRecursion::Jump,
            ))
        })
        .map(|t| t.data)
    }

    fn name(&self) -> &'static str {
        "conversql_display_scales"
    }
}

impl DisplayScales {
    /// `query` with an output companion for each column whose places its type does not give.
    fn output(&self, query: LogicalPlan) -> Result<LogicalPlan> {
        let original = query.schema().clone();
        let scaled = plan::Rewrite::new(&self.functions).plan(query)?;
        let schema = scaled.plan.schema().clone();
        let (values, mut exprs) = scaled.value_columns();
        for (position, i) in values.iter().enumerate() {
            let scale = match &scaled.slots[*i] {
                Some(Slot::Companion(k)) => {
                    Scale::Row(Expr::Column(Column::from(schema.qualified_field(*k))))
                }
                Some(Slot::Const(c)) => {
                    let shown = original
                        .fields()
                        .get(position)
                        .and_then(|f| natural(f.data_type()));
                    if shown.is_some_and(|s| s.is_const(*c)) {
                        continue;
                    }
                    Scale::Const(*c)
                }
                None => continue,
            };
            exprs.push(scale.expr().alias(format!("{COMPANION_PREFIX}{position}")));
        }
        if exprs.len() == values.len() && !scaled.companions.iter().any(|c| *c) {
            return Ok(scaled.plan);
        }
        Ok(LogicalPlan::Projection(Projection::try_new(
            exprs,
            Arc::new(scaled.plan),
        )?))
    }
}
