//! Turning results and errors into Postgres messages: Arrow batches to data
//! rows (`arrow-pg`, text or binary per column), errors to `ErrorResponse`
//! with a fitting SQLSTATE, bound parameter values into a statement.

use std::ops::ControlFlow;
use std::sync::Arc;

use arrow::datatypes::Schema;
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

use super::control::{Stop, StatementGuard, StoppedError};
use crate::error::{Error, datafusion_sqlstate};

/// A Postgres error response for a conversql error.
pub fn pg_error(e: &Error) -> PgWireError {
    PgWireError::UserError(Box::new(error_info(e)))
}

/// The `ErrorResponse` fields for a conversql error.
pub fn error_info(e: &Error) -> ErrorInfo {
    match e {
        Error::DataFusion(inner) => datafusion_error_info(inner),
        other => ErrorInfo::new("ERROR".to_string(), other.sqlstate().to_string(), other.to_string()),
    }
}

/// The Postgres field descriptions of an Arrow schema in the requested formats.
pub fn fields(schema: &Schema, format: &Format, options: Arc<FormatOptions>) -> PgWireResult<Vec<FieldInfo>> {
    arrow_pg::datatypes::arrow_schema_to_pg_fields(schema, format, Some(options))
}

/// Executes `df` and streams its rows, encoded per `format`, until the statement is stopped.
pub async fn rows(
    df: DataFrame,
    format: &Format,
    options: Arc<FormatOptions>,
    guard: &StatementGuard,
) -> PgWireResult<QueryResponse> {
    let stream = match guard.run(super::executor::execute_stream(df)).await {
        Ok(stream) => stream.map_err(|e| PgWireError::UserError(Box::new(datafusion_error_info(&e))))?,
        Err(stop) => return Err(stopped(stop)),
    };
    let stream = guard.guard_stream(stream);
    let fields = Arc::new(fields(stream.schema().as_ref(), format, options)?);
    let row_fields = fields.clone();
    let rows = stream
        .map(move |batch| {
            let encoded: Box<dyn Iterator<Item = PgWireResult<pgwire::messages::data::DataRow>> + Send> =
                match batch {
                    Ok(batch) => Box::new(arrow_pg::datatypes::encode_recordbatch(row_fields.clone(), batch)),
                    Err(e) => {
                        Box::new(std::iter::once(Err(PgWireError::UserError(Box::new(datafusion_error_info(&e))))))
                    }
                };
            futures::stream::iter(encoded)
        })
        .flatten();
    Ok(QueryResponse::new(fields, rows))
}

/// The error of a statement stopped by a cancel request or `statement_timeout` (SQLSTATE 57014).
pub fn stopped(stop: Stop) -> PgWireError {
    PgWireError::UserError(Box::new(ErrorInfo::new("ERROR".into(), Stop::SQLSTATE.into(), stop.message().into())))
}

/// The `ErrorResponse` fields of an error raised while a query ran.
pub fn datafusion_error_info(e: &DataFusionError) -> ErrorInfo {
    if let DataFusionError::External(inner) = e.find_root()
        && let Some(StoppedError(stop)) = inner.downcast_ref::<StoppedError>()
    {
        return ErrorInfo::new("ERROR".into(), Stop::SQLSTATE.into(), stop.message().into());
    }
    let code = datafusion_sqlstate(e);
    let message = if code == "53200" {
        format!("out of memory: the query needs more than its memory limit (--memory-limit): {}", e.find_root())
    } else {
        e.to_string()
    };
    ErrorInfo::new("ERROR".into(), code.into(), message)
}

/// Replaces the placeholders `$1…$n` of `statement` by the bound values, as SQL literals.
pub fn bind_parameters(statement: &Statement, values: &ParamValues) -> Result<Statement, Error> {
    let ParamValues::List(values) = values else {
        return Err(Error::config("named parameters are not supported; use $1, $2, …"));
    };
    let unparser = Unparser::default();
    let mut bound = statement.clone();
    let mut failure: Option<Error> = None;
    let _ = visit_expressions_mut(&mut bound, |expr| {
        if let SqlExpr::Value(v) = expr
            && let Value::Placeholder(name) = &v.value
        {
            let index = name.trim_start_matches('$').parse::<usize>().ok().filter(|i| *i >= 1);
            let Some(value) = index.and_then(|i| values.get(i - 1)) else {
                failure = Some(Error::config(format!(
                    "there is no parameter {name}: {} value(s) were bound",
                    values.len()
                )));
                return ControlFlow::Break(());
            };
            let literal = datafusion::logical_expr::Expr::Literal(value.value.clone(), None);
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
