//! A contract table read in place from the Parquet files under `<root>/<table>/`.
//!
//! Every scan lists the folder again, so a file written after start-up is seen
//! by the next query (on the local filesystem only the sub-folders that changed
//! are read again: [`crate::folder_listing`]). Only names ending in `.parquet` are data; hidden files and
//! folders (`.x`, `_x`, e.g. `_SUCCESS`, `_temporary/`) are ignored. Each file's
//! footer is read once (cached by path, size and modification) and checked
//! against the contract before any row is read: a column of the wrong type, a
//! missing NOT NULL column, NULLs in a NOT NULL column, or an unreadable file
//! fail the query with an error naming the file. Columns are then normalised to
//! the contract's types (timestamps in any unit and zone to µs UTC, any string
//! encoding to utf8, missing nullable columns to NULL) by DataFusion's Parquet
//! scan. A hidden column `source_file` carries each row's file path.
//!
//! Files that move: a file written during a query is read by the next query
//! (each scan reads its own listing). A file deleted between the listing and
//! the footer check (a compaction replacing small files, a re-upload) makes the
//! scan list once more and use the new listing; if a listed file vanishes
//! again, or fails for another reason, the query fails naming it. Uploads in
//! progress under temporary names (`_x`, `.x`, `x.parquet.tmp`) are never read.

use std::sync::{Arc, Mutex};

use arrow::datatypes::{DataType, Field, FieldRef, Schema, SchemaRef};
use async_trait::async_trait;
use datafusion::catalog::{Session, TableProvider};
use datafusion::common::{Result, ScalarValue, exec_datafusion_err, project_schema};
use datafusion::datasource::TableType;
use datafusion::datasource::file_format::FileFormat;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::PartitionedFile;
use datafusion::datasource::physical_plan::{FileGroup, FileScanConfigBuilder, ParquetSource};
use datafusion::datasource::table_schema::TableSchema;
use datafusion::logical_expr::Expr;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::empty::EmptyExec;
use futures::{StreamExt, TryStreamExt};
use object_store::{ObjectMeta, ObjectStoreExt};
use parquet::arrow::arrow_reader::{ArrowReaderMetadata, ArrowReaderOptions};
#[allow(deprecated)]
use parquet::arrow::async_reader::ParquetObjectReader;

use crate::contract::{ContractTable, SOURCE_FILE_COLUMN};
use crate::dataset::Dataset;
use crate::folder_listing::FolderListing;
use crate::scope::{AccountScope, ScopedScanExec};

/// How many footers are fetched at once when a scan meets new files.
const FOOTER_FETCH_CONCURRENCY: usize = 16;

/// Identity of one version of a file; a changed size or mtime means a new version.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct FileVersion {
    location: String,
    size: u64,
    last_modified: i64,
    e_tag: Option<String>,
}

impl From<&ObjectMeta> for FileVersion {
    fn from(m: &ObjectMeta) -> Self {
        FileVersion {
            location: m.location.to_string(),
            size: m.size,
            last_modified: m.last_modified.timestamp_micros(),
            e_tag: m.e_tag.clone(),
        }
    }
}

/// A contract table over the Parquet files of one folder.
#[derive(Debug)]
pub struct LogTable {
    table: ContractTable,
    dataset: Dataset,
    file_schema: SchemaRef,
    schema: SchemaRef,
    /// File versions whose footer passed the contract check. Failures are not
    /// remembered: they are checked again (and reported again) on the next scan.
    checked: Mutex<std::collections::HashSet<FileVersion>>,
    /// The cached folder listings of a dataset on the local filesystem.
    folders: Option<FolderListing>,
}

impl LogTable {
    /// The contract table's name (`messages`, `events`, …).
    pub fn name(&self) -> &'static str {
        self.table.name
    }

    /// A table of `dataset` following the contract's `table`.
    pub fn new(dataset: Dataset, table: ContractTable) -> Self {
        let file_schema = table.file_schema();
        let mut fields: Vec<FieldRef> = file_schema.fields().iter().cloned().collect();
        fields.push(source_file_field());
        let folders = dataset.is_local().then(FolderListing::default);
        LogTable {
            table,
            folders,
            dataset,
            file_schema,
            schema: Arc::new(Schema::new(fields)),
            checked: Mutex::new(std::collections::HashSet::default()),
        }
    }

    /// The full display path of a file (`file:///…`, `s3://bucket/…`).
    fn display_path(&self, meta: &ObjectMeta) -> String {
        format!("{}{}", self.dataset.store_url.as_str(), meta.location)
    }

    /// Lists the data files of the table, sorted by path.
    pub async fn list_files(&self) -> Result<Vec<ObjectMeta>> {
        let prefix = self.dataset.table_prefix(self.table.name);
        let listed = match &self.folders {
            Some(folders) => folders.list(&prefix).await,
            None => self.dataset.store.list(Some(&prefix)).try_collect().await,
        };
        let mut files: Vec<ObjectMeta> = listed
            .map_err(|e| {
                exec_datafusion_err!(
                    "cannot list {}{}: {e}",
                    self.dataset.store_url.as_str(),
                    prefix
                )
            })?
            .into_iter()
            .filter(|m| is_data_file(&prefix, &m.location))
            .collect();
        files.sort_by(|a, b| a.location.cmp(&b.location));
        Ok(files)
    }

    /// Whether any of `files` is gone from the store (deleted after it was listed).
    async fn any_vanished(&self, files: &[ObjectMeta]) -> bool {
        for meta in files {
            if let Err(object_store::Error::NotFound { .. }) =
                self.dataset.store.head(&meta.location).await
            {
                return true;
            }
        }
        false
    }

    /// Checks every file's footer against the contract (cached per file
    /// version): the files that pass, and the problems of those that fail, in path order.
    ///
    /// An object-store failure other than a missing file (a timeout, a refused
    /// connection, an S3 error) is not a problem of the file: it fails the
    /// check at once, without waiting for the other files' requests.
    async fn checked_files(
        &self,
        files: &[ObjectMeta],
    ) -> Result<(Vec<ObjectMeta>, Vec<FileProblem>)> {
        let unchecked: Vec<ObjectMeta> = {
            let cache = self.checked.lock().expect("cache lock");
            files
                .iter()
                .filter(|m| !cache.contains(&FileVersion::from(*m)))
                .cloned()
                .collect()
        };
        let mut results = futures::stream::iter(unchecked)
            .map(|meta| async move {
                let outcome = self.check_file(&meta).await;
                (meta, outcome)
            })
            .buffer_unordered(FOOTER_FETCH_CONCURRENCY);
        let mut bad = std::collections::HashSet::new();
        let mut problems = vec![];
        while let Some((meta, outcome)) = results.next().await {
            match outcome {
                Ok(()) => {
                    self.checked
                        .lock()
                        .expect("cache lock")
                        .insert(FileVersion::from(&meta));
                }
                Err(CheckFailure::Store(message)) => return Err(exec_datafusion_err!("{message}")),
                Err(CheckFailure::File(problem)) => {
                    bad.insert(meta.location.clone());
                    problems.push(problem);
                }
            }
        }
        // Reported in path order, so the first error is stable.
        problems.sort_by(|a, b| a.file.cmp(&b.file));
        let good = files
            .iter()
            .filter(|m| !bad.contains(&m.location))
            .cloned()
            .collect();
        Ok((good, problems))
    }

    // ParquetObjectReader is deprecated in parquet 59 in favour of hand-written readers;
    // it is still the reader DataFusion 55's own Parquet scan is built on.
    #[allow(deprecated)]
    async fn check_file(&self, meta: &ObjectMeta) -> Result<(), CheckFailure> {
        let path = self.display_path(meta);
        let mut reader =
            ParquetObjectReader::new(self.dataset.store.clone(), meta.location.clone())
                .with_file_size(meta.size);
        let metadata = ArrowReaderMetadata::load_async(&mut reader, ArrowReaderOptions::new())
            .await
            .map_err(|e| {
                let message = format!("cannot read Parquet file {path}: {e}");
                match &e {
                    parquet::errors::ParquetError::External(inner)
                        if inner
                            .downcast_ref::<object_store::Error>()
                            .is_some_and(|s| {
                                !matches!(s, object_store::Error::NotFound { .. })
                            }) =>
                    {
                        CheckFailure::Store(message)
                    }
                    _ => CheckFailure::File(FileProblem::new(
                        &self.table,
                        &path,
                        "unreadable_file",
                        message,
                    )),
                }
            })?;
        check_file_schema(&self.table, &path, &metadata).map_err(CheckFailure::File)
    }

    /// The files a scan of this statement reads: the statement's listing (made
    /// by its first scan of the table), less the files that fail the contract
    /// check. A failing file fails the statement naming it, unless the session
    /// skips bad files.
    ///
    /// A listed file that no longer exists was deleted or replaced after the
    /// listing (a compaction, a re-upload): the table is listed once more and
    /// the new listing used, so the rows of its replacement are read. A file
    /// that fails for any other reason, or vanishes again, fails the statement
    /// (or, with skip_bad_files, is left out and listed in data_quality).
    pub(crate) async fn statement_files(
        &self,
        config: &datafusion::prelude::SessionConfig,
    ) -> Result<Vec<ObjectMeta>> {
        let skip_bad_files = conversql_udfs::ConversqlOptions::of(config).skip_bad_files();
        let snapshot = config.get_extension::<ListingSnapshot>();
        let mut files = match snapshot.as_ref().and_then(|s| s.get(self.table.name)) {
            Some(files) => files,
            None => self.list_files().await?,
        };
        let (mut good, mut problems) = self.checked_files(&files).await?;
        if !problems.is_empty() && self.any_vanished(&files).await {
            files = self.list_files().await?;
            (good, problems) = self.checked_files(&files).await?;
        }
        if let Some(snapshot) = &snapshot {
            snapshot.put(self.table.name, &files);
        }
        if let Some(problem) = problems.first()
            && !skip_bad_files
        {
            return Err(exec_datafusion_err!("{}", problem.detail));
        }
        Ok(good)
    }

    /// Every file of the table that fails the contract check, in path order
    /// (the file part of `data_quality`).
    pub async fn file_problems(&self) -> Result<Vec<FileProblem>> {
        let files = self.list_files().await?;
        Ok(self.checked_files(&files).await?.1)
    }
}

/// Why a file's check failed: the file breaks the contract, or the store failed.
enum CheckFailure {
    File(FileProblem),
    Store(String),
}

/// The listings one statement reads: the first scan of a table lists its
/// files and every later scan of that table in the same statement reuses the
/// listing, so a query that reads a table twice (a view used in two branches,
/// `overview`'s volume and attribution) sees one set of files even while new
/// files arrive. The session puts a fresh snapshot in place for each statement.
#[derive(Debug, Default)]
pub struct ListingSnapshot(Mutex<std::collections::HashMap<&'static str, Vec<ObjectMeta>>>);

impl ListingSnapshot {
    /// A snapshot whose tables read exactly the given files (the fact store's own reads).
    pub(crate) fn preset(files: std::collections::HashMap<&'static str, Vec<ObjectMeta>>) -> Self {
        ListingSnapshot(Mutex::new(files))
    }

    fn get(&self, table: &str) -> Option<Vec<ObjectMeta>> {
        self.0.lock().expect("snapshot lock").get(table).cloned()
    }

    fn put(&self, table: &'static str, files: &[ObjectMeta]) {
        self.0
            .lock()
            .expect("snapshot lock")
            .insert(table, files.to_vec());
    }
}

/// A file that fails the contract check: the query error, and a row of `data_quality`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileProblem {
    /// The contract table whose folder holds the file.
    pub table: &'static str,
    /// The file's full path (`file:///…`, `s3://bucket/…`).
    pub file: String,
    /// The rule it breaks: `unreadable_file`, `wrong_column_type`,
    /// `missing_required_column` or `null_in_required_column`.
    pub rule: &'static str,
    /// What is wrong, naming the file (and column, row group).
    pub detail: String,
}

impl FileProblem {
    fn new(table: &ContractTable, file: &str, rule: &'static str, detail: String) -> Self {
        FileProblem {
            table: table.name,
            file: file.to_string(),
            rule,
            detail,
        }
    }
}

/// Spreads files over at most `target` groups of about equal bytes (largest
/// first, ties by path), one group per partition of the scan.
pub(crate) fn size_balanced_groups(
    mut files: Vec<PartitionedFile>,
    target: usize,
) -> Vec<FileGroup> {
    let target = target.max(1).min(files.len().max(1));
    let mut groups: Vec<Vec<PartitionedFile>> = vec![vec![]; target];
    let mut sizes = vec![0u64; target];
    files.sort_by(|a, b| {
        b.object_meta
            .size
            .cmp(&a.object_meta.size)
            .then(a.object_meta.location.cmp(&b.object_meta.location))
    });
    for file in files {
        let slot = (0..target)
            .min_by_key(|i| sizes[*i])
            .expect("at least one group");
        sizes[slot] += file.object_meta.size;
        groups[slot].push(file);
    }
    groups.into_iter().map(FileGroup::new).collect()
}

/// Whether `location` under `prefix` is a data file: a `.parquet` name, with no
/// hidden (`.`) or underscore-prefixed part below the table folder.
pub fn is_data_file(
    prefix: &object_store::path::Path,
    location: &object_store::path::Path,
) -> bool {
    let Some(parts) = location.prefix_match(prefix) else {
        return false;
    };
    let parts: Vec<_> = parts.collect();
    let Some(name) = parts.last() else {
        return false;
    };
    name.as_ref().ends_with(".parquet")
        && parts
            .iter()
            .all(|p| !p.as_ref().starts_with('.') && !p.as_ref().starts_with('_'))
}

fn source_file_field() -> FieldRef {
    Arc::new(Field::new(SOURCE_FILE_COLUMN, DataType::Utf8, false))
}

/// Checks one file's Arrow schema and null counts against the contract table.
fn check_file_schema(
    table: &ContractTable,
    path: &str,
    metadata: &ArrowReaderMetadata,
) -> Result<(), FileProblem> {
    let schema = metadata.schema();
    let parquet = metadata.metadata();
    for column in table.columns {
        match schema.field_with_name(column.name) {
            Err(_) if column.not_null => {
                return Err(FileProblem::new(
                    table,
                    path,
                    "missing_required_column",
                    format!(
                        "file {path}: the NOT NULL column '{}' of table {} is missing",
                        column.name, table.name
                    ),
                ));
            }
            Err(_) => {}
            Ok(field) => {
                if let Err(expected) = column.kind.accepts(field.data_type()) {
                    return Err(FileProblem::new(
                        table,
                        path,
                        "wrong_column_type",
                        format!(
                            "file {path}: column '{}' has type {}, expected {expected}",
                            column.name,
                            field.data_type()
                        ),
                    ));
                }
                if column.not_null && field.is_nullable() {
                    let descr = parquet.file_metadata().schema_descr();
                    if let Some(idx) = (0..descr.num_columns())
                        .find(|i| descr.column(*i).path().string() == column.name)
                    {
                        for (rg_idx, rg) in parquet.row_groups().iter().enumerate() {
                            let nulls = rg
                                .column(idx)
                                .statistics()
                                .and_then(parquet::file::statistics::Statistics::null_count_opt);
                            if let Some(n) = nulls.filter(|n| *n > 0) {
                                return Err(FileProblem::new(
                                    table,
                                    path,
                                    "null_in_required_column",
                                    format!(
                                        "file {path}: column '{}' holds {n} NULL value(s) in row group {rg_idx}, but it is NOT NULL in the contract",
                                        column.name
                                    ),
                                ));
                            }
                        }
                    }
                }
            }
        }
    }
    Ok(())
}

#[async_trait]
impl TableProvider for LogTable {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        _filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let files = self.statement_files(state.config()).await?;
        if files.is_empty() {
            let schema = project_schema(&self.schema, projection)?;
            return Ok(Arc::new(EmptyExec::new(schema)));
        }

        let files: Vec<PartitionedFile> = files
            .into_iter()
            .map(|meta| {
                let display = self.display_path(&meta);
                PartitionedFile::new_from_meta(meta)
                    .with_partition_values(vec![ScalarValue::Utf8(Some(display))])
            })
            .collect();
        let groups = size_balanced_groups(files, state.config().target_partitions());

        let table_schema = TableSchema::builder(self.file_schema.clone())
            .with_table_partition_cols(vec![source_file_field()])
            .build();
        let parquet_options = state.table_options().parquet.clone();
        let source =
            ParquetSource::new(table_schema).with_table_parquet_options(parquet_options.clone());
        let scope = AccountScope::of(state.config());
        // A scoped scan reads account_id even when not asked for, filters on it, then drops it.
        let (scan_projection, scan_limit) = match (&scope, projection) {
            (Some(_), Some(p)) if !p.contains(&self.account_index()?) => {
                let mut p = p.clone();
                p.push(self.account_index()?);
                (Some(p), None)
            }
            (Some(_), p) => (p.cloned(), None),
            (None, p) => (p.cloned(), limit),
        };
        let config = FileScanConfigBuilder::new(self.dataset.store_url.clone(), Arc::new(source))
            .with_file_groups(groups)
            .with_projection_indices(scan_projection.clone())?
            .with_limit(scan_limit)
            .build();
        let plan = ParquetFormat::default()
            .with_options(parquet_options)
            .create_physical_plan(state, config)
            .await?;
        match scope {
            Some(scope) => {
                // The requested columns come first in the scan's projection (account_id may follow).
                let wanted = projection.map_or(self.schema.fields().len(), std::vec::Vec::len);
                let scoped = ScopedScanExec::try_new(
                    format!("raw.{}", self.table.name),
                    plan,
                    &scope,
                    Some((0..wanted).collect()),
                    limit,
                )?;
                Ok(Arc::new(scoped))
            }
            None => Ok(plan),
        }
    }
}

impl LogTable {
    fn account_index(&self) -> Result<usize> {
        Ok(self.schema.index_of("account_id")?)
    }
}

#[cfg(test)]
mod tests {
    use object_store::path::Path;

    use super::is_data_file;

    #[test]
    fn only_visible_parquet_names_are_data() {
        let prefix = Path::from("root/messages");
        let data = |p: &str| is_data_file(&prefix, &Path::from(p));
        assert!(data("root/messages/date=2026-06-01/part-0.parquet"));
        assert!(!data("root/messages/_SUCCESS"));
        assert!(!data("root/messages/date=2026-06-01/_SUCCESS"));
        assert!(!data("root/messages/date=2026-06-01/part-0.parquet.tmp"));
        assert!(!data("root/messages/date=2026-06-01/.part-0.parquet"));
        assert!(!data("root/messages/_temporary/part-0.parquet"));
        assert!(!data("root/events/date=2026-06-01/part-0.parquet"));
    }

    /// A store whose listing of the messages table, the first `times` times once
    /// armed, names `ghost`, a file that does not exist (as a listing taken just
    /// before a compaction deleted it does), and leaves out `late`, a file that
    /// does exist (as a listing taken just before it arrived does).
    #[derive(Debug)]
    struct StaleListing {
        inner: object_store::memory::InMemory,
        ghost: Option<object_store::ObjectMeta>,
        late: Option<Path>,
        times: std::sync::Mutex<usize>,
    }

    impl std::fmt::Display for StaleListing {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "StaleListing")
        }
    }

    #[async_trait::async_trait]
    impl object_store::ObjectStore for StaleListing {
        async fn put_opts(
            &self,
            l: &Path,
            p: object_store::PutPayload,
            o: object_store::PutOptions,
        ) -> object_store::Result<object_store::PutResult> {
            self.inner.put_opts(l, p, o).await
        }
        async fn put_multipart_opts(
            &self,
            l: &Path,
            o: object_store::PutMultipartOptions,
        ) -> object_store::Result<Box<dyn object_store::MultipartUpload>> {
            self.inner.put_multipart_opts(l, o).await
        }
        async fn get_opts(
            &self,
            l: &Path,
            o: object_store::GetOptions,
        ) -> object_store::Result<object_store::GetResult> {
            self.inner.get_opts(l, o).await
        }
        fn delete_stream(
            &self,
            locations: futures::stream::BoxStream<'static, object_store::Result<Path>>,
        ) -> futures::stream::BoxStream<'static, object_store::Result<Path>> {
            self.inner.delete_stream(locations)
        }
        fn list(
            &self,
            prefix: Option<&Path>,
        ) -> futures::stream::BoxStream<'static, object_store::Result<object_store::ObjectMeta>>
        {
            use futures::StreamExt;
            let listing = self.inner.list(prefix);
            let mut times = self.times.lock().unwrap();
            let messages = Path::from("root/messages");
            if *times == 0
                || !prefix
                    .is_some_and(|p| messages.prefix_matches(p) || p.prefix_matches(&messages))
            {
                return listing;
            }
            *times -= 1;
            let late = self.late.clone();
            let listing = listing.filter(move |m| {
                let hidden = matches!((m, &late), (Ok(m), Some(l)) if &m.location == l);
                futures::future::ready(!hidden)
            });
            listing
                .chain(futures::stream::iter(self.ghost.clone().map(Ok)))
                .boxed()
        }
        async fn list_with_delimiter(
            &self,
            prefix: Option<&Path>,
        ) -> object_store::Result<object_store::ListResult> {
            self.inner.list_with_delimiter(prefix).await
        }
        async fn copy_opts(
            &self,
            from: &Path,
            to: &Path,
            o: object_store::CopyOptions,
        ) -> object_store::Result<()> {
            self.inner.copy_opts(from, to, o).await
        }
    }

    /// The sample dataset in a store whose messages listing, once the engine is
    /// open, names a deleted file `times` times.
    async fn sample_with_ghost(times: usize) -> crate::Engine {
        sample_with_listing(times, true, false).await
    }

    /// The sample in a [`StaleListing`] store armed `times` times, with a ghost
    /// file and/or a late copy of one messages file.
    async fn sample_with_listing(times: usize, ghost: bool, late: bool) -> crate::Engine {
        use object_store::ObjectStoreExt;
        let ghost_meta = object_store::ObjectMeta {
            location: Path::from("root/messages/date=2026-06-01/compacted-away.parquet"),
            last_modified: chrono::Utc::now(),
            size: 4096,
            e_tag: None,
            version: None,
        };
        let late_path = Path::from("root/messages/date=2026-06-01/late.parquet");
        let store = std::sync::Arc::new(StaleListing {
            inner: object_store::memory::InMemory::new(),
            ghost: ghost.then_some(ghost_meta),
            late: late.then(|| late_path.clone()),
            times: std::sync::Mutex::new(0),
        });
        let data = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data");
        let mut pending = vec![data.clone()];
        while let Some(dir) = pending.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    pending.push(path);
                } else {
                    let relative = path
                        .strip_prefix(&data)
                        .unwrap()
                        .to_string_lossy()
                        .to_string();
                    let bytes = std::fs::read(&path).unwrap();
                    store
                        .put(&Path::from(format!("root/{relative}")), bytes.into())
                        .await
                        .unwrap();
                }
            }
        }
        if late {
            // A second delivery of one day's file: it adds rows to raw.messages.
            let day = data.join("messages/date=2026-06-01/part-00000.parquet");
            store
                .put(&late_path, std::fs::read(day).unwrap().into())
                .await
                .unwrap();
        }
        let dataset = crate::dataset::Dataset::in_memory("memory://root", store.clone());
        let engine = crate::Engine::open_dataset(dataset, crate::EngineOptions::default())
            .await
            .unwrap();
        *store.times.lock().unwrap() = times;
        engine
    }

    async fn count_messages(engine: &crate::Engine) -> Result<i64, String> {
        let mut session = engine.session();
        let df = session
            .query("SELECT count(*) AS n FROM raw.messages")
            .await
            .map_err(|e| e.to_string())?;
        let batches = df.collect().await.map_err(|e| e.to_string())?;
        Ok(batches[0]
            .column(0)
            .as_any()
            .downcast_ref::<arrow::array::Int64Array>()
            .unwrap()
            .value(0))
    }

    #[tokio::test]
    async fn a_file_deleted_after_listing_is_listed_again_not_an_error() {
        let expected = count_messages(&sample_with_ghost(0).await).await.unwrap();
        assert!(expected > 1000, "{expected}");
        // Listed once, deleted before its footer was read: the scan lists again.
        assert_eq!(
            count_messages(&sample_with_ghost(1).await).await.unwrap(),
            expected
        );
        // Still listed after the second listing: an error naming the file.
        let err = count_messages(&sample_with_ghost(2).await)
            .await
            .unwrap_err();
        assert!(
            err.contains("date=2026-06-01/compacted-away.parquet"),
            "{err}"
        );
    }

    /// A query that reads a table twice reads one listing: a file that arrives
    /// between its two scans is in neither, and the next query sees it.
    #[tokio::test]
    async fn one_statement_reads_one_listing_per_table() {
        let engine = sample_with_listing(1, false, true).await;
        let mut session = engine.session();
        // Two different scans (identical subqueries would be planned as one).
        let sql = "SELECT (SELECT count(*) FROM raw.messages) \
                   - (SELECT count(message_id) FROM raw.messages WHERE sent_at IS NOT NULL) AS drift, \
                   (SELECT count(*) FROM raw.messages) AS n";
        let first = session.query(sql).await.unwrap().collect().await.unwrap();
        let text = arrow::util::pretty::pretty_format_batches(&first)
            .unwrap()
            .to_string();
        assert!(
            text.contains("| 0     |"),
            "the two scans of one statement read the same files:\n{text}"
        );
        let before: i64 = text
            .lines()
            .nth(3)
            .unwrap()
            .split('|')
            .nth(2)
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        let after = count_messages(&engine).await.unwrap();
        assert!(
            after > before,
            "the next statement reads the late file ({before} -> {after})"
        );
    }
}
