//! A session's temporary views in that session's catalog, as PostgreSQL
//! lists them: its temporary schema `pg_temp_N` in `pg_namespace` (created
//! with the session's first temporary view, and kept for the session, as
//! PostgreSQL keeps it), each view in `pg_class` (`relkind` `v`,
//! `relpersistence` `t`) and its columns in `pg_attribute`;
//! `pg_my_temp_schema()` is the schema's OID from then on. Clients read a
//! view's columns from there (ibis's `con.sql()` creates a temporary view and
//! reads its columns from `pg_attribute`).
//!
//! The catalog tables are shared by every session of the engine; a session
//! publishes its temporary relations in its own configuration
//! ([`TempCatalog`], a `SessionConfig` extension), and [`with_temp_rows`]
//! adds them to what that session reads. Another session's configuration
//! has none of them: a session never sees another's temporary views.
//!
//! PostgreSQL numbers the schema by the backend's slot, and shows every
//! backend's temporary schema; here a session sees its own only, so it is
//! always `pg_temp_1`, telling nobody how many other sessions there are.

use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::datatypes::{DataType, Field, SchemaRef};
use async_trait::async_trait;
use datafusion::catalog::{Session, TableProvider};
use datafusion::common::{Result, ScalarValue};
use datafusion::datasource::{MemTable, TableType};
use datafusion::execution::context::SessionState;
use datafusion::logical_expr::{Expr, TableProviderFilterPushDown};
use datafusion::physical_plan::{ExecutionPlan, collect};
use pgwire::api::Type;

/// The name of a session's temporary schema.
pub const TEMP_NAMESPACE: &str = "pg_temp_1";

/// The OID of a session's temporary schema; its relations' follow.
/// Far above the OIDs the catalog gives its own objects.
pub const TEMP_NAMESPACE_OID: i32 = 0x7000_0000;

/// The OID of the session's `n`th temporary relation (from 1).
pub fn relation_oid(n: i32) -> i32 {
    TEMP_NAMESPACE_OID + n
}

/// One temporary relation as the catalog lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct TempRelation {
    /// Its `pg_class.oid`.
    pub oid: i32,
    /// Its name.
    pub name: String,
    /// Its columns, in order.
    pub fields: Vec<Field>,
}

/// What a session's catalog lists of its temporary objects, set in its
/// configuration (`SessionConfig::set_extension`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TempCatalog {
    /// Whether the session has its temporary schema.
    pub namespace: bool,
    /// Its temporary relations.
    pub relations: Vec<TempRelation>,
}

/// The catalog tables that list temporary objects.
#[derive(Debug, Clone, Copy)]
enum Listing {
    Namespace,
    Class,
    Attribute,
}

/// `inner` (catalog table `table`) listing the reading session's temporary
/// objects too, if it is `pg_namespace`, `pg_class` or `pg_attribute`.
pub fn with_temp_rows(table: &str, inner: Arc<dyn TableProvider>) -> Arc<dyn TableProvider> {
    let listing = match table {
        "pg_namespace" => Listing::Namespace,
        "pg_class" => Listing::Class,
        "pg_attribute" => Listing::Attribute,
        _ => return inner,
    };
    Arc::new(WithTempRows { listing, inner })
}

/// The PostgreSQL type of a temporary view's column, as it is described to clients.
fn pg_type_of(field: &Field) -> Type {
    if let Some(tagged) = crate::pg_types::type_identity::pg_type(field) {
        return tagged;
    }
    match field.data_type() {
        DataType::UInt64 => Type::INT8,
        DataType::Null => Type::TEXT,
        _ => {
            arrow_pg::datatypes::field_into_pg_type(&Arc::new(field.clone())).unwrap_or(Type::TEXT)
        }
    }
}

/// `attlen`, `attbyval`, `attalign` of a type (PostgreSQL's `pg_type`).
fn storage_of(pg_type: &Type) -> (i16, bool, &'static str) {
    match *pg_type {
        Type::BOOL | Type::CHAR => (1, true, "c"),
        Type::INT2 => (2, true, "s"),
        Type::INT4 | Type::FLOAT4 | Type::DATE | Type::OID => (4, true, "i"),
        Type::INT8 | Type::FLOAT8 | Type::TIME | Type::TIMESTAMP | Type::TIMESTAMPTZ => {
            (8, true, "d")
        }
        Type::NAME => (64, false, "c"),
        Type::INTERVAL => (16, false, "d"),
        _ => (-1, false, "i"),
    }
}

/// The rows `listing` gains from `temp`: each a list of (column, value); a
/// column not named takes its type's default.
fn rows(listing: Listing, temp: &TempCatalog) -> Vec<Vec<(&'static str, ScalarValue)>> {
    let text = |s: &str| ScalarValue::Utf8(Some(s.to_string()));
    let int = |i: i32| ScalarValue::Int32(Some(i));
    let small = |i: i16| ScalarValue::Int16(Some(i));
    let bool = |b: bool| ScalarValue::Boolean(Some(b));
    match listing {
        Listing::Namespace => vec![vec![
            ("oid", int(TEMP_NAMESPACE_OID)),
            ("nspname", text(TEMP_NAMESPACE)),
            ("nspowner", int(10)),
        ]],
        Listing::Class => temp
            .relations
            .iter()
            .map(|r| {
                vec![
                    ("oid", int(r.oid)),
                    ("relname", text(&r.name)),
                    ("relnamespace", int(TEMP_NAMESPACE_OID)),
                    ("relowner", int(10)),
                    ("reltuples", ScalarValue::Float64(Some(-1.0))),
                    ("relpersistence", text("t")),
                    ("relkind", text("v")),
                    ("relnatts", small(r.fields.len() as i16)),
                    ("relhasrules", bool(true)),
                    ("relispopulated", bool(true)),
                    ("relreplident", text("n")),
                ]
            })
            .collect(),
        Listing::Attribute => temp
            .relations
            .iter()
            .flat_map(|r| {
                r.fields.iter().enumerate().map(move |(i, f)| {
                    let pg_type = pg_type_of(f);
                    let (len, by_value, align) = storage_of(&pg_type);
                    vec![
                        ("attrelid", int(r.oid)),
                        ("attname", text(f.name())),
                        ("atttypid", int(pg_type.oid() as i32)),
                        ("attstattarget", int(-1)),
                        ("attlen", small(len)),
                        ("attnum", small(i as i16 + 1)),
                        ("attcacheoff", int(-1)),
                        ("atttypmod", int(-1)),
                        ("attbyval", bool(by_value)),
                        ("attalign", text(align)),
                        ("attstorage", text(if len == -1 { "x" } else { "p" })),
                        // A view's columns are never NOT NULL in PostgreSQL.
                        ("attnotnull", bool(false)),
                        ("attislocal", bool(true)),
                    ]
                })
            })
            .collect(),
    }
}

/// A batch of `rows` in `schema`, each column not named taking its type's
/// default (NULL where the column allows it).
fn batch(schema: &SchemaRef, rows: &[Vec<(&'static str, ScalarValue)>]) -> Result<RecordBatch> {
    let columns = schema
        .fields()
        .iter()
        .map(|field| {
            let values = rows.iter().map(|row| {
                let named = row.iter().find(|(c, _)| c == field.name());
                match named {
                    Some((_, value)) => value.cast_to(field.data_type()),
                    None if field.is_nullable() => ScalarValue::try_from(field.data_type()),
                    None => ScalarValue::new_default(field.data_type()),
                }
            });
            ScalarValue::iter_to_array(values.collect::<Result<Vec<_>>>()?)
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(RecordBatch::try_new(schema.clone(), columns)?)
}

/// A catalog table with the reading session's temporary objects added.
#[derive(Debug)]
struct WithTempRows {
    listing: Listing,
    inner: Arc<dyn TableProvider>,
}

#[async_trait]
impl TableProvider for WithTempRows {
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
        Ok(vec![
            TableProviderFilterPushDown::Unsupported;
            filters.len()
        ])
    }
    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let temp = state
            .config()
            .get_extension::<TempCatalog>()
            .filter(|t| t.namespace);
        let (Some(temp), Some(session_state)) =
            (temp, state.as_any().downcast_ref::<SessionState>())
        else {
            return self.inner.scan(state, projection, filters, limit).await;
        };
        let schema = self.inner.schema();
        let plan = self.inner.scan(state, None, &[], None).await?;
        let mut batches: Vec<RecordBatch> = collect(plan, session_state.task_ctx())
            .await?
            .into_iter()
            .map(|b| RecordBatch::try_new(schema.clone(), b.columns().to_vec()))
            .collect::<std::result::Result<_, _>>()?;
        let added = rows(self.listing, &temp);
        if !added.is_empty() {
            batches.push(batch(&schema, &added)?);
        }
        let table = MemTable::try_new(schema, vec![batches])?;
        table.scan(state, projection, filters, limit).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_views_columns_are_listed_with_their_postgres_types() {
        let temp = TempCatalog {
            namespace: true,
            relations: vec![TempRelation {
                oid: relation_oid(1),
                name: "v".into(),
                fields: vec![
                    Field::new("status", DataType::Utf8, true),
                    Field::new("n", DataType::Int64, false),
                ],
            }],
        };
        let columns = rows(Listing::Attribute, &temp);
        let value = |row: &Vec<(&str, ScalarValue)>, column: &str| {
            row.iter().find(|(c, _)| *c == column).unwrap().1.clone()
        };
        assert_eq!(columns.len(), 2);
        assert_eq!(value(&columns[0], "atttypid"), ScalarValue::Int32(Some(25)));
        assert_eq!(value(&columns[1], "atttypid"), ScalarValue::Int32(Some(20)));
        assert_eq!(value(&columns[1], "attnum"), ScalarValue::Int16(Some(2)));
        let class = rows(Listing::Class, &temp);
        assert_eq!(
            value(&class[0], "relkind"),
            ScalarValue::Utf8(Some("v".into()))
        );
        assert_eq!(
            value(&class[0], "relnamespace"),
            ScalarValue::Int32(Some(TEMP_NAMESPACE_OID))
        );
    }

    use crate::catalog::tests::rows as texts;

    /// ibis's `get_schema` of a temporary view, in the session that made it
    /// and (finding nothing) in another.
    const COLUMNS: &str = "SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod), n.nspname, c.relkind \
         FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON a.attrelid = c.oid \
         JOIN pg_catalog.pg_namespace n ON c.relnamespace = n.oid \
         WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relname = 'recent' ORDER BY a.attnum";

    #[tokio::test]
    async fn a_sessions_temporary_views_are_in_its_catalog_only() {
        let engine = crate::Engine::open(crate::EngineOptions {
            data: concat!(env!("CARGO_MANIFEST_DIR"), "/data").into(),
            ..Default::default()
        })
        .await
        .unwrap();
        let mut mine = engine.session();
        let mut other = engine.session();
        assert_eq!(
            texts(&mut mine, "SELECT pg_my_temp_schema()").await,
            [["0"]]
        );
        mine.sql(
            "CREATE TEMPORARY VIEW recent AS SELECT status, count(*) AS n FROM conversations GROUP BY status",
        )
        .await
        .unwrap();
        assert_eq!(
            texts(&mut mine, COLUMNS).await,
            [
                ["status", "text", TEMP_NAMESPACE, "v"],
                ["n", "bigint", TEMP_NAMESPACE, "v"]
            ]
        );
        assert_eq!(
            texts(
                &mut mine,
                "SELECT nspname FROM pg_namespace WHERE oid = pg_my_temp_schema()"
            )
            .await,
            [[TEMP_NAMESPACE]]
        );
        assert!(texts(&mut other, COLUMNS).await.is_empty());
        assert_eq!(
            texts(&mut other, "SELECT pg_my_temp_schema()").await,
            [["0"]]
        );
        assert!(
            texts(
                &mut other,
                "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'pg_temp%'"
            )
            .await
            .is_empty()
        );
        mine.sql("DROP VIEW recent").await.unwrap();
        assert!(texts(&mut mine, COLUMNS).await.is_empty());
        assert_eq!(
            texts(
                &mut mine,
                "SELECT nspname FROM pg_namespace WHERE oid = pg_my_temp_schema()"
            )
            .await,
            [[TEMP_NAMESPACE]],
            "the schema stays for the session"
        );
    }
}
