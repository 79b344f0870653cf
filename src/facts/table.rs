//! `materialized.messages` and `materialized.conversation_facts`: the tables
//! under the `messages` and `conversation_facts` views.
//!
//! With the fact store in use, a scan reads the store's Parquet files: only
//! the partitions of the accounts a filter (or the session's account scope)
//! names, only the weeks a `started_date` range can reach, and inside them
//! only the row groups and pages the filters' statistics allow (a
//! conversation's thread is a handful of pages). Otherwise (no store, or
//! `SET conversql.facts = off`) the scan plans the raw-path SQL of
//! `sql/from_log/` against the session, with the filters pushed into it.

use std::collections::HashSet;
use std::sync::Arc;

use arrow::datatypes::SchemaRef;
use async_trait::async_trait;
use datafusion::catalog::{Session, TableProvider};
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::common::{
    Column, DFSchema, Result, ScalarValue, exec_datafusion_err, project_schema,
};
use datafusion::datasource::TableType;
use datafusion::datasource::file_format::FileFormat;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::PartitionedFile;
use datafusion::datasource::physical_plan::{FileScanConfigBuilder, ParquetSource};
use datafusion::datasource::table_schema::TableSchema;
use datafusion::execution::context::SessionState;
use datafusion::logical_expr::utils::conjunction;
use datafusion::logical_expr::{
    BinaryExpr, Expr, LogicalPlanBuilder, Operator, TableProviderFilterPushDown,
};
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::empty::EmptyExec;
use datafusion::prelude::SessionConfig;

use super::FactStore;
use super::manifest::{Manifest, StoredFile};
use crate::log_table::size_balanced_groups;
use crate::scope::AccountScope;

/// The raw-path SQL of `messages`.
pub const MESSAGES_FROM_LOG: &str = include_str!("../../sql/from_log/messages.sql");
/// The raw-path SQL of `events`.
pub const EVENTS_FROM_LOG: &str = include_str!("../../sql/from_log/events.sql");
/// The raw-path SQL of `conversation_facts`.
pub const FACTS_FROM_LOG: &str = super::refresh::FACTS_FROM_LOG;
/// The raw-path SQL of `touches` (over the `events` and `conversation_facts` relations).
pub const TOUCHES_FROM_LOG: &str = super::refresh::TOUCHES_FROM_LOG;

/// Which stored table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoredKind {
    /// De-duplicated log rows.
    Messages,
    /// One row per conversation.
    Facts,
    /// De-duplicated shopper events.
    Events,
    /// Attribution touches (without their windows).
    Touches,
}

impl StoredKind {
    /// Every stored table.
    pub const ALL: [StoredKind; 4] = [
        StoredKind::Messages,
        StoredKind::Events,
        StoredKind::Facts,
        StoredKind::Touches,
    ];

    /// The table's name in schema `materialized`.
    pub fn table_name(self) -> &'static str {
        match self {
            StoredKind::Messages => "messages",
            StoredKind::Facts => "conversation_facts",
            StoredKind::Events => "events",
            StoredKind::Touches => "touches",
        }
    }

    /// The raw-path query: the rows (and the schema) the table has without a store.
    pub fn raw_path_query(self) -> &'static str {
        match self {
            StoredKind::Messages => MESSAGES_FROM_LOG,
            StoredKind::Facts => FACTS_FROM_LOG,
            StoredKind::Events => EVENTS_FROM_LOG,
            StoredKind::Touches => TOUCHES_FROM_LOG,
        }
    }
}

/// A stored table: the store's files, or the raw-path SQL.
#[derive(Debug)]
pub struct StoredTable {
    kind: StoredKind,
    schema: SchemaRef,
    store: Option<Arc<FactStore>>,
}

impl StoredTable {
    /// The table of `kind` with the raw path's `schema`, reading `store` when given.
    pub fn new(kind: StoredKind, schema: SchemaRef, store: Option<Arc<FactStore>>) -> Self {
        StoredTable {
            kind,
            schema,
            store,
        }
    }

    /// Plans the raw-path SQL with the filters and projection on top (the optimizer pushes them in).
    async fn scan_log(
        &self,
        session: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let state = session
            .as_any()
            .downcast_ref::<SessionState>()
            .ok_or_else(|| exec_datafusion_err!("stored tables need a DataFusion SessionState"))?;
        let plan = state
            .create_logical_plan(self.kind.raw_path_query())
            .await?;
        let mut builder = LogicalPlanBuilder::from(plan);
        if let Some(predicate) = conjunction(filters.iter().map(unqualified)) {
            builder = builder.filter(predicate)?;
        }
        if let Some(indices) = projection {
            builder = builder.select(indices.iter().copied())?;
        }
        if let Some(limit) = limit {
            builder = builder.limit(0, Some(limit))?;
        }
        crate::inner_plan::plan_inner(state, &builder.build()?).await
    }

    /// The store files a scan reads, by the accounts and dates the filters allow.
    fn files(
        &self,
        store: &FactStore,
        manifest: &Manifest,
        config: &SessionConfig,
        filters: &[Expr],
    ) -> Vec<PartitionedFile> {
        let mut accounts: Option<HashSet<String>> = account_values(filters);
        if let Some(scope) = AccountScope::of(config) {
            let scope: HashSet<String> = scope.accounts().iter().cloned().collect();
            accounts = Some(match accounts {
                Some(named) => named.intersection(&scope).cloned().collect(),
                None => scope,
            });
        }
        let (low, high) = if self.kind == StoredKind::Facts {
            date_bounds(filters)
        } else {
            (i32::MIN, i32::MAX)
        };
        let mut chosen: Vec<&StoredFile> = vec![];
        for (account, stored) in &manifest.accounts {
            if accounts.as_ref().is_some_and(|a| !a.contains(account)) {
                continue;
            }
            let segments = stored.partitions.values().flat_map(|p| &p.segments);
            match self.kind {
                StoredKind::Events => chosen.extend(&stored.events),
                StoredKind::Touches => chosen.extend(&stored.touches),
                StoredKind::Messages => chosen.extend(segments.map(|s| &s.messages)),
                StoredKind::Facts => chosen.extend(
                    segments
                        .filter(|s| s.max_started_date >= low && s.min_started_date <= high)
                        .map(|s| &s.facts),
                ),
            }
        }
        chosen
            .into_iter()
            .map(|file| PartitionedFile::new(store.path_of(&file.path).to_string(), file.size))
            .collect()
    }
}

#[async_trait]
impl TableProvider for StoredTable {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    fn supports_filters_pushdown(
        &self,
        filters: &[&Expr],
    ) -> Result<Vec<TableProviderFilterPushDown>> {
        Ok(vec![TableProviderFilterPushDown::Inexact; filters.len()])
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let store = match &self.store {
            Some(store) if conversql_udfs::ConversqlOptions::of(state.config()).facts() => store,
            _ => return self.scan_log(state, projection, filters, limit).await,
        };
        let manifest = store.fresh(state).await?;
        let files = self.files(store, &manifest, state.config(), filters);
        if files.is_empty() {
            return Ok(Arc::new(EmptyExec::new(project_schema(
                &self.schema,
                projection,
            )?)));
        }
        let groups = size_balanced_groups(files, state.config().target_partitions());
        let parquet_options = state.table_options().parquet.clone();
        let mut source = ParquetSource::new(TableSchema::from(self.schema.clone()))
            .with_table_parquet_options(parquet_options.clone());
        if let Some(predicate) = conjunction(filters.iter().map(unqualified)) {
            let df_schema = DFSchema::try_from(self.schema.as_ref().clone())?;
            // A filter the Parquet pruning cannot use (a UDF, say) only loses pruning, never rows.
            if let Ok(physical) = state.create_physical_expr(predicate, &df_schema) {
                source = source.with_predicate(physical);
            }
        }
        let config = FileScanConfigBuilder::new(store.location().url.clone(), Arc::new(source))
            .with_file_groups(groups)
            .with_projection_indices(projection.cloned())?
            .with_limit(limit)
            .build();
        ParquetFormat::default()
            .with_options(parquet_options)
            .create_physical_plan(state, config)
            .await
    }
}

/// The expression with column references stripped of their table qualifier.
fn unqualified(expr: &Expr) -> Expr {
    expr.clone()
        .transform(|e| {
            Ok(match e {
                Expr::Column(c) if c.relation.is_some() => {
                    Transformed::yes(Expr::Column(Column::new_unqualified(c.name)))
                }
                other => Transformed::no(other),
            })
        })
        .map_or_else(|_| expr.clone(), |t| t.data)
}

fn split_and<'a>(expr: &'a Expr, out: &mut Vec<&'a Expr>) {
    match expr {
        Expr::BinaryExpr(BinaryExpr {
            left,
            op: Operator::And,
            right,
        }) => {
            split_and(left, out);
            split_and(right, out);
        }
        other => out.push(other),
    }
}

fn conjuncts(filters: &[Expr]) -> Vec<&Expr> {
    let mut out = vec![];
    for f in filters {
        split_and(f, &mut out);
    }
    out
}

fn column_name(expr: &Expr) -> Option<&str> {
    match expr {
        Expr::Column(c) => Some(c.name.as_str()),
        Expr::Cast(c) => column_name(&c.expr),
        _ => None,
    }
}

fn text_literal(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Literal(
            ScalarValue::Utf8(Some(s))
            | ScalarValue::LargeUtf8(Some(s))
            | ScalarValue::Utf8View(Some(s)),
            _,
        ) => Some(s.clone()),
        _ => None,
    }
}

/// The account_ids the filters restrict to (`account_id = 'x'`, `account_id IN (…)`), if any.
fn account_values(filters: &[Expr]) -> Option<HashSet<String>> {
    let mut result: Option<HashSet<String>> = None;
    for conjunct in conjuncts(filters) {
        let values: Option<HashSet<String>> = match conjunct {
            Expr::BinaryExpr(BinaryExpr {
                left,
                op: Operator::Eq,
                right,
            }) => match (column_name(left), column_name(right)) {
                (Some("account_id"), _) => text_literal(right).map(|v| HashSet::from([v])),
                (_, Some("account_id")) => text_literal(left).map(|v| HashSet::from([v])),
                _ => None,
            },
            Expr::InList(list)
                if !list.negated && column_name(&list.expr) == Some("account_id") =>
            {
                list.list
                    .iter()
                    .map(text_literal)
                    .collect::<Option<HashSet<String>>>()
            }
            _ => None,
        };
        if let Some(values) = values {
            result = Some(match result {
                Some(r) => r.intersection(&values).cloned().collect(),
                None => values,
            });
        }
    }
    result
}

fn date_literal(expr: &Expr) -> Option<i32> {
    match expr {
        Expr::Literal(ScalarValue::Date32(Some(d)), _) => Some(*d),
        Expr::Literal(ScalarValue::Date64(Some(ms)), _) => Some(ms.div_euclid(86_400_000) as i32),
        _ => None,
    }
}

/// The inclusive range of started_date the filters allow (whole range if unrestricted).
fn date_bounds(filters: &[Expr]) -> (i32, i32) {
    let (mut low, mut high) = (i32::MIN, i32::MAX);
    for conjunct in conjuncts(filters) {
        match conjunct {
            Expr::BinaryExpr(BinaryExpr { left, op, right }) => {
                let (op, value) = match (column_name(left), column_name(right)) {
                    (Some("started_date"), _) => (*op, date_literal(right)),
                    (_, Some("started_date")) => match op.swap() {
                        Some(swapped) => (swapped, date_literal(left)),
                        None => continue,
                    },
                    _ => continue,
                };
                let Some(v) = value else { continue };
                match op {
                    Operator::Eq => {
                        low = low.max(v);
                        high = high.min(v);
                    }
                    Operator::Gt => low = low.max(v.saturating_add(1)),
                    Operator::GtEq => low = low.max(v),
                    Operator::Lt => high = high.min(v.saturating_sub(1)),
                    Operator::LtEq => high = high.min(v),
                    _ => {}
                }
            }
            Expr::Between(b) if !b.negated && column_name(&b.expr) == Some("started_date") => {
                if let Some(v) = date_literal(&b.low) {
                    low = low.max(v);
                }
                if let Some(v) = date_literal(&b.high) {
                    high = high.min(v);
                }
            }
            _ => {}
        }
    }
    (low, high)
}

#[cfg(test)]
mod tests {
    use datafusion::prelude::{col, lit};

    use super::*;

    fn date(d: i32) -> Expr {
        Expr::Literal(ScalarValue::Date32(Some(d)), None)
    }

    #[test]
    fn accounts_are_read_off_equalities_and_in_lists() {
        let f = vec![col("account_id").eq(lit("a")).and(col("x").gt(lit(1)))];
        assert_eq!(account_values(&f), Some(HashSet::from(["a".to_string()])));
        let f = vec![
            col("account_id").in_list(vec![lit("a"), lit("b")], false),
            col("account_id").eq(lit("b")),
        ];
        assert_eq!(account_values(&f), Some(HashSet::from(["b".to_string()])));
        assert_eq!(
            account_values(&[col("account_id").in_list(vec![lit("a")], true)]),
            None
        );
        assert_eq!(account_values(&[col("account_id").eq(col("other"))]), None);
    }

    #[test]
    fn started_date_bounds_come_from_comparisons_and_between() {
        let f = vec![
            col("started_date")
                .gt_eq(date(10))
                .and(col("started_date").lt_eq(date(20))),
        ];
        assert_eq!(date_bounds(&f), (10, 20));
        assert_eq!(
            date_bounds(&[date(15).lt(col("started_date"))]),
            (16, i32::MAX)
        );
        assert_eq!(
            date_bounds(&[col("started_date").between(date(3), date(4))]),
            (3, 4)
        );
        assert_eq!(
            date_bounds(&[col("started_date").not_eq(date(3))]),
            (i32::MIN, i32::MAX)
        );
        assert_eq!(
            date_bounds(&[col("other").eq(date(3))]),
            (i32::MIN, i32::MAX)
        );
    }
}
