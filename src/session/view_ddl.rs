//! The statements that define views for everyone (see [`crate::user_views`]):
//! `CREATE [OR REPLACE] VIEW`, `DROP VIEW`, `ALTER VIEW|TABLE … RENAME TO`,
//! `COMMENT ON VIEW|TABLE|COLUMN`, `CREATE SCHEMA IF NOT EXISTS` of an
//! existing schema, alone or between `BEGIN` and `COMMIT`/`ROLLBACK`; and
//! registering the committed views in the catalog before each statement.
//!
//! Each statement works on the session's working set: outside a transaction
//! it is committed at once; inside one, at `COMMIT` (others see nothing
//! before), and dropped at `ROLLBACK`. Inside its transaction the session's
//! own statements read its new and replaced views ([`Session::pending_overlay`]). SQLSTATEs and messages
//! are PostgreSQL's: 42P07 a name taken, 42P01 no such view, 2BP01 a view
//! others read (without `CASCADE`), 42501 a built-in view or a reader,
//! 42P16 `OR REPLACE` changing existing columns.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use datafusion::catalog::SchemaProvider;
use datafusion::catalog::view::ViewTable;
use datafusion::sql::sqlparser::ast::{
    AlterTableOperation, CommentObject, CreateView, ObjectName, RenameTableNameKind, Statement,
};

use super::{Session, StatementResult};
use crate::catalog::docs::RelationDoc;
use crate::error::{Error, Result};
use crate::names::{DATABASE, PUBLIC_SCHEMA};
use crate::user_views::{UserView, UserViews, fold, object_name};

/// A transaction's view changes: the committed set it started from and the set as changed.
#[derive(Debug, Clone)]
pub(super) struct PendingViews {
    base: Arc<BTreeMap<String, UserView>>,
    working: BTreeMap<String, UserView>,
}

/// The schemas besides `public`, which hold conversql's own relations.
const EXISTING_SCHEMAS: &[&str] = &[
    crate::names::RAW_SCHEMA,
    crate::names::MATERIALIZED_SCHEMA,
    "pg_catalog",
    "information_schema",
];

fn postgres(sqlstate: &'static str, message: String) -> Error {
    Error::Postgres { sqlstate, message }
}

/// The view name of `name` (`v`, `public.v`, `conversql.public.v`), folded.
fn view_name(name: &ObjectName) -> Result<String> {
    let parts: Vec<String> = name
        .0
        .iter()
        .map(|p| p.as_ident().map(fold).unwrap_or_default())
        .collect();
    match parts.as_slice() {
        [view] => Ok(view.clone()),
        [schema, view] if schema == PUBLIC_SCHEMA => Ok(view.clone()),
        [database, schema, view] if database == DATABASE && schema == PUBLIC_SCHEMA => {
            Ok(view.clone())
        }
        [database, _, _] if database != DATABASE => Err(postgres(
            "0A000",
            format!("cross-database references are not implemented: {name}"),
        )),
        [.., schema, _] if EXISTING_SCHEMAS.contains(&schema.as_str()) => Err(postgres(
            "42501",
            format!("permission denied for schema {schema}"),
        )),
        [.., schema, _] => Err(postgres(
            "3F000",
            format!(
                "schema \"{schema}\" does not exist: conversql keeps views in schema {PUBLIC_SCHEMA}"
            ),
        )),
        [] => Err(postgres("42601", "a view needs a name".into())),
    }
}

/// The views reading `name`, directly or through others.
fn dependents(views: &BTreeMap<String, UserView>, name: &str) -> Vec<String> {
    let mut found: Vec<String> = vec![];
    let mut frontier = vec![name.to_string()];
    while let Some(next) = frontier.pop() {
        for (other, view) in views {
            if other != name && !found.contains(other) && view.reads().contains(&next) {
                found.push(other.clone());
                frontier.push(other.clone());
            }
        }
    }
    found
}

impl Session {
    /// Uses `views` for the views defined from SQL.
    pub fn set_user_views(&mut self, views: Arc<UserViews>) {
        self.user_views = Some(views);
    }

    /// Whether this session may define views (a `writer`, or any user without a users file).
    pub fn set_may_define_views(&mut self, may: bool) {
        self.may_define_views = may;
    }

    /// Reads the views location if due and registers a changed set in the catalog.
    pub(super) async fn sync_user_views(&self) -> Result<()> {
        let Some(views) = self.user_views.clone() else {
            return Ok(());
        };
        if let Err(e) = views.sync(false).await {
            // The last set read stays; a statement writing views reports the location's error.
            tracing::warn!("{e}");
        }
        self.register_user_views(&views).await
    }

    /// Registers the committed views in the catalog shared by every session,
    /// once per generation: replaced in place, removed ones dropped, each
    /// planned after the views it reads.
    async fn register_user_views(&self, views: &UserViews) -> Result<()> {
        let (generation, current) = views.current();
        let mut applied = views.apply.lock().await;
        if applied.0 == generation {
            return Ok(());
        }
        let public = self.public_schema()?;
        for name in applied.1.iter().filter(|n| !current.contains_key(*n)) {
            public.deregister_table(name)?;
        }
        let mut pending: Vec<&UserView> = current.values().collect();
        let mut registered = BTreeSet::new();
        let mut docs = vec![];
        loop {
            let before = pending.len();
            let mut failed = vec![];
            for view in pending {
                match self.plan_user_view(view).await {
                    Ok(table) => {
                        // The schema refuses to register over a name: the old view goes first.
                        public.deregister_table(&view.name)?;
                        public.register_table(view.name.clone(), Arc::new(table))?;
                        registered.insert(view.name.clone());
                        docs.push((
                            view.name.clone(),
                            RelationDoc {
                                comment: view.comment.clone(),
                                columns: view.column_comments.clone(),
                                definition: Some(view.query.clone()),
                            },
                        ));
                    }
                    Err(e) => failed.push((view, e)),
                }
            }
            if failed.is_empty() || failed.len() == before {
                for (view, e) in &failed {
                    tracing::warn!("view {} left out: it does not plan: {e}", view.name);
                    if applied.1.contains(&view.name) {
                        public.deregister_table(&view.name)?;
                    }
                }
                break;
            }
            pending = failed.into_iter().map(|(v, _)| v).collect();
        }
        crate::catalog::set_view_docs(&self.ctx, docs);
        *applied = (generation, registered);
        Ok(())
    }

    /// The view `view` as a table: its query planned (not run).
    async fn plan_user_view(&self, view: &UserView) -> Result<ViewTable> {
        let statement = self
            .parse(&view.create_sql())?
            .pop()
            .ok_or_else(|| Error::Syntax("empty view".into()))?;
        let Statement::CreateView(create) = statement else {
            return Err(Error::Syntax(format!("not a view: {}", view.name)));
        };
        let plan = self
            .ctx
            .state()
            .statement_to_plan(datafusion::sql::parser::Statement::Statement(Box::new(
                Statement::CreateView(CreateView {
                    or_replace: true,
                    ..create
                }),
            )))
            .await?;
        let datafusion::logical_expr::LogicalPlan::Ddl(
            datafusion::logical_expr::DdlStatement::CreateView(created),
        ) = plan
        else {
            return Err(Error::Syntax(format!("not a view: {}", view.name)));
        };
        Ok(ViewTable::new(
            created.input.as_ref().clone(),
            Some(view.query.clone()),
        ))
    }

    fn public_schema(&self) -> Result<Arc<dyn SchemaProvider>> {
        self.ctx
            .catalog(DATABASE)
            .and_then(|c| c.schema(PUBLIC_SCHEMA))
            .ok_or_else(|| Error::Config("the public schema is missing".into()))
    }

    /// The names in `public` that are not views defined from SQL: the built-in views and tables.
    async fn built_in_names(&self) -> Result<BTreeSet<String>> {
        let registered = match &self.user_views {
            Some(views) => views.apply.lock().await.1.clone(),
            None => BTreeSet::new(),
        };
        Ok(self
            .public_schema()?
            .table_names()
            .into_iter()
            .filter(|n| !registered.contains(n))
            .collect())
    }

    /// The error for a session that may not define views.
    fn check_may_define(&self, statement: &str) -> Result<Arc<UserViews>> {
        if !self.may_define_views {
            return Err(Error::PermissionDenied(format!(
                "{statement}: user {} has the role reader; views are defined by writers",
                self.defaults
                    .get("session_authorization")
                    .map_or("(unknown)", String::as_str)
            )));
        }
        self.user_views.clone().ok_or_else(|| {
            postgres(
                "25006",
                format!("cannot execute {statement}: this engine has no views location"),
            )
        })
    }

    /// The working set a statement changes: the transaction's, or the committed one.
    fn working_views(&mut self, views: &UserViews) -> PendingViews {
        if let Some(pending) = &self.pending_views {
            return pending.clone();
        }
        let (_, base) = views.current();
        PendingViews {
            working: base.as_ref().clone(),
            base,
        }
    }

    /// Keeps a changed working set: committed at once outside a transaction.
    async fn keep_views(&mut self, views: &UserViews, changed: PendingViews) -> Result<()> {
        if self.in_transaction {
            self.pending_views = Some(changed);
            return Ok(());
        }
        views.commit(&changed.base, &changed.working).await?;
        self.register_user_views(views).await
    }

    /// The transaction's new and replaced views as temporary views, which
    /// the session's own statements read before the committed ones
    /// (PostgreSQL shows a transaction its uncommitted views). A view the
    /// transaction dropped stays readable until `COMMIT`.
    pub(super) fn pending_overlay(&self) -> Option<crate::temp_views::TempViews> {
        let pending = self.pending_views.as_ref()?;
        let mut overlay = crate::temp_views::TempViews::default();
        for (name, view) in &pending.working {
            if pending.base.get(name) == Some(view) {
                continue;
            }
            let Ok(mut statements) = self.parse(&view.create_sql()) else {
                continue;
            };
            let Some(Statement::CreateView(create)) = statements.pop() else {
                continue;
            };
            let mut query = *create.query;
            overlay.expand(&mut query);
            let columns = create.columns.iter().map(|c| c.name.clone()).collect();
            // Not listed in the catalog: no fields.
            let _ = overlay.create(name.clone(), columns, query, view.reads(), vec![], true);
        }
        (!overlay.is_empty()).then_some(overlay)
    }

    /// `COMMIT`: writes the transaction's view changes.
    pub(super) async fn commit_views(&mut self) -> Result<()> {
        self.in_transaction = false;
        let Some(pending) = self.pending_views.take() else {
            return Ok(());
        };
        let Some(views) = self.user_views.clone() else {
            return Ok(());
        };
        views.commit(&pending.base, &pending.working).await?;
        self.register_user_views(&views).await
    }

    /// `CREATE [OR REPLACE] VIEW`: planned now (a view that does not plan is
    /// refused with the planner's error and nothing is written).
    pub(super) async fn create_view(&mut self, view: CreateView) -> Result<StatementResult> {
        let views = self.check_may_define("CREATE VIEW")?;
        if view.materialized {
            return Err(postgres(
                "0A000",
                "CREATE MATERIALIZED VIEW is not supported: conversql keeps its own materialised fact store".into(),
            ));
        }
        if !matches!(
            view.options,
            datafusion::sql::sqlparser::ast::CreateTableOptions::None
        ) || view.with_no_schema_binding
        {
            return Err(postgres(
                "0A000",
                format!("CREATE VIEW options are not supported: {}", view.options),
            ));
        }
        let name = view_name(&view.name)?;
        let built_in = self.built_in_names().await?;
        if built_in.contains(&name) {
            return Err(if view.or_replace {
                postgres("42501", format!("must be owner of view {name}"))
            } else {
                postgres("42P07", format!("relation \"{name}\" already exists"))
            });
        }
        let mut changed = self.working_views(&views);
        let existing = changed.working.get(&name).cloned();
        if existing.is_some() && !view.or_replace {
            return Err(postgres(
                "42P07",
                format!("relation \"{name}\" already exists"),
            ));
        }
        let query = *view.query;
        let reads_temp = self.temp_views_read(&query);
        if let Some(temp) = reads_temp {
            return Err(postgres(
                "0A000",
                format!(
                    "view {name} would read the temporary view {temp}, which other sessions cannot see"
                ),
            ));
        }
        let defined = UserView {
            name: name.clone(),
            columns: view.columns.iter().map(|c| fold(&c.name)).collect(),
            query: query.to_string(),
            comment: existing.as_ref().and_then(|e| e.comment.clone()),
            column_comments: existing
                .as_ref()
                .map(|e| e.column_comments.clone())
                .unwrap_or_default(),
        };
        // A new view reading its own name does not plan (no such relation yet);
        // a replaced one would read its old self.
        let table = self.plan_user_view(&defined).await?;
        if defined.reads().contains(&name) {
            return Err(postgres(
                "42P17",
                format!("infinite recursion detected in rules for relation \"{name}\""),
            ));
        }
        if existing.is_some() {
            let old = self.public_schema()?.table(&name).await?;
            if let Some(old) = old {
                let (old, new) = (
                    old.schema(),
                    datafusion::catalog::TableProvider::schema(&table),
                );
                for (i, field) in old.fields().iter().enumerate() {
                    match new.fields().get(i) {
                        None => {
                            return Err(postgres("42P16", "cannot drop columns from view".into()));
                        }
                        Some(f) if f.name() != field.name() => {
                            return Err(postgres(
                                "42P16",
                                format!(
                                    "cannot change name of view column \"{}\" to \"{}\"",
                                    field.name(),
                                    f.name()
                                ),
                            ));
                        }
                        Some(f) if f.data_type() != field.data_type() => {
                            return Err(postgres(
                                "42P16",
                                format!(
                                    "cannot change data type of view column \"{}\"",
                                    field.name()
                                ),
                            ));
                        }
                        Some(_) => {}
                    }
                }
            }
        }
        changed.working.insert(name, defined);
        self.keep_views(&views, changed).await?;
        Ok(StatementResult::Command("CREATE VIEW".into()))
    }

    /// The first temporary view `query` reads, if any.
    fn temp_views_read(&self, query: &datafusion::sql::sqlparser::ast::Query) -> Option<String> {
        let reads = UserView {
            name: String::new(),
            columns: vec![],
            query: query.to_string(),
            comment: None,
            column_comments: BTreeMap::new(),
        }
        .reads();
        reads.into_iter().find(|r| self.temp_views.contains(r))
    }

    /// `DROP VIEW` of views defined from SQL (the temporary ones are the caller's).
    pub(super) async fn drop_user_view(
        &mut self,
        name: &ObjectName,
        if_exists: bool,
        cascade: bool,
    ) -> Result<()> {
        let view = view_name(name)?;
        if self.built_in_names().await?.contains(&view) {
            return Err(postgres("42501", format!("must be owner of view {view}")));
        }
        let views = match &self.user_views {
            Some(v) => v.clone(),
            None => return Err(postgres("42P01", format!("view \"{view}\" does not exist"))),
        };
        let mut changed = self.working_views(&views);
        if !changed.working.contains_key(&view) {
            return if if_exists {
                Ok(())
            } else {
                Err(postgres("42P01", format!("view \"{view}\" does not exist")))
            };
        }
        self.check_may_define("DROP VIEW")?;
        let readers = dependents(&changed.working, &view);
        if !readers.is_empty() && !cascade {
            return Err(postgres(
                "2BP01",
                format!(
                    "cannot drop view {view} because other objects depend on it: view {} depends on view {view}",
                    readers[0]
                ),
            ));
        }
        changed.working.remove(&view);
        for reader in readers {
            changed.working.remove(&reader);
        }
        self.keep_views(&views, changed).await
    }

    /// `ALTER VIEW|TABLE name RENAME TO new`: a view defined from SQL renamed
    /// (views reading it read it by name, so they read whatever has that name next).
    pub(super) async fn alter_table(
        &mut self,
        name: &ObjectName,
        if_exists: bool,
        operations: &[AlterTableOperation],
    ) -> Result<StatementResult> {
        let [
            AlterTableOperation::RenameTable {
                table_name: RenameTableNameKind::To(new_name) | RenameTableNameKind::As(new_name),
            },
        ] = operations
        else {
            return Err(postgres(
                "0A000",
                format!(
                    "ALTER TABLE {name} {}: only RENAME TO of a view defined from SQL is supported",
                    operations
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        };
        let view = view_name(name)?;
        let new = object_name(new_name).unwrap_or_default();
        let built_in = self.built_in_names().await?;
        if built_in.contains(&view) {
            return Err(postgres(
                "42501",
                format!("must be owner of relation {view}"),
            ));
        }
        let views = self.check_may_define("ALTER VIEW")?;
        let mut changed = self.working_views(&views);
        let Some(mut defined) = changed.working.remove(&view) else {
            return if if_exists {
                Ok(StatementResult::Command("ALTER TABLE".into()))
            } else {
                Err(postgres(
                    "42P01",
                    format!("relation \"{view}\" does not exist"),
                ))
            };
        };
        if built_in.contains(&new) || changed.working.contains_key(&new) {
            return Err(postgres(
                "42P07",
                format!("relation \"{new}\" already exists"),
            ));
        }
        defined.name = new.clone();
        changed.working.insert(new, defined);
        self.keep_views(&views, changed).await?;
        Ok(StatementResult::Command("ALTER TABLE".into()))
    }

    /// `COMMENT ON VIEW|TABLE|COLUMN … IS '…' | NULL` of a view defined from SQL.
    pub(super) async fn comment(
        &mut self,
        object_type: &CommentObject,
        object_name: &ObjectName,
        comment: Option<String>,
    ) -> Result<StatementResult> {
        let (relation, column) = match object_type {
            CommentObject::View | CommentObject::Table => (object_name.clone(), None),
            CommentObject::Column => {
                let mut parts = object_name.0.clone();
                let column = parts
                    .pop()
                    .and_then(|p| p.as_ident().map(fold))
                    .ok_or_else(|| {
                        postgres("42601", "a column comment names table.column".into())
                    })?;
                (ObjectName(parts), Some(column))
            }
            other => {
                return Err(postgres(
                    "0A000",
                    format!(
                        "COMMENT ON {other} is not supported: comments are kept on views and their columns"
                    ),
                ));
            }
        };
        let view = view_name(&relation)?;
        if self.built_in_names().await?.contains(&view) {
            return Err(postgres(
                "42501",
                format!("must be owner of relation {view}"),
            ));
        }
        let views = self.check_may_define("COMMENT")?;
        let mut changed = self.working_views(&views);
        let Some(defined) = changed.working.get_mut(&view) else {
            return Err(postgres(
                "42P01",
                format!("relation \"{view}\" does not exist"),
            ));
        };
        match column {
            None => defined.comment = comment.filter(|c| !c.is_empty()),
            Some(column) => {
                let table = self.plan_user_view(defined).await?;
                let schema = datafusion::catalog::TableProvider::schema(&table);
                if schema.field_with_name(&column).is_err() {
                    return Err(postgres(
                        "42703",
                        format!("column \"{column}\" of relation \"{view}\" does not exist"),
                    ));
                }
                match comment.filter(|c| !c.is_empty()) {
                    Some(text) => {
                        defined.column_comments.insert(column, text);
                    }
                    None => {
                        defined.column_comments.remove(&column);
                    }
                }
            }
        }
        self.keep_views(&views, changed).await?;
        Ok(StatementResult::Command("COMMENT".into()))
    }

    /// `CREATE SCHEMA [IF NOT EXISTS] name`: only of a schema that exists.
    pub(super) fn create_schema(
        &self,
        name: &ObjectName,
        if_not_exists: bool,
    ) -> Result<StatementResult> {
        let schema = object_name(name).unwrap_or_default();
        if !self.may_define_views {
            return Err(Error::PermissionDenied(format!(
                "CREATE SCHEMA {schema}: permission denied for database {DATABASE}"
            )));
        }
        let exists = self
            .ctx
            .catalog(DATABASE)
            .is_some_and(|c| c.schema(&schema).is_some());
        match (exists, if_not_exists) {
            (true, true) => Ok(StatementResult::Command("CREATE SCHEMA".into())),
            (true, false) => Err(postgres(
                "42P06",
                format!("schema \"{schema}\" already exists"),
            )),
            (false, _) => Err(postgres(
                "0A000",
                format!(
                    "CREATE SCHEMA {schema} is not supported: conversql keeps views in schema {PUBLIC_SCHEMA}"
                ),
            )),
        }
    }
}
