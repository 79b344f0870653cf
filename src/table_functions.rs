//! The table functions of the SQL surface, for parameterised reports:
//! `overview(account_id, start_date, end_date)` and
//! `overview_daily(account_id, start_date, end_date, group_by)`; and the
//! [`Declaration`](crate::declaration::Declaration) of every table function the engine registers (these two,
//! `conversql_data_quality()`, `conversql_report_runs()` and
//! `conversql_fact_store()`), the one place
//! their names, parameters, descriptions and result columns are written: the
//! functions check their arguments by it, a session types the `$n`
//! parameters of a prepared call by it, and the catalog lists it
//! ([`crate::catalog::functions`]).
//!
//! The SQL of the overview functions lives in `sql/functions/`; the arguments
//! are checked when the query is planned (a clear error names the bad
//! argument), and the SQL is planned against the calling session at scan
//! time, so it sees the session's instant T and the current files.

use std::sync::Arc;

use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use async_trait::async_trait;
use chrono::NaiveDate;
use datafusion::catalog::{Session, TableFunctionArgs, TableFunctionImpl, TableProvider};
use datafusion::common::{Result, ScalarValue, exec_datafusion_err, plan_datafusion_err, plan_err};
use datafusion::datasource::TableType;
use datafusion::execution::context::SessionState;
use datafusion::logical_expr::simplify::SimplifyContext;
use datafusion::logical_expr::{Expr, LogicalPlanBuilder};
use datafusion::optimizer::simplify_expressions::ExprSimplifier;
use datafusion::physical_plan::ExecutionPlan;

use crate::declaration::{Declaration, Parameter};

const OVERVIEW_SQL: &str = include_str!("../sql/functions/overview.sql");
const OVERVIEW_DAILY_SQL: &str = include_str!("../sql/functions/overview_daily.sql");

/// The groupings `overview_daily` accepts.
pub const GROUPINGS: [&str; 3] = ["channel", "status", "tag"];

/// Every table function the engine registers, in catalog order.
pub fn declarations() -> Vec<Declaration> {
    vec![
        OverviewKind::Totals.declaration(),
        OverviewKind::Daily.declaration(),
        crate::data_quality::declaration(),
        crate::run_history::declaration(),
        crate::facts::system_view::declaration(),
        crate::cluster::system_view::declaration(),
    ]
}

/// The declaration of conversql's table function `name`.
pub fn declaration(name: &str) -> Option<Declaration> {
    declarations().into_iter().find(|d| d.name == name)
}

/// Which table function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OverviewKind {
    /// `overview(account_id, start_date, end_date)`
    Totals,
    /// `overview_daily(account_id, start_date, end_date, group_by)`
    Daily,
}

impl OverviewKind {
    /// The declaration of the function.
    pub fn declaration(self) -> Declaration {
        let mut parameters = vec![
            Parameter::required("account_id", DataType::Utf8),
            Parameter::required("start_date", DataType::Date32),
            Parameter::required("end_date", DataType::Date32),
        ];
        match self {
            OverviewKind::Totals => Declaration {
                name: "overview",
                parameters,
                description: "The overview of an account for the inclusive local-date range [start_date, end_date]: Total Volume, Total Resolved by AI, Percent Resolved by AI (NULL when there is no conversation) and AI-generated sales (docs/contract.md section 7).",
                columns: Arc::new(Schema::new(vec![
                    Field::new("total_volume", DataType::Int64, false),
                    Field::new("resolved_by_ai", DataType::Int64, false),
                    Field::new("percent_resolved_by_ai", DataType::Float64, true),
                    Field::new("ai_generated_sales", DataType::Decimal128(38, 2), false),
                ])),
            },
            OverviewKind::Daily => {
                parameters.push(Parameter::required("group_by", DataType::Utf8));
                Declaration {
                    name: "overview_daily",
                    parameters,
                    description: "Daily conversation counts of an account for every local date of [start_date, end_date], grouped by 'channel', 'status' or 'tag'; one row per group seen anywhere in the range, 0 where none (docs/contract.md section 7).",
                    columns: Arc::new(Schema::new(vec![
                        Field::new("date", DataType::Date32, true),
                        Field::new("group", DataType::Utf8, true),
                        Field::new("conversations", DataType::Int64, false),
                    ])),
                }
            }
        }
    }
}

/// The implementation of `overview` and `overview_daily`.
#[derive(Debug)]
pub struct OverviewFunction {
    kind: OverviewKind,
    declaration: Declaration,
}

impl OverviewFunction {
    /// The function of the given kind.
    pub fn new(kind: OverviewKind) -> Self {
        OverviewFunction {
            kind,
            declaration: kind.declaration(),
        }
    }

    /// The SQL name.
    pub fn name(&self) -> &'static str {
        self.declaration.name
    }

    /// The result schema.
    pub fn schema(&self) -> SchemaRef {
        self.declaration.columns.clone()
    }
}

impl TableFunctionImpl for OverviewFunction {
    fn call_with_args(&self, args: TableFunctionArgs) -> Result<Arc<dyn TableProvider>> {
        let exprs = self.declaration.arguments(args.exprs())?;
        if exprs.iter().any(|e| matches!(e, Expr::Placeholder(_))) {
            // A prepared statement being described before its parameters are
            // bound: the result columns are known; it runs once bound.
            return Ok(Arc::new(OverviewTable {
                schema: self.schema(),
                function: self.name(),
                bound: None,
            }));
        }
        let simplifier = ExprSimplifier::new(
            SimplifyContext::builder()
                .with_config_options(Arc::new(args.session().config_options().clone()))
                .with_current_time()
                .build(),
        );
        // The argument of parameter `i`, with the parameter's name.
        let value = |i: usize| -> Result<(&'static str, ScalarValue)> {
            let name = self.declaration.parameters[i].name;
            match simplifier.simplify(exprs[i].clone())? {
                Expr::Literal(v, _) if v.is_null() => {
                    plan_err!("{}: {name} must not be NULL", self.name())
                }
                Expr::Literal(v, _) => Ok((name, v)),
                Expr::Placeholder(p) => plan_err!(
                    "{}: {name} is the unbound parameter {}; bind a value before planning",
                    self.name(),
                    p.id
                ),
                other => plan_err!("{}: {name} must be a constant, got {other}", self.name()),
            }
        };
        let account_id = text_arg(self.name(), value(0)?)?;
        let start = date_arg(self.name(), value(1)?)?;
        let end = date_arg(self.name(), value(2)?)?;
        if start > end {
            return plan_err!(
                "{}: start_date {start} is after end_date {end}",
                self.name()
            );
        }
        let sql = match self.kind {
            OverviewKind::Totals => OVERVIEW_SQL.to_string(),
            OverviewKind::Daily => {
                let group_by = text_arg(self.name(), value(3)?)?;
                let counts = match group_by.to_ascii_lowercase().as_str() {
                    "channel" | "status" => format!(
                        "SELECT \"date\", {g} AS \"group\", CAST(sum(conversations) AS BIGINT) AS conversations \
                         FROM daily_conversations WHERE account_id = $1 \
                         AND \"date\" BETWEEN {{start_date}} AND {{end_date}} GROUP BY \"date\", {g}",
                        g = group_by.to_ascii_lowercase()
                    ),
                    "tag" => "SELECT \"date\", tag AS \"group\", conversations \
                              FROM daily_conversations_by_tag WHERE account_id = $1 \
                              AND \"date\" BETWEEN {start_date} AND {end_date}"
                        .to_string(),
                    _ => {
                        return plan_err!(
                            "overview_daily: unknown group_by '{group_by}'; valid groupings are {}",
                            GROUPINGS.map(|g| format!("'{g}'")).join(", ")
                        );
                    }
                };
                OVERVIEW_DAILY_SQL.replace("{counts}", &counts)
            }
        };
        let sql = sql
            .replace("{start_date}", &format!("DATE '{start}'"))
            .replace("{end_date}", &format!("DATE '{end}'"));
        Ok(Arc::new(OverviewTable {
            schema: self.schema(),
            function: self.name(),
            bound: Some((sql, account_id)),
        }))
    }
}

/// A text argument: `(parameter name, value)`.
fn text_arg(function: &str, (name, v): (&str, ScalarValue)) -> Result<String> {
    match v {
        ScalarValue::Utf8(Some(s))
        | ScalarValue::LargeUtf8(Some(s))
        | ScalarValue::Utf8View(Some(s)) => Ok(s),
        other => plan_err!(
            "{function}: {name} must be text, got {} ({other})",
            other.data_type()
        ),
    }
}

/// A date argument (a date or `'YYYY-MM-DD'` text): `(parameter name, value)`.
fn date_arg(function: &str, (name, v): (&str, ScalarValue)) -> Result<NaiveDate> {
    match &v {
        ScalarValue::Date32(Some(days)) => NaiveDate::from_num_days_from_ce_opt(*days + 719_163)
            .ok_or_else(|| plan_datafusion_err!("{function}: {name} is out of range")),
        ScalarValue::Utf8(Some(s))
        | ScalarValue::LargeUtf8(Some(s))
        | ScalarValue::Utf8View(Some(s)) => NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
            .map_err(|_| {
                plan_datafusion_err!("{function}: {name} '{s}' is not a date (expected YYYY-MM-DD)")
            }),
        other => plan_err!(
            "{function}: {name} must be a date (or 'YYYY-MM-DD' text), got {} ({other})",
            other.data_type()
        ),
    }
}

/// The result of one call: planned and run against the calling session at scan
/// time. `bound` is the SQL and the account_id; `None` while the arguments are
/// still parameters (`$1`) of a statement being described before its values
/// are bound: the columns are known, but it refuses to run.
#[derive(Debug)]
struct OverviewTable {
    schema: SchemaRef,
    function: &'static str,
    bound: Option<(String, String)>,
}

#[async_trait]
impl TableProvider for OverviewTable {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    fn table_type(&self) -> TableType {
        TableType::Temporary
    }

    async fn scan(
        &self,
        session: &dyn Session,
        projection: Option<&Vec<usize>>,
        _filters: &[Expr],
        _limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let Some((sql, account_id)) = &self.bound else {
            return plan_err!(
                "{}: its arguments are unbound parameters; bind values before running it",
                self.function
            );
        };
        let state = session
            .as_any()
            .downcast_ref::<SessionState>()
            .ok_or_else(|| {
                exec_datafusion_err!("table functions need a DataFusion SessionState")
            })?;
        let plan = state.create_logical_plan(sql).await?;
        let plan = plan.with_param_values(vec![ScalarValue::Utf8(Some(account_id.clone()))])?;
        let plan = match projection {
            Some(indices) => LogicalPlanBuilder::from(plan)
                .select(indices.iter().copied())?
                .build()?,
            None => plan,
        };
        crate::inner_plan::plan_inner(state, &plan).await
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    fn text(s: &str) -> Expr {
        Expr::Literal(ScalarValue::Utf8(Some(s.into())), None)
    }

    #[test]
    fn declarations_are_well_formed() {
        let mut names = BTreeSet::new();
        for d in declarations() {
            assert!(names.insert(d.name), "{} is declared once", d.name);
            assert!(!d.description.is_empty(), "{} has a description", d.name);
            assert!(!d.columns.fields().is_empty(), "{} has columns", d.name);
            let first_default = d.parameters.iter().position(|p| p.default.is_some());
            for (i, p) in d.parameters.iter().enumerate() {
                assert!(
                    first_default.is_none_or(|f| i < f || p.default.is_some()),
                    "{}: {} has no default but follows one with a default",
                    d.name,
                    p.name
                );
                if let Some(default) = &p.default {
                    assert_eq!(default.data_type(), p.data_type, "{}.{}", d.name, p.name);
                }
            }
        }
        assert_eq!(
            declaration("overview").unwrap().usage(),
            "overview(account_id, start_date, end_date)"
        );
        assert!(declaration("generate_series").is_none());
    }

    #[test]
    fn arguments_are_counted_and_completed_with_defaults() {
        let d = Declaration {
            name: "f",
            parameters: vec![
                Parameter::required("a", DataType::Utf8),
                Parameter {
                    name: "b",
                    data_type: DataType::Utf8,
                    default: Some(ScalarValue::Utf8(Some("x".into()))),
                },
            ],
            description: "A test.",
            columns: Arc::new(Schema::empty()),
        };
        assert_eq!(d.arguments(&[text("1")]).unwrap(), [text("1"), text("x")]);
        assert_eq!(
            d.arguments(&[text("1"), text("2")]).unwrap(),
            [text("1"), text("2")]
        );
        let err = d.arguments(&[]).unwrap_err().to_string();
        assert!(
            err.contains("f takes 1 to 2 arguments, got 0: f(a, b)"),
            "{err}"
        );

        let err = OverviewKind::Totals
            .declaration()
            .arguments(&[text("acme")])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(
                "overview takes 3 arguments, got 1: overview(account_id, start_date, end_date)"
            ),
            "{err}"
        );
        let err = crate::data_quality::declaration()
            .arguments(&[text("x")])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("conversql_data_quality() takes no arguments"),
            "{err}"
        );
    }
}
