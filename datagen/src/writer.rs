//! The Parquet files: the output directories, one writer's files (a profiles
//! file and one file per UTC day of messages and events, with re-delivered
//! rows), and the writers that generate their shares of the accounts in parallel.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use arrow::record_batch::RecordBatch;
use conversql_contract::TABLES;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;

use crate::accounts::{Account, ConvKind, build_accounts};
use crate::batches::{events_batch, messages_batch, profiles_batch};
use crate::conversation::{MsgRow, build_conversation};
use crate::events::{EventRow, Events, background_events, conversation_events};
use crate::rng::Rng;
use crate::time::{DAY, utc_day_to_date};
use crate::{GenerateError, GenerateOptions, GenerateSummary};

/// Writes the shares of `opts.writers` writers, in parallel, and sums up what they wrote.
pub(crate) fn write_shares(opts: &GenerateOptions) -> Result<GenerateSummary, GenerateError> {
    // Each writer owns the accounts `w, w + writers, …` and writes its own files; the
    // writers run on as many threads as there are cores and share nothing but the inputs.
    let next = AtomicUsize::new(0);
    let threads = std::thread::available_parallelism()
        .map_or(1, std::num::NonZero::get)
        .min(opts.writers);
    let results: Vec<Result<GenerateSummary, GenerateError>> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut total = GenerateSummary::default();
                    loop {
                        let writer = next.fetch_add(1, Ordering::SeqCst);
                        if writer >= opts.writers {
                            return Ok(total);
                        }
                        let share = build_accounts(opts, |i| i % opts.writers == writer)?;
                        let mut out = Output::new(&opts.out, Some(writer));
                        write_share(opts, &share, &mut out)?;
                        total.add(&out.summary);
                    }
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| {
                w.join()
                    .unwrap_or_else(|_| Err(GenerateError::setting("a generator thread panicked")))
            })
            .collect()
    });
    let mut total = GenerateSummary::default();
    for result in results {
        total.add(&result?);
    }
    Ok(total)
}

/// Writes the profiles, conversations and events of the accounts that have profiles
/// (all of them with one writer, the writer's share otherwise), streaming day by day.
pub(crate) fn write_share(
    opts: &GenerateOptions,
    accounts: &[Account],
    out: &mut Output,
) -> Result<(), GenerateError> {
    let (profiles_batch, profile_rows) = profiles_batch(accounts)?;
    let profiles_file = match out.writer {
        None => "profiles.parquet".to_string(),
        Some(_) => format!("{}.parquet", out.file_stem()),
    };
    out.write(
        &opts.out.join("profiles").join(profiles_file),
        profiles_batch,
    )?;
    out.summary.profiles = profile_rows;

    let mut events = Events::new(out.writer);
    for acc in accounts.iter().filter(|a| a.owned) {
        background_events(opts.seed, acc, opts.days, &mut events);
    }

    // All conversation starts, in time order across accounts.
    let mut order: Vec<(i64, u32, u32, ConvKind)> = Vec::new();
    for acc in accounts.iter().filter(|a| a.owned) {
        for (i, (start, kind)) in acc.starts.iter().enumerate() {
            order.push((*start, acc.idx, i as u32, *kind));
        }
    }
    order.sort_by_key(|&(start, acc, i, _)| (start, acc, i));

    let mut messages: BTreeMap<i64, Vec<MsgRow>> = BTreeMap::new();
    for &(start, acc_idx, num, kind) in &order {
        // Every later row is at or after this start: earlier UTC days are complete.
        let today = start.div_euclid(DAY);
        out.flush_messages(&mut messages, today, accounts, opts.seed)?;
        out.flush_events(&mut events.days, today, accounts)?;

        let acc = &accounts[acc_idx as usize];
        let mut rng = Rng::derive(opts.seed, &[4, u64::from(acc_idx), u64::from(num)]);
        let conv = build_conversation(&mut rng, acc, num, start, kind);
        conversation_events(&mut rng, acc, &conv, &mut events);
        for row in conv.rows {
            messages
                .entry(row.sent_at.div_euclid(DAY))
                .or_default()
                .push(row);
        }
        out.summary.conversations += 1;
    }
    out.flush_messages(&mut messages, i64::MAX, accounts, opts.seed)?;
    out.flush_events(&mut events.days, i64::MAX, accounts)?;
    Ok(())
}

/// Creates the tables' directories in `out`, refusing when one is not empty.
pub(crate) fn prepare_output(out: &Path) -> Result<(), GenerateError> {
    for table in TABLES {
        let dir = out.join(table.name);
        match fs::symlink_metadata(&dir) {
            Ok(meta) if meta.is_dir() => {
                let mut entries = fs::read_dir(&dir).map_err(|e| {
                    GenerateError::with_source(
                        format!("cannot read directory {}", dir.display()),
                        e,
                    )
                })?;
                if entries.next().is_some() {
                    return Err(GenerateError::setting(format!(
                        "refusing to overwrite: output directory {} already exists and is not empty",
                        dir.display()
                    )));
                }
            }
            Ok(_) => {
                return Err(GenerateError::setting(format!(
                    "refusing to overwrite: {} exists and is not a directory",
                    dir.display()
                )));
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(GenerateError::with_source(
                    format!("cannot inspect {}", dir.display()),
                    e,
                ));
            }
        }
    }
    for table in TABLES {
        let dir = out.join(table.name);
        fs::create_dir_all(&dir).map_err(|e| {
            GenerateError::with_source(format!("cannot create directory {}", dir.display()), e)
        })?;
    }
    Ok(())
}

const MAX_ROW_GROUP_ROWS: usize = 65_536;

/// Where one writer's files go, and what it wrote.
pub(crate) struct Output {
    root: PathBuf,
    props: WriterProperties,
    pub(crate) summary: GenerateSummary,
    /// The writer (file name `part-NNNNN`) when there are several; `None` for the sample.
    writer: Option<usize>,
}

impl Output {
    pub(crate) fn new(root: &Path, writer: Option<usize>) -> Self {
        let props = WriterProperties::builder()
            .set_compression(Compression::ZSTD(
                ZstdLevel::try_new(3).expect("valid zstd level"),
            ))
            .set_max_row_group_row_count(Some(MAX_ROW_GROUP_ROWS))
            .build();
        Output {
            root: root.to_path_buf(),
            props,
            summary: GenerateSummary::default(),
            writer,
        }
    }

    /// File name (without `.parquet`) of this writer's files: `part-00000` for the sample.
    fn file_stem(&self) -> String {
        format!("part-{:05}", self.writer.unwrap_or(0))
    }

    pub(crate) fn write(&mut self, path: &Path, batch: RecordBatch) -> Result<(), GenerateError> {
        let file = File::create(path).map_err(|e| {
            GenerateError::with_source(format!("cannot create {}", path.display()), e)
        })?;
        let failed = |e: parquet::errors::ParquetError| {
            GenerateError::with_source(format!("cannot write {}", path.display()), e)
        };
        let mut writer = ArrowWriter::try_new(
            BufWriter::new(file),
            batch.schema(),
            Some(self.props.clone()),
        )
        .map_err(failed)?;
        writer.write(&batch).map_err(failed)?;
        writer.close().map_err(failed)?;
        let size = fs::metadata(path)
            .map_err(|e| GenerateError::with_source(format!("cannot stat {}", path.display()), e))?
            .len();
        self.summary.files += 1;
        self.summary.bytes += size;
        Ok(())
    }

    fn partition_dir(&self, table: &str, day: i64) -> Result<PathBuf, GenerateError> {
        let dir = self
            .root
            .join(table)
            .join(format!("date={}", utc_day_to_date(day).format("%Y-%m-%d")));
        fs::create_dir_all(&dir).map_err(|e| {
            GenerateError::with_source(format!("cannot create directory {}", dir.display()), e)
        })?;
        Ok(dir)
    }

    /// Writes every UTC day before `before_day`.
    fn flush_messages(
        &mut self,
        days: &mut BTreeMap<i64, Vec<MsgRow>>,
        before_day: i64,
        accounts: &[Account],
        seed: u64,
    ) -> Result<(), GenerateError> {
        while days
            .first_key_value()
            .is_some_and(|(day, _)| *day < before_day)
        {
            let (day, mut rows) = days.pop_first().expect("non-empty");
            rows.sort_by_key(|r| (r.sent_at, r.acc, r.conv, r.seq));
            let dir = self.partition_dir("messages", day)?;
            let stem = self.file_stem();
            self.write(
                &dir.join(format!("{stem}.parquet")),
                messages_batch(&rows, accounts)?,
            )?;
            self.summary.messages += rows.len();
            // At-least-once delivery: on every third day a few rows arrive again in a second file
            // (`part-00001.parquet` in the sample, `part-NNNNN-redelivered.parquet` per writer).
            if day.rem_euclid(3) == 0 && rows.len() >= 5 {
                let (mut rng, again_file) = match self.writer {
                    None => (
                        Rng::derive(seed, &[5, day as u64]),
                        "part-00001.parquet".to_string(),
                    ),
                    Some(w) => (
                        Rng::derive(seed, &[5, day as u64, w as u64]),
                        format!("{stem}-redelivered.parquet"),
                    ),
                };
                let mut picks: Vec<usize> =
                    (0..=rng.below(3)).map(|_| rng.below(rows.len())).collect();
                picks.sort_unstable();
                picks.dedup();
                let again: Vec<MsgRow> = picks.into_iter().map(|i| rows[i].clone()).collect();
                self.write(&dir.join(again_file), messages_batch(&again, accounts)?)?;
                self.summary.messages += again.len();
            }
        }
        Ok(())
    }

    /// Writes every UTC day before `before_day`.
    fn flush_events(
        &mut self,
        days: &mut BTreeMap<i64, Vec<EventRow>>,
        before_day: i64,
        accounts: &[Account],
    ) -> Result<(), GenerateError> {
        while days
            .first_key_value()
            .is_some_and(|(day, _)| *day < before_day)
        {
            let (day, mut rows) = days.pop_first().expect("non-empty");
            rows.sort_by_key(|r| (r.at, r.id));
            let dir = self.partition_dir("events", day)?;
            let stem = self.file_stem();
            self.write(
                &dir.join(format!("{stem}.parquet")),
                events_batch(&rows, accounts)?,
            )?;
            self.summary.events += rows.len();
        }
        Ok(())
    }
}
