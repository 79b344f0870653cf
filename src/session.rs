//! A session: one user's conversation with the engine (a Postgres connection,
//! a CLI run, a test). It owns its settings (the `conversql.*` settings of
//! [`ConversqlOptions`] and the Postgres settings clients send), runs one
//! statement at a time, and reads the data only: queries, `EXPLAIN`,
//! `SET`/`SHOW`/`RESET`, transaction commands (savepoints are no-ops),
//! cursor commands (`DECLARE`, `FETCH`, `MOVE`, `CLOSE`), `COPY … TO STDOUT`,
//! temporary views and the views defined for everyone ([`view_ddl`]) are
//! accepted; everything else is refused with 25006.

use std::collections::BTreeMap;
use std::sync::Arc;

use arrow::array::{RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use conversql_udfs::ConversqlOptions;
use datafusion::config::{ConfigExtension, ExtensionOptions};
use datafusion::dataframe::DataFrame;
use datafusion::error::DataFusionError;
use datafusion::execution::context::SQLOptions;
use datafusion::prelude::SessionContext;
use datafusion::sql::sqlparser::ast::{
    CloseCursor, DeclareType, Expr, FetchDirection, FunctionArg, FunctionArgExpr, Ident,
    ObjectName, ObjectType, Reset, Set, Statement, TableFactor, TransactionAccessMode,
    TransactionMode, Value, Visit, Visitor,
};

mod view_ddl;

use crate::cursors::{Cursor, Cursors};
use crate::error::{Error, Result};
use crate::log_table::ListingSnapshot;
use crate::settings::{FIXED_SETTINGS, SETTABLE_ENGINE_SETTINGS};

/// The marker a `MOVE` statement carries once parsed as a `FETCH` (sqlparser has no `MOVE`).
const MOVE_MARKER: &str = "conversql move";

/// What a statement produced.
pub enum StatementResult {
    /// Rows, to be streamed.
    Rows(DataFrame),
    /// A command without rows, with its Postgres command tag (`SET`, `BEGIN`, …).
    Command(String),
    /// `COPY … TO STDOUT`: the rows, to be streamed in the format.
    CopyOut(DataFrame, crate::copy_out::CopyFormat),
}

impl std::fmt::Debug for StatementResult {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StatementResult::Rows(_) => f.write_str("Rows"),
            StatementResult::Command(tag) => write!(f, "Command({tag})"),
            StatementResult::CopyOut(_, format) => write!(f, "CopyOut({format:?})"),
        }
    }
}

/// What `Describe` reports of a statement before it runs.
#[derive(Debug, Clone)]
pub struct Description {
    /// The types of the parameters `$1…$n`, where they can be inferred.
    pub parameters: Vec<Option<DataType>>,
    /// The result columns; `None` for statements without rows.
    pub schema: Option<SchemaRef>,
}

/// One session over an [`crate::engine::Engine`].
pub struct Session {
    ctx: SessionContext,
    /// The `conversql.*` settings the session started with (`RESET` returns to them).
    default_options: ConversqlOptions,
    parser: Arc<crate::dialect::Parser>,
    /// Postgres settings a client set (`application_name`, `extra_float_digits`, …), by lower-case name.
    settings: BTreeMap<String, String>,
    /// Open cursors (`DECLARE … CURSOR`).
    cursors: Cursors,
    /// The server's defaults for this session (`RESET` returns to them), by lower-case name.
    defaults: BTreeMap<String, String>,
    /// The server's `--statement-timeout`: the session may lower its timeout, never raise or disable it.
    statement_timeout_ceiling: Option<std::time::Duration>,
    /// The isolation level the open transaction asked for (`BEGIN ISOLATION LEVEL …`).
    transaction_isolation: Option<String>,
    /// The session's temporary views (`CREATE TEMPORARY VIEW`).
    temp_views: crate::temp_views::TempViews,
    /// Whether the session has its temporary schema (made with its first temporary view).
    temp_namespace: bool,
    /// The views defined from SQL, shared by the engine's sessions (none: the session cannot define views).
    user_views: Option<Arc<crate::user_views::UserViews>>,
    /// Whether the session may define views (see [`Session::set_may_define_views`]).
    may_define_views: bool,
    /// Whether a transaction is open (`BEGIN` … `COMMIT`/`ROLLBACK`).
    in_transaction: bool,
    /// The open transaction's view changes, written at `COMMIT`.
    pending_views: Option<view_ddl::PendingViews>,
    /// Whether queries are planned with display scales for a PostgreSQL client.
    display_scales: bool,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("as_of", &self.as_of())
            .finish()
    }
}

/// The 1-based numbers of the parameters `statement` casts to `oid[]` (`$1::oid[]`).
fn oid_array_parameters(statement: &Statement) -> Vec<usize> {
    use datafusion::sql::sqlparser::ast::{Expr, Value, visit_expressions};
    let mut found = vec![];
    let _ = visit_expressions(statement, |expr| {
        if let Expr::Cast {
            expr: inner,
            data_type,
            ..
        } = expr
            && data_type.to_string().eq_ignore_ascii_case("oid[]")
            && let Expr::Value(value) = inner.as_ref()
            && let Value::Placeholder(p) = &value.value
            && let Some(index) = p
                .trim_start_matches('$')
                .parse::<usize>()
                .ok()
                .filter(|i| *i >= 1)
        {
            found.push(index);
        }
        std::ops::ControlFlow::<()>::Continue(())
    });
    found
}

/// `session_user()` answering `user`, the name this session authenticated as.
fn session_user_udf(user: &str) -> datafusion::logical_expr::ScalarUDF {
    let value = datafusion::common::ScalarValue::Utf8(Some(user.to_string()));
    datafusion::logical_expr::create_udf(
        "session_user",
        vec![],
        arrow::datatypes::DataType::Utf8,
        datafusion::logical_expr::Volatility::Stable,
        Arc::new(move |_args: &[datafusion::logical_expr::ColumnarValue]| {
            Ok(datafusion::logical_expr::ColumnarValue::Scalar(
                value.clone(),
            ))
        }),
    )
}

impl Session {
    /// A session over a context built by the engine.
    pub fn new(ctx: SessionContext) -> Self {
        // Registered if the context lacks them (a plain SessionContext).
        let default_options = {
            let state = ctx.state_ref();
            let mut state = state.write();
            ConversqlOptions::of_mut(state.config_mut()).clone()
        };
        Session {
            ctx,
            default_options,
            parser: Arc::new(crate::dialect::Parser::default()),
            settings: BTreeMap::new(),
            cursors: Cursors::default(),
            defaults: BTreeMap::new(),
            statement_timeout_ceiling: None,
            transaction_isolation: None,
            temp_views: crate::temp_views::TempViews::default(),
            temp_namespace: false,
            user_views: None,
            may_define_views: true,
            in_transaction: false,
            pending_views: None,
            display_scales: false,
        }
    }

    /// Plans each query's numerics with their display scales for a
    /// PostgreSQL client (see [`crate::display_scale`]): its output gets
    /// companion fields, which the server turns into each value's places.
    pub fn send_display_scales(&mut self) {
        self.display_scales = true;
    }

    /// Lists the session's temporary views in its own catalog (see
    /// [`crate::catalog::temp_relations`]), its temporary schema made with the first.
    fn publish_temp_catalog(&mut self) {
        if !self.temp_namespace && !self.temp_views.is_empty() {
            self.temp_namespace = true;
            self.ctx
                .register_udf(crate::catalog::pg_functions::pg_my_temp_schema(
                    crate::catalog::temp_relations::TEMP_NAMESPACE_OID,
                ));
        }
        let catalog = crate::catalog::temp_relations::TempCatalog {
            namespace: self.temp_namespace,
            relations: self.temp_views.relations(),
        };
        self.ctx
            .state_ref()
            .write()
            .config_mut()
            .set_extension(Arc::new(catalog));
    }

    /// The DataFusion context of this session.
    pub fn context(&self) -> &SessionContext {
        &self.ctx
    }

    /// The session's instant T (µs since the epoch, UTC), `None` meaning the current time.
    pub fn as_of(&self) -> Option<i64> {
        self.options().as_of()
    }

    /// The session's `conversql.*` settings, as they are now.
    pub fn options(&self) -> ConversqlOptions {
        ConversqlOptions::of(self.ctx.state_ref().read().config())
    }

    /// Changes the session's `conversql.*` settings.
    fn change_options<R>(&self, change: impl FnOnce(&mut ConversqlOptions) -> R) -> R {
        let state = self.ctx.state_ref();
        let mut state = state.write();
        change(ConversqlOptions::of_mut(state.config_mut()))
    }

    /// Parses SQL text into statements (Postgres dialect, with the rewrites
    /// that make common client queries plannable).
    pub fn parse(&self, sql: &str) -> Result<Vec<Statement>> {
        let trimmed = sql.trim_start();
        // `get` rather than indexing: the text may start with a multi-byte character (found by fuzzing).
        if let (Some(keyword), Some(rest)) = (trimmed.get(..4), trimmed.get(4..))
            && keyword.eq_ignore_ascii_case("move")
            && rest.len() > 1
            && rest.starts_with(char::is_whitespace)
        {
            let mut statements = self.parse(&format!("FETCH{rest}"))?;
            if let [Statement::Fetch { into, .. }] = statements.as_mut_slice() {
                *into = Some(ObjectName::from(vec![Ident::new(MOVE_MARKER)]));
                return Ok(statements);
            }
            return Err(Error::Syntax(format!("cannot parse MOVE statement: {sql}")));
        }
        // sqlparser reads `SESSION` in `SHOW SESSION AUTHORIZATION` as MySQL's scope keyword and drops it.
        let words: Vec<String> = trimmed
            .trim_end()
            .trim_end_matches(';')
            .split_whitespace()
            .map(str::to_ascii_lowercase)
            .collect();
        if words == ["show", "session", "authorization"] {
            return Ok(vec![Statement::ShowVariable {
                variable: vec![Ident::new("session_authorization")],
            }]);
        }
        let renamed_view = alter_view_as_alter_table(sql);
        let sql = renamed_view.as_deref().unwrap_or(sql);
        let mut statements = self
            .parser
            .parse(
                &crate::pg_types::array_literal_tokens::protect_array_literals(
                    &crate::catalog::driver_compat::rewrite_sql(sql),
                ),
            )
            .map_err(|e| match e {
                datafusion::error::DataFusionError::SQL(e, _) => {
                    crate::limits::parse_error(sql, *e)
                }
                other => Error::DataFusion(other),
            })?;
        statements
            .iter()
            .try_for_each(crate::limits::check_statement)?;
        statements
            .iter_mut()
            .for_each(crate::catalog::rewrite::rewrite);
        statements
            .iter_mut()
            .for_each(crate::pg_types::function_names::rename);
        statements.iter_mut().for_each(crate::at_time_zone::rewrite);
        statements
            .iter_mut()
            .for_each(crate::integer_literals::rewrite);
        statements.iter_mut().for_each(crate::pg_literals::rewrite);
        Ok(statements)
    }

    /// Runs every statement of `sql`, returning one result per statement.
    pub async fn sql(&mut self, sql: &str) -> Result<Vec<StatementResult>> {
        let mut results = vec![];
        for statement in self.parse(sql)? {
            results.push(self.execute(statement).await?);
        }
        Ok(results)
    }

    /// Runs `sql` and returns the rows of its single (or last) statement, for convenience.
    pub async fn query(&mut self, sql: &str) -> Result<DataFrame> {
        match self.sql(sql).await?.pop() {
            Some(StatementResult::Rows(df) | StatementResult::CopyOut(df, _)) => Ok(df),
            Some(StatementResult::Command(tag)) => Ok(self.empty_rows(&tag)?),
            None => Err(Error::Syntax("empty query".into())),
        }
    }

    fn empty_rows(&self, _tag: &str) -> Result<DataFrame> {
        Ok(self.ctx.read_empty()?)
    }

    /// Runs one parsed statement.
    pub async fn execute(&mut self, statement: Statement) -> Result<StatementResult> {
        // Every scan of this statement reads one listing per table (see ListingSnapshot).
        self.ctx
            .state_ref()
            .write()
            .config_mut()
            .set_extension(Arc::new(ListingSnapshot::default()));
        // …and one generation of the fact store.
        self.ctx
            .state_ref()
            .write()
            .config_mut()
            .set_extension(Arc::new(crate::facts::FactsSnapshot::default()));
        self.sync_user_views().await?;
        match statement {
            Statement::Set(set) => self.set(set),
            Statement::Reset(reset) => {
                match reset.reset {
                    Reset::ALL => self.reset_all(),
                    Reset::ConfigurationParameter(name) => self.reset(&setting_name(&name))?,
                }
                Ok(StatementResult::Command("RESET".into()))
            }
            Statement::ShowVariable { variable } => {
                let name = show_name(&variable);
                let value = self.show(&name)?;
                let schema = Arc::new(Schema::new(vec![Field::new(
                    show_column(&name),
                    DataType::Utf8,
                    false,
                )]));
                let batch =
                    RecordBatch::try_new(schema, vec![Arc::new(StringArray::from(vec![value]))])
                        .map_err(datafusion::error::DataFusionError::from)?;
                Ok(StatementResult::Rows(self.ctx.read_batch(batch)?))
            }
            Statement::StartTransaction {
                modes,
                begin,
                statements,
                ..
            } if statements.is_empty() => {
                self.transaction_isolation = None;
                self.transaction_modes(&modes, false)?;
                self.in_transaction = true;
                self.pending_views = None;
                Ok(StatementResult::Command(
                    if begin { "BEGIN" } else { "START TRANSACTION" }.into(),
                ))
            }
            Statement::Commit { .. } => {
                self.transaction_isolation = None;
                self.cursors.end_transaction();
                self.commit_views().await?;
                Ok(StatementResult::Command("COMMIT".into()))
            }
            Statement::Rollback {
                savepoint: Some(_), ..
            } => Ok(StatementResult::Command("ROLLBACK".into())),
            Statement::Rollback { .. } => {
                self.transaction_isolation = None;
                self.cursors.end_transaction();
                self.in_transaction = false;
                self.pending_views = None;
                Ok(StatementResult::Command("ROLLBACK".into()))
            }
            Statement::Savepoint { .. } => Ok(StatementResult::Command("SAVEPOINT".into())),
            Statement::ReleaseSavepoint { .. } => Ok(StatementResult::Command("RELEASE".into())),
            Statement::Declare { stmts } => self.declare(stmts).await,
            Statement::Fetch {
                name,
                direction,
                into,
                ..
            } => {
                let moving =
                    into.is_some_and(|i| i.to_string() == Ident::new(MOVE_MARKER).to_string());
                self.fetch(&name.value, &direction, moving).await
            }
            Statement::Close { cursor } => {
                match cursor {
                    CloseCursor::All => self.cursors.close_all(),
                    CloseCursor::Specific { name } => self.cursors.close(&name.value)?,
                }
                Ok(StatementResult::Command("CLOSE CURSOR".into()))
            }
            Statement::Discard { object_type } => {
                use datafusion::sql::sqlparser::ast::DiscardObject;
                if matches!(object_type, DiscardObject::ALL) {
                    self.cursors.close_all();
                    self.reset_all();
                    self.transaction_isolation = None;
                }
                if matches!(object_type, DiscardObject::ALL | DiscardObject::TEMP) {
                    self.temp_views.clear();
                    self.publish_temp_catalog();
                }
                Ok(StatementResult::Command(format!("DISCARD {object_type}")))
            }
            Statement::CreateView(view) if view.temporary && !view.materialized => {
                self.create_temp_view(view).await
            }
            Statement::CreateView(view) => self.create_view(view).await,
            Statement::Drop {
                object_type: ObjectType::View,
                if_exists,
                names,
                cascade,
                ..
            } => self.drop_views(&names, if_exists, cascade).await,
            Statement::AlterTable(alter) => {
                self.alter_table(&alter.name, alter.if_exists, &alter.operations)
                    .await
            }
            Statement::Comment {
                object_type,
                object_name,
                comment,
                ..
            } => self.comment(&object_type, &object_name, comment).await,
            Statement::CreateSchema {
                schema_name: datafusion::sql::sqlparser::ast::SchemaName::Simple(name),
                if_not_exists,
                ..
            } => self.create_schema(&name, if_not_exists),
            Statement::Copy { .. } => {
                let copy = crate::copy_out::copy_out(&statement)
                    .expect("a COPY statement is read as one")?;
                let mut query = copy.query;
                self.resolve_relations(&mut query);
                let df = self.plan_query(query).await?;
                Ok(StatementResult::CopyOut(df, copy.format))
            }
            Statement::Query(_) | Statement::Explain { .. } => {
                let mut statement = statement;
                self.resolve_relations(&mut statement);
                Ok(StatementResult::Rows(self.plan_query(statement).await?))
            }
            other if writes(&other) => Err(Error::ReadOnly(format!(
                "cannot execute {} in a read-only database: conversql serves queries only",
                statement_kind(&other)
            ))),
            other => Err(not_supported(format!(
                "{} is not supported by conversql",
                statement_kind(&other)
            ))),
        }
    }

    /// The rows of a query (its relations resolved), planned read-only.
    async fn plan_query(&self, statement: Statement) -> Result<DataFrame> {
        let plan = self
            .ctx
            .state()
            .statement_to_plan(datafusion::sql::parser::Statement::Statement(Box::new(
                statement,
            )))
            .await?;
        let plan = match crate::cluster::explain::explain(&self.ctx, &plan).await? {
            Some(rows) => self.ctx.read_batch(rows)?.into_unoptimized_plan(),
            None => plan,
        };
        read_only_options()
            .verify_plan(&plan)
            .map_err(|e| Error::ReadOnly(e.to_string()))?;
        let plan = if self.display_scales {
            crate::display_scale::ClientOutput::wrap(plan)
        } else {
            plan
        };
        Ok(self.ctx.execute_logical_plan(plan).await?)
    }

    /// `CREATE TEMP[ORARY] VIEW` (see [`crate::temp_views`]): the query is
    /// planned now, so a view that cannot be read is refused at once.
    async fn create_temp_view(
        &mut self,
        view: datafusion::sql::sqlparser::ast::CreateView,
    ) -> Result<StatementResult> {
        let postgres = |sqlstate, message: String| Error::Postgres { sqlstate, message };
        let name = crate::temp_views::view_name(&view.name).ok_or_else(|| {
            postgres(
                "42P16",
                format!(
                    "cannot create temporary relation in non-temporary schema: {}",
                    view.name
                ),
            )
        })?;
        let mut query = *view.query;
        let reads = self.resolve_relations(&mut query);
        let plan = self
            .ctx
            .state()
            .statement_to_plan(datafusion::sql::parser::Statement::Statement(Box::new(
                Statement::Query(Box::new(query.clone())),
            )))
            .await?;
        read_only_options()
            .verify_plan(&plan)
            .map_err(|e| Error::ReadOnly(e.to_string()))?;
        let planned: Vec<String> = plan
            .schema()
            .fields()
            .iter()
            .map(|f| crate::dialect::column_names::client_name(f.name()).to_string())
            .collect();
        if view.columns.len() > planned.len() {
            return Err(postgres(
                "42601",
                "CREATE VIEW specifies more column names than columns".into(),
            ));
        }
        let mut names: Vec<String> = planned.clone();
        for (i, column) in view.columns.iter().enumerate() {
            names[i] = if column.name.quote_style.is_some() {
                column.name.value.clone()
            } else {
                column.name.value.to_lowercase()
            };
        }
        for (i, n) in names.iter().enumerate() {
            if names[..i].contains(n) {
                return Err(postgres(
                    "42701",
                    format!("column \"{n}\" specified more than once"),
                ));
            }
        }
        let columns = if view.columns.is_empty() && planned.iter().all(|n| !n.is_empty()) {
            vec![]
        } else {
            names.iter().map(|n| Ident::with_quote('"', n)).collect()
        };
        let fields = plan
            .schema()
            .fields()
            .iter()
            .zip(&names)
            .map(|(f, n)| f.as_ref().clone().with_name(n))
            .collect();
        self.temp_views
            .create(name, columns, query, reads, fields, view.or_replace)
            .map_err(|e| postgres(e.sqlstate(), e.to_string()))?;
        self.publish_temp_catalog();
        Ok(StatementResult::Command("CREATE VIEW".into()))
    }

    /// `DROP VIEW`: of the session's temporary views first, then of the views defined from SQL.
    async fn drop_views(
        &mut self,
        names: &[ObjectName],
        if_exists: bool,
        cascade: bool,
    ) -> Result<StatementResult> {
        let dropped = self.drop_each_view(names, if_exists, cascade).await;
        // The temporary views dropped before an error stay dropped, as the catalog shows.
        self.publish_temp_catalog();
        dropped
    }

    async fn drop_each_view(
        &mut self,
        names: &[ObjectName],
        if_exists: bool,
        cascade: bool,
    ) -> Result<StatementResult> {
        for name in names {
            let temp = crate::temp_views::view_name(name).filter(|n| self.temp_views.contains(n));
            if let Some(view) = temp {
                self.temp_views
                    .drop_view(&view, if_exists, cascade)
                    .map_err(|e| Error::Postgres {
                        sqlstate: e.sqlstate(),
                        message: e.to_string(),
                    })?;
            } else {
                self.drop_user_view(name, if_exists, cascade).await?;
            }
        }
        Ok(StatementResult::Command("DROP VIEW".into()))
    }

    /// Resolves unqualified relation names as PostgreSQL does: the session's
    /// temporary views first, then `pg_catalog` (see [`crate::temp_views`]).
    fn resolve_relations<V: datafusion::sql::sqlparser::ast::VisitMut + Visit>(
        &self,
        statement: &mut V,
    ) -> std::collections::BTreeSet<String> {
        let pg_catalog = self
            .ctx
            .catalog(crate::names::DATABASE)
            .and_then(|c| c.schema("pg_catalog"));
        let mut reads = self.temp_views.resolve(statement, &|name| {
            pg_catalog.as_ref().is_some_and(|s| s.table_exist(name))
        });
        if let Some(pending) = self.pending_overlay() {
            reads.extend(pending.expand(statement));
        }
        reads
    }

    /// `RESET ALL`: every setting back to the session's default.
    fn reset_all(&mut self) {
        self.settings.clear();
        let defaults = self.default_options.clone();
        self.change_options(|options| *options = defaults);
    }

    /// Applies the modes of `BEGIN`/`START TRANSACTION`/`SET TRANSACTION`
    /// (`session` false) or `SET SESSION CHARACTERISTICS AS TRANSACTION`
    /// (`session` true). Every isolation level is accepted and behaves alike
    /// (conversql answers from immutable logs); `READ ONLY` is what every
    /// transaction is; `READ WRITE` is accepted as the session's
    /// characteristic, but a transaction cannot be made read-write (0A000, as
    /// on a PostgreSQL standby), and writes fail (25006) in any case.
    fn transaction_modes(&mut self, modes: &[TransactionMode], session: bool) -> Result<()> {
        for mode in modes {
            match mode {
                TransactionMode::IsolationLevel(level) => {
                    let level = level.to_string().to_lowercase();
                    if session {
                        self.settings
                            .insert("default_transaction_isolation".into(), level);
                    } else {
                        self.transaction_isolation = Some(level);
                    }
                }
                TransactionMode::AccessMode(TransactionAccessMode::ReadOnly) => {
                    if session {
                        self.settings
                            .insert("default_transaction_read_only".into(), "on".into());
                    }
                }
                TransactionMode::AccessMode(TransactionAccessMode::ReadWrite) => {
                    if session {
                        self.settings
                            .insert("default_transaction_read_only".into(), "off".into());
                    } else if !self.may_define_views {
                        return Err(read_write_transaction());
                    }
                }
            }
        }
        Ok(())
    }

    /// Opens a cursor: plans its query (read-only, like any query) and starts it.
    async fn declare(
        &mut self,
        stmts: Vec<datafusion::sql::sqlparser::ast::Declare>,
    ) -> Result<StatementResult> {
        let [declare] = <[_; 1]>::try_from(stmts)
            .map_err(|_| Error::Syntax("DECLARE declares one cursor at a time".into()))?;
        let (Some(DeclareType::Cursor), Some(mut query), [name]) = (
            declare.declare_type,
            declare.for_query,
            declare.names.as_slice(),
        ) else {
            return Err(Error::Syntax(
                "expected DECLARE name [NO SCROLL] CURSOR [WITH HOLD] FOR query".into(),
            ));
        };
        self.resolve_relations(&mut *query);
        if declare.scroll == Some(true) {
            return Err(Error::DataFusion(
                datafusion::error::DataFusionError::NotImplemented(
                    "SCROLL cursors are not supported: conversql cursors read forward only".into(),
                ),
            ));
        }
        let plan = self
            .ctx
            .state()
            .statement_to_plan(datafusion::sql::parser::Statement::Statement(Box::new(
                Statement::Query(query),
            )))
            .await?;
        read_only_options()
            .verify_plan(&plan)
            .map_err(|e| Error::ReadOnly(e.to_string()))?;
        let stream = self
            .ctx
            .execute_logical_plan(plan)
            .await?
            .execute_stream()
            .await?;
        self.cursors
            .declare(&name.value, Cursor::new(stream, declare.hold == Some(true)))?;
        Ok(StatementResult::Command("DECLARE CURSOR".into()))
    }

    /// `FETCH`/`MOVE`: takes the next rows of a cursor (forward only).
    async fn fetch(
        &mut self,
        name: &str,
        direction: &FetchDirection,
        moving: bool,
    ) -> Result<StatementResult> {
        let count = |v: &datafusion::sql::sqlparser::ast::ValueWithSpan| -> Result<usize> {
            match &v.value {
                Value::Number(n, _) => n
                    .parse::<usize>()
                    .map_err(|_| Error::Syntax(format!("invalid FETCH count {n}"))),
                other => Err(Error::Syntax(format!("invalid FETCH count {other}"))),
            }
        };
        let wanted = match direction {
            FetchDirection::Next => Some(1),
            FetchDirection::Count { limit } => Some(count(limit)?),
            FetchDirection::Forward { limit } => {
                Some(limit.as_ref().map(count).transpose()?.unwrap_or(1))
            }
            FetchDirection::All | FetchDirection::ForwardAll => None,
            other => {
                return Err(Error::DataFusion(
                    datafusion::error::DataFusionError::NotImplemented(format!(
                        "FETCH {other}: conversql cursors read forward only (NEXT, FORWARD n, n, ALL)"
                    )),
                ));
            }
        };
        let cursor = self.cursors.get(name)?;
        let schema = cursor.schema();
        let batches = cursor.take(wanted).await?;
        if moving {
            let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
            return Ok(StatementResult::Command(format!("MOVE {rows}")));
        }
        let batches = if batches.is_empty() {
            vec![RecordBatch::new_empty(schema)]
        } else {
            batches
        };
        Ok(StatementResult::Rows(self.ctx.read_batches(batches)?))
    }

    /// The result columns of the open cursor `name`: a cursor is also a protocol
    /// portal of that name, which psycopg 3 describes (`Describe` portal) after `DECLARE`.
    pub fn cursor_schema(&self, name: &str) -> Option<SchemaRef> {
        self.cursors.schema(name)
    }

    /// Describes a statement without running it: its parameter types and result columns.
    ///
    /// `declared` are the SQL types of the leading parameters as the client
    /// declared them (`pg_types::declared_parameters`); a query is planned
    /// with its parameters of those types.
    pub async fn describe(
        &self,
        statement: &Statement,
        declared: &[datafusion::sql::sqlparser::ast::DataType],
    ) -> Result<Description> {
        // A view another server just defined is planned as the execution will plan it.
        self.sync_user_views().await?;
        match statement {
            Statement::Fetch { name, into, .. } if into.is_none() => Ok(Description {
                parameters: vec![],
                schema: Some(
                    self.cursors
                        .schema(&name.value)
                        .ok_or_else(|| Error::UnknownCursor(name.value.clone()))?,
                ),
            }),
            Statement::Query(_) | Statement::Explain { .. } => {
                let mut expanded = statement.clone();
                self.resolve_relations(&mut expanded);
                if matches!(expanded, Statement::Query(_)) && !declared.is_empty() {
                    expanded = Statement::Prepare {
                        name: Ident::new("conversql_described"),
                        data_types: declared.to_vec(),
                        statement: Box::new(expanded),
                    };
                }
                let plan = match self
                    .ctx
                    .state()
                    .statement_to_plan(datafusion::sql::parser::Statement::Statement(Box::new(
                        expanded,
                    )))
                    .await?
                {
                    datafusion::logical_expr::LogicalPlan::Statement(
                        datafusion::logical_expr::Statement::Prepare(prepared),
                    ) => Arc::unwrap_or_clone(prepared.input),
                    plan => plan,
                };
                read_only_options()
                    .verify_plan(&plan)
                    .map_err(|e| Error::ReadOnly(e.to_string()))?;
                let types = plan.get_parameter_types()?;
                let mut parameters: Vec<Option<DataType>> = vec![];
                for (name, data_type) in types {
                    if let Some(index) = name
                        .trim_start_matches('$')
                        .parse::<usize>()
                        .ok()
                        .filter(|i| *i >= 1)
                    {
                        if parameters.len() < index {
                            parameters.resize(index, None);
                        }
                        parameters[index - 1] = data_type;
                    }
                }
                // Parameters the plan does not show (arguments of table functions)
                // still count; those of conversql's table functions get their declared types.
                let mut found = TableFunctionParameters::default();
                let _ = statement.visit(&mut found);
                for (index, data_type) in found.parameters {
                    if parameters.len() < index {
                        parameters.resize(index, None);
                    }
                    if parameters[index - 1].is_none() {
                        parameters[index - 1] = data_type;
                    }
                }
                // Types PostgreSQL infers and DataFusion does not: `$n::type[]`, `x = ANY($n)`.
                for (index, data_type) in crate::pg_types::array_parameters::parameter_types(&plan)
                {
                    if parameters.len() < index {
                        parameters.resize(index, None);
                    }
                    if parameters[index - 1].is_none()
                        && crate::pg_types::array_parameters::array_type_of(&data_type).is_some()
                    {
                        parameters[index - 1] = Some(data_type);
                    }
                }
                // A parameter cast to `oid[]` is described as `oid[]` (asyncpg's
                // type introspection sends its list of OIDs so).
                for index in oid_array_parameters(statement) {
                    if parameters.len() >= index {
                        parameters[index - 1] =
                            Some(crate::catalog::asyncpg_introspection::oid_array_type());
                    }
                }
                // The columns as they will run: after the analyzer's type coercion and
                // PostgreSQL's type rules. Untyped parameters can make the analysis fail
                // before values are bound; the planned types stand then.
                let state = self.ctx.state();
                let schema = match state.analyzer().execute_and_check(
                    plan.clone(),
                    state.config_options(),
                    |_, _| {},
                ) {
                    Ok(analyzed) => analyzed.schema().as_arrow().clone(),
                    Err(_) => plan.schema().as_arrow().clone(),
                };
                Ok(Description {
                    parameters,
                    schema: Some(Arc::new(schema)),
                })
            }
            Statement::ShowVariable { variable } => {
                let name = show_name(variable);
                Ok(Description {
                    parameters: vec![],
                    schema: Some(Arc::new(Schema::new(vec![Field::new(
                        show_column(&name),
                        DataType::Utf8,
                        false,
                    )]))),
                })
            }
            _ => Ok(Description {
                parameters: vec![],
                schema: None,
            }),
        }
    }

    fn set(&mut self, set: Set) -> Result<StatementResult> {
        match set {
            Set::SingleAssignment {
                variable, values, ..
            } => {
                let name = setting_name(&variable);
                let value = values
                    .iter()
                    .map(setting_value)
                    .collect::<Vec<_>>()
                    .join(", ");
                self.assign(&name, &value)?;
            }
            Set::SetTimeZone { value, .. } => self.set_time_zone(&setting_value(&value))?,
            Set::SetNames { .. } | Set::SetNamesDefault {} => {}
            Set::SetTransaction {
                snapshot: Some(_), ..
            } => {
                return Err(not_supported(
                    "SET TRANSACTION SNAPSHOT is not supported: conversql has no exported snapshots",
                ));
            }
            Set::SetTransaction { modes, session, .. } => {
                self.transaction_modes(&modes, session)?;
            }
            other => {
                return Err(Error::InvalidSetting(format!(
                    "unsupported SET form: {other}"
                )));
            }
        }
        Ok(StatementResult::Command("SET".into()))
    }

    /// Sets a setting as `SET name = value` would (startup parameters, `-c` options).
    pub fn set_parameter(&mut self, name: &str, value: &str) -> Result<()> {
        self.assign(&name.to_ascii_lowercase(), value)
    }

    /// Sets the server's default for a setting: what `SHOW` reports until `SET`, and after `RESET`.
    pub fn set_default(&mut self, name: &str, value: &str) -> Result<()> {
        let name = name.to_ascii_lowercase();
        if name == "statement_timeout" {
            crate::pg_duration::parse_millis(value).map_err(Error::InvalidSetting)?;
        }
        self.defaults.insert(name, value.to_string());
        Ok(())
    }

    /// Makes `timeout` this session's default `statement_timeout` and its
    /// ceiling: like a `statement_timeout` set for an ordinary role by a
    /// superuser, the session may lower it but neither raise nor disable it.
    pub fn set_statement_timeout_ceiling(&mut self, timeout: &str) -> Result<()> {
        let ceiling = crate::pg_duration::parse_millis(timeout).map_err(Error::InvalidSetting)?;
        self.set_default("statement_timeout", timeout)?;
        self.statement_timeout_ceiling = ceiling;
        Ok(())
    }

    /// Records the authenticated user: `SHOW session_authorization`, and
    /// `current_user`, `session_user` and `user` in SQL (the Postgres parser
    /// rules turn all three into a call of this session's `session_user()`).
    pub fn set_user(&mut self, user: &str) {
        self.defaults
            .insert("session_authorization".into(), user.to_string());
        self.ctx.register_udf(session_user_udf(user));
    }

    /// Gives the next statement's operators the flag that stops them (see [`crate::stop`]).
    pub fn set_stop_flag(&self, flag: Arc<crate::stop::StopFlag>) {
        self.ctx
            .state_ref()
            .write()
            .config_mut()
            .set_extension(flag);
    }

    /// The session's `statement_timeout`; `None` means no limit.
    pub fn statement_timeout(&self) -> Option<std::time::Duration> {
        self.show("statement_timeout")
            .ok()
            .and_then(|v| crate::pg_duration::parse_millis(&v).ok().flatten())
    }

    fn assign(&mut self, name: &str, value: &str) -> Result<()> {
        if name == "statement_timeout" {
            let value = if value.eq_ignore_ascii_case("default") {
                self.settings.remove(name);
                return Ok(());
            } else {
                value
            };
            let wanted = crate::pg_duration::parse_millis(value).map_err(Error::InvalidSetting)?;
            if let Some(ceiling) = self.statement_timeout_ceiling
                && wanted.is_none_or(|w| w > ceiling)
            {
                return Err(Error::PermissionDenied(format!(
                    "permission denied to set parameter \"statement_timeout\" to {}: the server's --statement-timeout of {} ms is a ceiling a session may lower but not raise or disable",
                    value.trim_matches('\''),
                    ceiling.as_millis()
                )));
            }
            self.settings
                .insert(name.to_string(), value.trim_matches('\'').to_string());
            return Ok(());
        }
        if let Some(key) = conversql_key(name) {
            return self.set_conversql(key, value);
        }
        if name.starts_with("datafusion.") {
            if !SETTABLE_ENGINE_SETTINGS.contains(&name) {
                return Err(Error::PermissionDenied(format!(
                    "permission denied to set parameter \"{name}\": engine settings are the server's; a session may set only {}",
                    SETTABLE_ENGINE_SETTINGS.join(", ")
                )));
            }
            let state = self.ctx.state_ref();
            let mut state = state.write();
            state
                .config_mut()
                .options_mut()
                .set(name, value)
                .map_err(|e| Error::InvalidSetting(e.to_string()))?;
            return Ok(());
        }
        if name == "timezone" || name == "time zone" {
            return self.set_time_zone(value);
        }
        if name == "transaction_read_only"
            && conversql_udfs::parse_on_off(value) == Some(false)
            && !self.may_define_views
        {
            return Err(read_write_transaction());
        }
        // Other Postgres settings are remembered for SHOW, as a Postgres server would.
        self.settings.insert(name.to_string(), value.to_string());
        Ok(())
    }

    /// Instants are always reported in UTC; only UTC spellings are accepted.
    fn set_time_zone(&mut self, zone: &str) -> Result<()> {
        if !matches!(
            zone.to_ascii_uppercase().as_str(),
            "UTC" | "GMT" | "ETC/UTC" | "Z" | "+00:00" | "0" | "DEFAULT" | "LOCAL"
        ) {
            return Err(Error::InvalidSetting(format!(
                "time zone '{zone}' is not supported: conversql reports instants in UTC (local dates use each account's zone)"
            )));
        }
        self.settings.insert("timezone".into(), "UTC".into());
        Ok(())
    }

    /// `SET conversql.<key> = value`; `DEFAULT` is the session's default, as after `RESET`.
    fn set_conversql(&mut self, key: &str, value: &str) -> Result<()> {
        let name = qualified(key);
        if !self.options().entries().iter().any(|e| e.key == name) {
            return Err(Error::UnknownSetting(name));
        }
        if value
            .trim()
            .trim_matches('\'')
            .eq_ignore_ascii_case("default")
        {
            return self.reset(&name);
        }
        self.change_options(|options| options.set(key, value))
            .map_err(|e| {
                let reason = match e {
                    DataFusionError::Configuration(reason) => reason,
                    other => other.to_string(),
                };
                Error::InvalidSetting(format!(
                    "parameter \"{name}\": {reason}; the previous value is kept"
                ))
            })
    }

    fn reset(&mut self, name: &str) -> Result<()> {
        if let Some(key) = conversql_key(name) {
            let default = self
                .default_options
                .entries()
                .into_iter()
                .find(|e| e.key == name)
                .ok_or_else(|| Error::UnknownSetting(name.to_string()))?;
            let value = default.value.unwrap_or_default();
            self.change_options(|options| options.set(key, &value))?;
        } else {
            self.settings.remove(name);
        }
        Ok(())
    }

    /// The value `SHOW name` reports.
    pub fn show(&self, name: &str) -> Result<String> {
        if conversql_key(name).is_some() {
            return self
                .options()
                .entries()
                .into_iter()
                .find(|e| e.key == name)
                .map(|e| e.value.unwrap_or_default())
                .ok_or_else(|| Error::UnknownSetting(name.to_string()));
        }
        if name == "all" {
            return Err(Error::InvalidSetting(
                "SHOW ALL is not supported; query pg_settings instead".into(),
            ));
        }
        if name == "transaction_isolation"
            && let Some(level) = self
                .transaction_isolation
                .as_ref()
                .or_else(|| self.settings.get("default_transaction_isolation"))
        {
            return Ok(level.clone());
        }
        if let Some(v) = self.settings.get(name).or_else(|| self.defaults.get(name)) {
            return Ok(v.clone());
        }
        if let Some((_, v)) = FIXED_SETTINGS.iter().find(|(k, _)| *k == name) {
            return Ok(v.to_string());
        }
        if name.starts_with("datafusion.") {
            let options = self.ctx.state().config().options().clone();
            if let Some(entry) = options.entries().into_iter().find(|e| e.key == name) {
                return Ok(entry.value.unwrap_or_default());
            }
        }
        Err(Error::UnknownSetting(name.to_string()))
    }
}

/// The setting named by `SHOW a b c`: dotted for `conversql.x`/`datafusion.x`
/// (which the parser splits), and PostgreSQL's multi-word forms
/// (`TIME ZONE`, `TRANSACTION ISOLATION LEVEL`, `SESSION AUTHORIZATION`) as
/// the settings they show.
fn show_name(variable: &[datafusion::sql::sqlparser::ast::Ident]) -> String {
    let parts: Vec<String> = variable.iter().map(|i| i.value.to_lowercase()).collect();
    let dotted = parts
        .first()
        .is_some_and(|p| p == ConversqlOptions::PREFIX || p == "datafusion");
    let name = parts.join(if dotted { "." } else { " " });
    match name.as_str() {
        "time zone" => "timezone".into(),
        "transaction isolation level" => "transaction_isolation".into(),
        "session authorization" => "session_authorization".into(),
        _ => name,
    }
}

/// The column `SHOW` answers in: the setting's name as PostgreSQL spells it
/// (`TimeZone`, `DateStyle`, `IntervalStyle`; the others in lower case).
fn show_column(name: &str) -> &str {
    match name {
        "timezone" => "TimeZone",
        "datestyle" => "DateStyle",
        "intervalstyle" => "IntervalStyle",
        other => other,
    }
}

/// A command PostgreSQL has and conversql does not (SQLSTATE 0A000).
fn not_supported(message: impl Into<String>) -> Error {
    Error::DataFusion(DataFusionError::NotImplemented(message.into()))
}

/// `ALTER VIEW [IF EXISTS] name RENAME TO new` as `ALTER TABLE …`, which
/// PostgreSQL accepts for a view with the same meaning; sqlparser reads
/// `ALTER VIEW` only with `AS query`. `None` for any other text.
fn alter_view_as_alter_table(sql: &str) -> Option<String> {
    let trimmed = sql.trim_start();
    let words: Vec<&str> = trimmed.split_whitespace().collect();
    let renames = words.len() >= 5
        && words[0].eq_ignore_ascii_case("alter")
        && words[1].eq_ignore_ascii_case("view")
        && words
            .windows(2)
            .any(|w| w[0].eq_ignore_ascii_case("rename") && w[1].eq_ignore_ascii_case("to"));
    if !renames {
        return None;
    }
    let after_alter = trimmed[5..].trim_start();
    Some(format!("ALTER TABLE{}", &after_alter[4..]))
}

/// The error of making a transaction read-write, as on a PostgreSQL standby (0A000).
fn read_write_transaction() -> Error {
    not_supported(
        "cannot set transaction read-write mode: this user has the role reader and may not define views (READ ONLY is accepted)",
    )
}

/// The key of a `conversql.*` setting without its prefix (`as_of`); `None` for other settings.
fn conversql_key(name: &str) -> Option<&str> {
    name.strip_prefix(ConversqlOptions::PREFIX)?
        .strip_prefix('.')
}

/// The full name of the `conversql.*` setting `key`.
fn qualified(key: &str) -> String {
    format!("{}.{key}", ConversqlOptions::PREFIX)
}

/// The placeholders `$n` of a statement, typed where they are arguments of
/// conversql's table functions (which the plan does not show), by their
/// declarations.
#[derive(Default)]
struct TableFunctionParameters {
    parameters: Vec<(usize, Option<DataType>)>,
}

impl Visitor for TableFunctionParameters {
    type Break = ();

    fn pre_visit_table_factor(&mut self, factor: &TableFactor) -> std::ops::ControlFlow<()> {
        if let TableFactor::Table {
            name,
            args: Some(args),
            ..
        } = factor
        {
            let function = name.to_string().to_ascii_lowercase();
            let types: Vec<DataType> = crate::table_functions::declaration(&function)
                .map(|d| d.parameters.into_iter().map(|p| p.data_type).collect())
                .unwrap_or_default();
            for (i, arg) in args.args.iter().enumerate() {
                if let FunctionArg::Unnamed(FunctionArgExpr::Expr(Expr::Value(v))) = arg
                    && let Value::Placeholder(p) = &v.value
                    && let Some(index) = p
                        .trim_start_matches('$')
                        .parse::<usize>()
                        .ok()
                        .filter(|i| *i >= 1)
                {
                    self.parameters.push((index, types.get(i).cloned()));
                }
            }
        }
        std::ops::ControlFlow::Continue(())
    }

    fn pre_visit_expr(&mut self, expr: &Expr) -> std::ops::ControlFlow<()> {
        if let Expr::Value(v) = expr
            && let Value::Placeholder(p) = &v.value
            && let Some(index) = p
                .trim_start_matches('$')
                .parse::<usize>()
                .ok()
                .filter(|i| *i >= 1)
        {
            self.parameters.push((index, None));
        }
        std::ops::ControlFlow::Continue(())
    }
}

fn read_only_options() -> SQLOptions {
    SQLOptions::new()
        .with_allow_ddl(false)
        .with_allow_dml(false)
        .with_allow_statements(false)
}

fn setting_name(name: &ObjectName) -> String {
    name.0
        .iter()
        .map(|part| part.to_string().trim_matches('"').to_lowercase())
        .collect::<Vec<_>>()
        .join(".")
}

fn setting_value(expr: &Expr) -> String {
    match expr {
        Expr::Value(v) => match &v.value {
            Value::SingleQuotedString(s) | Value::DoubleQuotedString(s) => s.clone(),
            Value::Number(n, _) => n.clone(),
            Value::Boolean(b) => b.to_string(),
            other => other.to_string(),
        },
        Expr::Identifier(i) => i.value.clone(),
        other => other.to_string(),
    }
}

/// Whether `statement` would change data or definitions (refused with 25006
/// in a read-only database); other commands conversql lacks are 0A000.
fn writes(statement: &Statement) -> bool {
    use Statement as S;
    matches!(
        statement,
        S::Insert(_)
            | S::Update(_)
            | S::Delete(_)
            | S::Merge(_)
            | S::Truncate(_)
            | S::Copy { .. }
            | S::CreateTable(_)
            | S::CreateView(_)
            | S::CreateIndex(_)
            | S::CreateSchema { .. }
            | S::CreateDatabase { .. }
            | S::CreateFunction(_)
            | S::CreateSequence { .. }
            | S::CreateType { .. }
            | S::CreateRole(_)
            | S::CreateExtension(_)
            | S::CreateTrigger(_)
            | S::CreateProcedure { .. }
            | S::CreateDomain(_)
            | S::CreatePolicy(_)
            | S::AlterTable(_)
            | S::AlterView { .. }
            | S::AlterIndex { .. }
            | S::AlterRole { .. }
            | S::AlterSchema(_)
            | S::AlterType(_)
            | S::AlterPolicy(_)
            | S::Drop { .. }
            | S::DropFunction(_)
            | S::DropDomain(_)
            | S::DropProcedure { .. }
            | S::DropTrigger(_)
            | S::DropExtension(_)
            | S::DropPolicy(_)
            | S::Grant(_)
            | S::Revoke(_)
            | S::Comment { .. }
            | S::Analyze(_)
            | S::Vacuum(_)
    )
}

fn statement_kind(statement: &Statement) -> String {
    let text = statement.to_string();
    let words: Vec<&str> = text.split_whitespace().take(2).collect();
    words.join(" ").to_uppercase()
}

#[cfg(test)]
mod tests {
    use datafusion::prelude::SessionContext;

    use super::Session;

    /// Regression from the server fuzz target: a statement starting with a
    /// multi-byte character made the MOVE check slice inside the character.
    #[test]
    fn parse_of_non_ascii_text_is_an_error_not_a_panic() {
        let session = Session::new(SessionContext::new());
        for text in ["SE\u{fffd}\u{fffd}elname", "é move", "mové x", "\u{fffd}"] {
            assert!(session.parse(text).is_err(), "{text}");
        }
        assert!(session.parse("MOVE FORWARD 3 FROM c").is_ok());
    }

    /// Cursor errors carry PostgreSQL's SQLSTATEs: 34000 for a cursor that
    /// is not open, 42P03 for declaring a name already open.
    #[tokio::test]
    async fn cursor_errors_have_postgres_sqlstates() {
        let mut session = Session::new(SessionContext::new());
        let err = session.sql("FETCH 1 FROM nowhere").await.unwrap_err();
        assert_eq!(
            (err.sqlstate(), err.to_string().as_str()),
            ("34000", "cursor \"nowhere\" does not exist")
        );
        let err = session.sql("CLOSE nowhere").await.unwrap_err();
        assert_eq!(err.sqlstate(), "34000");
        let fetch = session
            .parse("FETCH 1 FROM nowhere")
            .unwrap()
            .pop()
            .unwrap();
        assert_eq!(
            session.describe(&fetch, &[]).await.unwrap_err().sqlstate(),
            "34000",
            "Describe of a FETCH too"
        );
        session.sql("BEGIN").await.unwrap();
        session
            .sql("DECLARE c CURSOR FOR SELECT 1 AS one")
            .await
            .unwrap();
        let err = session
            .sql("DECLARE c CURSOR FOR SELECT 2 AS two")
            .await
            .unwrap_err();
        assert_eq!(
            (err.sqlstate(), err.to_string().as_str()),
            ("42P03", "cursor \"c\" already exists")
        );
    }

    /// The `conversql.*` settings: SET (PostgreSQL's booleans, `DEFAULT`),
    /// SHOW, RESET and RESET ALL all go through the session's one
    /// `ConversqlOptions`; a bad value is 22023 and keeps the previous value,
    /// an unknown name 42704.
    #[tokio::test]
    async fn conversql_settings() {
        let mut session = Session::new(SessionContext::new());
        let show = |session: &Session, name: &str| session.show(name).unwrap();
        assert_eq!(show(&session, "conversql.as_of"), "");
        assert_eq!(show(&session, "conversql.skip_bad_files"), "off");
        assert_eq!(show(&session, "conversql.facts"), "on");

        session
            .sql("SET conversql.as_of = '2026-06-07T14:00:00+02:00'")
            .await
            .unwrap();
        assert_eq!(show(&session, "conversql.as_of"), "2026-06-07T12:00:00Z");
        assert_eq!(session.as_of(), Some(1_780_833_600_000_000));
        for (value, shown) in [
            ("on", "on"),
            ("'of'", "off"),
            ("TRUE", "on"),
            ("n", "off"),
            ("1", "on"),
            ("false", "off"),
            ("yes", "on"),
        ] {
            session
                .sql(&format!("SET conversql.skip_bad_files = {value}"))
                .await
                .unwrap();
            assert_eq!(show(&session, "conversql.skip_bad_files"), shown, "{value}");
        }
        assert!(session.options().skip_bad_files());

        let err = session
            .sql("SET conversql.skip_bad_files = sometimes")
            .await
            .unwrap_err();
        assert_eq!(err.sqlstate(), "22023");
        assert!(err.to_string().contains("expected on or off"), "{err}");
        assert_eq!(show(&session, "conversql.skip_bad_files"), "on");
        let err = session
            .sql("SET conversql.as_of = 'yesterday-ish'")
            .await
            .unwrap_err();
        assert_eq!(err.sqlstate(), "22023");
        assert!(
            err.to_string()
                .contains("\"conversql.as_of\": invalid value 'yesterday-ish'"),
            "{err}"
        );
        assert_eq!(show(&session, "conversql.as_of"), "2026-06-07T12:00:00Z");

        for statement in ["SET conversql.nope = 1", "RESET conversql.nope"] {
            let err = session.sql(statement).await.unwrap_err();
            assert_eq!(err.sqlstate(), "42704", "{statement}: {err}");
        }
        assert_eq!(
            session.show("conversql.nope").unwrap_err().sqlstate(),
            "42704"
        );

        session
            .sql("SET conversql.skip_bad_files = DEFAULT")
            .await
            .unwrap();
        assert_eq!(show(&session, "conversql.skip_bad_files"), "off");
        session.sql("RESET conversql.as_of").await.unwrap();
        assert_eq!(show(&session, "conversql.as_of"), "");
        session
            .sql("SET conversql.as_of = '2026-06-07'; SET conversql.facts = off")
            .await
            .unwrap();
        assert!(!session.options().facts());
        session.sql("RESET ALL").await.unwrap();
        assert_eq!(show(&session, "conversql.as_of"), "");
        assert_eq!(show(&session, "conversql.facts"), "on");
    }

    /// `current_user`, `session_user` and `user` answer the name the session authenticated as.
    #[tokio::test]
    async fn current_user_is_the_authenticated_user() {
        let mut session = Session::new(SessionContext::new());
        session.set_user("analyst_7");
        let df = session
            .query("SELECT current_user AS a, session_user AS b, user AS c")
            .await
            .unwrap();
        let batches = df.collect().await.unwrap();
        let text = arrow::util::pretty::pretty_format_batches(&batches)
            .unwrap()
            .to_string();
        assert_eq!(text.matches("analyst_7").count(), 3, "{text}");
        assert_eq!(session.show("session_authorization").unwrap(), "analyst_7");
    }
}
