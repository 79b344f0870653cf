//! The catalog's columns of PostgreSQL types Arrow holds as text: `name`
//! (`pg_class.relname`, `pg_attribute.attname`, …) and `"char"`
//! (`pg_class.relkind`, `pg_attribute.attgenerated`, …), as declared in
//! PostgreSQL's catalog headers (src/include/catalog/pg_*.h). The catalog
//! crate stores them as `Utf8`; each table here reads its columns tagged with
//! their PostgreSQL type ([`crate::pg_types::type_identity`]), so clients are
//! told `name` (19) and `"char"` (18) as PostgreSQL tells them.

use std::sync::Arc;

use arrow::datatypes::{DataType, Schema, SchemaRef};
use async_trait::async_trait;
use datafusion::catalog::{Session, TableProvider};
use datafusion::common::Result;
use datafusion::datasource::TableType;
use datafusion::logical_expr::{Expr, ScalarUDF, TableProviderFilterPushDown};
use datafusion::physical_expr::expressions::Column;
use datafusion::physical_expr::{PhysicalExpr, ScalarFunctionExpr};
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::projection::ProjectionExec;

use crate::pg_types::type_identity::{PgTyped, tagged};

/// `(table, column, PostgreSQL type)` of the catalog columns typed `name` or `"char"`.
const COLUMNS: &[(&str, &str, &str)] = &[
    ("pg_am", "amname", "name"),
    ("pg_am", "amtype", "char"),
    ("pg_attribute", "attname", "name"),
    ("pg_attribute", "attalign", "char"),
    ("pg_attribute", "attstorage", "char"),
    ("pg_attribute", "attcompression", "char"),
    ("pg_attribute", "attidentity", "char"),
    ("pg_attribute", "attgenerated", "char"),
    ("pg_class", "relname", "name"),
    ("pg_class", "relpersistence", "char"),
    ("pg_class", "relkind", "char"),
    ("pg_class", "relreplident", "char"),
    ("pg_collation", "collname", "name"),
    ("pg_collation", "collprovider", "char"),
    ("pg_constraint", "conname", "name"),
    ("pg_constraint", "contype", "char"),
    ("pg_constraint", "confupdtype", "char"),
    ("pg_constraint", "confdeltype", "char"),
    ("pg_constraint", "confmatchtype", "char"),
    ("pg_database", "datname", "name"),
    ("pg_depend", "deptype", "char"),
    ("pg_extension", "extname", "name"),
    ("pg_namespace", "nspname", "name"),
    ("pg_proc", "proname", "name"),
    ("pg_proc", "prokind", "char"),
    ("pg_proc", "provolatile", "char"),
    ("pg_proc", "proparallel", "char"),
    ("pg_roles", "rolname", "name"),
    ("pg_tables", "schemaname", "name"),
    ("pg_tables", "tablename", "name"),
    ("pg_tables", "tableowner", "name"),
    ("pg_trigger", "tgname", "name"),
    ("pg_type", "typname", "name"),
    ("pg_type", "typtype", "char"),
    ("pg_type", "typcategory", "char"),
    ("pg_type", "typdelim", "char"),
    ("pg_type", "typalign", "char"),
    ("pg_type", "typstorage", "char"),
    ("pg_user", "usename", "name"),
    ("pg_views", "schemaname", "name"),
    ("pg_views", "viewname", "name"),
    ("pg_views", "viewowner", "name"),
];

/// The PostgreSQL type of column `column` of catalog table `table`, where it is `name` or `"char"`.
fn column_type(table: &str, column: &str) -> Option<&'static str> {
    COLUMNS
        .iter()
        .find(|(t, c, _)| *t == table && *c == column)
        .map(|(_, _, ty)| *ty)
}

/// `inner` (catalog table `table`) with its `name` and `"char"` columns
/// tagged, or `inner` itself when it has none.
pub fn typed(table: &str, inner: Arc<dyn TableProvider>) -> Arc<dyn TableProvider> {
    let schema = inner.schema();
    let tags: Vec<Option<&'static str>> = schema
        .fields()
        .iter()
        .map(|f| {
            column_type(table, f.name())
                .filter(|_| matches!(f.data_type(), DataType::Utf8 | DataType::Utf8View))
        })
        .collect();
    if tags.iter().all(Option::is_none) {
        return inner;
    }
    let fields: Vec<_> = schema
        .fields()
        .iter()
        .zip(&tags)
        .map(|(f, tag)| match tag {
            Some(tag) => tagged(f.as_ref().clone(), tag),
            None => f.as_ref().clone(),
        })
        .collect();
    Arc::new(Typed {
        inner,
        tags,
        schema: Arc::new(Schema::new_with_metadata(fields, schema.metadata().clone())),
    })
}

/// A catalog table read with some of its columns tagged with their PostgreSQL type.
#[derive(Debug)]
struct Typed {
    inner: Arc<dyn TableProvider>,
    /// The PostgreSQL type of each tagged column, by position.
    tags: Vec<Option<&'static str>>,
    schema: SchemaRef,
}

#[async_trait]
impl TableProvider for Typed {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
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
        let input = self.inner.scan(state, projection, filters, limit).await?;
        let input_schema = input.schema();
        let indices: Vec<usize> = match projection {
            Some(p) => p.clone(),
            None => (0..self.schema.fields().len()).collect(),
        };
        let exprs = indices
            .into_iter()
            .enumerate()
            .map(|(position, i)| {
                let name = self.schema.field(i).name().clone();
                let column: Arc<dyn PhysicalExpr> = Arc::new(Column::new(&name, position));
                let expr: Arc<dyn PhysicalExpr> = match self.tags[i] {
                    Some(tag) => Arc::new(ScalarFunctionExpr::try_new(
                        Arc::new(ScalarUDF::new_from_impl(PgTyped::new(tag))),
                        vec![column],
                        &input_schema,
                        Arc::new(state.config_options().clone()),
                    )?),
                    None => column,
                };
                Ok((expr, name))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Arc::new(ProjectionExec::try_new(exprs, input)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_postgres_types() {
        assert_eq!(column_type("pg_class", "relname"), Some("name"));
        assert_eq!(column_type("pg_attribute", "attgenerated"), Some("char"));
        assert_eq!(column_type("pg_class", "relnatts"), None);
        let listed: std::collections::HashSet<_> =
            COLUMNS.iter().map(|(t, c, _)| (*t, *c)).collect();
        assert_eq!(listed.len(), COLUMNS.len(), "each column once");
    }
}
