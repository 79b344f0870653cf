//! Reading and writing the store's Parquet files. A file is written with one
//! `put` of the whole object, which object stores make atomic (the local store
//! writes aside and renames), so a reader never sees half a file; it is read
//! with ranged reads of the column chunks wanted.

use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::compute::concat_batches;
use arrow::datatypes::SchemaRef;
use bytes::Bytes;
use datafusion::common::{Result, exec_datafusion_err};
use futures::future::BoxFuture;
use futures::{FutureExt, TryFutureExt, TryStreamExt};
use object_store::path::Path;
use object_store::{GetOptions, GetRange, ObjectStore, ObjectStoreExt, PutPayload};
use parquet::arrow::arrow_reader::ArrowReaderOptions;
use parquet::arrow::async_reader::{AsyncFileReader, MetadataSuffixFetch};
use parquet::arrow::{ArrowWriter, ParquetRecordBatchStreamBuilder, ProjectionMask};
use parquet::basic::Compression;
use parquet::errors::ParquetError;
use parquet::file::metadata::{ParquetMetaData, ParquetMetaDataReader};
use parquet::file::properties::{EnabledStatistics, WriterProperties};

use crate::store_location::StoreLocation;

/// Rows per row group of a messages file: a thread lookup reads one.
pub(crate) const MESSAGE_ROW_GROUP: usize = 8192;
/// Rows per row group of a facts file.
pub(crate) const FACTS_ROW_GROUP: usize = 32768;

/// Reads the whole file, or only `columns`, as one batch with the file's
/// schema re-labelled as `schema` (if given). Only the footer and the column
/// chunks read are fetched (ranged reads), so reading the id columns of a
/// partition does not fetch its message texts.
pub(crate) async fn read(
    location: &StoreLocation,
    relative: &str,
    columns: Option<&[&str]>,
    schema: Option<&SchemaRef>,
) -> Result<RecordBatch> {
    let shown = format!("{}/{relative}", location.display);
    let reader = StoreFileReader {
        store: location.store.clone(),
        path: location.child(relative),
    };
    let mut builder = ParquetRecordBatchStreamBuilder::new(reader)
        .await
        .map_err(|e| exec_datafusion_err!("fact store file {shown}: {e}"))?
        .with_batch_size(65536);
    if let Some(columns) = columns {
        let mask = ProjectionMask::columns(builder.parquet_schema(), columns.iter().copied());
        builder = builder.with_projection(mask);
    }
    let stream = builder
        .build()
        .map_err(|e| exec_datafusion_err!("fact store file {shown}: {e}"))?;
    let file_schema = stream.schema().clone();
    let batches: Vec<RecordBatch> = stream
        .try_collect()
        .await
        .map_err(|e| exec_datafusion_err!("fact store file {shown}: {e}"))?;
    let batch = concat_batches(&file_schema, &batches)?;
    match schema {
        Some(schema) => relabel(batch, schema),
        None => Ok(batch),
    }
}

/// A store file read with ranged reads: the footer by a suffix read, then
/// the column chunks wanted (parquet's own object-store reader is
/// deprecated in favour of implementing [`AsyncFileReader`], as here).
struct StoreFileReader {
    store: Arc<dyn ObjectStore>,
    path: Path,
}

fn parquet_error(e: object_store::Error) -> ParquetError {
    ParquetError::External(Box::new(e))
}

impl AsyncFileReader for StoreFileReader {
    fn get_bytes(
        &mut self,
        range: std::ops::Range<u64>,
    ) -> BoxFuture<'_, parquet::errors::Result<Bytes>> {
        self.store
            .get_range(&self.path, range)
            .map_err(parquet_error)
            .boxed()
    }

    fn get_byte_ranges(
        &mut self,
        ranges: Vec<std::ops::Range<u64>>,
    ) -> BoxFuture<'_, parquet::errors::Result<Vec<Bytes>>> {
        async move {
            self.store
                .get_ranges(&self.path, &ranges)
                .await
                .map_err(parquet_error)
        }
        .boxed()
    }

    fn get_metadata<'a>(
        &'a mut self,
        options: Option<&'a ArrowReaderOptions>,
    ) -> BoxFuture<'a, parquet::errors::Result<Arc<ParquetMetaData>>> {
        async move {
            let metadata = ParquetMetaDataReader::new()
                .with_arrow_reader_options(options)
                .load_via_suffix_and_finish(self)
                .await?;
            Ok(Arc::new(metadata))
        }
        .boxed()
    }
}

impl MetadataSuffixFetch for &mut StoreFileReader {
    fn fetch_suffix(&mut self, suffix: usize) -> BoxFuture<'_, parquet::errors::Result<Bytes>> {
        let options = GetOptions {
            range: Some(GetRange::Suffix(suffix as u64)),
            ..GetOptions::default()
        };
        async move {
            let got = self
                .store
                .get_opts(&self.path, options)
                .await
                .map_err(parquet_error)?;
            got.bytes().await.map_err(parquet_error)
        }
        .boxed()
    }
}

/// The same columns under `schema` (names and types must match; nullability is `schema`'s).
pub(crate) fn relabel(batch: RecordBatch, schema: &SchemaRef) -> Result<RecordBatch> {
    let columns = schema
        .fields()
        .iter()
        .map(|f| {
            batch.column_by_name(f.name()).cloned().ok_or_else(|| {
                exec_datafusion_err!("fact store: rows without the column {}", f.name())
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(RecordBatch::try_new(schema.clone(), columns)?)
}

/// Writes `batch` as the object `relative`, with statistics and a page
/// index on every column, `row_group` rows per row group. Returns the size.
pub(crate) async fn write(
    location: &StoreLocation,
    relative: &str,
    batch: &RecordBatch,
    row_group: usize,
) -> Result<u64> {
    let shown = format!("{}/{relative}", location.display);
    let props = WriterProperties::builder()
        .set_compression(Compression::LZ4_RAW)
        .set_statistics_enabled(EnabledStatistics::Page)
        .set_max_row_group_row_count(Some(row_group))
        .set_data_page_row_count_limit(1024)
        .build();
    let mut bytes = Vec::new();
    let mut writer = ArrowWriter::try_new(&mut bytes, batch.schema(), Some(props))
        .map_err(|e| exec_datafusion_err!("fact store: cannot write {shown}: {e}"))?;
    writer
        .write(batch)
        .map_err(|e| exec_datafusion_err!("fact store: cannot write {shown}: {e}"))?;
    writer
        .close()
        .map_err(|e| exec_datafusion_err!("fact store: cannot write {shown}: {e}"))?;
    let size = bytes.len() as u64;
    location
        .store
        .put(&location.child(relative), PutPayload::from(bytes))
        .await
        .map_err(|e| exec_datafusion_err!("fact store: cannot write {shown}: {e}"))?;
    Ok(size)
}

/// An empty batch of `schema`.
pub(crate) fn empty(schema: &SchemaRef) -> RecordBatch {
    RecordBatch::new_empty(Arc::clone(schema))
}

#[cfg(test)]
mod tests {
    use arrow::array::{Int64Array, StringArray};
    use arrow::datatypes::{DataType, Field, Schema};

    use super::*;

    #[tokio::test]
    async fn a_written_file_reads_back_whole_or_by_column() {
        let location =
            StoreLocation::parse("memory://store", &crate::s3::S3Options::default()).unwrap();
        let schema = Arc::new(Schema::new(vec![
            Field::new("id", DataType::Utf8, false),
            Field::new("n", DataType::Int64, true),
        ]));
        let batch = RecordBatch::try_new(
            schema.clone(),
            vec![
                Arc::new(StringArray::from(vec!["a", "b", "c"])),
                Arc::new(Int64Array::from(vec![Some(1), None, Some(3)])),
            ],
        )
        .unwrap();
        assert!(write(&location, "x/f.parquet", &batch, 2).await.unwrap() > 0);
        assert_eq!(
            read(&location, "x/f.parquet", None, Some(&schema))
                .await
                .unwrap(),
            batch
        );
        let ids = read(&location, "x/f.parquet", Some(&["id"]), None)
            .await
            .unwrap();
        assert_eq!(ids.num_columns(), 1);
        assert_eq!(ids.num_rows(), 3);
        let err = read(&location, "missing.parquet", None, None)
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains("memory://store/missing.parquet"), "{err}");
    }
}
