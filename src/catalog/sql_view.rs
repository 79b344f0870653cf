//! A catalog relation defined by SQL over other catalog relations, planned
//! in the reading session when it is read (so it sees that session's
//! catalog as it is then), under a fixed declared schema. PostgreSQL defines
//! most of `information_schema` so; [`routines`] is its `routines` view.

use std::sync::Arc;

use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use async_trait::async_trait;
use datafusion::catalog::{Session, TableProvider};
use datafusion::common::{Column, Result, internal_datafusion_err};
use datafusion::execution::SessionState;
use datafusion::logical_expr::{Cast, Expr, LogicalPlanBuilder, TableType};
use datafusion::physical_plan::ExecutionPlan;

/// A relation computed by `sql`, whose columns are `schema`'s.
#[derive(Debug)]
pub struct SqlView {
    sql: String,
    schema: SchemaRef,
}

#[async_trait]
impl TableProvider for SqlView {
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
        _filters: &[Expr],
        _limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let state = state
            .as_any()
            .downcast_ref::<SessionState>()
            .ok_or_else(|| internal_datafusion_err!("catalog views are read in a SessionState"))?;
        let plan = state.create_logical_plan(&self.sql).await?;
        // The declared columns, in the declared types (the SQL's string casts
        // may plan as another string type).
        let all: Vec<usize> = (0..self.schema.fields().len()).collect();
        let columns = projection.unwrap_or(&all).iter().map(|i| {
            let field = self.schema.field(*i);
            Expr::Cast(Cast::new(
                Box::new(Expr::Column(Column::from_name(field.name().clone()))),
                field.data_type().clone(),
            ))
            .alias(field.name())
        });
        let plan = LogicalPlanBuilder::from(plan).project(columns)?.build()?;
        crate::inner_plan::plan_inner(state, &plan).await
    }
}

/// How a column of a catalog view is typed (PostgreSQL's `information_schema` domains).
#[derive(Clone, Copy)]
enum Domain {
    /// `sql_identifier`, `character_data`, `yes_or_no`: text.
    Text,
    /// `cardinal_number`: int4.
    Cardinal,
    /// `time_stamp`: timestamptz.
    Stamp,
    /// `boolean` (the `pg_catalog` views' flags).
    Bool,
}

impl Domain {
    fn data_type(self) -> DataType {
        match self {
            Domain::Text => DataType::Utf8,
            Domain::Cardinal => DataType::Int32,
            Domain::Stamp => DataType::Timestamp(TimeUnit::Microsecond, Some("+00:00".into())),
            Domain::Bool => DataType::Boolean,
        }
    }

    fn sql_type(self) -> &'static str {
        match self {
            Domain::Text => "VARCHAR",
            Domain::Cardinal => "INT",
            Domain::Stamp => "TIMESTAMPTZ",
            Domain::Bool => "BOOLEAN",
        }
    }
}

/// A view of `columns` (name, type, SQL expression; `None` is NULL) over `from`.
fn view(columns: &[(&str, Domain, Option<&str>)], from: &str) -> SqlView {
    let select: Vec<String> = columns
        .iter()
        .map(|(name, domain, expr)| {
            format!(
                "CAST({} AS {}) AS \"{name}\"",
                expr.unwrap_or("NULL"),
                domain.sql_type()
            )
        })
        .collect();
    SqlView {
        sql: format!("SELECT {} FROM {from}", select.join(", ")),
        schema: Arc::new(Schema::new(
            columns
                .iter()
                .map(|(name, domain, _)| Field::new(*name, domain.data_type(), true))
                .collect::<Vec<_>>(),
        )),
    }
}

/// `information_schema.routines` as PostgreSQL 16 defines it
/// (src/backend/catalog/information_schema.sql): one row per function or
/// procedure of `pg_proc` (not aggregates or window functions), with the
/// result type's name and the language's traits; the columns PostgreSQL
/// always leaves NULL are NULL.
pub fn routines() -> SqlView {
    use Domain::{Cardinal, Stamp, Text};
    let not_procedure = |e: &'static str| e;
    let mut columns: Vec<(&str, Domain, Option<&str>)> = vec![
        ("specific_catalog", Text, Some("current_database()")),
        ("specific_schema", Text, Some("n.nspname")),
        (
            "specific_name",
            Text,
            Some("p.proname || '_' || CAST(p.oid AS VARCHAR)"),
        ),
        ("routine_catalog", Text, Some("current_database()")),
        ("routine_schema", Text, Some("n.nspname")),
        ("routine_name", Text, Some("p.proname")),
        (
            "routine_type",
            Text,
            Some("CASE p.prokind WHEN 'f' THEN 'FUNCTION' WHEN 'p' THEN 'PROCEDURE' END"),
        ),
        ("module_catalog", Text, None),
        ("module_schema", Text, None),
        ("module_name", Text, None),
        ("udt_catalog", Text, None),
        ("udt_schema", Text, None),
        ("udt_name", Text, None),
        (
            "data_type",
            Text,
            Some(not_procedure(
                "CASE WHEN p.prokind = 'p' THEN NULL \
                 WHEN t.typelem <> 0 AND t.typlen = -1 THEN 'ARRAY' \
                 WHEN tn.nspname = 'pg_catalog' THEN format_type(t.oid, NULL) \
                 ELSE 'USER-DEFINED' END",
            )),
        ),
    ];
    for name in ["character_maximum_length", "character_octet_length"] {
        columns.push((name, Cardinal, None));
    }
    for name in [
        "character_set_catalog",
        "character_set_schema",
        "character_set_name",
        "collation_catalog",
        "collation_schema",
        "collation_name",
    ] {
        columns.push((name, Text, None));
    }
    for name in [
        "numeric_precision",
        "numeric_precision_radix",
        "numeric_scale",
        "datetime_precision",
    ] {
        columns.push((name, Cardinal, None));
    }
    columns.extend([
        ("interval_type", Text, None),
        ("interval_precision", Cardinal, None),
        (
            "type_udt_catalog",
            Text,
            Some("CASE WHEN p.prokind <> 'p' THEN current_database() END"),
        ),
        ("type_udt_schema", Text, Some("CASE WHEN p.prokind <> 'p' THEN tn.nspname END")),
        ("type_udt_name", Text, Some("CASE WHEN p.prokind <> 'p' THEN t.typname END")),
        ("scope_catalog", Text, None),
        ("scope_schema", Text, None),
        ("scope_name", Text, None),
        ("maximum_cardinality", Cardinal, None),
        ("dtd_identifier", Text, Some("CASE WHEN p.prokind <> 'p' THEN '0' END")),
        (
            "routine_body",
            Text,
            Some("CASE WHEN l.lanname = 'sql' THEN 'SQL' ELSE 'EXTERNAL' END"),
        ),
        ("routine_definition", Text, Some("p.prosrc")),
        ("external_name", Text, Some("CASE WHEN l.lanname = 'c' THEN p.prosrc END")),
        ("external_language", Text, Some("upper(l.lanname)")),
        ("parameter_style", Text, Some("'GENERAL'")),
        (
            "is_deterministic",
            Text,
            Some("CASE WHEN p.provolatile = 'i' THEN 'YES' ELSE 'NO' END"),
        ),
        ("sql_data_access", Text, Some("'MODIFIES'")),
        (
            "is_null_call",
            Text,
            Some("CASE WHEN p.prokind <> 'p' THEN CASE WHEN p.proisstrict THEN 'YES' ELSE 'NO' END END"),
        ),
        ("sql_path", Text, None),
        ("schema_level_routine", Text, Some("'YES'")),
        ("max_dynamic_result_sets", Cardinal, Some("0")),
        ("is_user_defined_cast", Text, None),
        ("is_implicitly_invocable", Text, None),
        (
            "security_type",
            Text,
            Some("CASE WHEN p.prosecdef THEN 'DEFINER' ELSE 'INVOKER' END"),
        ),
        ("to_sql_specific_catalog", Text, None),
        ("to_sql_specific_schema", Text, None),
        ("to_sql_specific_name", Text, None),
        ("as_locator", Text, Some("'NO'")),
        ("created", Stamp, None),
        ("last_altered", Stamp, None),
        ("new_savepoint_level", Text, None),
        ("is_udt_dependent", Text, Some("'NO'")),
        ("result_cast_from_data_type", Text, None),
        ("result_cast_as_locator", Text, None),
        ("result_cast_char_max_length", Cardinal, None),
        ("result_cast_char_octet_length", Cardinal, None),
        ("result_cast_char_set_catalog", Text, None),
        ("result_cast_char_set_schema", Text, None),
        ("result_cast_char_set_name", Text, None),
        ("result_cast_collation_catalog", Text, None),
        ("result_cast_collation_schema", Text, None),
        ("result_cast_collation_name", Text, None),
        ("result_cast_numeric_precision", Cardinal, None),
        ("result_cast_numeric_precision_radix", Cardinal, None),
        ("result_cast_numeric_scale", Cardinal, None),
        ("result_cast_datetime_precision", Cardinal, None),
        ("result_cast_interval_type", Text, None),
        ("result_cast_interval_precision", Cardinal, None),
        ("result_cast_type_udt_catalog", Text, None),
        ("result_cast_type_udt_schema", Text, None),
        ("result_cast_type_udt_name", Text, None),
        ("result_cast_scope_catalog", Text, None),
        ("result_cast_scope_schema", Text, None),
        ("result_cast_scope_name", Text, None),
        ("result_cast_maximum_cardinality", Cardinal, None),
        ("result_cast_dtd_identifier", Text, None),
    ]);
    view(
        &columns,
        "pg_catalog.pg_proc p \
         JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace \
         JOIN pg_catalog.pg_language l ON l.oid = p.prolang \
         LEFT JOIN pg_catalog.pg_type t ON t.oid = p.prorettype \
         LEFT JOIN pg_catalog.pg_namespace tn ON tn.oid = t.typnamespace \
         WHERE p.prokind IN ('f', 'p')",
    )
}

/// `pg_catalog.pg_indexes`: conversql has no indexes (its relations are
/// views over Parquet logs), so no rows, with PostgreSQL's columns.
pub fn pg_indexes() -> SqlView {
    use Domain::Text;
    view(
        &[
            ("schemaname", Text, Some("n.nspname")),
            ("tablename", Text, Some("c.relname")),
            ("indexname", Text, Some("i.relname")),
            ("tablespace", Text, None),
            ("indexdef", Text, Some("pg_get_indexdef(i.oid)")),
        ],
        "pg_catalog.pg_index x \
         JOIN pg_catalog.pg_class c ON c.oid = x.indrelid \
         JOIN pg_catalog.pg_class i ON i.oid = x.indexrelid \
         LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
         WHERE c.relkind IN ('r', 'm', 'p') AND i.relkind IN ('i', 'I')",
    )
}

/// `pg_catalog.pg_tables` as PostgreSQL defines it (src/backend/catalog/system_views.sql):
/// the relations of `pg_class` of kind `r` or `p`, so no view. The catalog
/// crate's lists every relation, views included, and dbt, which reads a
/// relation's type from the `pg_tables`/`pg_views` union, then took a view
/// for a table (`DROP TABLE` of its old model).
pub fn pg_tables() -> SqlView {
    use Domain::{Bool, Text};
    view(
        &[
            ("schemaname", Text, Some("n.nspname")),
            ("tablename", Text, Some("c.relname")),
            ("tableowner", Text, Some("'postgres'")),
            ("tablespace", Text, None),
            ("hasindexes", Bool, Some("false")),
            ("hasrules", Bool, Some("false")),
            ("hastriggers", Bool, Some("false")),
            ("rowsecurity", Bool, Some("false")),
        ],
        "pg_catalog.pg_class c \
         LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
         WHERE c.relkind IN ('r', 'p')",
    )
}
