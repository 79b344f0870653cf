//! The rows of a `COPY … TO STDOUT` (see `crate::copy_out`) as `CopyData`
//! messages, streamed as query results are (the statement's cancel and
//! timeout apply): text and CSV lines with the values PostgreSQL's output
//! functions print, or PostgreSQL's binary `COPY` format (the `PGCOPY`
//! header, each row's values as in a binary `DataRow`, the trailer).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use datafusion::dataframe::DataFrame;
use futures::StreamExt;
use pgwire::api::portal::Format;
use pgwire::api::results::{CopyCsvOptions, CopyEncoder, CopyResponse, CopyTextOptions};
use pgwire::error::{ErrorInfo, PgWireError, PgWireResult};
use pgwire::messages::copy::CopyData;
use pgwire::types::format::FormatOptions;

use super::control::StatementGuard;
use super::encode::{datafusion_error_info, fields, pg_batch, stopped};
use crate::copy_out::CopyFormat;

/// The binary `COPY` trailer (a field count of -1).
const TRAILER: [u8; 2] = [0xFF, 0xFF];

/// The binary `COPY` header: signature, flags, header extension length.
const PGCOPY_HEADER: &[u8] = b"PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0";

fn refused(message: String) -> PgWireError {
    PgWireError::UserError(Box::new(ErrorInfo::new(
        "ERROR".into(),
        "0A000".into(),
        message,
    )))
}

/// A CSV value quoted if it needs quotes.
fn csv_value(value: &str, delimiter: char, quote: char) -> String {
    if value.contains([delimiter, quote, '\n', '\r']) || value.is_empty() {
        let doubled = value.replace(quote, &format!("{quote}{quote}"));
        format!("{quote}{doubled}{quote}")
    } else {
        value.to_string()
    }
}

/// `df`'s rows as a `COPY … TO STDOUT` response in `format`.
pub async fn copy_out(
    df: DataFrame,
    format: &CopyFormat,
    options: Arc<FormatOptions>,
    guard: &StatementGuard,
) -> PgWireResult<CopyResponse> {
    let stream = match guard.run(super::executor::execute_stream(df)).await {
        Ok(stream) => {
            stream.map_err(|e| PgWireError::UserError(Box::new(datafusion_error_info(&e))))?
        }
        Err(stop) => return Err(stopped(stop)),
    };
    let stream = guard.guard_stream(stream);
    let companions = super::scale_form::Companions::of(stream.schema().as_ref());
    let schema = companions.client_schema(&stream.schema());
    let binary = matches!(format, CopyFormat::Binary);
    let wire_format = if binary {
        Format::UnifiedBinary
    } else {
        Format::UnifiedText
    };
    let fields = Arc::new(fields(schema.as_ref(), &wire_format, options)?);
    let names: Vec<String> = fields.iter().map(|f| f.name().to_string()).collect();
    let (encoder, header) = match format {
        CopyFormat::Text {
            delimiter,
            null,
            header,
        } => (
            CopyEncoder::new_text(
                fields.clone(),
                CopyTextOptions {
                    delimiter: delimiter.to_string().into(),
                    null_string: null.as_str().into(),
                },
            ),
            header.then(|| format!("{}\n", names.join(&delimiter.to_string()))),
        ),
        CopyFormat::Csv {
            delimiter,
            null,
            quote,
            escape,
            header,
            force_quote,
        } => {
            if escape != quote {
                return Err(refused(
                    "COPY ESCAPE other than the QUOTE character is not supported".into(),
                ));
            }
            let force_quote = match force_quote {
                None => vec![],
                Some(columns) if columns.is_empty() || columns.iter().any(|c| c == "*") => {
                    (0..names.len()).collect()
                }
                Some(columns) => columns
                    .iter()
                    .map(|c| {
                        names.iter().position(|n| n == c).ok_or_else(|| {
                            PgWireError::UserError(Box::new(ErrorInfo::new(
                                "ERROR".into(),
                                "42703".into(),
                                format!("FORCE_QUOTE column \"{c}\" not referenced by COPY"),
                            )))
                        })
                    })
                    .collect::<PgWireResult<Vec<usize>>>()?,
            };
            let header = header.then(|| {
                let line: Vec<String> = names
                    .iter()
                    .map(|n| csv_value(n, *delimiter, *quote))
                    .collect();
                format!("{}\n", line.join(&delimiter.to_string()))
            });
            (
                CopyEncoder::new_csv(
                    fields.clone(),
                    CopyCsvOptions {
                        delimiter: delimiter.to_string().into(),
                        quote: quote.to_string().into(),
                        escape: escape.to_string().into(),
                        null_string: null.as_str().into(),
                        force_quote,
                    },
                ),
                header,
            )
        }
        CopyFormat::Binary => (CopyEncoder::new_binary(fields.clone()), None),
    };
    let columns = fields.len();
    let wrote_row = Arc::new(AtomicBool::new(false));
    let wrote = wrote_row.clone();
    let encoder = Arc::new(std::sync::Mutex::new(encoder));
    let row_fields = fields.clone();
    let rows = stream
        .map(move |batch| {
            let encoded: PgWireResult<Vec<CopyData>> = (|| {
                let batch = batch
                    .and_then(|b| companions.apply(b, &row_fields))
                    .and_then(pg_batch)
                    .map_err(|e| PgWireError::UserError(Box::new(datafusion_error_info(&e))))?;
                let batch = if binary {
                    super::char_form::binary_chars(batch, &row_fields)
                        .and_then(|b| super::numeric_form::binary_numerics(b, &row_fields))
                        .and_then(|b| super::interval_form::pg_intervals(b, &row_fields))
                        .map_err(|e| PgWireError::UserError(Box::new(datafusion_error_info(&e))))?
                } else {
                    super::text_form::postgres_text(batch, &row_fields)
                        .and_then(|b| super::interval_form::pg_intervals(b, &row_fields))
                        .map_err(|e| PgWireError::UserError(Box::new(datafusion_error_info(&e))))?
                };
                let mut encoder = encoder
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                let schema = batch.schema();
                let mut out = Vec::with_capacity(batch.num_rows());
                for row in 0..batch.num_rows() {
                    for (column, array) in batch.columns().iter().enumerate() {
                        arrow_pg::encoder::encode_value(
                            &mut *encoder,
                            array,
                            row,
                            schema.field(column),
                            &row_fields[column],
                        )?;
                    }
                    out.push(encoder.take_copy());
                }
                if !out.is_empty() {
                    wrote.store(true, Ordering::Relaxed);
                }
                Ok(out)
            })();
            futures::stream::iter(match encoded {
                Ok(rows) => rows.into_iter().map(Ok).collect::<Vec<_>>(),
                Err(e) => vec![Err(e)],
            })
        })
        .flatten();
    // The header line travels with the first row: pgwire counts every CopyData
    // message as a row in the `COPY n` tag. With no rows it goes alone at the end
    // (and the tag then says one row more than PostgreSQL's), as does the binary
    // header, which the encoder writes with the first row.
    let pending = Arc::new(std::sync::Mutex::new(header.map(String::into_bytes)));
    let first = pending.clone();
    let rows = rows.map(move |row| {
        row.map(|data| {
            let taken = first
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .take();
            match taken {
                Some(mut line) => {
                    line.extend_from_slice(&data.data);
                    CopyData::new(bytes::Bytes::from(line))
                }
                None => data,
            }
        })
    });
    let last = futures::stream::once(async move {
        let line = pending
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        Ok(CopyData::new(match line {
            Some(line) => bytes::Bytes::from(line),
            // Clients read the binary header with what follows it in one message.
            None if binary && !wrote_row.load(Ordering::Relaxed) => {
                let mut both = PGCOPY_HEADER.to_vec();
                both.extend_from_slice(&TRAILER);
                bytes::Bytes::from(both)
            }
            None if binary => bytes::Bytes::from_static(&TRAILER),
            None => bytes::Bytes::new(),
        }))
    });
    let data = rows.chain(last);
    // pgwire's binary response appends a trailer of its own; this stream ends with one already.
    let mut response = CopyResponse::new(i8::from(binary), columns, futures::stream::empty());
    *response.data_stream() = Box::pin(data);
    Ok(response)
}

#[cfg(test)]
mod tests {
    #[test]
    fn csv_values_are_quoted_where_needed() {
        assert_eq!(super::csv_value("a", ',', '"'), "a");
        assert_eq!(super::csv_value("a,b", ',', '"'), "\"a,b\"");
        assert_eq!(super::csv_value("say \"x\"", ',', '"'), "\"say \"\"x\"\"\"");
    }
}
