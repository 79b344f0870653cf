//! The `pg_catalog` schema clients see: the catalog crate's, with
//! `pg_description`, `pg_proc` and `pg_views` completed from conversql's own
//! documentation, functions and views, `pg_settings` with the session's
//! `conversql.*` settings, and with the object index refreshed
//! whenever `pg_class`, `pg_attribute`, `pg_namespace`, `pg_type`,
//! `pg_description` or `pg_proc` is read. `pg_namespace`, `pg_class` and
//! `pg_attribute` list the reading session's temporary views
//! ([`super::temp_relations`]). Columns PostgreSQL types `name` or
//! `"char"` are described so ([`super::column_types`]).

use std::sync::Arc;

use arrow::array::{ArrayRef, RecordBatch};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use async_trait::async_trait;
use datafusion::catalog::{SchemaProvider, Session, TableProvider};
use datafusion::common::{Result, ScalarValue};
use datafusion::datasource::{MemTable, TableType};
use datafusion::execution::context::SessionState;
use datafusion::logical_expr::{Expr, TableProviderFilterPushDown};
use datafusion::physical_plan::{ExecutionPlan, collect};

use super::functions::functions;
use super::index::{Index, PG_CLASS, PG_NAMESPACE, PG_PROC};

/// The tables whose reading refreshes the index.
const REFRESHING: &[&str] = &["pg_class", "pg_attribute", "pg_namespace", "pg_type"];

/// The wrapped `pg_catalog` schema.
#[derive(Debug)]
pub struct PgCatalogOverlay {
    index: Arc<Index>,
}

impl PgCatalogOverlay {
    /// The object index behind the overlay.
    pub fn index(&self) -> Arc<Index> {
        self.index.clone()
    }

    /// An overlay over the index's original schema.
    pub fn new(index: Arc<Index>) -> Self {
        PgCatalogOverlay { index }
    }
}

#[async_trait]
impl SchemaProvider for PgCatalogOverlay {
    fn table_names(&self) -> Vec<String> {
        let mut names = self.index.inner().table_names();
        names.push("pg_indexes".into());
        names
    }

    async fn table(&self, name: &str) -> Result<Option<Arc<dyn TableProvider>>> {
        let lower = name.to_ascii_lowercase();
        Ok(self
            .untyped(name)
            .await?
            .map(|table| super::column_types::typed(&lower, table)))
    }

    fn table_exist(&self, name: &str) -> bool {
        name.eq_ignore_ascii_case("pg_indexes") || self.index.inner().table_exist(name)
    }
}

impl PgCatalogOverlay {
    /// Catalog table `name`, before its columns are typed ([`super::column_types`]).
    async fn untyped(&self, name: &str) -> Result<Option<Arc<dyn TableProvider>>> {
        let lower = name.to_ascii_lowercase();
        let kind = match lower.as_str() {
            "pg_indexes" => return Ok(Some(Arc::new(super::sql_view::pg_indexes()))),
            "pg_tables" => return Ok(Some(Arc::new(super::sql_view::pg_tables()))),
            "pg_description" => Derived::Description,
            "pg_proc" => Derived::Proc,
            "pg_views" => Derived::Views,
            "pg_settings" => Derived::Settings,
            n if REFRESHING.contains(&n) => {
                let Some(inner) = self.index.inner().table(name).await? else {
                    return Ok(None);
                };
                let table: Arc<dyn TableProvider> = Arc::new(Refreshing {
                    inner,
                    index: self.index.clone(),
                });
                let table = if n == "pg_class" {
                    super::reshape::pg_class(table)
                } else {
                    table
                };
                return Ok(Some(super::temp_relations::with_temp_rows(n, table)));
            }
            "pg_constraint" => {
                let Some(inner) = self.index.inner().table(name).await? else {
                    return Ok(None);
                };
                return Ok(Some(super::reshape::pg_constraint(inner)));
            }
            "pg_index" => {
                let Some(inner) = self.index.inner().table(name).await? else {
                    return Ok(None);
                };
                return Ok(Some(super::reshape::pg_index(&inner.schema())?));
            }
            _ => return self.index.inner().table(name).await,
        };
        let Some(inner) = self.index.inner().table(name).await? else {
            return Ok(None);
        };
        let proc = matches!(kind, Derived::Proc);
        let mut schema = nullable(&inner.schema());
        if proc {
            schema = super::reshape::oidvector_text(&schema, &["proargtypes"]);
        }
        let table: Arc<dyn TableProvider> = Arc::new(DerivedTable {
            kind,
            inner,
            schema,
            index: self.index.clone(),
        });
        Ok(Some(if proc {
            super::reshape::pg_proc(table)
        } else {
            table
        }))
    }
}

fn nullable(schema: &SchemaRef) -> SchemaRef {
    Arc::new(Schema::new(
        schema
            .fields()
            .iter()
            .map(|f| f.as_ref().clone().with_nullable(true))
            .collect::<Vec<Field>>(),
    ))
}

/// A catalog table read as it is, after refreshing the index.
#[derive(Debug)]
struct Refreshing {
    inner: Arc<dyn TableProvider>,
    index: Arc<Index>,
}

#[async_trait]
impl TableProvider for Refreshing {
    fn schema(&self) -> SchemaRef {
        self.inner.schema()
    }
    fn table_type(&self) -> TableType {
        self.inner.table_type()
    }
    fn supports_filters_pushdown(
        &self,
        filters: &[&Expr],
    ) -> Result<Vec<TableProviderFilterPushDown>> {
        self.inner.supports_filters_pushdown(filters)
    }
    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        self.index.refresh(state).await?;
        self.inner.scan(state, projection, filters, limit).await
    }
}

#[derive(Debug, Clone, Copy)]
enum Derived {
    Description,
    Proc,
    Views,
    Settings,
}

/// A catalog table whose rows are the crate's plus conversql's.
#[derive(Debug)]
struct DerivedTable {
    kind: Derived,
    inner: Arc<dyn TableProvider>,
    schema: SchemaRef,
    index: Arc<Index>,
}

#[async_trait]
impl TableProvider for DerivedTable {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }
    fn table_type(&self) -> TableType {
        self.inner.table_type()
    }
    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        self.index.refresh(state).await?;
        let Some(session_state) = state.as_any().downcast_ref::<SessionState>() else {
            return self.inner.scan(state, projection, filters, limit).await;
        };
        let plan = self.inner.scan(state, None, &[], None).await?;
        let mut batches: Vec<RecordBatch> = collect(plan, session_state.task_ctx())
            .await?
            .into_iter()
            .map(|b| RecordBatch::try_new(self.schema.clone(), b.columns().to_vec()))
            .collect::<std::result::Result<_, _>>()?;
        let rows = match self.kind {
            Derived::Description => self.descriptions(),
            Derived::Proc => self.functions(),
            Derived::Views => {
                batches.clear();
                self.views()
            }
            Derived::Settings => settings(session_state.config()),
        };
        batches.push(build(&self.schema, &rows)?);
        let table = MemTable::try_new(self.schema.clone(), vec![batches])?;
        table.scan(state, projection, filters, limit).await
    }
}

type Row = Vec<(&'static str, ScalarValue)>;

fn text(s: impl Into<String>) -> ScalarValue {
    ScalarValue::Utf8(Some(s.into()))
}

fn int(i: i64) -> ScalarValue {
    ScalarValue::Int64(Some(i))
}

fn boolean(b: bool) -> ScalarValue {
    ScalarValue::Boolean(Some(b))
}

/// A batch of `schema` from rows naming some of its columns; the others are NULL.
fn build(schema: &SchemaRef, rows: &[Row]) -> Result<RecordBatch> {
    let columns = schema
        .fields()
        .iter()
        .map(|field| {
            let values: Vec<ScalarValue> = rows
                .iter()
                .map(|row| {
                    row.iter()
                        .find(|(name, _)| *name == field.name())
                        .map_or(ScalarValue::Utf8(None), |(_, v)| v.clone())
                })
                .collect();
            let array: ArrayRef = if values.is_empty() {
                arrow::array::new_empty_array(&DataType::Utf8)
            } else {
                let types: Vec<DataType> = values
                    .iter()
                    .map(datafusion::scalar::ScalarValue::data_type)
                    .collect();
                let common = types
                    .iter()
                    .find(|t| **t != DataType::Utf8)
                    .cloned()
                    .unwrap_or(DataType::Utf8);
                let values: Vec<ScalarValue> = values
                    .into_iter()
                    .map(|v| {
                        if v.is_null() {
                            ScalarValue::try_from(&common).unwrap_or(v)
                        } else {
                            v
                        }
                    })
                    .collect();
                ScalarValue::iter_to_array(values)?
            };
            Ok(cast(&array, field.data_type())?)
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(RecordBatch::try_new(schema.clone(), columns)?)
}

impl DerivedTable {
    fn descriptions(&self) -> Vec<Row> {
        let snapshot = self.index.snapshot();
        let (pg_class, pg_proc, pg_namespace) = (
            snapshot.class_oid("pg_class", PG_CLASS),
            snapshot.class_oid("pg_proc", PG_PROC),
            snapshot.class_oid("pg_namespace", PG_NAMESPACE),
        );
        let mut rows = vec![];
        for (oid, relation) in &snapshot.relations {
            if let Some(comment) = &relation.comment {
                rows.push(description(i64::from(*oid), pg_class, 0, comment));
            }
            for (i, comment) in relation.columns.iter().enumerate() {
                if let Some(comment) = comment {
                    rows.push(description(
                        i64::from(*oid),
                        pg_class,
                        i as i64 + 1,
                        comment,
                    ));
                }
            }
        }
        for function in functions().unwrap_or_default() {
            rows.push(description(
                i64::from(function.oid),
                pg_proc,
                0,
                &function.description,
            ));
        }
        for (name, oid) in &snapshot.namespaces {
            if let Some(comment) = super::schema_comment(name) {
                rows.push(description(i64::from(*oid), pg_namespace, 0, comment));
            }
        }
        rows
    }

    fn functions(&self) -> Vec<Row> {
        let snapshot = self.index.snapshot();
        let public = snapshot
            .namespaces
            .get(crate::names::PUBLIC_SCHEMA)
            .copied()
            .unwrap_or(2200);
        functions()
            .unwrap_or_default()
            .iter()
            .map(|f| {
                let types = f
                    .argument_types
                    .iter()
                    .map(std::string::ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(" ");
                vec![
                    ("oid", int(i64::from(f.oid))),
                    ("proname", text(&f.name)),
                    ("pronamespace", int(i64::from(public))),
                    ("proowner", int(10)),
                    ("prolang", int(12)),
                    ("procost", ScalarValue::Float32(Some(1.0))),
                    (
                        "prorows",
                        ScalarValue::Float32(Some(if f.returns_set { 1000.0 } else { 0.0 })),
                    ),
                    ("provariadic", int(0)),
                    ("prosupport", text("-")),
                    ("prokind", text(f.kind)),
                    ("prosecdef", boolean(false)),
                    ("proleakproof", boolean(false)),
                    ("proisstrict", boolean(false)),
                    ("proretset", boolean(f.returns_set)),
                    ("provolatile", text(f.volatility)),
                    ("proparallel", text("s")),
                    ("pronargs", int(f.argument_types.len() as i64)),
                    ("pronargdefaults", int(f.argument_defaults as i64)),
                    ("prorettype", int(i64::from(f.result_type))),
                    ("proargtypes", text(types)),
                    ("prosrc", text(&f.name)),
                ]
            })
            .collect()
    }

    fn views(&self) -> Vec<Row> {
        self.index
            .docs()
            .iter()
            .filter_map(|((schema, name), doc)| {
                let definition = doc.definition.as_ref()?;
                Some(vec![
                    ("schemaname", text(schema.clone())),
                    ("viewname", text(name.clone())),
                    ("viewowner", text("postgres")),
                    ("definition", text(format!(" {definition};"))),
                ])
            })
            .collect()
    }
}

/// The `pg_settings` rows of the `conversql.*` settings of a session: their
/// values and descriptions, from [`conversql_udfs::ConversqlOptions`].
fn settings(config: &datafusion::prelude::SessionConfig) -> Vec<Row> {
    use datafusion::config::ExtensionOptions;
    conversql_udfs::ConversqlOptions::of(config)
        .entries()
        .into_iter()
        .map(|entry| {
            vec![
                ("name", text(entry.key)),
                ("setting", text(entry.value.unwrap_or_default())),
                ("category", text("Customized Options")),
                ("short_desc", text(entry.description)),
                ("context", text("user")),
            ]
        })
        .collect()
}

fn description(objoid: i64, classoid: i32, objsubid: i64, comment: &str) -> Row {
    vec![
        ("objoid", int(objoid)),
        ("classoid", int(i64::from(classoid))),
        ("objsubid", int(objsubid)),
        ("description", text(comment)),
    ]
}
