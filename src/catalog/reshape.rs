//! Catalog tables completed to the shape Postgres clients query:
//!
//! - `pg_class` gains the columns the catalog crate lacks (`reltoastrelid`,
//!   `relrewrite`, `relacl`, `reloptions`), each with the value a conversql
//!   relation has in PostgreSQL (no TOAST table, no rewrite, default
//!   privileges, no storage options). psql's `\d+` reads `reloptions`.
//! - `pg_index` gets PostgreSQL's column types: `indkey` and `indoption` are
//!   `int2vector`, `indcollation` and `indclass` are `oidvector` — arrays that
//!   clients `unnest` (SQLAlchemy's index and constraint reflection). conversql
//!   has no indexes, so the table is empty; only its shape matters.
//! - `pg_constraint`'s column lists (`conkey`, `confkey`, `confdelsetcols`) are
//!   `int2[]` and its operator lists (`conpfeqop`, `conppeqop`, `conffeqop`,
//!   `conexclop`) `oid[]`, where the catalog crate holds their text (`[1, 2]`):
//!   ADBC's and harlequin's constraint queries `unnest` them.
//! - `pg_proc`'s `proallargtypes` is `oid[]` (the crate holds its text,
//!   `[2276]`) and `proargtypes`, an `oidvector` held as PostgreSQL prints it
//!   (`16 25`), is marked so: pgcli casts both to `regtype[]`.

use std::sync::Arc;

use arrow::array::{Array, AsArray};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use async_trait::async_trait;
use datafusion::catalog::{Session, TableProvider};
use datafusion::common::{Result, ScalarValue};
use datafusion::datasource::{MemTable, TableType};
use datafusion::logical_expr::{
    ColumnarValue, Expr, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature,
    TableProviderFilterPushDown, Volatility,
};
use datafusion::physical_expr::expressions::{Column, Literal};
use datafusion::physical_expr::{PhysicalExpr, ScalarFunctionExpr};
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::projection::ProjectionExec;

/// `pg_class` with the columns clients read that the catalog crate lacks,
/// and `relpages` 0: conversql's relations have no pages (PostgreSQL's views
/// and never-vacuumed tables have 0 too), where the crate says 1 for every
/// relation, and DuckDB's scanner then reads a relation in `ctid` ranges, a
/// type conversql has not.
pub fn pg_class(inner: Arc<dyn TableProvider>) -> Arc<dyn TableProvider> {
    let text_array = DataType::List(Arc::new(Field::new_list_field(DataType::Utf8, true)));
    Arc::new(
        WithColumns::new(
            inner,
            vec![
                (
                    Field::new("reltoastrelid", DataType::Int32, false),
                    ScalarValue::Int32(Some(0)),
                ),
                (
                    Field::new("relrewrite", DataType::Int32, false),
                    ScalarValue::Int32(Some(0)),
                ),
                (
                    Field::new("relacl", text_array.clone(), true),
                    ScalarValue::try_from(&text_array).expect("null list"),
                ),
                (
                    Field::new("reloptions", text_array.clone(), true),
                    ScalarValue::try_from(&text_array).expect("null list"),
                ),
            ],
        )
        .replacing("relpages", ScalarValue::Int32(Some(0))),
    )
}

/// `pg_index` with PostgreSQL's column types, and no rows (conversql has no indexes).
pub fn pg_index(inner: &SchemaRef) -> Result<Arc<dyn TableProvider>> {
    let int2vector = DataType::List(Arc::new(Field::new_list_field(DataType::Int16, true)));
    let oidvector = DataType::List(Arc::new(Field::new_list_field(DataType::Int32, true)));
    let fields: Vec<Field> = inner
        .fields()
        .iter()
        .map(|f| {
            let field = f.as_ref().clone();
            match f.name().as_str() {
                "indkey" | "indoption" => field.with_data_type(int2vector.clone()),
                "indcollation" | "indclass" => field.with_data_type(oidvector.clone()),
                _ => field,
            }
        })
        .collect();
    let schema = Arc::new(Schema::new_with_metadata(fields, inner.metadata().clone()));
    Ok(Arc::new(MemTable::try_new(schema, vec![vec![]])?))
}

/// `pg_constraint` with its array columns as arrays.
pub fn pg_constraint(inner: Arc<dyn TableProvider>) -> Arc<dyn TableProvider> {
    let int2_array = DataType::List(Arc::new(Field::new_list_field(DataType::Int16, true)));
    let oid_array = DataType::List(Arc::new(Field::new_list_field(DataType::Int32, true)));
    array_columns(inner, |name| match name {
        "conkey" | "confkey" | "confdelsetcols" => Some(int2_array.clone()),
        "conpfeqop" | "conppeqop" | "conffeqop" | "conexclop" => Some(oid_array.clone()),
        _ => None,
    })
}

/// `pg_proc` with `proallargtypes` an `oid[]`, where the catalog crate holds its text (`[2276]`).
pub fn pg_proc(inner: Arc<dyn TableProvider>) -> Arc<dyn TableProvider> {
    let oid_array = DataType::List(Arc::new(Field::new_list_field(DataType::Int32, true)));
    array_columns(inner, |name| {
        (name == "proallargtypes").then(|| oid_array.clone())
    })
}

/// `schema` with the text columns `names` marked as `oidvector`s (see
/// [`oid_vector`](crate::pg_types::oid_vector)).
pub fn oidvector_text(schema: &SchemaRef, names: &[&str]) -> SchemaRef {
    let fields: Vec<Field> = schema
        .fields()
        .iter()
        .map(|f| {
            if names.contains(&f.name().as_str()) {
                crate::pg_types::oid_vector::mark_oidvector(f.as_ref().clone())
            } else {
                f.as_ref().clone()
            }
        })
        .collect();
    Arc::new(Schema::new_with_metadata(fields, schema.metadata().clone()))
}

/// `inner` with its text columns that `array_type` names read as arrays of that type.
fn array_columns(
    inner: Arc<dyn TableProvider>,
    array_type: impl Fn(&str) -> Option<DataType>,
) -> Arc<dyn TableProvider> {
    let schema = inner.schema();
    let converted: Vec<Option<DataType>> = schema
        .fields()
        .iter()
        .map(|f| {
            let text = matches!(
                f.data_type(),
                DataType::Utf8 | DataType::Utf8View | DataType::LargeUtf8
            );
            if text { array_type(f.name()) } else { None }
        })
        .collect();
    let fields: Vec<Field> = schema
        .fields()
        .iter()
        .zip(&converted)
        .map(|(f, to)| match to {
            Some(t) => f.as_ref().clone().with_data_type(t.clone()),
            None => f.as_ref().clone(),
        })
        .collect();
    Arc::new(ArrayColumns {
        inner,
        converted,
        schema: Arc::new(Schema::new_with_metadata(fields, schema.metadata().clone())),
    })
}

/// A table whose text columns holding integer lists (`[1, 2]` or `{1,2}`) are read as arrays.
#[derive(Debug)]
struct ArrayColumns {
    inner: Arc<dyn TableProvider>,
    /// The array type of each converted column, by position.
    converted: Vec<Option<DataType>>,
    schema: SchemaRef,
}

#[async_trait]
impl TableProvider for ArrayColumns {
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
        _filters: &[Expr],
        _limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let input = self.inner.scan(state, None, &[], None).await?;
        let input_schema = input.schema();
        let indices: Vec<usize> = match projection {
            Some(p) => p.clone(),
            None => (0..self.schema.fields().len()).collect(),
        };
        let exprs = indices
            .into_iter()
            .map(|i| {
                let name = self.schema.field(i).name().clone();
                let column: Arc<dyn PhysicalExpr> = Arc::new(Column::new(&name, i));
                let expr: Arc<dyn PhysicalExpr> = match &self.converted[i] {
                    Some(to) => Arc::new(ScalarFunctionExpr::try_new(
                        Arc::new(ScalarUDF::new_from_impl(IntegerList::new(to.clone()))),
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

/// Reads the text of an integer list (`[1, 2]`, `{1,2}`) as an array of `list_type`.
#[derive(Debug, PartialEq, Eq, Hash)]
struct IntegerList {
    list_type: DataType,
    signature: Signature,
}

impl IntegerList {
    fn new(list_type: DataType) -> Self {
        IntegerList {
            list_type,
            signature: Signature::any(1, Volatility::Immutable),
        }
    }
}

impl ScalarUDFImpl for IntegerList {
    fn name(&self) -> &'static str {
        "pg_catalog_integer_list"
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(self.list_type.clone())
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let text =
            arrow::compute::cast(&args.args[0].to_array(args.number_rows)?, &DataType::Utf8)?;
        let text = text.as_string::<i32>();
        let mut lists: Vec<Option<Vec<Option<i64>>>> = Vec::with_capacity(text.len());
        for value in text {
            lists.push(match value {
                None => None,
                Some(v) => Some(
                    v.trim_matches(|c| matches!(c, '[' | ']' | '{' | '}'))
                        .split(',')
                        .map(str::trim)
                        .filter(|item| !item.is_empty())
                        .map(|item| {
                            item.parse::<i64>().map(Some).map_err(|_| {
                                datafusion::common::DataFusionError::Execution(format!(
                                    "catalog list {v:?}: {item:?} is not an integer"
                                ))
                            })
                        })
                        .collect::<Result<Vec<_>>>()?,
                ),
            });
        }
        let int64 = arrow::array::ListArray::from_iter_primitive::<arrow::datatypes::Int64Type, _, _>(
            lists,
        );
        Ok(ColumnarValue::Array(arrow::compute::cast(
            &int64,
            &self.list_type,
        )?))
    }
}

/// A table with constant columns appended to another's.
#[derive(Debug)]
struct WithColumns {
    inner: Arc<dyn TableProvider>,
    extra: Vec<ScalarValue>,
    /// Inner columns answered by a constant instead, by index.
    replaced: Vec<(usize, ScalarValue)>,
    schema: SchemaRef,
}

impl WithColumns {
    fn new(inner: Arc<dyn TableProvider>, extra: Vec<(Field, ScalarValue)>) -> Self {
        let inner_schema = inner.schema();
        let mut fields: Vec<Field> = inner_schema
            .fields()
            .iter()
            .map(|f| f.as_ref().clone())
            .collect();
        let mut values = vec![];
        for (field, value) in extra {
            if inner_schema.field_with_name(field.name()).is_err() {
                fields.push(field);
                values.push(value);
            }
        }
        let schema = Arc::new(Schema::new_with_metadata(
            fields,
            inner_schema.metadata().clone(),
        ));
        WithColumns {
            inner,
            extra: values,
            replaced: vec![],
            schema,
        }
    }

    /// The inner column `name` answered by `value` in every row.
    fn replacing(mut self, name: &str, value: ScalarValue) -> Self {
        if let Ok(index) = self.inner.schema().index_of(name) {
            self.replaced.push((index, value));
        }
        self
    }
}

#[async_trait]
impl TableProvider for WithColumns {
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
        Ok(vec![
            TableProviderFilterPushDown::Unsupported;
            filters.len()
        ])
    }
    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        _filters: &[Expr],
        _limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let input = self.inner.scan(state, None, &[], None).await?;
        let inner_len = self.inner.schema().fields().len();
        let indices: Vec<usize> = match projection {
            Some(p) => p.clone(),
            None => (0..self.schema.fields().len()).collect(),
        };
        let exprs: Vec<(Arc<dyn PhysicalExpr>, String)> = indices
            .into_iter()
            .map(|i| {
                let name = self.schema.field(i).name().clone();
                let replaced = self.replaced.iter().find(|(r, _)| *r == i);
                let expr: Arc<dyn PhysicalExpr> = if let Some((_, value)) = replaced {
                    Arc::new(Literal::new(value.clone()))
                } else if i < inner_len {
                    Arc::new(Column::new(&name, i))
                } else {
                    Arc::new(Literal::new(self.extra[i - inner_len].clone()))
                };
                (expr, name)
            })
            .collect();
        Ok(Arc::new(ProjectionExec::try_new(exprs, input)?))
    }
}
