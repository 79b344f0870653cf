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
pub fn write_batches(out: &mut dyn Write, schema: &SchemaRef, batches: &[RecordBatch], format: OutputFormat) -> Result<()> {
    let arrow_err = |e: arrow::error::ArrowError| Error::DataFusion(e.into());
    let io_err = |e: std::io::Error| Error::Io { path: "stdout".into(), source: e };
    match format {
        OutputFormat::Table => {
            let table = if batches.is_empty() {
                arrow::util::pretty::pretty_format_batches(&[RecordBatch::new_empty(schema.clone())])
            } else {
                arrow::util::pretty::pretty_format_batches(batches)
            }
            .map_err(arrow_err)?;
            writeln!(out, "{table}").map_err(io_err)?;
        }
        OutputFormat::Csv => {
            let mut writer = arrow::csv::WriterBuilder::new().with_header(true).build(&mut *out);
            if batches.is_empty() {
                writer.write(&RecordBatch::new_empty(schema.clone())).map_err(arrow_err)?;
            }
            for batch in batches {
                writer.write(batch).map_err(arrow_err)?;
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
