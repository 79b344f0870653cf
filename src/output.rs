//! Printing query results for the CLI: an aligned table, CSV or JSON.

use std::io::Write;

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;

use crate::error::{Error, Result};

/// The output formats of `conversql query`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// An aligned text table.
    Table,
    /// CSV with a header row.
    Csv,
    /// A JSON array of objects.
    Json,
}

/// Writes `batches` to `out` in `format`.
pub fn write_batches(
    out: &mut dyn Write,
    schema: &SchemaRef,
    batches: &[RecordBatch],
    format: OutputFormat,
) -> Result<()> {
    let (schema, batches) = &client_names(schema, batches)?;
    let arrow_err = |e: arrow::error::ArrowError| Error::DataFusion(e.into());
    let io_err = |e: std::io::Error| Error::Io {
        path: "stdout".into(),
        source: e,
    };
    match format {
        OutputFormat::Table => {
            let table = if batches.is_empty() {
                arrow::util::pretty::pretty_format_batches(&[RecordBatch::new_empty(
                    schema.clone(),
                )])
            } else {
                arrow::util::pretty::pretty_format_batches(batches)
            }
            .map_err(arrow_err)?;
            writeln!(out, "{table}").map_err(io_err)?;
        }
        OutputFormat::Csv => {
            let mut writer = arrow::csv::WriterBuilder::new()
                .with_header(true)
                .build(&mut *out);
            if batches.is_empty() {
                writer
                    .write(&flatten_nested(&RecordBatch::new_empty(schema.clone()))?)
                    .map_err(arrow_err)?;
            }
            for batch in batches {
                writer.write(&flatten_nested(batch)?).map_err(arrow_err)?;
            }
        }
        OutputFormat::Json => {
            let mut writer = arrow::json::ArrayWriter::new(&mut *out);
            for batch in batches {
                writer.write(batch).map_err(arrow_err)?;
            }
            writer.finish().map_err(arrow_err)?;
            if batches.iter().all(|b| b.num_rows() == 0) {
                write!(out, "[]").map_err(io_err)?;
            }
            writeln!(out).map_err(io_err)?;
        }
    }
    Ok(())
}

/// The batches under their columns' client names (PostgreSQL allows two
/// columns of one name; see [`crate::dialect::column_names`]).
fn client_names(
    schema: &SchemaRef,
    batches: &[RecordBatch],
) -> Result<(SchemaRef, Vec<RecordBatch>)> {
    use crate::dialect::column_names::{client_name, is_internal};
    if !schema.fields().iter().any(|f| is_internal(f.name())) {
        return Ok((schema.clone(), batches.to_vec()));
    }
    let renamed = std::sync::Arc::new(arrow::datatypes::Schema::new(
        schema
            .fields()
            .iter()
            .map(|f| f.as_ref().clone().with_name(client_name(f.name())))
            .collect::<Vec<_>>(),
    ));
    let batches = batches
        .iter()
        .map(|b| RecordBatch::try_new(renamed.clone(), b.columns().to_vec()))
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| Error::DataFusion(e.into()))?;
    Ok((renamed, batches))
}

/// CSV has no lists: nested columns (tags, product_ids) are written as their
/// display text, e.g. `[returns, shipping]`.
fn flatten_nested(batch: &RecordBatch) -> Result<RecordBatch> {
    use std::sync::Arc;

    use arrow::array::{Array, ArrayRef, StringArray};
    use arrow::datatypes::{DataType, Field, Schema};
    use arrow::util::display::{ArrayFormatter, FormatOptions};

    let arrow_err = |e: arrow::error::ArrowError| Error::DataFusion(e.into());
    if !batch
        .schema()
        .fields()
        .iter()
        .any(|f| f.data_type().is_nested())
    {
        return Ok(batch.clone());
    }
    let mut fields = vec![];
    let mut columns: Vec<ArrayRef> = vec![];
    for (field, column) in batch.schema().fields().iter().zip(batch.columns()) {
        if field.data_type().is_nested() {
            let formatter = ArrayFormatter::try_new(column.as_ref(), &FormatOptions::default())
                .map_err(arrow_err)?;
            let text: StringArray = (0..column.len())
                .map(|i| column.is_valid(i).then(|| formatter.value(i).to_string()))
                .collect();
            fields.push(Field::new(field.name(), DataType::Utf8, true));
            columns.push(Arc::new(text));
        } else {
            fields.push(field.as_ref().clone());
            columns.push(column.clone());
        }
    }
    RecordBatch::try_new(Arc::new(Schema::new(fields)), columns).map_err(arrow_err)
}
