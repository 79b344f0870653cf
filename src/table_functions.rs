//! The table functions of the SQL surface, for parameterised reports:
//! `overview(account_id, start_date, end_date)` and
//! `overview_daily(account_id, start_date, end_date, group_by)`.
//!
//! Their SQL lives in `sql/functions/`; the arguments are checked when the
//! query is planned (a clear error names the bad argument), and the SQL is
//! planned against the calling session at scan time, so it sees the session's
//! instant T and the current files.

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

const OVERVIEW_SQL: &str = include_str!("../sql/functions/overview.sql");
const OVERVIEW_DAILY_SQL: &str = include_str!("../sql/functions/overview_daily.sql");

/// The groupings `overview_daily` accepts.
pub const GROUPINGS: [&str; 3] = ["channel", "status", "tag"];

/// Which table function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OverviewKind {
    /// `overview(account_id, start_date, end_date)`
    Totals,
    /// `overview_daily(account_id, start_date, end_date, group_by)`
    Daily,
}

/// The implementation of `overview` and `overview_daily`.
#[derive(Debug)]
pub struct OverviewFunction {
    kind: OverviewKind,
}

impl OverviewFunction {
    /// The function of the given kind.
    pub fn new(kind: OverviewKind) -> Self {
        OverviewFunction { kind }
    }

    /// The SQL name.
    pub fn name(&self) -> &'static str {
        match self.kind {
            OverviewKind::Totals => "overview",
            OverviewKind::Daily => "overview_daily",
        }
    }

    fn signature(&self) -> &'static str {
        match self.kind {
            OverviewKind::Totals => "overview(account_id, start_date, end_date)",
            OverviewKind::Daily => "overview_daily(account_id, start_date, end_date, group_by)",
        }
    }

    /// The result schema.
    pub fn schema(&self) -> SchemaRef {
        Arc::new(match self.kind {
            OverviewKind::Totals => Schema::new(vec![
                Field::new("total_volume", DataType::Int64, false),
                Field::new("resolved_by_ai", DataType::Int64, false),
                Field::new("percent_resolved_by_ai", DataType::Float64, true),
                Field::new("ai_generated_sales", DataType::Decimal128(38, 2), false),
            ]),
            OverviewKind::Daily => Schema::new(vec![
                Field::new("date", DataType::Date32, true),
                Field::new("group", DataType::Utf8, true),
                Field::new("conversations", DataType::Int64, false),
            ]),
        })
    }
}

impl TableFunctionImpl for OverviewFunction {
    fn call_with_args(&self, args: TableFunctionArgs) -> Result<Arc<dyn TableProvider>> {
        let exprs = args.exprs();
        let expected = match self.kind {
            OverviewKind::Totals => 3,
            OverviewKind::Daily => 4,
        };
        if exprs.len() != expected {
            return plan_err!(
                "{} takes {expected} arguments, got {}: {}",
                self.name(),
                exprs.len(),
                self.signature()
            );
        }
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
        let value = |i: usize, name: &str| -> Result<ScalarValue> {
            match simplifier.simplify(exprs[i].clone())? {
                Expr::Literal(v, _) if v.is_null() => {
                    plan_err!("{}: {name} must not be NULL", self.name())
                }
                Expr::Literal(v, _) => Ok(v),
                Expr::Placeholder(p) => plan_err!(
                    "{}: {name} is the unbound parameter {}; bind a value before planning",
                    self.name(),
                    p.id
                ),
                other => plan_err!("{}: {name} must be a constant, got {other}", self.name()),
            }
        };
        let account_id = text_arg(self.name(), "account_id", value(0, "account_id")?)?;
        let start = date_arg(self.name(), "start_date", value(1, "start_date")?)?;
        let end = date_arg(self.name(), "end_date", value(2, "end_date")?)?;
        if start > end {
            return plan_err!(
                "{}: start_date {start} is after end_date {end}",
                self.name()
            );
        }
        let sql = match self.kind {
            OverviewKind::Totals => OVERVIEW_SQL.to_string(),
            OverviewKind::Daily => {
                let group_by = text_arg(self.name(), "group_by", value(3, "group_by")?)?;
                let counts = match group_by.to_ascii_lowercase().as_str() {
                    "channel" | "status" => format!(
                        "SELECT \"date\", {g} AS \"group\", sum(conversations) AS conversations \
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

fn text_arg(function: &str, name: &str, v: ScalarValue) -> Result<String> {
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

fn date_arg(function: &str, name: &str, v: ScalarValue) -> Result<NaiveDate> {
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
        state.create_physical_plan(&plan).await
    }
}
