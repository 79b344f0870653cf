//! Rendering a run's results into the bytes of one output file: CSV, Parquet,
//! JSON (one result) or HTML (one page, every result a section).

use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use parquet::arrow::ArrowWriter;

use crate::error::{Error, Result};
use crate::output::{OutputFormat, write_batches};

/// The output formats of a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// CSV with a header row (lists as their text).
    Csv,
    /// One Parquet file.
    Parquet,
    /// A JSON array of objects.
    Json,
    /// A self-contained HTML page (see [`super::html`]).
    Html,
}

impl Format {
    /// The name used in messages and file extensions.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Parquet => "parquet",
            Format::Json => "json",
            Format::Html => "html",
        }
    }

    /// Parses a format name (`csv`, `parquet`, `json`, `html`).
    pub fn parse(text: &str) -> Result<Format, String> {
        match text.to_ascii_lowercase().as_str() {
            "csv" => Ok(Format::Csv),
            "parquet" => Ok(Format::Parquet),
            "json" => Ok(Format::Json),
            "html" => Ok(Format::Html),
            _ => Err(format!(
                "unknown format '{text}' (expected csv, parquet, json or html)"
            )),
        }
    }

    /// Whether the format holds several results (one per statement).
    pub fn takes_several_results(self) -> bool {
        self == Format::Html
    }
}

/// The rows of one statement.
#[derive(Debug, Clone)]
pub struct ResultSet {
    /// Its columns.
    pub schema: SchemaRef,
    /// Its rows.
    pub batches: Vec<RecordBatch>,
}

impl ResultSet {
    /// The number of rows.
    pub fn rows(&self) -> usize {
        self.batches.iter().map(RecordBatch::num_rows).sum()
    }
}

/// What the HTML page says about the run (title and subtitle).
#[derive(Debug, Clone, Default)]
pub struct PageInfo {
    /// The page title (the report's name).
    pub title: String,
    /// One line under the title (account, dates, as of).
    pub subtitle: String,
    /// Section titles, one per result; missing ones get a default.
    pub sections: Vec<String>,
    /// The report's date range (`range` parameter): the chart has a slot for every date of it.
    pub dates: Option<(chrono::NaiveDate, chrono::NaiveDate)>,
}

/// Renders `results` in `format`. CSV, Parquet and JSON take exactly one result.
pub fn render(format: Format, results: &[ResultSet], page: &PageInfo) -> Result<Vec<u8>> {
    if format == Format::Html {
        return Ok(super::html::page(results, page).into_bytes());
    }
    let [result] = results else {
        return Err(Error::config(format!(
            "format {} writes the rows of one query, but the SQL has {} (only html renders several)",
            format.as_str(),
            results.len()
        )));
    };
    let mut buffer = Vec::new();
    match format {
        Format::Csv => write_batches(
            &mut buffer,
            &result.schema,
            &result.batches,
            OutputFormat::Csv,
        )?,
        Format::Json => write_batches(
            &mut buffer,
            &result.schema,
            &result.batches,
            OutputFormat::Json,
        )?,
        Format::Parquet => {
            let arrow_err = |e: parquet::errors::ParquetError| Error::DataFusion(e.into());
            let mut writer = ArrowWriter::try_new(&mut buffer, Arc::clone(&result.schema), None)
                .map_err(arrow_err)?;
            for batch in &result.batches {
                writer.write(batch).map_err(arrow_err)?;
            }
            writer.close().map_err(arrow_err)?;
        }
        Format::Html => unreachable!("handled above"),
    }
    Ok(buffer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Int64Array, StringArray};
    use arrow::datatypes::{DataType, Field, Schema};

    fn result() -> ResultSet {
        let schema = Arc::new(Schema::new(vec![
            Field::new("reason", DataType::Utf8, true),
            Field::new("n", DataType::Int64, false),
        ]));
        let batch = RecordBatch::try_new(
            schema.clone(),
            vec![
                Arc::new(StringArray::from(vec!["policy", "knowledge_gap"])),
                Arc::new(Int64Array::from(vec![3, 5])),
            ],
        )
        .unwrap();
        ResultSet {
            schema,
            batches: vec![batch],
        }
    }

    #[test]
    fn csv_json_and_parquet_round_trip() {
        let page = PageInfo::default();
        let csv = String::from_utf8(render(Format::Csv, &[result()], &page).unwrap()).unwrap();
        assert_eq!(csv, "reason,n\npolicy,3\nknowledge_gap,5\n");
        let json: serde_json::Value =
            serde_json::from_slice(&render(Format::Json, &[result()], &page).unwrap()).unwrap();
        assert_eq!(json[1]["n"], 5);
        let parquet = render(Format::Parquet, &[result()], &page).unwrap();
        let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(
            bytes::Bytes::from(parquet),
        )
        .unwrap()
        .build()
        .unwrap();
        let rows: usize = reader.map(|b| b.unwrap().num_rows()).sum();
        assert_eq!(rows, 2);
    }

    #[test]
    fn one_result_formats_refuse_several() {
        let err = render(Format::Csv, &[result(), result()], &PageInfo::default())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("format csv writes the rows of one query, but the SQL has 2"),
            "{err}"
        );
    }
}
