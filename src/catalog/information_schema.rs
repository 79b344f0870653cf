//! `information_schema` as PostgreSQL shows it (SQL standard column names,
//! Postgres type names), in place of DataFusion's own, which reports Arrow
//! types (`Utf8`, `Timestamp(µs, "UTC")`) that BI tools cannot map, has no
//! `udt_name` (Npgsql's `GetColumns`) and no `information_schema.views`
//! columns `check_option`/`is_updatable`.
//!
//! Tables: `schemata`, `tables`, `views`, `columns`, and `routines`
//! (a [`super::sql_view`] over `pg_proc`). Every read lists the
//! catalog as it is at that moment, so views registered later are included.

use std::sync::{Arc, Weak};

use arrow::array::{ArrayRef, Int32Builder, RecordBatch, StringBuilder};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use async_trait::async_trait;
use datafusion::catalog::{CatalogProvider, SchemaProvider, Session, TableProvider};
use datafusion::datasource::MemTable;
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::{Expr, TableType};
use datafusion::physical_plan::ExecutionPlan;

/// The schema's name.
pub const INFORMATION_SCHEMA: &str = "information_schema";

/// The Postgres type of an Arrow type as `information_schema.columns` shows it:
/// (`data_type`, `udt_name`, numeric precision, numeric scale, datetime precision).
pub fn postgres_column_type(
    t: &DataType,
) -> (
    &'static str,
    &'static str,
    Option<i32>,
    Option<i32>,
    Option<i32>,
) {
    match t {
        DataType::Utf8 | DataType::Utf8View | DataType::LargeUtf8 => {
            ("text", "text", None, None, None)
        }
        DataType::Int64 | DataType::UInt32 => ("bigint", "int8", Some(64), Some(0), None),
        DataType::Int32 | DataType::UInt16 => ("integer", "int4", Some(32), Some(0), None),
        DataType::Int16 | DataType::Int8 | DataType::UInt8 => {
            ("smallint", "int2", Some(16), Some(0), None)
        }
        DataType::UInt64 => ("numeric", "numeric", None, None, None),
        DataType::Float64 => ("double precision", "float8", Some(53), None, None),
        DataType::Float32 | DataType::Float16 => ("real", "float4", Some(24), None, None),
        DataType::Boolean => ("boolean", "bool", None, None, None),
        DataType::Date32 | DataType::Date64 => ("date", "date", None, None, Some(0)),
        DataType::Timestamp(_, Some(_)) => (
            "timestamp with time zone",
            "timestamptz",
            None,
            None,
            Some(6),
        ),
        DataType::Timestamp(_, None) => (
            "timestamp without time zone",
            "timestamp",
            None,
            None,
            Some(6),
        ),
        DataType::Time32(_) | DataType::Time64(_) => {
            ("time without time zone", "time", None, None, Some(6))
        }
        DataType::Interval(_) | DataType::Duration(_) => {
            ("interval", "interval", None, None, Some(6))
        }
        DataType::Decimal128(p, s) | DataType::Decimal256(p, s) => (
            "numeric",
            "numeric",
            Some(i32::from(*p)),
            Some(i32::from(*s)),
            None,
        ),
        DataType::Binary
        | DataType::LargeBinary
        | DataType::BinaryView
        | DataType::FixedSizeBinary(_) => ("bytea", "bytea", None, None, None),
        DataType::List(f) | DataType::LargeList(f) | DataType::FixedSizeList(f, _) => {
            let element = match postgres_column_type(f.data_type()).1 {
                "text" => "_text",
                "int8" => "_int8",
                "int4" => "_int4",
                "int2" => "_int2",
                "float8" => "_float8",
                "float4" => "_float4",
                "bool" => "_bool",
                "date" => "_date",
                "timestamptz" => "_timestamptz",
                "timestamp" => "_timestamp",
                "numeric" => "_numeric",
                _ => "_text",
            };
            ("ARRAY", element, None, None, None)
        }
        DataType::Struct(_) | DataType::Map(_, _) => ("json", "json", None, None, None),
        _ => ("text", "text", None, None, None),
    }
}

#[derive(Debug, Clone, Copy)]
enum Kind {
    Schemata,
    Tables,
    Views,
    Columns,
}

const TEXT: DataType = DataType::Utf8;
const INT: DataType = DataType::Int32;

fn schema_of(kind: Kind) -> SchemaRef {
    let cols: &[(&str, DataType)] = match kind {
        Kind::Schemata => &[
            ("catalog_name", TEXT),
            ("schema_name", TEXT),
            ("schema_owner", TEXT),
            ("default_character_set_catalog", TEXT),
            ("default_character_set_schema", TEXT),
            ("default_character_set_name", TEXT),
            ("sql_path", TEXT),
        ],
        Kind::Tables => &[
            ("table_catalog", TEXT),
            ("table_schema", TEXT),
            ("table_name", TEXT),
            ("table_type", TEXT),
            ("self_referencing_column_name", TEXT),
            ("reference_generation", TEXT),
            ("user_defined_type_catalog", TEXT),
            ("user_defined_type_schema", TEXT),
            ("user_defined_type_name", TEXT),
            ("is_insertable_into", TEXT),
            ("is_typed", TEXT),
            ("commit_action", TEXT),
        ],
        Kind::Views => &[
            ("table_catalog", TEXT),
            ("table_schema", TEXT),
            ("table_name", TEXT),
            ("view_definition", TEXT),
            ("check_option", TEXT),
            ("is_updatable", TEXT),
            ("is_insertable_into", TEXT),
            ("is_trigger_updatable", TEXT),
            ("is_trigger_deletable", TEXT),
            ("is_trigger_insertable_into", TEXT),
        ],
        Kind::Columns => &[
            ("table_catalog", TEXT),
            ("table_schema", TEXT),
            ("table_name", TEXT),
            ("column_name", TEXT),
            ("ordinal_position", INT),
            ("column_default", TEXT),
            ("is_nullable", TEXT),
            ("data_type", TEXT),
            ("character_maximum_length", INT),
            ("character_octet_length", INT),
            ("numeric_precision", INT),
            ("numeric_precision_radix", INT),
            ("numeric_scale", INT),
            ("datetime_precision", INT),
            ("interval_type", TEXT),
            ("interval_precision", INT),
            ("character_set_catalog", TEXT),
            ("character_set_schema", TEXT),
            ("character_set_name", TEXT),
            ("collation_catalog", TEXT),
            ("collation_schema", TEXT),
            ("collation_name", TEXT),
            ("domain_catalog", TEXT),
            ("domain_schema", TEXT),
            ("domain_name", TEXT),
            ("udt_catalog", TEXT),
            ("udt_schema", TEXT),
            ("udt_name", TEXT),
            ("scope_catalog", TEXT),
            ("scope_schema", TEXT),
            ("scope_name", TEXT),
            ("maximum_cardinality", INT),
            ("dtd_identifier", TEXT),
            ("is_self_referencing", TEXT),
            ("is_identity", TEXT),
            ("identity_generation", TEXT),
            ("identity_start", TEXT),
            ("identity_increment", TEXT),
            ("identity_maximum", TEXT),
            ("identity_minimum", TEXT),
            ("identity_cycle", TEXT),
            ("is_generated", TEXT),
            ("generation_expression", TEXT),
            ("is_updatable", TEXT),
        ],
    };
    Arc::new(Schema::new(
        cols.iter()
            .map(|(n, t)| Field::new(*n, t.clone(), true))
            .collect::<Vec<_>>(),
    ))
}

/// One row under construction: a value per column, by position.
enum Cell {
    Text(Option<String>),
    Int(Option<i32>),
}

fn t(s: &str) -> Cell {
    Cell::Text(Some(s.to_string()))
}

fn batch(schema: &SchemaRef, rows: Vec<Vec<Cell>>) -> Result<RecordBatch> {
    let mut columns: Vec<ArrayRef> = vec![];
    for (i, field) in schema.fields().iter().enumerate() {
        let array: ArrayRef = if field.data_type() == &INT {
            let mut b = Int32Builder::new();
            for row in &rows {
                match &row[i] {
                    Cell::Int(v) => b.append_option(*v),
                    Cell::Text(_) => {
                        return Err(DataFusionError::Internal(format!(
                            "{} is an integer",
                            field.name()
                        )));
                    }
                }
            }
            Arc::new(b.finish())
        } else {
            let mut b = StringBuilder::new();
            for row in &rows {
                match &row[i] {
                    Cell::Text(v) => b.append_option(v.as_deref()),
                    Cell::Int(_) => {
                        return Err(DataFusionError::Internal(format!(
                            "{} is text",
                            field.name()
                        )));
                    }
                }
            }
            Arc::new(b.finish())
        };
        columns.push(array);
    }
    Ok(RecordBatch::try_new(schema.clone(), columns)?)
}

/// One `information_schema` table, computed from the catalog when read.
#[derive(Debug)]
struct InfoTable {
    kind: Kind,
    catalog_name: String,
    catalog: Weak<dyn CatalogProvider>,
    schema: SchemaRef,
}

impl InfoTable {
    async fn rows(&self) -> Result<Vec<Vec<Cell>>> {
        let catalog = self.catalog.upgrade().ok_or_else(|| {
            DataFusionError::Internal("the catalog of information_schema is gone".into())
        })?;
        let db = self.catalog_name.as_str();
        let mut schemas = catalog.schema_names();
        schemas.sort();
        let mut rows = vec![];
        for schema_name in &schemas {
            if let Kind::Schemata = self.kind {
                rows.push(vec![
                    t(db),
                    t(schema_name),
                    t("conversql"),
                    Cell::Text(None),
                    Cell::Text(None),
                    Cell::Text(None),
                    Cell::Text(None),
                ]);
                continue;
            }
            let Some(schema) = catalog.schema(schema_name) else {
                continue;
            };
            let mut tables = schema.table_names();
            tables.sort();
            for table_name in &tables {
                let Some(table) = schema.table(table_name).await? else {
                    continue;
                };
                let view = table.table_type() == TableType::View;
                match self.kind {
                    Kind::Schemata => {}
                    Kind::Tables => rows.push(vec![
                        t(db),
                        t(schema_name),
                        t(table_name),
                        t(if view { "VIEW" } else { "BASE TABLE" }),
                        Cell::Text(None),
                        Cell::Text(None),
                        Cell::Text(None),
                        Cell::Text(None),
                        Cell::Text(None),
                        t("NO"),
                        t("NO"),
                        Cell::Text(None),
                    ]),
                    Kind::Views if view => rows.push(vec![
                        t(db),
                        t(schema_name),
                        t(table_name),
                        Cell::Text(table.get_table_definition().map(str::to_string)),
                        t("NONE"),
                        t("NO"),
                        t("NO"),
                        t("NO"),
                        t("NO"),
                        t("NO"),
                    ]),
                    Kind::Views => {}
                    Kind::Columns => {
                        for (i, field) in table.schema().fields().iter().enumerate() {
                            let (data_type, udt, precision, scale, datetime) =
                                postgres_column_type(field.data_type());
                            let radix = precision.map(|_| if udt == "numeric" { 10 } else { 2 });
                            rows.push(vec![
                                t(db),
                                t(schema_name),
                                t(table_name),
                                t(field.name()),
                                Cell::Int(Some(i as i32 + 1)),
                                Cell::Text(None),
                                t(if field.is_nullable() { "YES" } else { "NO" }),
                                t(data_type),
                                Cell::Int(None),
                                Cell::Int(if udt == "text" {
                                    Some(1_073_741_824)
                                } else {
                                    None
                                }),
                                Cell::Int(precision),
                                Cell::Int(radix),
                                Cell::Int(scale),
                                Cell::Int(datetime),
                                Cell::Text(None),
                                Cell::Int(None),
                                Cell::Text(None),
                                Cell::Text(None),
                                Cell::Text(None),
                                Cell::Text(None),
                                Cell::Text(None),
                                Cell::Text(None),
                                Cell::Text(None),
                                Cell::Text(None),
                                Cell::Text(None),
                                t(db),
                                t("pg_catalog"),
                                t(udt),
                                Cell::Text(None),
                                Cell::Text(None),
                                Cell::Text(None),
                                Cell::Int(None),
                                t(&(i + 1).to_string()),
                                t("NO"),
                                t("NO"),
                                Cell::Text(None),
                                Cell::Text(None),
                                Cell::Text(None),
                                Cell::Text(None),
                                Cell::Text(None),
                                t("NO"),
                                t("NEVER"),
                                Cell::Text(None),
                                t("NO"),
                            ]);
                        }
                    }
                }
            }
        }
        Ok(rows)
    }
}

#[async_trait]
impl TableProvider for InfoTable {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    fn table_type(&self) -> TableType {
        TableType::View
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let data = batch(&self.schema, self.rows().await?)?;
        let table = MemTable::try_new(self.schema.clone(), vec![vec![data]])?;
        table.scan(state, projection, filters, limit).await
    }
}

/// The `information_schema` schema of one catalog.
#[derive(Debug)]
pub struct InformationSchema {
    tables: Vec<(&'static str, Arc<dyn TableProvider>)>,
}

impl InformationSchema {
    /// The schema for `catalog`, named `catalog_name` in its rows.
    pub fn new(catalog_name: &str, catalog: &Arc<dyn CatalogProvider>) -> Self {
        let table = |kind| -> Arc<dyn TableProvider> {
            Arc::new(InfoTable {
                kind,
                catalog_name: catalog_name.to_string(),
                catalog: Arc::downgrade(catalog),
                schema: schema_of(kind),
            })
        };
        InformationSchema {
            tables: vec![
                ("schemata", table(Kind::Schemata)),
                ("tables", table(Kind::Tables)),
                ("views", table(Kind::Views)),
                ("columns", table(Kind::Columns)),
                ("routines", Arc::new(super::sql_view::routines())),
            ],
        }
    }
}

#[async_trait]
impl SchemaProvider for InformationSchema {
    fn table_names(&self) -> Vec<String> {
        self.tables.iter().map(|(n, _)| n.to_string()).collect()
    }

    async fn table(&self, name: &str) -> Result<Option<Arc<dyn TableProvider>>> {
        Ok(self
            .tables
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, t)| t.clone()))
    }

    fn table_exist(&self, name: &str) -> bool {
        self.tables.iter().any(|(n, _)| *n == name)
    }
}

/// Registers `information_schema` in the catalog `catalog_name` of `ctx`
/// (the session must be configured without DataFusion's own, which would shadow it).
pub fn register(
    ctx: &datafusion::prelude::SessionContext,
    catalog_name: &str,
) -> crate::error::Result<()> {
    let catalog = ctx
        .catalog(catalog_name)
        .ok_or_else(|| crate::error::Error::config(format!("catalog {catalog_name} missing")))?;
    catalog.register_schema(
        INFORMATION_SCHEMA,
        Arc::new(InformationSchema::new(catalog_name, &catalog)),
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::prelude::{SessionConfig, SessionContext};

    #[tokio::test]
    async fn columns_show_postgres_types_and_views_are_views() {
        let ctx =
            SessionContext::new_with_config(SessionConfig::new().with_information_schema(false));
        ctx.sql("CREATE TABLE t (a INT, b TEXT, c TIMESTAMP WITH TIME ZONE)")
            .await
            .unwrap();
        ctx.sql("CREATE VIEW v AS SELECT a, b FROM t")
            .await
            .unwrap();
        register(&ctx, "datafusion").unwrap();
        let rows = ctx
            .sql("SELECT table_name, column_name, data_type, udt_name FROM information_schema.columns WHERE table_schema = 'public' ORDER BY table_name, ordinal_position")
            .await
            .unwrap()
            .collect()
            .await
            .unwrap();
        let text = arrow::util::pretty::pretty_format_batches(&rows)
            .unwrap()
            .to_string();
        assert!(
            text.contains("| t          | a           | integer                     | int4      |"),
            "{text}"
        );
        assert!(
            text.contains("| t          | b           | text                        | text      |"),
            "{text}"
        );
        let views = ctx
            .sql("SELECT table_name, check_option FROM information_schema.views")
            .await
            .unwrap()
            .collect()
            .await
            .unwrap();
        let text = arrow::util::pretty::pretty_format_batches(&views)
            .unwrap()
            .to_string();
        assert!(text.contains("| v          | NONE         |"), "{text}");
        let schemata = ctx
            .sql("SELECT schema_name FROM information_schema.schemata")
            .await
            .unwrap()
            .collect()
            .await
            .unwrap();
        let text = arrow::util::pretty::pretty_format_batches(&schemata)
            .unwrap()
            .to_string();
        assert!(text.contains("information_schema"), "{text}");
    }
}
