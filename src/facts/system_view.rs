//! `conversql_fact_store()`, the table function behind the `fact_store` view:
//! what the store holds and what the refreshes that wrote it did, read from
//! the manifest of the generation the statement reads (the store is brought up
//! to date first, as every scan of it is; with `SET conversql.facts = off`,
//! the generation in use as it is).
//!
//! One row per account, and one row for the whole store (`account_id` NULL,
//! the totals and the last refresh of all accounts). A user bound to accounts
//! sees the rows of those accounts only: the store-wide row counts the rows
//! and files of every tenant.

use std::sync::Arc;

use arrow::array::{
    ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray, TimestampMicrosecondArray,
};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use async_trait::async_trait;
use datafusion::catalog::{Session, TableFunctionArgs, TableFunctionImpl, TableProvider};
use datafusion::common::Result;
use datafusion::datasource::TableType;
use datafusion::datasource::memory::MemorySourceConfig;
use datafusion::logical_expr::Expr;
use datafusion::physical_plan::ExecutionPlan;

use super::FactStore;
use super::manifest::{AccountStore, Manifest, Partition, StoredFile};
use crate::declaration::Declaration;
use crate::scope::AccountScope;

/// The table function behind the `fact_store` view.
pub const FUNCTION: &str = "conversql_fact_store";

/// The columns of `fact_store`.
pub fn schema() -> SchemaRef {
    let int = |name| Field::new(name, DataType::Int64, true);
    Arc::new(Schema::new(vec![
        Field::new("account_id", DataType::Utf8, true),
        int("generation"),
        Field::new("location", DataType::Utf8, true),
        int("partitions"),
        int("conversations"),
        int("messages"),
        int("events"),
        int("touches"),
        int("profiles"),
        int("files"),
        int("bytes"),
        Field::new(
            "refreshed_at",
            DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            true,
        ),
        int("refresh_generation"),
        Field::new("refresh_seconds", DataType::Float64, true),
        int("files_folded"),
        int("rows_folded"),
        Field::new("rebuild_cause", DataType::Utf8, true),
    ]))
}

/// The declaration of `conversql_fact_store()`.
pub fn declaration() -> Declaration {
    Declaration {
        name: FUNCTION,
        parameters: vec![],
        description: "The rows of the fact_store view: per account and for the whole store, what the fact store holds and what its last refresh did (docs/fact-store.md).",
        columns: schema(),
    }
}

/// `conversql_fact_store()` over the engine's store (`None`: no store, no rows).
#[derive(Debug, Clone)]
pub struct FactStoreFunction {
    store: Option<Arc<FactStore>>,
}

impl FactStoreFunction {
    /// The function over `store`.
    pub fn new(store: Option<Arc<FactStore>>) -> Self {
        FactStoreFunction { store }
    }
}

impl TableFunctionImpl for FactStoreFunction {
    fn call_with_args(&self, args: TableFunctionArgs) -> Result<Arc<dyn TableProvider>> {
        declaration().arguments(args.exprs())?;
        Ok(Arc::new(FactStoreTable {
            store: self.store.clone(),
        }))
    }
}

/// The table the function returns: reads the manifest when scanned.
#[derive(Debug)]
struct FactStoreTable {
    store: Option<Arc<FactStore>>,
}

#[async_trait]
impl TableProvider for FactStoreTable {
    fn schema(&self) -> SchemaRef {
        schema()
    }

    fn table_type(&self) -> TableType {
        TableType::View
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        _filters: &[Expr],
        _limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let rows = match &self.store {
            None => vec![],
            Some(store) => {
                let manifest = if conversql_udfs::ConversqlOptions::of(state.config()).facts() {
                    store.fresh(state).await?
                } else {
                    store.manifest()
                };
                let location = store.location().url_of_folder();
                rows(
                    &manifest,
                    &location,
                    AccountScope::of(state.config()).as_deref(),
                )
            }
        };
        Ok(MemorySourceConfig::try_new_exec(
            &[vec![to_batch(&rows)?]],
            schema(),
            projection.cloned(),
        )?)
    }
}

/// One row of the view.
#[derive(Debug, Clone, PartialEq)]
struct Row {
    account_id: Option<String>,
    generation: u64,
    location: String,
    partitions: usize,
    conversations: u64,
    messages: u64,
    events: u64,
    touches: u64,
    profiles: u64,
    files: usize,
    bytes: u64,
    /// (finished at ms, generation, elapsed ms, files folded, rows folded, rebuild cause)
    refresh: Option<(i64, u64, u64, u64, u64, Option<String>)>,
}

/// The view's rows for `manifest`: the accounts in `scope` (all without one), then the
/// whole store for a user bound to no account.
fn rows(manifest: &Manifest, location: &str, scope: Option<&AccountScope>) -> Vec<Row> {
    let rows_of = |file: &Option<StoredFile>| file.as_ref().map_or(0, |f| f.rows);
    let totals = |account_id: Option<String>, location: String, stores: &[&AccountStore]| Row {
        account_id,
        generation: manifest.generation,
        location,
        partitions: stores.iter().map(|a| a.partitions.len()).sum(),
        conversations: stores
            .iter()
            .flat_map(|a| a.partitions.values())
            .map(Partition::conversations)
            .sum(),
        messages: stores
            .iter()
            .flat_map(|a| a.partitions.values())
            .map(Partition::messages)
            .sum(),
        events: stores.iter().map(|a| rows_of(&a.events)).sum(),
        touches: stores.iter().map(|a| rows_of(&a.touches)).sum(),
        profiles: stores.iter().map(|a| rows_of(&a.profiles)).sum(),
        files: stores.iter().map(|a| a.files().count()).sum(),
        bytes: stores.iter().flat_map(|a| a.files()).map(|f| f.size).sum(),
        refresh: None,
    };
    let mut rows: Vec<Row> = manifest
        .accounts
        .iter()
        .filter(|(account, _)| scope.is_none_or(|s| s.contains(account)))
        .map(|(account, stored)| Row {
            refresh: stored.last_refresh.as_ref().map(|r| {
                (
                    r.finished_at_ms,
                    r.generation,
                    r.elapsed_ms,
                    r.files_folded,
                    r.rows_folded,
                    r.rebuild_cause.clone(),
                )
            }),
            ..totals(
                Some(account.clone()),
                format!("{location}{}/", super::refresh::account_dir(account)),
                &[stored],
            )
        })
        .collect();
    if scope.is_none() {
        let all: Vec<&AccountStore> = manifest.accounts.values().collect();
        rows.push(Row {
            refresh: manifest.last_refresh.as_ref().map(|r| {
                (
                    r.finished_at_ms,
                    r.generation,
                    r.elapsed_ms,
                    r.files_folded() as u64,
                    r.rows_folded() as u64,
                    r.rebuild_cause.clone(),
                )
            }),
            ..totals(None, location.to_string(), &all)
        });
    }
    rows
}

fn to_batch(rows: &[Row]) -> Result<RecordBatch> {
    let int = |f: &dyn Fn(&Row) -> Option<i64>| {
        Arc::new(rows.iter().map(f).collect::<Int64Array>()) as ArrayRef
    };
    let count = |n: u64| Some(i64::try_from(n).unwrap_or(i64::MAX));
    let text = |f: &dyn Fn(&Row) -> Option<String>| {
        Arc::new(rows.iter().map(f).collect::<StringArray>()) as ArrayRef
    };
    Ok(RecordBatch::try_new(
        schema(),
        vec![
            text(&|r| r.account_id.clone()),
            int(&|r| count(r.generation)),
            text(&|r| Some(r.location.clone())),
            int(&|r| count(r.partitions as u64)),
            int(&|r| count(r.conversations)),
            int(&|r| count(r.messages)),
            int(&|r| count(r.events)),
            int(&|r| count(r.touches)),
            int(&|r| count(r.profiles)),
            int(&|r| count(r.files as u64)),
            int(&|r| count(r.bytes)),
            Arc::new(
                rows.iter()
                    .map(|r| r.refresh.as_ref().map(|x| x.0 * 1000))
                    .collect::<TimestampMicrosecondArray>()
                    .with_timezone("UTC"),
            ),
            int(&|r| r.refresh.as_ref().and_then(|x| count(x.1))),
            Arc::new(
                rows.iter()
                    .map(|r| r.refresh.as_ref().map(|x| x.2 as f64 / 1000.0))
                    .collect::<Float64Array>(),
            ),
            int(&|r| r.refresh.as_ref().and_then(|x| count(x.3))),
            int(&|r| r.refresh.as_ref().and_then(|x| count(x.4))),
            text(&|r| r.refresh.as_ref().and_then(|x| x.5.clone())),
        ],
    )?)
}

#[cfg(test)]
mod tests {
    use super::super::manifest::{AccountRefresh, RefreshReport, Segment};
    use super::*;

    fn manifest() -> Manifest {
        let file = |path: &str, rows, size| StoredFile {
            path: path.into(),
            size,
            rows,
        };
        let mut manifest = Manifest::empty("data");
        manifest.generation = 5;
        for (account, conversations) in [("acc_1", 3), ("acc_2", 4)] {
            let stored = manifest.accounts.entry(account.into()).or_default();
            stored.events = Some(file("e", 7, 100));
            stored.partitions.insert(
                20_586,
                Partition {
                    segments: vec![Segment {
                        messages: file("m", conversations * 10, 1000),
                        facts: file("f", conversations, 200),
                        ids: file("i", conversations * 11, 300),
                        min_started_date: 20_586,
                        max_started_date: 20_590,
                    }],
                },
            );
        }
        manifest.accounts.get_mut("acc_2").unwrap().last_refresh = Some(AccountRefresh {
            generation: 5,
            finished_at_ms: 1_780_000_000_000,
            elapsed_ms: 1_500,
            files_folded: 2,
            rows_folded: 40,
            rebuild_cause: None,
        });
        manifest.last_refresh = Some(RefreshReport {
            generation: 5,
            message_files: 3,
            message_rows: 60,
            event_files: 1,
            event_rows: 5,
            elapsed_ms: 1_500,
            finished_at_ms: 1_780_000_000_000,
            ..RefreshReport::default()
        });
        manifest
    }

    #[test]
    fn each_account_and_the_whole_store_have_a_row() {
        let rows = rows(&manifest(), "file:///s/", None);
        let accounts: Vec<_> = rows.iter().map(|r| r.account_id.as_deref()).collect();
        assert_eq!(accounts, [Some("acc_1"), Some("acc_2"), None]);
        let (one, two, all) = (&rows[0], &rows[1], &rows[2]);
        assert_eq!(
            (
                one.conversations,
                one.messages,
                one.events,
                one.files,
                one.bytes
            ),
            (3, 30, 7, 4, 1600)
        );
        assert_eq!(one.location, "file:///s/a=acc_1/");
        assert_eq!(one.refresh, None, "acc_1 has no recorded refresh");
        assert_eq!(
            two.refresh,
            Some((1_780_000_000_000, 5, 1_500, 2, 40, None))
        );
        assert_eq!(
            (
                all.partitions,
                all.conversations,
                all.messages,
                all.files,
                all.bytes
            ),
            (2, 7, 70, 8, 3200)
        );
        assert_eq!(
            all.refresh,
            Some((1_780_000_000_000, 5, 1_500, 4, 65, None))
        );
        let batch = to_batch(&rows).unwrap();
        assert_eq!(
            (batch.num_rows(), batch.num_columns()),
            (3, schema().fields().len())
        );
    }

    #[test]
    fn a_bound_user_sees_only_their_accounts() {
        let scope = AccountScope::new(vec!["acc_2".into()]);
        let rows = rows(&manifest(), "file:///s/", Some(&scope));
        let accounts: Vec<_> = rows.iter().map(|r| r.account_id.as_deref()).collect();
        assert_eq!(
            accounts,
            [Some("acc_2")],
            "no other account, no store-wide row"
        );
    }
}
