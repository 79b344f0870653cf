//! Folding new log files into the fact store: the conversations they touch
//! are recomputed, with the SQL of the raw path, and only the week partitions
//! that hold those conversations are rewritten.
//!
//! For each batch of new `messages/` files, per account:
//! 1. the new rows are de-duplicated among themselves ([`first_per_key`]);
//! 2. the account's partitions holding one of their conversations or message
//!    ids are read, and all those rows de-duplicated again, so a re-delivered
//!    message_id keeps its first delivery whichever file it came in;
//! 3. the touched conversations (those with new rows, those that lost a row
//!    to an earlier delivery, those whose profile changed) get new facts from
//!    `sql/from_log/conversation_facts.sql`; the others keep theirs;
//! 4. each touched conversation goes to the partition of the week it now
//!    starts in, and the partitions that changed are written as new files.
//!
//! New `profiles/` files are folded first: each account's profiles file keeps
//! the latest version of every profile_id, and conversations whose profile
//! changed are touched (their display name is a fact). New `events/` files are
//! folded last, per account. Then every account whose conversations or events
//! changed gets its touches again: `sql/from_log/touches.sql` over its stored
//! events and the touch columns of its facts (a click counts only if its
//! conversation is known, so either side can change them).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::Arc;
use std::time::Instant;

use arrow::array::{Array, ArrayRef, AsArray, BooleanArray, RecordBatch, StringArray, UInt32Array};
use arrow::compute::{
    SortColumn, SortOptions, cast, concat_batches, filter_record_batch, lexsort_to_indices,
    take_record_batch,
};
use arrow::datatypes::{DataType, Date32Type, SchemaRef, TimestampMicrosecondType};
use datafusion::common::{Result as DfResult, exec_datafusion_err};
use datafusion::datasource::MemTable;
use datafusion::execution::SessionStateBuilder;
use datafusion::execution::context::SessionState;
use datafusion::prelude::SessionContext;
use object_store::ObjectMeta;

use super::dedup::{
    EVENT_KEY, EVENT_ORDER, MESSAGE_KEY, MESSAGE_ORDER, ORDER_KEY, ORDER_ORDER, PROFILE_KEY,
    PROFILE_ORDER, first_per_key,
};
use super::manifest::{
    AccountRefresh, InputFile, Inputs, Manifest, Partition, RefreshReport, Retired, StoredFile,
};
use super::parquet_io::{self, FACTS_ROW_GROUP, MESSAGE_ROW_GROUP};
use super::{FactStore, Listing, RETIRE_GRACE, StoreSchemas, crash_points};
use crate::error::Result;
use crate::log_table::ListingSnapshot;

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
    let grace = RETIRE_GRACE.as_millis() as i64;
    let (expired, kept): (Vec<Retired>, Vec<Retired>) = std::mem::take(&mut next.retired)
        .into_iter()
        .partition(|r| r.at_ms + grace <= now_ms);
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
        changed_accounts: BTreeSet::new(),
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
    /// Accounts whose events or conversations this refresh changed (their touches are made again).
    changed_accounts: BTreeSet<String>,
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
        let mut changed = self.fold_profiles(&new_profiles).await?;
        self.report.profile_files = new_profiles.len();
        self.next
            .inputs
            .profiles
            .extend(new_profiles.iter().map(InputFile::from));

        let new_messages = not_in(&self.listing.messages, &self.next.inputs.messages);
        self.report.message_files = new_messages.len();
        for batch in size_batches(&new_messages) {
            let rows = Self::read_raw(
                self.session(batch, &[], &[]),
                "messages",
                &self.schemas.message_file,
            )
            .await?;
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
            self.fold_events(batch).await?;
            self.next
                .inputs
                .events
                .extend(batch.iter().map(InputFile::from));
        }
        for account in std::mem::take(&mut self.changed_accounts) {
            self.write_touches(&account).await?;
        }
        Ok(())
    }

    /// Makes the account's touches again from its stored events and facts
    /// (`sql/from_log/touches.sql`), sorted by (profile_id, touch_at).
    async fn write_touches(&mut self, account: &str) -> Result<()> {
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
        let indices = TOUCH_FACT_COLUMNS
            .iter()
            .map(|c| self.schemas.facts.index_of(c))
            .collect::<std::result::Result<Vec<_>, _>>()?;
        let facts_schema = Arc::new(self.schemas.facts.project(&indices)?);
        let mut facts = vec![];
        for partition in stored.partitions.values() {
            facts.push(
                parquet_io::read(
                    &self.store.location,
                    &partition.facts.path,
                    Some(&TOUCH_FACT_COLUMNS),
                    Some(&facts_schema),
                )
                .await?,
            );
        }
        let ctx = SessionContext::new();
        ctx.register_table(
            "events",
            Arc::new(MemTable::try_new(
                self.schemas.events.clone(),
                vec![vec![events]],
            )?),
        )?;
        ctx.register_table(
            "conversation_facts",
            Arc::new(MemTable::try_new(facts_schema, vec![facts])?),
        )?;
        let batches = ctx.sql(TOUCHES_FROM_LOG).await?.collect().await?;
        let touches = concat_batches(&batches_schema(&batches, &self.schemas.touches), &batches)?;
        let touches = sorted(
            &parquet_io::relabel(touches, &self.schemas.touches)?,
            &["profile_id", "touch_at"],
        )?;
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

    /// Folds new event files into each account's events: the first delivery of
    /// each event_id, then the first event of each order_id.
    async fn fold_events(&mut self, files: &[ObjectMeta]) -> Result<()> {
        let schema = self.schemas.event_file.clone();
        let rows = Self::read_raw(self.session(&[], &[], files), "events", &schema).await?;
        self.report.event_rows += rows.num_rows();
        for (account, new_rows) in split_by_account(&rows)? {
            self.count_folded(&account, &new_rows)?;
            self.changed_accounts.insert(account.clone());
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

        // 2. The partitions holding a touched conversation or one of the new message ids.
        let mut affected = BTreeSet::new();
        for (week, partition) in &partitions {
            if candidates.num_rows() > 0 {
                let ids = parquet_io::read(
                    &self.store.location,
                    &partition.messages.path,
                    Some(&["conversation_id", "message_id"]),
                    None,
                )
                .await?;
                let conversations = string_column(&ids, "conversation_id")?;
                let messages = string_column(&ids, "message_id")?;
                if (0..ids.num_rows()).any(|i| {
                    touched.contains(conversations.value(i))
                        || candidate_ids.contains(messages.value(i))
                }) {
                    affected.insert(*week);
                }
            }
            if !changed_profiles.is_empty() {
                let facts = parquet_io::read(
                    &self.store.location,
                    &partition.facts.path,
                    Some(&["conversation_id", "profile_id"]),
                    None,
                )
                .await?;
                let conversations = string_column(&facts, "conversation_id")?;
                let profiles = string_column(&facts, "profile_id")?;
                for i in 0..facts.num_rows() {
                    if profiles.is_valid(i) && changed_profiles.contains(profiles.value(i)) {
                        touched.insert(conversations.value(i).to_string());
                        affected.insert(*week);
                    }
                }
            }
        }
        if candidates.num_rows() == 0 && affected.is_empty() {
            return Ok(());
        }
        self.changed_accounts.insert(account.to_string());

        // The rows of the affected partitions, then the new ones; each old row knows its week.
        let mut parts = vec![];
        let mut row_weeks: Vec<Option<i32>> = vec![];
        let mut old_facts: HashMap<i32, RecordBatch> = HashMap::new();
        for week in &affected {
            let partition = &partitions[week];
            let rows = parquet_io::read(
                &self.store.location,
                &partition.messages.path,
                None,
                Some(&message_schema),
            )
            .await?;
            row_weeks.extend(std::iter::repeat_n(Some(*week), rows.num_rows()));
            parts.push(rows);
            old_facts.insert(
                *week,
                parquet_io::read(
                    &self.store.location,
                    &partition.facts.path,
                    None,
                    Some(&facts_schema),
                )
                .await?,
            );
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

        // 3. New facts for the touched conversations.
        let conversations = string_column(&rows, "conversation_id")?;
        let is_touched: BooleanArray = (0..rows.num_rows())
            .map(|i| Some(touched.contains(conversations.value(i))))
            .collect();
        let touched_rows = filter_record_batch(&rows, &is_touched)?;
        let new_facts = self.compute_facts(account, &touched_rows).await?;
        self.report.conversations_recomputed += new_facts.num_rows();
        let new_fact_weeks = weeks_of(&new_facts)?;
        let mut week_of_conversation: HashMap<String, i32> = HashMap::new();
        {
            let ids = string_column(&new_facts, "conversation_id")?;
            for (i, week) in new_fact_weeks.iter().enumerate() {
                week_of_conversation.insert(ids.value(i).to_string(), *week);
            }
        }

        // 4. Every partition that changed, rewritten. A week that gains a
        // conversation keeps the rows and facts it already had.
        let mut rows = rows;
        let mut row_weeks = row_weeks;
        for week in new_fact_weeks.iter().copied().collect::<BTreeSet<_>>() {
            if affected.contains(&week) {
                continue;
            }
            if let Some(partition) = partitions.get(&week) {
                let more = parquet_io::read(
                    &self.store.location,
                    &partition.messages.path,
                    None,
                    Some(&message_schema),
                )
                .await?;
                row_weeks.extend(std::iter::repeat_n(Some(week), more.num_rows()));
                rows = concat_batches(&message_schema, [&rows, &more])?;
                old_facts.insert(
                    week,
                    parquet_io::read(
                        &self.store.location,
                        &partition.facts.path,
                        None,
                        Some(&facts_schema),
                    )
                    .await?,
                );
                affected.insert(week);
            }
        }
        let conversations = string_column(&rows, "conversation_id")?;
        let mut weeks: BTreeSet<i32> = affected.clone();
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
            let messages = sorted(
                &filter_record_batch(&rows, &in_week)?,
                &["conversation_id", "sent_at", "message_id"],
            )?;
            let kept_old = match old_facts.get(&week) {
                Some(old) => {
                    let ids = string_column(old, "conversation_id")?;
                    let keep: BooleanArray = (0..old.num_rows())
                        .map(|i| Some(!touched.contains(ids.value(i))))
                        .collect();
                    filter_record_batch(old, &keep)?
                }
                None => parquet_io::empty(&facts_schema),
            };
            let mine: BooleanArray = new_fact_weeks.iter().map(|w| Some(*w == week)).collect();
            let recomputed = filter_record_batch(&new_facts, &mine)?;
            let facts = sorted(
                &concat_batches(&facts_schema, [&kept_old, &recomputed])?,
                &["started_at", "conversation_id"],
            )?;
            self.replace_partition(account, week, &messages, &facts)
                .await?;
        }
        Ok(())
    }

    async fn replace_partition(
        &mut self,
        account: &str,
        week: i32,
        messages: &RecordBatch,
        facts: &RecordBatch,
    ) -> Result<()> {
        let now_ms = self.now_ms;
        if let Some(old) = self
            .next
            .accounts
            .entry(account.to_string())
            .or_default()
            .partitions
            .remove(&week)
        {
            self.next.retired.push(Retired {
                path: old.messages.path,
                at_ms: now_ms,
            });
            self.next.retired.push(Retired {
                path: old.facts.path,
                at_ms: now_ms,
            });
        }
        if facts.num_rows() == 0 {
            return Ok(());
        }
        let dir = format!("{}/w={}", account_dir(account), date_name(week));
        let messages = self
            .write(&dir, "messages", messages, MESSAGE_ROW_GROUP)
            .await?;
        let facts_file = self.write(&dir, "facts", facts, FACTS_ROW_GROUP).await?;
        crash_points::reached("partition-written");
        let (min_started_date, max_started_date) = started_date_range(facts)?;
        self.next
            .accounts
            .entry(account.to_string())
            .or_default()
            .partitions
            .insert(
                week,
                Partition {
                    messages,
                    facts: facts_file,
                    min_started_date,
                    max_started_date,
                },
            );
        self.report.partitions_written += 1;
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
        ctx.register_table(
            "messages",
            Arc::new(MemTable::try_new(
                self.schemas.messages.clone(),
                partitions,
            )?),
        )?;
        let accounts_schema = self.accounts.first().map_or_else(
            || self.schemas.accounts.clone(),
            arrow::array::RecordBatch::schema,
        );
        ctx.register_table(
            "accounts",
            Arc::new(MemTable::try_new(
                accounts_schema,
                vec![self.accounts.clone()],
            )?),
        )?;
        let profiles = self.account_profiles(account).await?;
        ctx.register_table(
            "profiles",
            Arc::new(MemTable::try_new(
                self.schemas.profiles.clone(),
                vec![vec![profiles]],
            )?),
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

    #[test]
    fn account_directories_are_safe_names() {
        assert_eq!(account_dir("acc_001"), "a=acc_001");
        assert_eq!(account_dir("../x y"), "a=..%2Fx%20y");
    }
}
