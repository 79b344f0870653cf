//! Turning results and errors into Postgres messages: Arrow batches to data
//! rows (`arrow-pg`, text or binary per column), errors to `ErrorResponse`
//! with a fitting SQLSTATE, bound parameter values into a statement.

use std::ops::ControlFlow;
use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::compute::{CastOptions, cast_with_options};
use arrow::datatypes::{DataType, Field, Schema};
use datafusion::common::ParamValues;
use datafusion::dataframe::DataFrame;
use datafusion::sql::sqlparser::ast::{Expr as SqlExpr, Statement, Value, visit_expressions_mut};
use datafusion::sql::unparser::Unparser;
use futures::StreamExt;
use pgwire::api::portal::Format;
use pgwire::api::results::{FieldInfo, QueryResponse};
use pgwire::error::{ErrorInfo, PgWireError, PgWireResult};
use pgwire::types::format::FormatOptions;

use datafusion::error::DataFusionError;

use super::control::{StatementGuard, Stop, StoppedError};
use crate::error::{Error, datafusion_sqlstate};

/// A Postgres error response for a conversql error.
pub fn pg_error(e: &Error) -> PgWireError {
    PgWireError::UserError(Box::new(error_info(e)))
}

/// The `ErrorResponse` fields for a conversql error.
pub fn error_info(e: &Error) -> ErrorInfo {
    match e {
        Error::DataFusion(inner) => datafusion_error_info(inner),
        other => ErrorInfo::new(
            "ERROR".to_string(),
            other.sqlstate().to_string(),
            other.to_string(),
        ),
    }
}

/// The Postgres field descriptions of an Arrow schema in the requested formats.
///
/// Columns of unsigned 64-bit integers (DataFusion's `row_number()`, `rank()`
/// and friends) are described as `int8`, as PostgreSQL does for the same
/// functions; `rows` converts their values to match.
///
/// A catalog column of function or type names tagged as an OID alias
/// (`pg_type.typinput`, a `regproc`) is described as `text`: its values are
/// the names, which is what Postgres sends for `regproc` in text format, but in
/// binary format Postgres sends a 4-byte OID, and the column's type is fixed
/// at Describe, before the client picks a format. Described as `text`, binary
/// clients (DBeaver) decode exactly what is sent, and text clients read the
/// same names as from PostgreSQL.
///
/// A text column tagged with its PostgreSQL type (`varchar`, `name`,
/// `"char"`, `json`, see [`crate::pg_types::type_identity`]) is described as
/// that type.
pub fn fields(
    schema: &Schema,
    format: &Format,
    options: Arc<FormatOptions>,
) -> PgWireResult<Vec<FieldInfo>> {
    let wire = Schema::new_with_metadata(
        schema
            .fields()
            .iter()
            .map(|f| wire_field(f))
            .collect::<Vec<_>>(),
        schema.metadata().clone(),
    );
    let mut described =
        arrow_pg::datatypes::arrow_schema_to_pg_fields(&wire, format, Some(options.clone()))?;
    for (info, field) in described.iter_mut().zip(wire.fields()) {
        let pg_type = if crate::catalog::asyncpg_introspection::is_oid_array(field.data_type()) {
            Some(pgwire::api::Type::OID_ARRAY)
        } else {
            crate::pg_types::type_identity::pg_type(field)
        };
        if let Some(pg_type) = pg_type {
            *info = FieldInfo::new(
                info.name().to_string(),
                info.table_id(),
                info.column_id(),
                pg_type,
                info.format(),
            )
            .with_format_options(options.clone());
        }
    }
    Ok(described)
}

/// The type a column of `data_type` travels as, where it is not its own:
/// PostgreSQL has no unsigned integers (and arrow-pg would send `UInt64` as
/// `numeric`), so `UInt64` is `Int64`; a column of untyped NULLs
/// (`SELECT NULL`) is `text`, as PostgreSQL resolves an `unknown` output column.
fn wire_type_of(data_type: &DataType) -> Option<DataType> {
    match data_type {
        DataType::UInt64 => Some(DataType::Int64),
        DataType::Null => Some(DataType::Utf8),
        _ => None,
    }
}

/// A field as described to clients: under its client name (see
/// [`crate::dialect::column_names`]), `UInt64` as `Int64`, untyped NULLs as
/// `text` ([`wire_type_of`]), and a named OID alias without its tag.
fn wire_field(field: &Field) -> Field {
    let mut field = field.clone();
    if crate::dialect::column_names::is_internal(field.name()) {
        let name = crate::dialect::column_names::client_name(field.name()).to_string();
        field = field.with_name(name);
    }
    if let Some(wire) = wire_type_of(field.data_type()) {
        field = field.with_data_type(wire);
    }
    if is_named_oid_alias(&field) {
        let mut metadata = field.metadata().clone();
        metadata.remove(arrow_pg::datatypes::PG_OID_ALIAS_KEY);
        field = field.with_metadata(metadata);
    }
    field
}

/// A column of names (not numbers) tagged as an OID alias type such as `regproc`.
fn is_named_oid_alias(field: &Field) -> bool {
    matches!(
        field.data_type(),
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View
    ) && field
        .metadata()
        .contains_key(arrow_pg::datatypes::PG_OID_ALIAS_KEY)
}

/// The schema as sent to Postgres clients: each column of the type it travels as ([`wire_type_of`]).
fn pg_schema(schema: &Schema) -> Schema {
    let fields: Vec<Field> = schema
        .fields()
        .iter()
        .map(|f| match wire_type_of(f.data_type()) {
            Some(wire) => f.as_ref().clone().with_data_type(wire),
            None => f.as_ref().clone(),
        })
        .collect();
    Schema::new_with_metadata(fields, schema.metadata().clone())
}

/// A batch converted to `pg_schema`: `UInt64` columns cast to `Int64` (a
/// value above `i64::MAX` is an error naming the column, never a wrapped
/// number), NULL columns to `text`.
pub(super) fn pg_batch(batch: RecordBatch) -> Result<RecordBatch, DataFusionError> {
    let schema = batch.schema();
    if !schema
        .fields()
        .iter()
        .any(|f| wire_type_of(f.data_type()).is_some())
    {
        return Ok(batch);
    }
    let options = CastOptions {
        safe: false,
        ..Default::default()
    };
    let columns = batch
        .columns()
        .iter()
        .zip(schema.fields())
        .map(|(column, field)| match wire_type_of(field.data_type()) {
            Some(wire) => cast_with_options(column, &wire, &options).map_err(|e| {
                DataFusionError::Execution(format!(
                    "column \"{}\" does not fit in {}: {e}",
                    field.name(),
                    if wire == DataType::Int64 {
                        "int8"
                    } else {
                        "text"
                    }
                ))
            }),
            None => Ok(column.clone()),
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(RecordBatch::try_new(Arc::new(pg_schema(&schema)), columns)?)
}

/// Executes `df` and streams its rows, encoded per `format`, until the statement is stopped.
pub async fn rows(
    df: DataFrame,
    format: &Format,
    options: Arc<FormatOptions>,
    guard: &StatementGuard,
) -> PgWireResult<QueryResponse> {
    let stream = match guard.run(super::executor::execute_stream(df)).await {
        Ok(stream) => {
            stream.map_err(|e| PgWireError::UserError(Box::new(datafusion_error_info(&e))))?
        }
        Err(stop) => return Err(stopped(stop)),
    };
    let stream = guard.guard_stream(stream);
    let companions = super::scale_form::Companions::of(stream.schema().as_ref());
    let client_schema = companions.client_schema(&stream.schema());
    let fields = Arc::new(fields(client_schema.as_ref(), format, options)?);
    let row_fields = fields.clone();
    let binary_arrays = super::binary_form::binary_arrays(&fields);
    let rows = stream
        .map(move |batch| {
            let encoded: Box<
                dyn Iterator<Item = PgWireResult<pgwire::messages::data::DataRow>> + Send,
            > = match batch
                .and_then(|b| companions.apply(b, &row_fields))
                .and_then(pg_batch)
                .and_then(|b| super::text_form::postgres_text(b, &row_fields))
                .and_then(|b| super::interval_form::pg_intervals(b, &row_fields))
                .and_then(|b| super::char_form::binary_chars(b, &row_fields))
                .and_then(|b| super::numeric_form::binary_numerics(b, &row_fields))
            {
                Ok(batch) => {
                    let encoded =
                        arrow_pg::datatypes::encode_recordbatch(row_fields.clone(), batch);
                    match binary_arrays.clone() {
                        Some(arrays) => Box::new(encoded.map(move |row| {
                            row.map(|r| super::binary_form::empty_arrays(r, &arrays))
                        })),
                        None => Box::new(encoded),
                    }
                }
                Err(e) => Box::new(std::iter::once(Err(PgWireError::UserError(Box::new(
                    datafusion_error_info(&e),
                ))))),
            };
            futures::stream::iter(encoded)
        })
        .flatten();
    Ok(QueryResponse::new(fields, rows))
}

/// The error of a statement stopped by a cancel request or `statement_timeout` (SQLSTATE 57014).
pub fn stopped(stop: Stop) -> PgWireError {
    PgWireError::UserError(Box::new(ErrorInfo::new(
        "ERROR".into(),
        Stop::SQLSTATE.into(),
        stop.message().into(),
    )))
}

/// The `ErrorResponse` fields of an error raised while a query ran.
pub fn datafusion_error_info(e: &DataFusionError) -> ErrorInfo {
    if let DataFusionError::External(inner) = e.find_root()
        && let Some(StoppedError(stop)) = inner.downcast_ref::<StoppedError>()
    {
        return ErrorInfo::new("ERROR".into(), Stop::SQLSTATE.into(), stop.message().into());
    }
    let e = without_rule_context(e);
    let code = datafusion_sqlstate(e);
    let message = if let DataFusionError::External(inner) = e.find_root()
        && (code == "54000"
            || code == "21000"
            || inner.downcast_ref::<conversql_udfs::SqlError>().is_some())
    {
        inner.to_string()
    } else if code == "53200" {
        format!(
            "out of memory: the query needs more than its memory limit (--memory-limit): {}",
            e.find_root()
        )
    } else {
        e.to_string()
    };
    ErrorInfo::new("ERROR".into(), code.into(), message)
}

/// The error under the names of the analyzer and optimizer rules DataFusion
/// wraps a rule's error in (`apply_function_rewrites\ncaused by\n…`): a
/// rule's name is no help to a client. A context that is a sentence (it
/// has a space: a file, a setting) is kept.
fn without_rule_context(e: &DataFusionError) -> &DataFusionError {
    match e {
        DataFusionError::Context(label, inner) if !label.contains(char::is_whitespace) => {
            without_rule_context(inner)
        }
        other => other,
    }
}

/// A bound value as an expression that plans back to the value's own type:
/// a plain number reads as a `bigint` (or, with decimals, a `numeric`), so
/// the other integers and floats are cast to their type (`CAST(42 AS
/// INTEGER)` for a parameter declared `int4`), and so is a NULL.
fn typed_literal(value: &datafusion::common::ScalarValue) -> datafusion::logical_expr::Expr {
    let literal = datafusion::logical_expr::Expr::Literal(value.clone(), None);
    match value.data_type() {
        DataType::Int8
        | DataType::Int16
        | DataType::Int32
        | DataType::UInt8
        | DataType::UInt16
        | DataType::UInt32
        | DataType::UInt64
        | DataType::Float16
        | DataType::Float32
        | DataType::Float64 => datafusion::logical_expr::Expr::Cast(
            datafusion::logical_expr::Cast::new(Box::new(literal), value.data_type()),
        ),
        DataType::Null => literal,
        // A NULL keeps its type too (`SELECT $1` of an `int4` NULL is an `int4` column).
        data_type if value.is_null() => datafusion::logical_expr::Expr::Cast(
            datafusion::logical_expr::Cast::new(Box::new(literal), data_type),
        ),
        _ => literal,
    }
}

/// A `timestamptz` value as `CAST('2026-06-07T10:30:00+00:00' AS TIMESTAMPTZ)`:
/// DataFusion's unparser casts it to a `timestamp` (without time zone),
/// which `AT TIME ZONE` would then read as a wall-clock time in the zone.
fn timestamptz_literal(value: &datafusion::common::ScalarValue) -> Option<SqlExpr> {
    use datafusion::common::ScalarValue;
    use datafusion::sql::sqlparser::ast::{CastKind, DataType as SqlType, TimezoneInfo};
    let nanos = match value {
        ScalarValue::TimestampSecond(Some(v), Some(_)) => v.checked_mul(1_000_000_000)?,
        ScalarValue::TimestampMillisecond(Some(v), Some(_)) => v.checked_mul(1_000_000)?,
        ScalarValue::TimestampMicrosecond(Some(v), Some(_)) => v.checked_mul(1_000)?,
        ScalarValue::TimestampNanosecond(Some(v), Some(_)) => *v,
        _ => return None,
    };
    let instant = chrono::DateTime::from_timestamp_nanos(nanos);
    Some(SqlExpr::Cast {
        kind: CastKind::Cast,
        expr: Box::new(SqlExpr::value(Value::SingleQuotedString(
            instant.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
        ))),
        data_type: SqlType::Timestamp(None, TimezoneInfo::WithTimeZone),
        array: false,
        format: None,
    })
}

/// Replaces the placeholders `$1…$n` of `statement` by the bound values, as
/// SQL literals; a parameter with an expression in `exprs` (an array, see
/// `pg_types::array_parameters`) is replaced by that expression instead.
pub fn bind_parameters(
    statement: &Statement,
    values: &ParamValues,
    exprs: &[Option<SqlExpr>],
) -> Result<Statement, Error> {
    let ParamValues::List(values) = values else {
        return Err(Error::config(
            "named parameters are not supported; use $1, $2, …",
        ));
    };
    let unparser = Unparser::default();
    let mut bound = statement.clone();
    let mut failure: Option<Error> = None;
    let _ = visit_expressions_mut(&mut bound, |expr| {
        if let SqlExpr::Value(v) = expr
            && let Value::Placeholder(name) = &v.value
        {
            let index = name
                .trim_start_matches('$')
                .parse::<usize>()
                .ok()
                .filter(|i| *i >= 1);
            if let Some(bound) = index
                .and_then(|i| exprs.get(i - 1))
                .and_then(Option::as_ref)
            {
                *expr = bound.clone();
                return ControlFlow::Continue(());
            }
            let Some(value) = index.and_then(|i| values.get(i - 1)) else {
                failure = Some(Error::config(format!(
                    "there is no parameter {name}: {} value(s) were bound",
                    values.len()
                )));
                return ControlFlow::Break(());
            };
            if let Some(sql) = timestamptz_literal(&value.value) {
                *expr = SqlExpr::Nested(Box::new(sql));
                return ControlFlow::Continue(());
            }
            let literal = typed_literal(&value.value);
            match unparser.expr_to_sql(&literal) {
                Ok(sql) => *expr = SqlExpr::Nested(Box::new(sql)),
                Err(e) => {
                    failure = Some(Error::DataFusion(e));
                    return ControlFlow::Break(());
                }
            }
        }
        ControlFlow::Continue(())
    });
    match failure {
        Some(e) => Err(e),
        None => Ok(bound),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Array, Int64Array, StringArray, UInt64Array};

    #[test]
    fn a_rules_name_is_not_part_of_the_message() {
        let refused = DataFusionError::Context(
            "apply_function_rewrites".into(),
            Box::new(DataFusionError::NotImplemented("sqrt(numeric)".into())),
        );
        let info = datafusion_error_info(&refused);
        assert_eq!(info.code, "0A000");
        assert_eq!(
            info.message,
            "This feature is not implemented: sqrt(numeric)"
        );
        let described = DataFusionError::Context(
            "reading file a.parquet".into(),
            Box::new(DataFusionError::Execution("bad footer".into())),
        );
        assert!(
            datafusion_error_info(&described)
                .message
                .starts_with("reading file a.parquet")
        );
    }

    #[test]
    fn bound_values_keep_their_types() {
        use datafusion::common::ScalarValue;
        use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;
        use datafusion::sql::sqlparser::parser::Parser;
        let statement = Parser::parse_sql(&PostgreSqlDialect {}, "SELECT $1, $2, $3, $4")
            .unwrap()
            .remove(0);
        let values = ParamValues::List(
            [
                ScalarValue::Int32(Some(42)),
                ScalarValue::Float64(Some(0.1)),
                ScalarValue::TimestampMicrosecond(
                    Some(1_780_828_200_000_000),
                    Some("+00:00".into()),
                ),
                ScalarValue::Utf8(None),
            ]
            .into_iter()
            .map(Into::into)
            .collect(),
        );
        let bound = bind_parameters(&statement, &values, &[None, None, None, None])
            .unwrap()
            .to_string();
        assert_eq!(
            bound,
            "SELECT (CAST(42 AS INTEGER)), (CAST(0.1 AS DOUBLE)), \
             (CAST('2026-06-07T10:30:00Z' AS TIMESTAMP WITH TIME ZONE)), (CAST(NULL AS VARCHAR))"
        );
    }

    #[test]
    fn unsigned_64_bit_columns_travel_as_int8() {
        let schema = Arc::new(Schema::new(vec![
            Field::new("attnum", DataType::UInt64, false),
            Field::new("name", DataType::Utf8, true),
        ]));
        let batch = RecordBatch::try_new(
            schema.clone(),
            vec![
                Arc::new(UInt64Array::from(vec![1, 2, 3])),
                Arc::new(StringArray::from(vec!["a", "b", "c"])),
            ],
        )
        .unwrap();
        let converted = pg_batch(batch).unwrap();
        assert_eq!(converted.schema().field(0).data_type(), &DataType::Int64);
        let values = converted
            .column(0)
            .as_any()
            .downcast_ref::<Int64Array>()
            .unwrap();
        assert_eq!(values.values(), &[1, 2, 3]);
        assert_eq!(converted.column(1).len(), 3);

        let described = fields(
            &schema,
            &Format::UnifiedText,
            Arc::new(FormatOptions::default()),
        )
        .unwrap();
        assert_eq!(described[0].datatype(), &pgwire::api::Type::INT8);
    }

    #[test]
    fn named_regproc_columns_are_described_as_text() {
        let mut metadata = std::collections::HashMap::new();
        metadata.insert(
            arrow_pg::datatypes::PG_OID_ALIAS_KEY.to_string(),
            "regproc".to_string(),
        );
        let schema = Schema::new(vec![
            Field::new("typinput", DataType::Utf8, false).with_metadata(metadata),
        ]);
        let text = fields(
            &schema,
            &Format::UnifiedText,
            Arc::new(FormatOptions::default()),
        )
        .unwrap();
        assert_eq!(text[0].datatype(), &pgwire::api::Type::TEXT);
        let binary = fields(
            &schema,
            &Format::UnifiedBinary,
            Arc::new(FormatOptions::default()),
        )
        .unwrap();
        assert_eq!(binary[0].datatype(), &pgwire::api::Type::TEXT);
    }

    #[test]
    fn an_unsigned_value_beyond_int8_is_an_error_naming_the_column() {
        let schema = Arc::new(Schema::new(vec![Field::new(
            "big",
            DataType::UInt64,
            false,
        )]));
        let batch = RecordBatch::try_new(schema, vec![Arc::new(UInt64Array::from(vec![u64::MAX]))])
            .unwrap();
        let err = pg_batch(batch).unwrap_err().to_string();
        assert!(err.contains("\"big\"") && err.contains("int8"), "{err}");
    }
}
