//! `data_quality`: every file and row that the numbers do not include, with
//! the reason (the view is `sql/views/data_quality.sql`; this module is the table
//! function `conversql_data_quality()` behind it).
//!
//! Two kinds of rows, computed each time the view is scanned:
//! - **files** that fail the contract check ([`FileProblem`]): unreadable or
//!   truncated files, a column of the wrong type (such as timestamps written
//!   as strings), a missing NOT NULL column, NULLs in a NOT NULL column. By
//!   default a query over such a table fails naming the file; with
//!   `--skip-bad-files` (or `SET conversql.skip_bad_files = on`) the file is
//!   left out, and this view is where it shows.
//! - **rows** of readable files that the rules of `sql/rules/row_rules.sql`
//!   flag: unknown `sender` or `kind`, a message_id delivered twice with
//!   different contents (the later copies), clicks naming no known
//!   conversation or no profile, orders without a profile.
//!
//! The row rules read the contract tables with bad files skipped, under the
//! session's account scope, so a user bound to accounts sees only their rows.
//! A bad file belongs to no account that can be told (it cannot be read), so
//! a bound user sees no file rows.

use std::sync::Arc;

use arrow::array::{ArrayRef, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use async_trait::async_trait;
use conversql_udfs::OnOff;
use datafusion::catalog::{Session, TableFunctionImpl, TableProvider};
use datafusion::common::Result;
use datafusion::datasource::{MemTable, TableType};
use datafusion::logical_expr::Expr;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::prelude::{SessionConfig, SessionContext};

use crate::log_table::{FileProblem, LogTable};
use crate::scope::AccountScope;

/// The table function behind the `data_quality` view.
pub const FUNCTION: &str = "conversql_data_quality";

/// The row rules, one SQL query over the contract tables.
const ROW_RULES: &str = include_str!("../sql/rules/row_rules.sql");

/// The columns of `data_quality`.
pub fn schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("table_name", DataType::Utf8, true),
        Field::new("source_file", DataType::Utf8, true),
        Field::new("account_id", DataType::Utf8, true),
        Field::new("row_id", DataType::Utf8, true),
        Field::new("rule", DataType::Utf8, true),
        Field::new("detail", DataType::Utf8, true),
    ]))
}

/// The declaration of `conversql_data_quality()`.
pub fn declaration() -> crate::declaration::Declaration {
    crate::declaration::Declaration {
        name: FUNCTION,
        parameters: vec![],
        description: "The rows of the data_quality view: every file and row that the numbers do not include, with the reason (docs/data-quality.md).",
        columns: schema(),
    }
}

/// `conversql_data_quality()`: the problems of the contract tables it was built over.
#[derive(Debug)]
pub struct DataQualityFunction {
    tables: Vec<Arc<LogTable>>,
}

impl DataQualityFunction {
    /// The function over the engine's contract tables.
    pub fn new(tables: Vec<Arc<LogTable>>) -> Self {
        DataQualityFunction { tables }
    }
}

impl TableFunctionImpl for DataQualityFunction {
    fn call(&self, args: &[Expr]) -> Result<Arc<dyn TableProvider>> {
        declaration().arguments(args)?;
        Ok(Arc::new(DataQualityTable {
            tables: self.tables.clone(),
            schema: schema(),
        }))
    }
}

#[derive(Debug)]
struct DataQualityTable {
    tables: Vec<Arc<LogTable>>,
    schema: SchemaRef,
}

#[async_trait]
impl TableProvider for DataQualityTable {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }
    fn table_type(&self) -> TableType {
        TableType::Temporary
    }
    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        // A file that fails the contract check cannot be attributed to an account:
        // a user bound to accounts does not see it (queries that meet it still fail naming it).
        let mut batches = match AccountScope::of(state.config()) {
            Some(_) => vec![],
            None => vec![self.file_rows().await?],
        };
        batches.extend(
            self.row_rule_rows(state.config(), state.runtime_env().clone())
                .await?,
        );
        MemTable::try_new(self.schema.clone(), vec![batches])?
            .scan(state, projection, filters, limit)
            .await
    }
}

impl DataQualityTable {
    /// One row per file that fails the contract check, in table then path order.
    async fn file_rows(&self) -> Result<RecordBatch> {
        let mut problems: Vec<FileProblem> = vec![];
        for table in &self.tables {
            problems.extend(table.file_problems().await?);
        }
        let column = |values: Vec<Option<String>>| Arc::new(StringArray::from(values)) as ArrayRef;
        Ok(RecordBatch::try_new(
            self.schema.clone(),
            vec![
                column(problems.iter().map(|p| Some(p.table.to_string())).collect()),
                column(problems.iter().map(|p| Some(p.file.clone())).collect()),
                column(problems.iter().map(|_| None).collect()),
                column(problems.iter().map(|_| None).collect()),
                column(problems.iter().map(|p| Some(p.rule.to_string())).collect()),
                column(problems.iter().map(|p| Some(p.detail.clone())).collect()),
            ],
        )?)
    }

    /// The rows the row rules flag, over the readable files, in the caller's account scope.
    async fn row_rule_rows(
        &self,
        caller: &SessionConfig,
        runtime: Arc<datafusion::execution::runtime_env::RuntimeEnv>,
    ) -> Result<Vec<RecordBatch>> {
        let mut config = SessionConfig::new().set_str("datafusion.execution.time_zone", "UTC");
        conversql_udfs::ConversqlOptions::of_mut(&mut config).skip_bad_files = OnOff(true);
        if let Some(scope) = AccountScope::of(caller) {
            config = config.with_extension(scope);
        }
        // The caller's runtime: its object stores and memory limit.
        let ctx = SessionContext::new_with_config_rt(config, runtime);
        for table in &self.tables {
            ctx.register_table(table.name(), table.clone())?;
        }
        let batches = ctx.sql(ROW_RULES).await?.collect().await?;
        batches
            .into_iter()
            .map(|b| {
                let columns = b
                    .columns()
                    .iter()
                    .map(|c| arrow::compute::cast(c, &DataType::Utf8))
                    .collect::<std::result::Result<Vec<_>, _>>()?;
                Ok(RecordBatch::try_new(self.schema.clone(), columns)?)
            })
            .collect()
    }
}
