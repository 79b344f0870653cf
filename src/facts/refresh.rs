//! Folding new log files into the fact store: the conversations they touch
//! are recomputed, with the SQL of the raw path, and only the segments of the
//! week partitions that hold those conversations are rewritten.
//!
//! For each batch of new `messages/` files, per account:
//! 1. the new rows are de-duplicated among themselves ([`first_per_key`]);
//! 2. the account's segments holding one of their conversations or message
//!    ids are read, and all those rows de-duplicated again, so a re-delivered
//!    message_id keeps its first delivery whichever file it came in;
//! 3. the touched conversations (those with new rows, those that lost a row
//!    to an earlier delivery, those whose profile changed) get new facts from
//!    `sql/from_log/conversation_facts.sql`; the others keep theirs;
//! 4. each touched conversation goes to the partition of the week it now
//!    starts in: per week, one new segment replaces the segments read there
//!    ([`Job::replace_segments`]), the week's other segments stay.
//!
//! New `profiles/` files are folded first: each account's profiles file keeps
//! the latest version of every profile_id, and conversations whose profile
//! changed are touched (their display name is a fact). New `events/` files are
//! folded last, per account. Then every account whose conversations or events
//! changed gets its touches again: `sql/from_log/touches.sql` over its stored
//! events and the touch columns of its facts (a click counts only if its
//! conversation is known, so either side can change them), or, when only
//! conversations changed, over theirs alone, merged into the stored touches.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::Arc;
use std::time::Instant;

use arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, RecordBatch, StringArray, UInt32Array, UInt64Array,
};
use arrow::compute::{
    SortColumn, SortOptions, cast, concat_batches, filter_record_batch, interleave_record_batch,
    lexsort_to_indices, not, take_record_batch,
};
use arrow::datatypes::{DataType, Date32Type, SchemaRef, TimestampMicrosecondType, UInt64Type};
use arrow::row::{RowConverter, SortField};
use datafusion::common::{Result as DfResult, exec_datafusion_err};
use datafusion::datasource::MemTable;
use datafusion::execution::SessionStateBuilder;
use datafusion::execution::context::SessionState;
use datafusion::prelude::SessionContext;
use futures::{FutureExt, StreamExt};
use object_store::ObjectMeta;

use super::dedup::{
    EVENT_KEY, EVENT_ORDER, MESSAGE_KEY, MESSAGE_ORDER, ORDER_KEY, ORDER_ORDER, PROFILE_KEY,
    PROFILE_ORDER, first_per_key,
};
use super::manifest::{
    AccountRefresh, InputFile, Inputs, Manifest, Partition, RefreshReport, Retired, Segment,
    StoredFile,
};
use super::parquet_io::{self, FACTS_ROW_GROUP, MESSAGE_ROW_GROUP};
use super::{FactStore, Listing, StoreSchemas, crash_points};
use crate::error::Result;
use crate::log_table::ListingSnapshot;
use crate::store_location::StoreLocation;

/// The facts of a set of conversations, from their de-duplicated rows.
pub(crate) const FACTS_FROM_LOG: &str = include_str!("../../sql/from_log/conversation_facts.sql");
/// The attribution touches, from the `events` and `conversation_facts` relations.
pub(crate) const TOUCHES_FROM_LOG: &str = include_str!("../../sql/from_log/touches.sql");
/// The `conversation_facts` columns the touches are made from.
const TOUCH_FACT_COLUMNS: [&str; 6] = [
    "account_id",
    "conversation_id",
    "channel",
    "profile_id",
    "agent_message_times",
    "agent_message_ids",
];

/// A segment of the store: the Monday of its week and its place in the week's partition.
type SegmentId = (i32, usize);

/// Rows per row group of a segment's ids file (it is read whole).
const IDS_ROW_GROUP: usize = 1 << 20;

/// How many segments' ids a refresh reads at once.
const SCANS_AT_ONCE: usize = 4;

/// How many bytes of new log files are folded in at once (bounds the memory of a rebuild).
const BATCH_BYTES: u64 = 64 << 20;

/// Brings `current` up to `listing`: the next manifest (not yet saved) and what was done.
///
/// `unusable` is why the store found at start-up could not be used (it was
/// started again empty), until a refresh has rebuilt it.
pub(crate) async fn run(
    store: &FactStore,
    engine: &SessionState,
    schemas: &StoreSchemas,
    current: &Manifest,
    listing: &Listing,
    unusable: Option<String>,
) -> Result<(Manifest, RefreshReport)> {
    let started = Instant::now();
    let wanted = listing.inputs();
    let now_ms = chrono::Utc::now().timestamp_millis();
    let mut next = current.clone();
    next.generation += 1;
    let (expired, kept): (Vec<Retired>, Vec<Retired>) = std::mem::take(&mut next.retired)
        .into_iter()
        .partition(|r| r.expired(now_ms));
    next.retired = kept;
    for retired in &expired {
        store.delete_quietly(&retired.path).await;
    }
    crash_points::reached("retired-deleted");
    let rebuild_cause = unusable.or_else(|| rebuild_cause(current, &wanted));
    if rebuild_cause.is_some() {
        let old: Vec<String> = next.files().map(|f| f.path.clone()).collect();
        next.retired.extend(old.into_iter().map(|path| Retired {
            path,
            at_ms: now_ms,
        }));
        next.accounts.clear();
        next.inputs = Inputs {
            accounts: wanted.accounts.clone(),
            ..Inputs::default()
        };
    }
    let mut job = Job {
        store,
        engine,
        schemas,
        listing,
        next,
        now_ms,
        files_written: 0,
        written: vec![],
        accounts: vec![],
        changed_accounts: BTreeMap::new(),
        folded: BTreeMap::new(),
        report: RefreshReport {
            rebuild_cause,
            ..RefreshReport::default()
        },
    };
    if let Err(e) = job.fold().await {
        for relative in &job.written {
            store.delete_quietly(relative).await;
        }
        return Err(e);
    }
    job.next.inputs = wanted;
    job.report.generation = job.next.generation;
    job.report.elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    job.report.finished_at_ms = chrono::Utc::now().timestamp_millis();
    for (account, (files, rows)) in std::mem::take(&mut job.folded) {
        if let Some(stored) = job.next.accounts.get_mut(&account) {
            stored.last_refresh = Some(AccountRefresh {
                generation: job.report.generation,
                finished_at_ms: job.report.finished_at_ms,
                elapsed_ms: job.report.elapsed_ms,
                files_folded: files.len() as u64,
                rows_folded: rows,
                rebuild_cause: job.report.rebuild_cause.clone(),
            });
        }
    }
    job.next.last_refresh = Some(job.report.clone());
    Ok((job.next, job.report))
}

/// Why the store must be rebuilt to hold `wanted`, if it must: the first
/// build, a change of `accounts/` (time zones date every conversation), or a
/// log file that changed or disappeared (its rows may be in any partition).
fn rebuild_cause(current: &Manifest, wanted: &Inputs) -> Option<String> {
    if current.inputs == Inputs::default() {
        return Some("the first build".into());
    }
    if current.inputs.accounts != wanted.accounts {
        return Some("accounts/ changed (time zones date every conversation)".into());
    }
    let gone = [
        (&current.inputs.messages, &wanted.messages),
        (&current.inputs.profiles, &wanted.profiles),
        (&current.inputs.events, &wanted.events),
    ]
    .into_iter()
    .find_map(|(held, seen)| held.difference(seen).next())?;
    Some(format!(
        "the log file {} changed or disappeared",
        gone.location
    ))
}

/// What changed an account's touches in one refresh.
#[derive(Default)]
struct TouchChanges {
    /// Its events changed: all its touches are made again.
    events: bool,
    /// Otherwise, the conversations recomputed or gone…
    conversations: HashSet<String>,
    /// …and the `TOUCH_FACT_COLUMNS` of their new facts (one row per conversation).
    facts: Vec<RecordBatch>,
}

struct Job<'a> {
    store: &'a FactStore,
    engine: &'a SessionState,
    schemas: &'a StoreSchemas,
    listing: &'a Listing,
    next: Manifest,
    now_ms: i64,
    files_written: usize,
    /// Files written by this refresh (deleted if it fails).
    written: Vec<String>,
    /// The `accounts` view's rows.
    accounts: Vec<RecordBatch>,
    /// Accounts whose events or conversations this refresh changed, and how
    /// (their touches are made again).
    changed_accounts: BTreeMap<String, TouchChanges>,
    /// Per account, the log files folded in that had its rows, and how many rows.
    folded: BTreeMap<String, (BTreeSet<String>, u64)>,
    report: RefreshReport,
}

impl Job<'_> {
    /// Counts an account's new log rows (with their `source_file`) as folded in.
    fn count_folded(&mut self, account: &str, rows: &RecordBatch) -> DfResult<()> {
        let (files, count) = self.folded.entry(account.to_string()).or_default();
        files.extend(strings(rows, "source_file")?);
        *count += rows.num_rows() as u64;
        Ok(())
    }

    /// A session of the engine whose raw tables read exactly the given files.
    fn session(
        &self,
        messages: &[ObjectMeta],
        profiles: &[ObjectMeta],
        events: &[ObjectMeta],
    ) -> SessionContext {
        let mut files = HashMap::new();
        files.insert("messages", messages.to_vec());
        files.insert("profiles", profiles.to_vec());
        files.insert("events", events.to_vec());
        files.insert("accounts", self.listing.accounts.clone());
        let mut config = self
            .engine
            .config()
            .clone()
            .with_extension(Arc::new(ListingSnapshot::preset(files)));
        conversql_udfs::ConversqlOptions::of_mut(&mut config).skip_bad_files =
            conversql_udfs::OnOff(false);
        SessionContext::new_with_state(
            SessionStateBuilder::new_from_existing(self.engine.clone())
                .with_config(config)
                .build(),
        )
    }

    async fn fold(&mut self) -> Result<()> {
        self.accounts = self
            .session(&[], &[], &[])
            .sql("SELECT * FROM accounts")
            .await?
            .collect()
            .await?;
        let new_profiles = not_in(&self.listing.profiles, &self.next.inputs.profiles);
        let started = Instant::now();
        let mut changed = self.fold_profiles(&new_profiles).await?;
        if !new_profiles.is_empty() {
            self.report
                .add_step_time("profiles folded", started.elapsed());
        }
        self.report.profile_files = new_profiles.len();
        self.next
            .inputs
            .profiles
            .extend(new_profiles.iter().map(InputFile::from));

        let new_messages = not_in(&self.listing.messages, &self.next.inputs.messages);
        self.report.message_files = new_messages.len();
        for batch in size_batches(&new_messages) {
            let started = Instant::now();
            let rows = Self::read_raw(
                self.session(batch, &[], &[]),
                "messages",
                &self.schemas.message_file,
            )
            .await?;
            self.report
                .add_step_time("new rows read", started.elapsed());
            self.report.message_rows += rows.num_rows();
            for (account, rows) in split_by_account(&rows)? {
                self.count_folded(&account, &rows)?;
                let profiles = changed.remove(&account).unwrap_or_default();
                self.fold_account(&account, Some(rows), &profiles).await?;
            }
            self.next
                .inputs
                .messages
                .extend(batch.iter().map(InputFile::from));
        }
        for (account, profiles) in changed {
            self.fold_account(&account, None, &profiles).await?;
        }

        let new_events = not_in(&self.listing.events, &self.next.inputs.events);
        self.report.event_files = new_events.len();
        for batch in size_batches(&new_events) {
            let started = Instant::now();
            self.fold_events(batch).await?;
            self.report
                .add_step_time("events folded", started.elapsed());
            self.next
                .inputs
                .events
                .extend(batch.iter().map(InputFile::from));
        }
        for (account, changes) in std::mem::take(&mut self.changed_accounts) {
            let started = Instant::now();
            self.write_touches(&account, changes).await?;
            self.report.add_step_time("touches made", started.elapsed());
        }
        Ok(())
    }

    /// Makes the account's touches again (`sql/from_log/touches.sql`), sorted
    /// by (profile_id, touch_at). A touch belongs to one conversation and
    /// depends only on its facts and its events, so when only conversations
    /// changed, their touches are made from their new facts and replace their
    /// old ones; when the account's events changed (or it has no touches yet),
    /// all are made from its stored events and facts.
    async fn write_touches(&mut self, account: &str, changes: TouchChanges) -> Result<()> {
        let Some(stored) = self.next.accounts.get(account) else {
            return Ok(());
        };
        let events = match &stored.events {
            Some(file) => {
                parquet_io::read(
                    &self.store.location,
                    &file.path,
                    None,
                    Some(&self.schemas.events),
                )
                .await?
            }
            None => parquet_io::empty(&self.schemas.events),
        };
        let facts_schema = Arc::new(
            self.schemas
                .facts
                .project(&touch_fact_indices(&self.schemas.facts)?)?,
        );
        let stored_touches = stored.touches.as_ref().filter(|_| !changes.events);
        let touches = if let Some(old) = stored_touches {
            let old = parquet_io::read(
                &self.store.location,
                &old.path,
                None,
                Some(&self.schemas.touches),
            )
            .await?;
            let kept =
                filter_record_batch(&old, &not_of_conversations(&old, &changes.conversations)?)?;
            let of_changed = not(&not_of_conversations(&events, &changes.conversations)?)?;
            let events = filter_record_batch(&events, &of_changed)?;
            let made = self
                .make_touches(events, facts_schema, changes.facts)
                .await?;
            merge_sorted(&kept, &made, &["profile_id", "touch_at"])?
        } else {
            let mut facts = vec![];
            for segment in stored.partitions.values().flat_map(|p| &p.segments) {
                facts.push(
                    parquet_io::read(
                        &self.store.location,
                        &segment.facts.path,
                        Some(&TOUCH_FACT_COLUMNS),
                        Some(&facts_schema),
                    )
                    .await?,
                );
            }
            self.make_touches(events, facts_schema, facts).await?
        };
        let file = if touches.num_rows() == 0 {
            None
        } else {
            let file = self
                .write(&account_dir(account), "touches", &touches, FACTS_ROW_GROUP)
                .await?;
            crash_points::reached("touches-written");
            Some(file)
        };
        let stored = self
            .next
            .accounts
            .get_mut(account)
            .expect("looked up above");
        if let Some(old) = std::mem::replace(&mut stored.touches, file) {
            self.next.retired.push(Retired {
                path: old.path,
                at_ms: self.now_ms,
            });
        }
        Ok(())
    }

    /// `sql/from_log/touches.sql` over the given events and facts (the
    /// `TOUCH_FACT_COLUMNS`), sorted by (profile_id, touch_at).
    async fn make_touches(
        &self,
        events: RecordBatch,
        facts_schema: SchemaRef,
        facts: Vec<RecordBatch>,
    ) -> Result<RecordBatch> {
        let ctx = SessionContext::new();
        register_rows(
            &ctx,
            "events",
            self.schemas.events.clone(),
            vec![vec![events]],
        )?;
        register_rows(&ctx, "conversation_facts", facts_schema, vec![facts])?;
        let batches = ctx.sql(TOUCHES_FROM_LOG).await?.collect().await?;
        let touches = concat_batches(&batches_schema(&batches, &self.schemas.touches), &batches)?;
        Ok(sorted(
            &parquet_io::relabel(touches, &self.schemas.touches)?,
            &["profile_id", "touch_at"],
        )?)
    }

    /// Folds new event files into each account's events: the first delivery of
    /// each event_id, then the first event of each order_id.
    async fn fold_events(&mut self, files: &[ObjectMeta]) -> Result<()> {
        let schema = self.schemas.event_file.clone();
        let rows = Self::read_raw(self.session(&[], &[], files), "events", &schema).await?;
        self.report.event_rows += rows.num_rows();
        for (account, new_rows) in split_by_account(&rows)? {
            self.count_folded(&account, &new_rows)?;
            let changes = self.changed_accounts.entry(account.clone()).or_default();
            changes.events = true;
            changes.facts.clear();
            let store = self.next.accounts.entry(account.clone()).or_default();
            let old = match &store.delivered_events {
                Some(file) => {
                    parquet_io::read(&self.store.location, &file.path, None, Some(&schema)).await?
                }
                None => parquet_io::empty(&schema),
            };
            let all = concat_batches(&schema, [&old, &new_rows])?;
            let delivered = take_record_batch(&all, &first_per_key(&all, EVENT_KEY, EVENT_ORDER)?)?;
            let events = sorted(
                &one_event_per_order(&delivered)?,
                &["occurred_at", "event_id"],
            )?;
            let events = parquet_io::relabel(events, &self.schemas.events)?;
            let folder = account_dir(&account);
            let delivered_file = self
                .write(&folder, "delivered-events", &delivered, FACTS_ROW_GROUP)
                .await?;
            let events_file = self
                .write(&folder, "events", &events, FACTS_ROW_GROUP)
                .await?;
            crash_points::reached("events-written");
            let store = self
                .next
                .accounts
                .get_mut(&account)
                .expect("entry made above");
            let old_files = [
                store.delivered_events.replace(delivered_file),
                store.events.replace(events_file),
            ];
            for old in old_files.into_iter().flatten() {
                self.next.retired.push(Retired {
                    path: old.path,
                    at_ms: self.now_ms,
                });
            }
        }
        Ok(())
    }

    /// The rows of `raw.<table>` in `ctx` (whose listing is the new files), with the columns of `schema`.
    async fn read_raw(ctx: SessionContext, table: &str, schema: &SchemaRef) -> Result<RecordBatch> {
        let columns: Vec<String> = schema
            .fields()
            .iter()
            .map(|f| format!("\"{}\"", f.name()))
            .collect();
        let sql = format!("SELECT {} FROM raw.{table}", columns.join(", "));
        let batches = ctx.sql(&sql).await?.collect().await?;
        Ok(parquet_io::relabel(
            concat_batches(&batches_schema(&batches, schema), &batches)?,
            schema,
        )?)
    }

    /// Folds new profile files into each account's profiles file; the profile_ids they carry, per account with conversations.
    async fn fold_profiles(
        &mut self,
        files: &[ObjectMeta],
    ) -> Result<BTreeMap<String, HashSet<String>>> {
        let mut changed = BTreeMap::new();
        if files.is_empty() {
            return Ok(changed);
        }
        let schema = self.schemas.profile_file.clone();
        let rows = Self::read_raw(self.session(&[], files, &[]), "profiles", &schema).await?;
        self.report.profile_rows += rows.num_rows();
        for (account, new_rows) in split_by_account(&rows)? {
            self.count_folded(&account, &new_rows)?;
            let store = self.next.accounts.entry(account.clone()).or_default();
            let old = match &store.profiles {
                Some(file) => {
                    parquet_io::read(&self.store.location, &file.path, None, Some(&schema)).await?
                }
                None => parquet_io::empty(&schema),
            };
            let has_conversations = !store.partitions.is_empty();
            let all = concat_batches(&schema, [&old, &new_rows])?;
            let kept = take_record_batch(&all, &first_per_key(&all, PROFILE_KEY, PROFILE_ORDER)?)?;
            let file = self
                .write(&account_dir(&account), "profiles", &kept, FACTS_ROW_GROUP)
                .await?;
            crash_points::reached("profiles-written");
            let store = self
                .next
                .accounts
                .get_mut(&account)
                .expect("entry made above");
            if let Some(old) = store.profiles.replace(file) {
                self.next.retired.push(Retired {
                    path: old.path,
                    at_ms: self.now_ms,
                });
            }
            if has_conversations {
                changed.insert(
                    account,
                    strings(&new_rows, "profile_id")?.into_iter().collect(),
                );
            }
        }
        Ok(changed)
    }

    /// Writes a store file named `<stem>-g<generation>-<writer>-<n>.parquet` in `folder`.
    async fn write(
        &mut self,
        folder: &str,
        stem: &str,
        batch: &RecordBatch,
        row_group: usize,
    ) -> Result<StoredFile> {
        let relative = format!(
            "{folder}/{stem}-g{}-{}-{}.parquet",
            self.next.generation, self.store.writer, self.files_written
        );
        self.written.push(relative.clone());
        self.files_written += 1;
        let size = parquet_io::write(&self.store.location, &relative, batch, row_group).await?;
        Ok(StoredFile {
            path: relative,
            size,
            rows: batch.num_rows() as u64,
        })
    }

    /// Folds one account's new rows (already this account's only) and profile changes into its partitions.
    async fn fold_account(
        &mut self,
        account: &str,
        new_rows: Option<RecordBatch>,
        changed_profiles: &HashSet<String>,
    ) -> Result<()> {
        let message_schema = self.schemas.message_file.clone();
        let facts_schema = self.schemas.facts.clone();
        let candidates = match new_rows {
            Some(rows) => {
                take_record_batch(&rows, &first_per_key(&rows, MESSAGE_KEY, MESSAGE_ORDER)?)?
            }
            None => parquet_io::empty(&message_schema),
        };
        let candidate_ids: HashSet<String> =
            strings(&candidates, "message_id")?.into_iter().collect();
        let mut touched: HashSet<String> = strings(&candidates, "conversation_id")?
            .into_iter()
            .collect();
        let partitions = self
            .next
            .accounts
            .get(account)
            .map(|a| a.partitions.clone())
            .unwrap_or_default();

        // 2. The segments holding a touched conversation or one of the new message ids.
        let started = Instant::now();
        let segments: Vec<(SegmentId, Segment)> = partitions
            .iter()
            .flat_map(|(week, p)| {
                p.segments
                    .iter()
                    .enumerate()
                    .map(|(i, s)| ((*week, i), s.clone()))
            })
            .collect();
        let scan_ids = candidates.num_rows() > 0;
        let mut hashes: Vec<u64> = touched
            .iter()
            .map(|c| conversation_hash(c))
            .chain(candidate_ids.iter().map(|m| message_hash(m)))
            .collect();
        hashes.sort_unstable();
        let looked_for = Arc::new((hashes, changed_profiles.clone()));
        let scans: Vec<_> = segments
            .iter()
            .map(|(id, segment)| {
                scan_segment(
                    self.store.location.clone(),
                    *id,
                    segment.clone(),
                    scan_ids,
                    looked_for.clone(),
                )
                .boxed()
            })
            .collect();
        let mut affected: BTreeSet<SegmentId> = BTreeSet::new();
        let mut scanned = futures::stream::iter(scans).buffer_unordered(SCANS_AT_ONCE);
        let mut of_changed_profiles = vec![];
        while let Some(scan) = scanned.next().await {
            let (id, holds, conversations) = scan?;
            if holds || !conversations.is_empty() {
                affected.insert(id);
            }
            of_changed_profiles.extend(conversations);
        }
        drop(scanned);
        touched.extend(of_changed_profiles);
        self.report
            .add_step_time("stored ids scanned", started.elapsed());
        if candidates.num_rows() == 0 && affected.is_empty() {
            return Ok(());
        }
        self.changed_accounts
            .entry(account.to_string())
            .or_default();

        // The rows of the affected segments, then the new ones; each old row knows its week.
        let started = Instant::now();
        let mut parts = vec![];
        let mut row_weeks: Vec<Option<i32>> = vec![];
        let mut old_facts: Vec<(i32, RecordBatch)> = vec![];
        for (week, i) in &affected {
            let (rows, facts) = self.read_segment(&partitions[week].segments[*i]).await?;
            row_weeks.extend(std::iter::repeat_n(Some(*week), rows.num_rows()));
            parts.push(rows);
            old_facts.push((*week, facts));
        }
        let old_rows = row_weeks.len();
        row_weeks.extend(std::iter::repeat_n(None, candidates.num_rows()));
        parts.push(candidates);
        let all = concat_batches(&message_schema, &parts)?;
        drop(parts);
        let kept = first_per_key(&all, MESSAGE_KEY, MESSAGE_ORDER)?;
        // An old row that lost to an earlier delivery: its conversation changes too.
        {
            let conversations = string_column(&all, "conversation_id")?;
            let mut kept_iter = kept.values().iter().peekable();
            for i in 0..old_rows {
                while kept_iter.peek().is_some_and(|k| (**k as usize) < i) {
                    kept_iter.next();
                }
                if kept_iter.peek().is_none_or(|k| **k as usize != i) {
                    touched.insert(conversations.value(i).to_string());
                }
            }
        }
        let rows = take_record_batch(&all, &kept)?;
        let row_weeks: Vec<Option<i32>> = kept
            .values()
            .iter()
            .map(|i| row_weeks[*i as usize])
            .collect();
        drop(all);
        self.report
            .add_step_time("segments read", started.elapsed());

        // 3. New facts for the touched conversations.
        let started = Instant::now();
        let conversations = string_column(&rows, "conversation_id")?;
        let is_touched: BooleanArray = (0..rows.num_rows())
            .map(|i| Some(touched.contains(conversations.value(i))))
            .collect();
        let touched_rows = filter_record_batch(&rows, &is_touched)?;
        let new_facts = self.compute_facts(account, &touched_rows).await?;
        self.report.conversations_recomputed += new_facts.num_rows();
        // What the account's touches need to be made again from these facts
        // (nothing when they will be made from everything stored anyway).
        let has_touches = self
            .next
            .accounts
            .get(account)
            .is_some_and(|a| a.touches.is_some());
        let touch_columns = touch_fact_indices(&self.schemas.facts)?;
        let changes = self
            .changed_accounts
            .entry(account.to_string())
            .or_default();
        if has_touches && !changes.events {
            for earlier in &mut changes.facts {
                *earlier = filter_record_batch(earlier, &not_of_conversations(earlier, &touched)?)?;
            }
            changes.facts.push(new_facts.project(&touch_columns)?);
            changes.conversations.extend(touched.iter().cloned());
        }
        self.report
            .add_step_time("facts computed", started.elapsed());
        let started = Instant::now();
        let new_fact_weeks = weeks_of(&new_facts)?;
        let mut week_of_conversation: HashMap<String, i32> = HashMap::new();
        {
            let ids = string_column(&new_facts, "conversation_id")?;
            for (i, week) in new_fact_weeks.iter().enumerate() {
                week_of_conversation.insert(ids.value(i).to_string(), *week);
            }
        }

        // 4. Per week that changed, one new segment in place of its affected
        // ones: their untouched conversations, and the touched conversations
        // that now start that week. The week's other segments stay as they are.
        let mut weeks: BTreeSet<i32> = affected.iter().map(|(week, _)| *week).collect();
        weeks.extend(new_fact_weeks.iter().copied());
        for week in weeks {
            let in_week: BooleanArray = (0..rows.num_rows())
                .map(|i| {
                    let c = conversations.value(i);
                    Some(if touched.contains(c) {
                        week_of_conversation.get(c) == Some(&week)
                    } else {
                        row_weeks[i] == Some(week)
                    })
                })
                .collect();
            let messages = filter_record_batch(&rows, &in_week)?;
            let mut facts = vec![];
            for (_, old) in old_facts.iter().filter(|(w, _)| *w == week) {
                let ids = string_column(old, "conversation_id")?;
                let keep: BooleanArray = (0..old.num_rows())
                    .map(|i| Some(!touched.contains(ids.value(i))))
                    .collect();
                facts.push(filter_record_batch(old, &keep)?);
            }
            let mine: BooleanArray = new_fact_weeks.iter().map(|w| Some(*w == week)).collect();
            facts.push(filter_record_batch(&new_facts, &mine)?);
            let facts = concat_batches(&facts_schema, &facts)?;
            let replaced: Vec<usize> = affected
                .iter()
                .filter(|(w, _)| *w == week)
                .map(|(_, i)| *i)
                .collect();
            self.replace_segments(account, week, &replaced, messages, facts)
                .await?;
        }
        self.report
            .add_step_time("segments written", started.elapsed());
        Ok(())
    }

    /// A stored segment's log rows and facts.
    async fn read_segment(&self, segment: &Segment) -> Result<(RecordBatch, RecordBatch)> {
        let location = &self.store.location;
        let messages = parquet_io::read(
            location,
            &segment.messages.path,
            None,
            Some(&self.schemas.message_file),
        )
        .await?;
        let facts = parquet_io::read(
            location,
            &segment.facts.path,
            None,
            Some(&self.schemas.facts),
        )
        .await?;
        Ok((messages, facts))
    }

    /// Replaces the segments `replaced` of the account's `week` by one made of
    /// `messages` and `facts`, which also absorbs every other segment of the
    /// week no larger than what it holds so far (smallest first). Each row is
    /// thus rewritten about log2(week's rows / landed rows) times in all, and a
    /// week keeps about as many segments: an hourly file rewrites its hour's
    /// segment and sometimes a few older ones, not the week.
    async fn replace_segments(
        &mut self,
        account: &str,
        week: i32,
        replaced: &[usize],
        mut messages: RecordBatch,
        mut facts: RecordBatch,
    ) -> Result<()> {
        let now_ms = self.now_ms;
        let mut old: Vec<Segment> = vec![];
        let mut kept: Vec<Segment> = vec![];
        if let Some(partition) = self
            .next
            .accounts
            .entry(account.to_string())
            .or_default()
            .partitions
            .remove(&week)
        {
            for (i, segment) in partition.segments.into_iter().enumerate() {
                if replaced.contains(&i) {
                    old.push(segment);
                } else {
                    kept.push(segment);
                }
            }
        }
        if facts.num_rows() > 0 {
            kept.sort_by_key(|s| s.facts.rows);
            let (mut all_messages, mut all_facts) = (vec![messages], vec![facts]);
            let mut conversations = all_facts[0].num_rows() as u64;
            let mut absorbed = 0;
            while absorbed < kept.len() && kept[absorbed].facts.rows <= conversations {
                let (more, more_facts) = self.read_segment(&kept[absorbed]).await?;
                conversations += more_facts.num_rows() as u64;
                all_messages.push(more);
                all_facts.push(more_facts);
                absorbed += 1;
            }
            messages = concat_batches(&self.schemas.message_file, &all_messages)?;
            facts = concat_batches(&self.schemas.facts, &all_facts)?;
            old.extend(kept.drain(..absorbed));
        }
        for segment in &old {
            for file in segment.files() {
                self.next.retired.push(Retired {
                    path: file.path.clone(),
                    at_ms: now_ms,
                });
            }
        }
        if facts.num_rows() > 0 {
            let messages = sorted(&messages, &["conversation_id", "sent_at", "message_id"])?;
            let facts = sorted(&facts, &["started_at", "conversation_id"])?;
            let dir = format!("{}/w={}", account_dir(account), date_name(week));
            let ids = id_hashes(&messages)?;
            let messages = self
                .write(&dir, "messages", &messages, MESSAGE_ROW_GROUP)
                .await?;
            let facts_file = self.write(&dir, "facts", &facts, FACTS_ROW_GROUP).await?;
            let ids = self.write(&dir, "ids", &ids, IDS_ROW_GROUP).await?;
            crash_points::reached("partition-written");
            let (min_started_date, max_started_date) = started_date_range(&facts)?;
            kept.push(Segment {
                messages,
                facts: facts_file,
                ids,
                min_started_date,
                max_started_date,
            });
            self.report.segments_written += 1;
        }
        if !kept.is_empty() {
            kept.sort_by_key(|s| std::cmp::Reverse(s.facts.rows));
            self.next
                .accounts
                .entry(account.to_string())
                .or_default()
                .partitions
                .insert(week, Partition { segments: kept });
        }
        Ok(())
    }

    /// The account's profiles, as the `profiles` view has them.
    async fn account_profiles(&self, account: &str) -> Result<RecordBatch> {
        match self
            .next
            .accounts
            .get(account)
            .and_then(|a| a.profiles.as_ref())
        {
            Some(file) => Ok(parquet_io::relabel(
                parquet_io::read(
                    &self.store.location,
                    &file.path,
                    None,
                    Some(&self.schemas.profile_file),
                )
                .await?,
                &self.schemas.profiles,
            )?),
            None => Ok(parquet_io::empty(&self.schemas.profiles)),
        }
    }

    /// The facts of the conversations whose (de-duplicated) rows are given.
    async fn compute_facts(&self, account: &str, rows: &RecordBatch) -> Result<RecordBatch> {
        if rows.num_rows() == 0 {
            return Ok(parquet_io::empty(&self.schemas.facts));
        }
        let mut config = datafusion::prelude::SessionConfig::new()
            .set_str("datafusion.execution.time_zone", "UTC");
        conversql_udfs::register_options(&mut config);
        let state = SessionStateBuilder::new()
            .with_config(config)
            .with_runtime_env(self.engine.runtime_env().clone())
            .with_default_features()
            .build();
        let ctx = SessionContext::new_with_state(state);
        conversql_udfs::register_all(&ctx);
        let messages = parquet_io::relabel(rows.clone(), &self.schemas.messages)?;
        // Two partitions, so both cores aggregate.
        let half = messages.num_rows() / 2;
        let partitions = vec![
            vec![messages.slice(0, half)],
            vec![messages.slice(half, messages.num_rows() - half)],
        ];
        register_rows(&ctx, "messages", self.schemas.messages.clone(), partitions)?;
        let accounts_schema = self.accounts.first().map_or_else(
            || self.schemas.accounts.clone(),
            arrow::array::RecordBatch::schema,
        );
        register_rows(
            &ctx,
            "accounts",
            accounts_schema,
            vec![self.accounts.clone()],
        )?;
        let profiles = self.account_profiles(account).await?;
        register_rows(
            &ctx,
            "profiles",
            self.schemas.profiles.clone(),
            vec![vec![profiles]],
        )?;
        let batches = ctx.sql(FACTS_FROM_LOG).await?.collect().await?;
        let facts = concat_batches(&batches_schema(&batches, &self.schemas.facts), &batches)?;
        Ok(parquet_io::relabel(facts, &self.schemas.facts)?)
    }
}

fn batches_schema(
    batches: &[RecordBatch],
    fallback: &arrow::datatypes::SchemaRef,
) -> arrow::datatypes::SchemaRef {
    batches
        .first()
        .map_or_else(|| fallback.clone(), arrow::array::RecordBatch::schema)
}

/// The files of `listing` that are not among `incorporated`.
fn not_in(listing: &[ObjectMeta], incorporated: &BTreeSet<InputFile>) -> Vec<ObjectMeta> {
    listing
        .iter()
        .filter(|m| !incorporated.contains(&InputFile::from(*m)))
        .cloned()
        .collect()
}

/// The events with one `Placed Order` per order_id (the earliest, then the smaller event_id); other rows unchanged.
fn one_event_per_order(delivered: &RecordBatch) -> DfResult<RecordBatch> {
    let metrics = string_column(delivered, "metric")?;
    let orders = string_column(delivered, "order_id")?;
    let is_order: Vec<bool> = (0..delivered.num_rows())
        .map(|i| metrics.is_valid(i) && metrics.value(i) == "Placed Order" && orders.is_valid(i))
        .collect();
    let order_rows: Vec<u32> = (0..delivered.num_rows() as u32)
        .filter(|i| is_order[*i as usize])
        .collect();
    let placed = take_record_batch(delivered, &UInt32Array::from(order_rows.clone()))?;
    let first = first_per_key(&placed, ORDER_KEY, ORDER_ORDER)?;
    let mut keep: Vec<u32> = (0..delivered.num_rows() as u32)
        .filter(|i| !is_order[*i as usize])
        .collect();
    keep.extend(first.values().iter().map(|i| order_rows[*i as usize]));
    keep.sort_unstable();
    Ok(take_record_batch(delivered, &UInt32Array::from(keep))?)
}

/// New files in path order, in batches of about [`BATCH_BYTES`].
/// Whether a segment may hold one of the conversations or message ids looked
/// for (when `scan_ids`; a hash collision only makes a segment rewritten for
/// nothing), and its conversations whose profile is one of those looked for:
/// `looked_for` is (the ids' hashes, sorted; the profiles).
async fn scan_segment(
    location: StoreLocation,
    id: SegmentId,
    segment: Segment,
    scan_ids: bool,
    looked_for: Arc<(Vec<u64>, HashSet<String>)>,
) -> Result<(SegmentId, bool, Vec<String>)> {
    let (hashes, changed_profiles) = looked_for.as_ref();
    let mut holds = false;
    if scan_ids {
        let stored = parquet_io::read(&location, &segment.ids.path, None, None).await?;
        let stored = stored
            .column_by_name(ID_HASH)
            .and_then(|c| c.as_primitive_opt::<UInt64Type>())
            .ok_or_else(|| {
                exec_datafusion_err!(
                    "fact store file {}/{}: no {ID_HASH} column of UInt64",
                    location.display,
                    segment.ids.path
                )
            })?;
        let stored = stored.values();
        holds = hashes.iter().any(|h| stored.binary_search(h).is_ok());
    }
    let mut of_changed_profiles = vec![];
    if !changed_profiles.is_empty() {
        let facts = parquet_io::read(
            &location,
            &segment.facts.path,
            Some(&["conversation_id", "profile_id"]),
            None,
        )
        .await?;
        let conversations = string_column(&facts, "conversation_id")?;
        let profiles = string_column(&facts, "profile_id")?;
        for i in 0..facts.num_rows() {
            if profiles.is_valid(i) && changed_profiles.contains(profiles.value(i)) {
                of_changed_profiles.push(conversations.value(i).to_string());
            }
        }
    }
    Ok((id, holds, of_changed_profiles))
}

/// The column of a segment's ids file.
const ID_HASH: &str = "id_hash";

/// The XXH64 of a conversation id (seed 1: a message id equal to it hashes otherwise).
fn conversation_hash(id: &str) -> u64 {
    twox_hash::XxHash64::oneshot(1, id.as_bytes())
}

/// The XXH64 of a message id (seed 2).
fn message_hash(id: &str) -> u64 {
    twox_hash::XxHash64::oneshot(2, id.as_bytes())
}

/// A segment's ids file: the hashes of its conversation and message ids,
/// sorted and distinct, so a refresh finds the segments new rows belong to by
/// reading 8 bytes per id instead of the ids themselves. XXH64 is fixed by
/// its specification, so stored hashes stay valid across versions.
fn id_hashes(messages: &RecordBatch) -> DfResult<RecordBatch> {
    let conversations = string_column(messages, "conversation_id")?;
    let ids = string_column(messages, "message_id")?;
    let mut hashes = Vec::with_capacity(2 * messages.num_rows());
    for i in 0..messages.num_rows() {
        hashes.push(conversation_hash(conversations.value(i)));
        hashes.push(message_hash(ids.value(i)));
    }
    hashes.sort_unstable();
    hashes.dedup();
    let schema = Arc::new(arrow::datatypes::Schema::new(vec![
        arrow::datatypes::Field::new(ID_HASH, DataType::UInt64, false),
    ]));
    Ok(RecordBatch::try_new(
        schema,
        vec![Arc::new(UInt64Array::from(hashes))],
    )?)
}

/// Registers `partitions` of rows of `schema` as the table `name` of `ctx`.
fn register_rows(
    ctx: &SessionContext,
    name: &str,
    schema: SchemaRef,
    partitions: Vec<Vec<RecordBatch>>,
) -> DfResult<()> {
    ctx.register_table(name, Arc::new(MemTable::try_new(schema, partitions)?))?;
    Ok(())
}

/// The positions of `TOUCH_FACT_COLUMNS` in the facts' schema.
fn touch_fact_indices(facts: &SchemaRef) -> DfResult<Vec<usize>> {
    Ok(TOUCH_FACT_COLUMNS
        .iter()
        .map(|c| facts.index_of(c))
        .collect::<std::result::Result<Vec<_>, _>>()?)
}

/// Per row: whether its conversation_id is not one of `conversations` (a NULL one is not).
fn not_of_conversations(
    batch: &RecordBatch,
    conversations: &HashSet<String>,
) -> DfResult<BooleanArray> {
    let ids = string_column(batch, "conversation_id")?;
    Ok((0..batch.num_rows())
        .map(|i| Some(!(ids.is_valid(i) && conversations.contains(ids.value(i)))))
        .collect())
}

/// Two batches sorted by `columns` (ascending, NULLs last, as [`sorted`]) merged into one.
fn merge_sorted(a: &RecordBatch, b: &RecordBatch, columns: &[&str]) -> DfResult<RecordBatch> {
    if b.num_rows() == 0 {
        return Ok(a.clone());
    }
    if a.num_rows() == 0 {
        return Ok(b.clone());
    }
    let keys = |batch: &RecordBatch| {
        columns
            .iter()
            .map(|name| {
                batch
                    .column_by_name(name)
                    .cloned()
                    .ok_or_else(|| exec_datafusion_err!("fact store: no column {name}"))
            })
            .collect::<DfResult<Vec<ArrayRef>>>()
    };
    let (a_keys, b_keys) = (keys(a)?, keys(b)?);
    let converter = RowConverter::new(
        a_keys
            .iter()
            .map(|k| {
                SortField::new_with_options(
                    k.data_type().clone(),
                    SortOptions {
                        descending: false,
                        nulls_first: false,
                    },
                )
            })
            .collect(),
    )?;
    let (a_rows, b_rows) = (
        converter.convert_columns(&a_keys)?,
        converter.convert_columns(&b_keys)?,
    );
    let mut order = Vec::with_capacity(a.num_rows() + b.num_rows());
    let (mut i, mut j) = (0, 0);
    while i < a_rows.num_rows() && j < b_rows.num_rows() {
        if b_rows.row(j) < a_rows.row(i) {
            order.push((1, j));
            j += 1;
        } else {
            order.push((0, i));
            i += 1;
        }
    }
    order.extend((i..a_rows.num_rows()).map(|i| (0, i)));
    order.extend((j..b_rows.num_rows()).map(|j| (1, j)));
    Ok(interleave_record_batch(&[a, b], &order)?)
}

fn size_batches(files: &[ObjectMeta]) -> Vec<&[ObjectMeta]> {
    let mut batches = vec![];
    let mut start = 0;
    let mut bytes = 0;
    for (i, file) in files.iter().enumerate() {
        if i > start && bytes + file.size > BATCH_BYTES {
            batches.push(&files[start..i]);
            start = i;
            bytes = 0;
        }
        bytes += file.size;
    }
    if start < files.len() {
        batches.push(&files[start..]);
    }
    batches
}

/// A string column as a `StringArray` (cast from any string type).
fn string_column(batch: &RecordBatch, name: &str) -> DfResult<StringArray> {
    let column = batch
        .column_by_name(name)
        .ok_or_else(|| exec_datafusion_err!("fact store: rows without the column {name}"))?;
    let column: ArrayRef = if column.data_type() == &DataType::Utf8 {
        column.clone()
    } else {
        cast(column, &DataType::Utf8)?
    };
    Ok(column.as_string::<i32>().clone())
}

/// The distinct non-NULL values of a string column.
fn strings(batch: &RecordBatch, name: &str) -> DfResult<HashSet<String>> {
    let column = string_column(batch, name)?;
    Ok(column.iter().flatten().map(str::to_string).collect())
}

/// The rows of each account, by account_id.
fn split_by_account(batch: &RecordBatch) -> DfResult<BTreeMap<String, RecordBatch>> {
    let accounts = string_column(batch, "account_id")?;
    let mut rows: BTreeMap<String, Vec<u32>> = BTreeMap::new();
    for i in 0..batch.num_rows() {
        rows.entry(accounts.value(i).to_string())
            .or_default()
            .push(i as u32);
    }
    rows.into_iter()
        .map(|(account, indices)| {
            Ok((
                account,
                take_record_batch(batch, &UInt32Array::from(indices))?,
            ))
        })
        .collect()
}

/// The rows sorted by the given columns, ascending, NULLs last.
fn sorted(batch: &RecordBatch, columns: &[&str]) -> DfResult<RecordBatch> {
    if batch.num_rows() < 2 {
        return Ok(batch.clone());
    }
    let keys = columns
        .iter()
        .map(|name| {
            Ok(SortColumn {
                values: batch
                    .column_by_name(name)
                    .ok_or_else(|| exec_datafusion_err!("fact store: no column {name}"))?
                    .clone(),
                options: Some(SortOptions {
                    descending: false,
                    nulls_first: false,
                }),
            })
        })
        .collect::<DfResult<Vec<_>>>()?;
    Ok(take_record_batch(batch, &lexsort_to_indices(&keys, None)?)?)
}

const MICROS_PER_DAY: i64 = 86_400_000_000;

/// The Monday (days since 1970-01-01) of the UTC week of an instant in µs.
pub(crate) fn week_of(micros: i64) -> i32 {
    let days = micros.div_euclid(MICROS_PER_DAY);
    // 1970-01-01 was a Thursday: three days after a Monday.
    (days - (days + 3).rem_euclid(7)) as i32
}

/// The week of each fact row's started_at.
fn weeks_of(facts: &RecordBatch) -> DfResult<Vec<i32>> {
    let started = facts
        .column_by_name("started_at")
        .ok_or_else(|| exec_datafusion_err!("fact store: facts without started_at"))?;
    let started = started
        .as_primitive_opt::<TimestampMicrosecondType>()
        .ok_or_else(|| {
            exec_datafusion_err!(
                "fact store: started_at is {}, expected timestamp(µs)",
                started.data_type()
            )
        })?;
    Ok(started.iter().map(|v| week_of(v.unwrap_or(0))).collect())
}

/// The range of started_date in a facts batch; the whole range if any is NULL (no zone), so pruning never drops it.
fn started_date_range(facts: &RecordBatch) -> DfResult<(i32, i32)> {
    let dates = facts
        .column_by_name("started_date")
        .ok_or_else(|| exec_datafusion_err!("fact store: facts without started_date"))?;
    let dates = dates.as_primitive_opt::<Date32Type>().ok_or_else(|| {
        exec_datafusion_err!(
            "fact store: started_date is {}, expected date",
            dates.data_type()
        )
    })?;
    if dates.null_count() > 0 {
        return Ok((i32::MIN, i32::MAX));
    }
    let min = dates.values().iter().copied().min().unwrap_or(i32::MIN);
    let max = dates.values().iter().copied().max().unwrap_or(i32::MAX);
    Ok((min, max))
}

/// `2026-05-11` for a day number.
fn date_name(days: i32) -> String {
    chrono::DateTime::from_timestamp(i64::from(days) * 86_400, 0)
        .map_or_else(|| days.to_string(), |d| d.format("%Y-%m-%d").to_string())
}

/// The directory of an account: `a=<account_id>`, any byte outside `[A-Za-z0-9_.-]` as `%XX`.
pub(crate) fn account_dir(account: &str) -> String {
    let mut dir = String::from("a=");
    for b in account.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.') {
            dir.push(b as char);
        } else {
            dir.push_str(&format!("%{b:02X}"));
        }
    }
    dir
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weeks_start_on_monday_utc() {
        // 2026-05-11 is a Monday; 2026-05-17 23:59:59 is the Sunday of the same week.
        let monday = chrono::NaiveDate::from_ymd_opt(2026, 5, 11).unwrap();
        let days =
            (monday - chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap()).num_days() as i32;
        let at = |d: i64, s: i64| (d * 86_400 + s) * 1_000_000;
        assert_eq!(week_of(at(i64::from(days), 0)), days);
        assert_eq!(week_of(at(i64::from(days) + 6, 86_399)), days);
        assert_eq!(week_of(at(i64::from(days) + 7, 0)), days + 7);
        assert_eq!(week_of(at(i64::from(days), 0) - 1), days - 7);
        assert_eq!(week_of(-1), -3); // 1969-12-31 is in the week of Monday 1969-12-29 (day -3)
        assert_eq!(date_name(days), "2026-05-11");
    }

    fn profile_touches(rows: &[(Option<&str>, i64, &str)]) -> RecordBatch {
        use arrow::array::{StringArray, TimestampMicrosecondArray};
        use arrow::datatypes::{Field, Schema, TimeUnit};
        let schema = Arc::new(Schema::new(vec![
            Field::new("profile_id", DataType::Utf8, true),
            Field::new(
                "touch_at",
                DataType::Timestamp(TimeUnit::Microsecond, None),
                false,
            ),
            Field::new("conversation_id", DataType::Utf8, true),
        ]));
        RecordBatch::try_new(
            schema,
            vec![
                Arc::new(rows.iter().map(|r| r.0).collect::<StringArray>()),
                Arc::new(TimestampMicrosecondArray::from_iter_values(
                    rows.iter().map(|r| r.1),
                )),
                Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.2))),
            ],
        )
        .unwrap()
    }

    #[test]
    fn merging_two_sorted_batches_gives_what_sorting_both_gives() {
        let a = profile_touches(&[
            (Some("p1"), 5, "c1"),
            (Some("p1"), 9, "c2"),
            (Some("p3"), 1, "c3"),
            (None, 2, "c4"),
        ]);
        let b = profile_touches(&[
            (Some("p0"), 7, "c5"),
            (Some("p1"), 6, "c6"),
            (None, 1, "c7"),
        ]);
        let keys = ["profile_id", "touch_at"];
        let merged = merge_sorted(&a, &b, &keys).unwrap();
        let both = concat_batches(&a.schema(), [&a, &b]).unwrap();
        assert_eq!(merged, sorted(&both, &keys).unwrap());
        assert_eq!(
            strings(&merged, "conversation_id").unwrap().len(),
            7,
            "every row once"
        );
        assert_eq!(merge_sorted(&a, &b.slice(0, 0), &keys).unwrap(), a);
        assert_eq!(merge_sorted(&a.slice(0, 0), &b, &keys).unwrap(), b);
    }

    #[test]
    fn id_hashes_are_xxh64_sorted_and_distinct() {
        // XXH64's own test vector: the stored hashes depend on it never changing.
        assert_eq!(
            twox_hash::XxHash64::oneshot(0, b"abc"),
            0x44BC_2CF5_AD77_0999
        );
        assert_ne!(conversation_hash("x"), message_hash("x"));
        let messages = profile_touches(&[(None, 1, "c1"), (None, 2, "c1"), (None, 3, "c2")]);
        let messages = RecordBatch::try_new(
            Arc::new(arrow::datatypes::Schema::new(vec![
                arrow::datatypes::Field::new("conversation_id", DataType::Utf8, false),
                arrow::datatypes::Field::new("message_id", DataType::Utf8, false),
            ])),
            vec![
                messages.column(2).clone(),
                Arc::new(StringArray::from(vec!["m1", "m2", "m1"])),
            ],
        )
        .unwrap();
        let hashes = id_hashes(&messages).unwrap();
        let hashes = hashes
            .column(0)
            .as_primitive::<UInt64Type>()
            .values()
            .to_vec();
        let mut expected = vec![
            conversation_hash("c1"),
            conversation_hash("c2"),
            message_hash("m1"),
            message_hash("m2"),
        ];
        expected.sort_unstable();
        assert_eq!(hashes, expected);
    }

    #[test]
    fn only_rows_of_other_conversations_pass() {
        let a = profile_touches(&[(Some("p1"), 5, "c1"), (Some("p1"), 9, "c2")]);
        let gone: HashSet<String> = ["c2".to_string()].into();
        let kept = not_of_conversations(&a, &gone).unwrap();
        assert_eq!(kept, BooleanArray::from(vec![true, false]));
    }

    #[test]
    fn account_directories_are_safe_names() {
        assert_eq!(account_dir("acc_001"), "a=acc_001");
        assert_eq!(account_dir("../x y"), "a=..%2Fx%20y");
    }
}
