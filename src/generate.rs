//! Deterministic sample dataset for `conversql generate`.
//!
//! [`generate`] writes a small, realistic e-commerce customer-agent dataset as
//! Parquet files:
//!
//! ```text
//! <out>/accounts/accounts.parquet
//! <out>/profiles/profiles.parquet
//! <out>/messages/date=YYYY-MM-DD/part-00000.parquet   (UTC date of sent_at)
//! <out>/events/date=YYYY-MM-DD/part-00000.parquet     (UTC date of occurred_at)
//! ```
//!
//! At scale ([`GenerateOptions::scaled`], `conversql generate --scale SF`) several
//! writers each own a share of the accounts and write, in parallel, their own
//! `profiles/part-NNNNN.parquet` and one `part-NNNNN.parquet` per UTC day in
//! `messages/` and `events/` (row groups of at most 65,536 rows), streaming day by
//! day so memory stays bounded by a few days of one writer's rows.
//!
//! Accounts are brands in different time zones (New York, Sydney, London,
//! Tokyo, Los Angeles, Kolkata, then cycling) with default, custom and
//! switched-off SMS attribution windows. Conversations (web chat, SMS and one
//! `whatsapp` conversation with an unknown channel) follow scripted but varied
//! e-commerce flows: order tracking, product recommendations with product
//! cards, FAQ and returns, hand-offs to humans, visitor `close` rows, visitors
//! identified mid-conversation, anonymous visitors, and conversations still open
//! at the end. Events contain product-card and SMS clicks, orders placed inside
//! and outside the attribution windows, orders without a profile or from
//! profiles that never chatted, repeated event ids and order ids, clicks naming
//! unknown conversations and other metrics. A few message rows are delivered
//! twice (written again in `part-00001.parquet` of the same day).
//!
//! The output depends only on [`GenerateOptions`]: a private SplitMix64
//! generator is seeded from `seed`, so the same options give byte-identical
//! files. Nothing is later than `end_date` 23:59:59 in the account's zone.

use std::collections::BTreeMap;
use std::fmt::{self, Write as _};
use std::fs::{self, File};
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{
    ArrayRef, Decimal128Array, Int32Array, ListBuilder, StringBuilder, TimestampMicrosecondArray,
};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use arrow::record_batch::RecordBatch;
use chrono::offset::LocalResult;
use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, TimeDelta, TimeZone, Utc, Weekday};
use chrono_tz::Tz;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;

// ---------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------

/// Options of `conversql generate`.
#[derive(Debug, Clone)]
pub struct GenerateOptions {
    /// Output directory; `accounts/`, `profiles/`, `messages/` and `events/` are created in it.
    pub out: PathBuf,
    /// Seed of the pseudo-random generator: the same options give byte-identical files.
    pub seed: u64,
    /// Number of conversations, spread over all accounts.
    pub conversations: usize,
    /// Number of accounts (brands); at least 1.
    pub accounts: usize,
    /// Number of days covered, ending at `end_date` (inclusive); at least 1.
    pub days: u32,
    /// Last day covered (in each account's own time zone).
    pub end_date: NaiveDate,
    /// Writers: files per UTC day and table, each written by its own writer that owns a
    /// share of the accounts (accounts are dealt round-robin). 1 is the bundled sample's
    /// layout (`part-00000.parquet`, one global event numbering); more generate the shares
    /// in parallel, one `part-NNNNN.parquet` per writer and day, streamed day by day.
    pub writers: usize,
    /// The large platform of `--scale`: uneven account sizes (account `i` weighs
    /// `1 / (i + 1)^0.7`, so the first account is a heavy brand) instead of the sample's
    /// repeating pattern, and longer conversations (0–7 follow-up questions after the
    /// first topic, about ten rows per conversation instead of about four).
    pub at_scale: bool,
}

/// Conversations per scale factor 1 (`--scale 1`).
pub const SCALE_CONVERSATIONS: f64 = 1_000_000.0;
/// Accounts at every scale factor (`--scale`).
pub const SCALE_ACCOUNTS: usize = 100;
/// Days covered at every scale factor (`--scale`).
pub const SCALE_DAYS: u32 = 90;
/// Writers (files per day and table) at every scale factor (`--scale`).
pub const SCALE_WRITERS: usize = 4;

impl GenerateOptions {
    /// The options of `--scale factor`: about `factor` million conversations (about ten
    /// message rows each, with their shopper events) over [`SCALE_ACCOUNTS`] accounts of
    /// uneven size in several zones and [`SCALE_DAYS`] days, written by [`SCALE_WRITERS`]
    /// parallel writers. Fractions (e.g. 0.1) are allowed; the factor must be positive.
    pub fn scaled(out: PathBuf, factor: f64) -> Result<Self, GenerateError> {
        if !factor.is_finite() || factor <= 0.0 {
            return Err(GenerateError::setting(format!(
                "setting `scale` must be a positive number (e.g. 0.1, 1, 10), not {factor}"
            )));
        }
        let conversations = (factor * SCALE_CONVERSATIONS).round();
        if !(1.0..=50_000_000.0).contains(&conversations) {
            return Err(GenerateError::setting(format!(
                "setting `scale` {factor} gives {conversations} conversations; it must be between 0.000001 and 50"
            )));
        }
        Ok(GenerateOptions {
            out,
            conversations: conversations as usize,
            accounts: SCALE_ACCOUNTS,
            days: SCALE_DAYS,
            writers: SCALE_WRITERS,
            at_scale: true,
            ..GenerateOptions::default()
        })
    }
}

impl Default for GenerateOptions {
    /// seed 42, 2000 conversations, 3 accounts, 30 days ending 2026-06-07, one writer,
    /// written to `data`: the bundled sample.
    fn default() -> Self {
        GenerateOptions {
            out: PathBuf::from("data"),
            seed: 42,
            conversations: 2000,
            accounts: 3,
            days: 30,
            end_date: NaiveDate::from_ymd_opt(2026, 6, 7).expect("valid date"),
            writers: 1,
            at_scale: false,
        }
    }
}

/// What was written.
#[derive(Debug, Clone, Default)]
pub struct GenerateSummary {
    /// Rows in `accounts.parquet`.
    pub accounts: usize,
    /// Rows in `profiles.parquet` (some profiles have two rows).
    pub profiles: usize,
    /// Conversations generated.
    pub conversations: usize,
    /// Message rows written, including the rows delivered twice.
    pub messages: usize,
    /// Event rows written, including the repeated events.
    pub events: usize,
    /// Parquet files written.
    pub files: usize,
    /// Total size of the Parquet files in bytes.
    pub bytes: u64,
}

/// Why [`generate`] failed; the message names the path or setting at fault.
#[derive(Debug)]
pub struct GenerateError {
    message: String,
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

impl GenerateError {
    fn setting(message: impl Into<String>) -> Self {
        GenerateError {
            message: message.into(),
            source: None,
        }
    }

    fn with_source(
        message: impl Into<String>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        GenerateError {
            message: message.into(),
            source: Some(Box::new(source)),
        }
    }
}

impl fmt::Display for GenerateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.source {
            Some(source) => write!(f, "{}: {}", self.message, source),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for GenerateError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

/// Generates the sample dataset described in the module documentation into `opts.out`.
///
/// Refuses (without writing anything) when `opts.out` already contains a non-empty
/// `accounts/`, `profiles/`, `messages/` or `events/` directory.
pub fn generate(opts: &GenerateOptions) -> Result<GenerateSummary, GenerateError> {
    validate(opts)?;
    prepare_output(&opts.out)?;

    // With one writer every account is filled in here; with more, each writer fills its own.
    let single = opts.writers <= 1;
    let accounts = build_accounts(opts, |_| single)?;
    let mut out = Output::new(&opts.out, None);
    out.write(
        &opts.out.join("accounts").join("accounts.parquet"),
        accounts_batch(&accounts)?,
    )?;
    out.summary.accounts = accounts.len();
    if opts.writers <= 1 {
        write_share(opts, &accounts, &mut out)?;
        return Ok(out.summary);
    }

    // Each writer owns the accounts `w, w + writers, …` and writes its own files; the
    // writers run on as many threads as there are cores and share nothing but the inputs.
    let next = std::sync::atomic::AtomicUsize::new(0);
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(opts.writers);
    let results: Vec<Result<GenerateSummary, GenerateError>> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut total = GenerateSummary::default();
                    loop {
                        let writer = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
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
    for result in results {
        out.summary.add(&result?);
    }
    Ok(out.summary)
}

impl GenerateSummary {
    fn add(&mut self, other: &GenerateSummary) {
        self.accounts += other.accounts;
        self.profiles += other.profiles;
        self.conversations += other.conversations;
        self.messages += other.messages;
        self.events += other.events;
        self.files += other.files;
        self.bytes += other.bytes;
    }
}

/// Writes the profiles, conversations and events of the accounts that have profiles
/// (all of them with one writer, the writer's share otherwise), streaming day by day.
fn write_share(
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
        let mut rng = Rng::derive(opts.seed, &[4, acc_idx as u64, num as u64]);
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

// ---------------------------------------------------------------------------
// Validation and output directory
// ---------------------------------------------------------------------------

const TABLES: [&str; 4] = ["accounts", "profiles", "messages", "events"];

fn validate(opts: &GenerateOptions) -> Result<(), GenerateError> {
    if opts.accounts == 0 {
        return Err(GenerateError::setting(
            "setting `accounts` must be at least 1",
        ));
    }
    if opts.accounts > 9999 {
        return Err(GenerateError::setting(
            "setting `accounts` must be at most 9999",
        ));
    }
    if opts.days == 0 {
        return Err(GenerateError::setting("setting `days` must be at least 1"));
    }
    if opts.days > 3660 {
        return Err(GenerateError::setting(
            "setting `days` must be at most 3660",
        ));
    }
    if opts.conversations > 50_000_000 {
        return Err(GenerateError::setting(
            "setting `conversations` must be at most 50000000",
        ));
    }
    let first = opts
        .end_date
        .checked_sub_days(chrono::Days::new(opts.days as u64 - 1));
    let next = opts.end_date.succ_opt();
    match (first, next) {
        (Some(first), Some(_)) if first.year() >= 1971 && opts.end_date.year() <= 9000 => Ok(()),
        _ => Err(GenerateError::setting(format!(
            "setting `end_date` {} with `days` {} is out of the supported range",
            opts.end_date, opts.days
        ))),
    }
}

fn prepare_output(out: &Path) -> Result<(), GenerateError> {
    for table in TABLES {
        let dir = out.join(table);
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
        let dir = out.join(table);
        fs::create_dir_all(&dir).map_err(|e| {
            GenerateError::with_source(format!("cannot create directory {}", dir.display()), e)
        })?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Pseudo-random numbers (SplitMix64)
// ---------------------------------------------------------------------------

const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;

fn splitmix(x: u64) -> u64 {
    let mut z = x.wrapping_add(GOLDEN);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

struct Rng(u64);

impl Rng {
    /// An independent stream for (seed, parts...).
    fn derive(seed: u64, parts: &[u64]) -> Rng {
        let mut h = splitmix(seed ^ 0x436F_6E76_6572_7351);
        for &p in parts {
            h = splitmix(h ^ splitmix(p.wrapping_mul(0xD6E8_FEB8_6659_FD93)));
        }
        Rng(h)
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(GOLDEN);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// Uniform in [0, n).
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            ((self.next_u64() as u128 * n as u128) >> 64) as usize
        }
    }

    /// Uniform in [lo, hi).
    fn between(&mut self, lo: i64, hi: i64) -> i64 {
        if hi <= lo {
            lo
        } else {
            lo + ((self.next_u64() as u128 * (hi - lo) as u128) >> 64) as i64
        }
    }

    /// A duration in [lo, hi) microseconds, rounded to milliseconds.
    fn span(&mut self, lo: i64, hi: i64) -> i64 {
        self.between(lo, hi) / 1000 * 1000
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    fn pick_str(&mut self, items: &[&'static str]) -> &'static str {
        items[self.below(items.len())]
    }

    fn weighted(&mut self, weights: &[f64]) -> usize {
        let total: f64 = weights.iter().sum();
        let mut x = self.unit() * total;
        for (i, w) in weights.iter().enumerate() {
            if x < *w {
                return i;
            }
            x -= w;
        }
        weights.len() - 1
    }
}

// ---------------------------------------------------------------------------
// Time helpers
// ---------------------------------------------------------------------------

const SEC: i64 = 1_000_000;
const MIN: i64 = 60 * SEC;
const HOUR: i64 = 60 * MIN;
const DAY: i64 = 24 * HOUR;
/// Longest conversation (first to last row).
const MAX_CONVERSATION_SPAN: i64 = 3 * DAY;
/// Days from 0001-01-01 (day 1 in chrono's count) to 1970-01-01.
const UNIX_EPOCH_DAYS_FROM_CE: i32 = 719_163;

/// Local chat traffic by hour of the day (busy during the day and the evening).
#[rustfmt::skip]
const CHAT_HOURS: [f64; 24] = [
    0.6, 0.4, 0.25, 0.2, 0.2, 0.3, 0.6, 1.2, 2.0, 3.0, 3.8, 4.2, 4.5, 4.4, 4.2, 4.0, 3.9, 3.8,
    4.0, 4.6, 4.8, 4.2, 3.0, 1.6,
];
/// Outbound SMS campaigns go out in business hours.
#[rustfmt::skip]
const CAMPAIGN_HOURS: [f64; 24] = [
    0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.3, 2.0, 4.0, 4.0, 3.0, 2.5, 2.5, 3.0, 3.0, 2.5, 2.0,
    1.0, 0.3, 0.0, 0.0, 0.0,
];

fn local_to_utc(tz: &Tz, local: NaiveDateTime) -> i64 {
    let mut local = local;
    for _ in 0..4 {
        match tz.from_local_datetime(&local) {
            LocalResult::Single(dt) => return dt.timestamp_micros(),
            LocalResult::Ambiguous(earliest, _) => return earliest.timestamp_micros(),
            // In a daylight-saving gap: move forward past it.
            LocalResult::None => local += TimeDelta::hours(1),
        }
    }
    local.and_utc().timestamp_micros()
}

fn local_midnight(tz: &Tz, date: NaiveDate) -> i64 {
    local_to_utc(tz, date.and_hms_opt(0, 0, 0).expect("midnight exists"))
}

fn local_date(tz: &Tz, micros: i64) -> NaiveDate {
    DateTime::<Utc>::from_timestamp_micros(micros)
        .expect("timestamp in range")
        .with_timezone(tz)
        .date_naive()
}

fn utc_day_to_date(day: i64) -> NaiveDate {
    NaiveDate::from_num_days_from_ce_opt(day as i32 + UNIX_EPOCH_DAYS_FROM_CE)
        .expect("date in range")
}

fn weekday_name(date: NaiveDate) -> &'static str {
    match date.weekday() {
        Weekday::Mon => "Monday",
        Weekday::Tue => "Tuesday",
        Weekday::Wed => "Wednesday",
        Weekday::Thu => "Thursday",
        Weekday::Fri => "Friday",
        Weekday::Sat => "Saturday",
        Weekday::Sun => "Sunday",
    }
}

// ---------------------------------------------------------------------------
// Static content: brands, products, names, scripts
// ---------------------------------------------------------------------------

struct Item {
    /// Used in product names ("Summit Waterproof Hiking Boots").
    title: &'static str,
    /// "a rain jacket"
    one: &'static str,
    /// "rain jackets"
    many: &'static str,
    /// "this rain jacket" / "these boots"
    this: &'static str,
    sizes: &'static [&'static str],
    /// "size " for "size 9", "" for "26cm".
    size_prefix: &'static str,
    /// Typical price in minor units (cents).
    price: i64,
}

struct Brand {
    name: &'static str,
    zone: &'static str,
    currency: &'static str,
    link: &'static str,
    agents: &'static [&'static str],
    items: &'static [Item],
    adjectives: &'static [&'static str],
    first_names: &'static [&'static str],
    last_names: &'static [&'static str],
    phone_prefix: &'static str,
    phone_digits: u32,
    country: &'static str,
    carriers: &'static [&'static str],
}

#[rustfmt::skip]
const WESTERN_FIRST: &[&str] = &[
    "Emma", "Liam", "Olivia", "Noah", "Ava", "Ethan", "Sophia", "Mason", "Isabella", "Lucas",
    "Mia", "James", "Charlotte", "Benjamin", "Amelia", "Henry", "Harper", "Daniel", "Evelyn",
    "Jack", "Grace", "Samuel", "Chloe", "Owen", "Zoe", "Leo", "Hannah", "Caleb", "Nora", "Isaac",
    "Ruby", "Theo", "Priya", "Mateo", "Aisha", "Diego", "Mei", "Omar", "Sofia", "Kofi",
];
const WESTERN_LAST: &[&str] = &[
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Wilson",
    "Anderson",
    "Taylor",
    "Thomas",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Thompson",
    "White",
    "Harris",
    "Clark",
    "Lewis",
    "Walker",
    "Hall",
    "Young",
    "King",
    "Wright",
    "Scott",
    "Green",
    "Baker",
    "Adams",
    "Nelson",
    "Carter",
    "Mitchell",
    "Patel",
    "Nguyen",
    "Kim",
    "O'Brien",
    "Murphy",
];
const JAPANESE_FIRST: &[&str] = &[
    "Yui", "Haruto", "Sakura", "Ren", "Aoi", "Sota", "Hina", "Yuto", "Mio", "Riku", "Yuna",
    "Kaito", "Rin", "Hayato", "Saki", "Daiki", "Mei", "Takumi", "Nanami", "Kenta",
];
const JAPANESE_LAST: &[&str] = &[
    "Sato",
    "Suzuki",
    "Takahashi",
    "Tanaka",
    "Watanabe",
    "Ito",
    "Yamamoto",
    "Nakamura",
    "Kobayashi",
    "Kato",
    "Yoshida",
    "Yamada",
    "Sasaki",
    "Yamaguchi",
    "Matsumoto",
    "Inoue",
    "Kimura",
    "Hayashi",
    "Shimizu",
    "Mori",
];
const INDIAN_FIRST: &[&str] = &[
    "Aarav", "Ananya", "Vihaan", "Diya", "Arjun", "Isha", "Reyansh", "Saanvi", "Kabir", "Meera",
    "Rohan", "Kavya", "Aditya", "Pooja", "Vikram", "Neha", "Rahul", "Sneha", "Karan", "Riya",
];
const INDIAN_LAST: &[&str] = &[
    "Sharma",
    "Verma",
    "Gupta",
    "Iyer",
    "Reddy",
    "Nair",
    "Patel",
    "Singh",
    "Kumar",
    "Das",
    "Mehta",
    "Joshi",
    "Rao",
    "Chatterjee",
    "Banerjee",
    "Menon",
    "Pillai",
    "Kapoor",
    "Malhotra",
    "Bose",
];
const EMAIL_DOMAINS: &[&str] = &["example.com", "example.net", "example.org"];
const EMAIL_HANDLES: &[&str] = &[
    "sunnydays",
    "trailfan",
    "cozyhome",
    "inkwell",
    "wavechaser",
    "bookworm",
    "greenthumb",
    "citybiker",
    "nightowl",
    "coffeelover",
    "wanderer",
    "bluesky",
];

const ONE_SIZE: &[&str] = &["one size"];

#[rustfmt::skip]
const BRANDS: [Brand; 6] = [
    Brand {
        name: "Northwind Outfitters",
        zone: "America/New_York",
        currency: "USD",
        link: "northwind.example",
        agents: &["Maya", "Jordan", "Priya", "Sam"],
        items: &[
            Item { title: "Waterproof Hiking Boots", one: "a pair of hiking boots", many: "hiking boots", this: "these boots", sizes: &["7", "8", "8.5", "9", "10", "11", "12"], size_prefix: "size ", price: 14900 },
            Item { title: "Rain Jacket", one: "a rain jacket", many: "rain jackets", this: "this rain jacket", sizes: &["XS", "S", "M", "L", "XL"], size_prefix: "size ", price: 12900 },
            Item { title: "Fleece Pullover", one: "a fleece", many: "fleeces", this: "this fleece", sizes: &["S", "M", "L", "XL"], size_prefix: "size ", price: 6900 },
            Item { title: "Merino Hiking Socks", one: "some hiking socks", many: "hiking socks", this: "these socks", sizes: &["S", "M", "L"], size_prefix: "size ", price: 2200 },
            Item { title: "Trail Daypack", one: "a daypack", many: "daypacks", this: "this daypack", sizes: &["20L", "28L", "35L"], size_prefix: "the ", price: 8900 },
        ],
        adjectives: &["Summit", "Ridgeline", "Trailhead", "Cascade", "Timberline", "Backcountry"],
        first_names: WESTERN_FIRST,
        last_names: WESTERN_LAST,
        phone_prefix: "+1212555",
        phone_digits: 4,
        country: "Canada",
        carriers: &["UPS", "FedEx", "USPS"],
    },
    Brand {
        name: "Koala Kitchenware",
        zone: "Australia/Sydney",
        currency: "AUD",
        link: "koalakitchen.example",
        agents: &["Chloe", "Liam", "Mia", "Jack"],
        items: &[
            Item { title: "Cast Iron Skillet", one: "a cast iron skillet", many: "skillets", this: "this skillet", sizes: &["20cm", "26cm", "30cm"], size_prefix: "the ", price: 8900 },
            Item { title: "Chef's Knife", one: "a chef's knife", many: "chef's knives", this: "this knife", sizes: &["16cm", "20cm", "24cm"], size_prefix: "the ", price: 12900 },
            Item { title: "Enamelled Dutch Oven", one: "a dutch oven", many: "dutch ovens", this: "this dutch oven", sizes: &["3.5L", "5L", "6.5L"], size_prefix: "the ", price: 19900 },
            Item { title: "Bamboo Chopping Board", one: "a chopping board", many: "chopping boards", this: "this board", sizes: &["medium", "large", "XL"], size_prefix: "", price: 4500 },
            Item { title: "Linen Apron", one: "an apron", many: "aprons", this: "this apron", sizes: ONE_SIZE, size_prefix: "", price: 3900 },
        ],
        adjectives: &["Bondi", "Daintree", "Outback", "Harbour", "Eucalypt", "Coral"],
        first_names: WESTERN_FIRST,
        last_names: WESTERN_LAST,
        phone_prefix: "+61491",
        phone_digits: 6,
        country: "New Zealand",
        carriers: &["Australia Post", "StarTrack", "Sendle"],
    },
    Brand {
        name: "Thistle & Thread",
        zone: "Europe/London",
        currency: "GBP",
        link: "thistlethread.example",
        agents: &["Isla", "Oliver", "Freya", "Harry"],
        items: &[
            Item { title: "Merino Jumper", one: "a merino jumper", many: "jumpers", this: "this jumper", sizes: &["XS", "S", "M", "L", "XL"], size_prefix: "size ", price: 8900 },
            Item { title: "Lambswool Scarf", one: "a scarf", many: "scarves", this: "this scarf", sizes: ONE_SIZE, size_prefix: "", price: 4500 },
            Item { title: "Cable-Knit Cardigan", one: "a cardigan", many: "cardigans", this: "this cardigan", sizes: &["S", "M", "L", "XL"], size_prefix: "size ", price: 11900 },
            Item { title: "Bobble Hat", one: "a bobble hat", many: "hats", this: "this hat", sizes: ONE_SIZE, size_prefix: "", price: 2800 },
            Item { title: "Fair Isle Gloves", one: "some gloves", many: "gloves", this: "these gloves", sizes: &["S/M", "M/L"], size_prefix: "size ", price: 3200 },
        ],
        adjectives: &["Highland", "Hebridean", "Cairngorm", "Orkney", "Tweed", "Heather"],
        first_names: WESTERN_FIRST,
        last_names: WESTERN_LAST,
        phone_prefix: "+4477009",
        phone_digits: 5,
        country: "Ireland",
        carriers: &["Royal Mail", "DPD", "Evri"],
    },
    Brand {
        name: "Hanami Paper Co.",
        zone: "Asia/Tokyo",
        currency: "JPY",
        link: "hanamipaper.example",
        agents: &["Yui", "Haruto", "Sakura", "Ren"],
        items: &[
            Item { title: "Fountain Pen", one: "a fountain pen", many: "fountain pens", this: "this pen", sizes: &["EF", "F", "M"], size_prefix: "a ", price: 12000 },
            Item { title: "Dot-Grid Notebook", one: "a notebook", many: "notebooks", this: "this notebook", sizes: &["A5", "B6", "A6"], size_prefix: "", price: 2400 },
            Item { title: "Washi Tape Set", one: "some washi tape", many: "washi tape sets", this: "this tape set", sizes: &["10-pack", "20-pack"], size_prefix: "a ", price: 1800 },
            Item { title: "Weekly Planner", one: "a planner", many: "planners", this: "this planner", sizes: &["A5", "A6"], size_prefix: "", price: 3200 },
            Item { title: "Brush Pen Set", one: "a brush pen set", many: "brush pens", this: "this brush pen set", sizes: ONE_SIZE, size_prefix: "", price: 2600 },
        ],
        adjectives: &["Sakura", "Kyoto", "Fuji", "Momiji", "Yuzu", "Kumo"],
        first_names: JAPANESE_FIRST,
        last_names: JAPANESE_LAST,
        phone_prefix: "+8190",
        phone_digits: 8,
        country: "South Korea",
        carriers: &["Yamato", "Sagawa", "Japan Post"],
    },
    Brand {
        name: "Pacific Swell Surf Co.",
        zone: "America/Los_Angeles",
        currency: "USD",
        link: "pacificswell.example",
        agents: &["Kai", "Luna", "Diego", "Ava"],
        items: &[
            Item { title: "Fullsuit Wetsuit", one: "a wetsuit", many: "wetsuits", this: "this wetsuit", sizes: &["XS", "S", "M", "MT", "L", "XL"], size_prefix: "size ", price: 24900 },
            Item { title: "Soft-Top Surfboard", one: "a beginner surfboard", many: "soft-tops", this: "this board", sizes: &["7'0\"", "8'0\"", "9'0\""], size_prefix: "the ", price: 29900 },
            Item { title: "Board Shorts", one: "some board shorts", many: "board shorts", this: "these board shorts", sizes: &["28", "30", "32", "34", "36"], size_prefix: "size ", price: 5500 },
            Item { title: "Changing Poncho", one: "a changing poncho", many: "ponchos", this: "this poncho", sizes: ONE_SIZE, size_prefix: "", price: 6500 },
            Item { title: "Polarized Sunglasses", one: "some sunglasses", many: "sunglasses", this: "these sunglasses", sizes: ONE_SIZE, size_prefix: "", price: 8900 },
        ],
        adjectives: &["Malibu", "Rincon", "Trestles", "Huntington", "Mavericks", "Sunset"],
        first_names: WESTERN_FIRST,
        last_names: WESTERN_LAST,
        phone_prefix: "+1310555",
        phone_digits: 4,
        country: "Mexico",
        carriers: &["UPS", "USPS", "OnTrac"],
    },
    Brand {
        name: "Indigo Loom Textiles",
        zone: "Asia/Kolkata",
        currency: "INR",
        link: "indigoloom.example",
        agents: &["Ananya", "Arjun", "Kavya", "Rohan"],
        items: &[
            Item { title: "Block-Print Bedsheet", one: "a bedsheet", many: "bedsheets", this: "this bedsheet", sizes: &["single", "double", "king"], size_prefix: "", price: 4900 },
            Item { title: "Cotton Kurta", one: "a kurta", many: "kurtas", this: "this kurta", sizes: &["S", "M", "L", "XL"], size_prefix: "size ", price: 3900 },
            Item { title: "Silk Stole", one: "a silk stole", many: "stoles", this: "this stole", sizes: ONE_SIZE, size_prefix: "", price: 5900 },
            Item { title: "Handloom Saree", one: "a saree", many: "sarees", this: "this saree", sizes: ONE_SIZE, size_prefix: "", price: 14900 },
            Item { title: "Cushion Cover Set", one: "some cushion covers", many: "cushion covers", this: "these covers", sizes: &["40cm", "45cm"], size_prefix: "", price: 2900 },
        ],
        adjectives: &["Jaipur", "Sanganeri", "Kalamkari", "Ikat", "Bagru", "Chanderi"],
        first_names: INDIAN_FIRST,
        last_names: INDIAN_LAST,
        phone_prefix: "+9198",
        phone_digits: 8,
        country: "Sri Lanka",
        carriers: &["Delhivery", "Blue Dart", "India Post"],
    },
];

const SKILL_ORDER: &str = "order_tracking";
const SKILL_PRODUCT: &str = "product_recommendation";
const SKILL_FAQ: &str = "faq";
const SKILL_RETURNS: &str = "returns";

const VISITOR: &str = "visitor";
const AGENT: &str = "agent";

const KIND_TEXT: &str = "text";
const KIND_CARD: &str = "product_card";
const KIND_TICKET: &str = "handoff_ticket";
const KIND_HANDOFF: &str = "handoff_message";
const KIND_CLOSE: &str = "close";

const CHANNEL_WEB: &str = "web_chat";
const CHANNEL_SMS: &str = "sms";
const CHANNEL_UNKNOWN: &str = "whatsapp";

const REASON_GAP: &str = "knowledge_gap";
const REASON_REQUEST: &str = "customer_request";
const REASON_POLICY: &str = "policy";

const TAG_SHIPPING: &str = "shipping";
const TAG_SIZING: &str = "sizing";
const TAG_RETURNS: &str = "returns";
const TAG_DISCOUNT: &str = "discount";
const TAG_WHOLESALE: &str = "wholesale";

const METRIC_CARD_CLICK: &str = "Clicked Product Card";
const METRIC_SMS_CLICK: &str = "Clicked SMS";
const METRIC_ORDER: &str = "Placed Order";
const METRIC_VIEWED: &str = "Viewed Product";
const METRIC_CART: &str = "Added to Cart";

const ORDER_QUESTIONS: &[&str] = &[
    "Where is my order #{order}?",
    "Hi, my order #{order} still hasn't arrived. Can you check?",
    "Has order #{order} shipped yet?",
    "The tracking for #{order} hasn't updated in 3 days",
    "when will my order arrive?? it's #{order}",
    "I ordered {one} last week (#{order}) and haven't had a shipping email",
];
const ORDER_ANSWERS: &[&str] = &[
    "Order #{order} shipped on {shipday} with {carrier} and should arrive by {eta}. Tracking number: {tracking}.",
    "Order #{order} is packed and will leave our warehouse within 1 business day. You'll get a tracking email from {carrier} as soon as it ships.",
    "Good news: order #{order} is out for delivery today with {carrier}!",
    "Order #{order} was handed to {carrier} on {shipday}. Their latest scan shows it at the local depot, so it should arrive by {eta}.",
];
const GREETINGS: &[&str] = &[
    "Hi there! 👋 I'm the {brand} assistant. Looking for anything in particular?",
    "Welcome to {brand}! Need help finding {one}?",
    "Hey! Questions about sizing, shipping or returns? I'm here to help.",
];
const VISITOR_THANKS: &[&str] = &[
    "Thanks!",
    "Perfect, thank you 🙏",
    "Great, thanks for your help",
    "ok thanks",
    "That's all, cheers!",
    "Thank you so much",
    "👍",
    "Got it, thanks",
];
const AGENT_CLOSINGS: &[&str] = &[
    "You're welcome! Have a great day.",
    "Happy to help! If anything else comes up, just message me here.",
    "My pleasure, enjoy your day!",
    "Glad I could help 😊",
];
const ASK_FOR_HUMAN: &[&str] = &[
    "Can I talk to a real person please?",
    "I'd like to speak to someone on your team",
    "Is there a human I can chat with?",
];

struct Faq {
    question: &'static str,
    answer: &'static str,
    tags: &'static [&'static str],
    handoff: f64,
    reason: &'static str,
}

#[rustfmt::skip]
const FAQS: &[Faq] = &[
    Faq { question: "Do you ship to {country}?", answer: "Yes, we ship to {country}! International delivery usually takes 5–10 business days, and any duties are shown at checkout.", tags: &[TAG_SHIPPING], handoff: 0.02, reason: REASON_GAP },
    Faq { question: "How long does standard shipping take?", answer: "Standard shipping takes 3–5 business days and express takes 1–2. Orders placed before 2pm ship the same day.", tags: &[TAG_SHIPPING], handoff: 0.01, reason: REASON_GAP },
    Faq { question: "Do you offer wholesale pricing? I run a small shop.", answer: "We do! Wholesale pricing starts at 20 units per style. I can pass your details to our wholesale team.", tags: &[TAG_WHOLESALE], handoff: 0.45, reason: REASON_REQUEST },
    Faq { question: "Can I order in bulk for my company? About 50 units", answer: "For orders of 20+ units our wholesale team can offer tiered pricing and invoicing.", tags: &[TAG_WHOLESALE], handoff: 0.35, reason: REASON_GAP },
    Faq { question: "Is there a discount code for first orders?", answer: "Yes! Sign up to our newsletter at the bottom of the page and you'll get 10% off your first order.", tags: &[TAG_DISCOUNT], handoff: 0.01, reason: REASON_GAP },
    Faq { question: "Do you have a student discount?", answer: "We do: verify with your student email at checkout for 15% off.", tags: &[TAG_DISCOUNT], handoff: 0.02, reason: REASON_GAP },
    Faq { question: "Do you price match?", answer: "We don't price match, but we run seasonal sales and newsletter subscribers get early access.", tags: &[TAG_DISCOUNT], handoff: 0.08, reason: REASON_POLICY },
    Faq { question: "What are your customer service hours?", answer: "Our team is online 9am–6pm Monday to Friday, and I'm here 24/7 for everything else.", tags: &[], handoff: 0.01, reason: REASON_REQUEST },
    Faq { question: "Do you offer gift wrapping?", answer: "Yes! Add gift wrapping at checkout and you can include a handwritten note.", tags: &[], handoff: 0.0, reason: REASON_GAP },
    Faq { question: "Are your products ethically made?", answer: "All our products are made by audited partners, and we publish our supplier list on our website.", tags: &[], handoff: 0.06, reason: REASON_GAP },
    Faq { question: "Do you have a store I can visit?", answer: "We're online only at the moment, but returns are free so you can try things at home.", tags: &[], handoff: 0.02, reason: REASON_GAP },
];

struct Returns {
    question: &'static str,
    answer: &'static str,
    tags: &'static [&'static str],
    needs_sizes: bool,
    handoff: f64,
    reason: &'static str,
}

#[rustfmt::skip]
const RETURNS: &[Returns] = &[
    Returns { question: "Can I return a gift?", answer: "Absolutely! Gifts can be returned within 60 days for store credit. You'll just need the order number or gift receipt.", tags: &[TAG_RETURNS], needs_sizes: false, handoff: 0.03, reason: REASON_GAP },
    Returns { question: "How do I exchange {this} for {sizeq}?", answer: "Easy! Start an exchange at https://{link}/returns and we'll send {sizeq} as soon as we scan your return.", tags: &[TAG_RETURNS, TAG_SIZING], needs_sizes: true, handoff: 0.03, reason: REASON_GAP },
    Returns { question: "My {title} arrived damaged 😞", answer: "I'm so sorry! Could you reply with a photo of the damage? We'll send a replacement or a refund, whichever you prefer.", tags: &[TAG_RETURNS], needs_sizes: false, handoff: 0.30, reason: REASON_POLICY },
    Returns { question: "It's been 45 days since delivery, can I still return my {title}?", answer: "Our standard return window is 30 days, so I'll need to check with the team whether we can make an exception.", tags: &[TAG_RETURNS], needs_sizes: false, handoff: 0.65, reason: REASON_POLICY },
    Returns { question: "When will I get my refund? I sent the return last week", answer: "Refunds are issued within 5 business days of your return reaching our warehouse. You'll get an email when it's processed.", tags: &[TAG_RETURNS], needs_sizes: false, handoff: 0.06, reason: REASON_GAP },
    Returns { question: "Do I have to pay for return shipping?", answer: "Returns are free: print a prepaid label from https://{link}/returns.", tags: &[TAG_RETURNS, TAG_SHIPPING], needs_sizes: false, handoff: 0.01, reason: REASON_GAP },
];

// ---------------------------------------------------------------------------
// Accounts and profiles
// ---------------------------------------------------------------------------

struct Profile {
    first: Option<&'static str>,
    last: Option<&'static str>,
    email: Option<String>,
    phone: Option<String>,
    updated_at: i64,
    /// An older row of the same profile (name changed since).
    older: Option<OlderProfile>,
}

struct OlderProfile {
    first: Option<&'static str>,
    last: Option<&'static str>,
    updated_at: Option<i64>,
}

struct Product {
    sku: u32,
    name: String,
    price: i64,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum ConvKind {
    Web,
    SmsOutbound,
    SmsInbound,
    WhatsApp,
}

struct Account {
    idx: u32,
    id: String,
    name: String,
    brand: &'static Brand,
    tz: Tz,
    click_window: Option<i32>,
    receipt_window: Option<i32>,
    first_local: NaiveDate,
    /// First instant of the first local day (UTC micros).
    start: i64,
    /// Last instant of `end_date` in the account's zone (UTC micros); nothing is later.
    limit: i64,
    /// Products by item: `products[item * VARIANTS + variant]`.
    products: Vec<Product>,
    profiles: Vec<Profile>,
    /// Profiles `0..chatting` may chat; the others never do.
    chatting: usize,
    /// Conversation starts (sorted) and kinds; conversation `i` is `conv_<acc>_<i+1>`.
    starts: Vec<(i64, ConvKind)>,
    /// Whether this run writes the account's profiles and conversations (its writer's share).
    owned: bool,
    /// Conversations ask follow-up questions ([`GenerateOptions::at_scale`]).
    follow_ups: bool,
}

const VARIANTS: usize = 6;

impl Account {
    fn profile_id(&self, p: u32) -> String {
        format!("prof_{}_{:05}", self.id, p + 1)
    }

    fn product(&self, sku: u32) -> &Product {
        let base = self.products[0].sku;
        &self.products[(sku - base) as usize]
    }

    fn item_skus(&self, item: usize) -> std::ops::Range<usize> {
        item * VARIANTS..(item + 1) * VARIANTS
    }
}

/// Every account with its products; the accounts for which `owned(index)` holds also get
/// their profiles and conversation starts (each drawn from its own random stream, so which
/// accounts are filled in does not change them).
fn build_accounts(
    opts: &GenerateOptions,
    owned: impl Fn(usize) -> bool,
) -> Result<Vec<Account>, GenerateError> {
    // Conversation share per account: uneven, like real customers.
    const SHARE: [u64; 6] = [5, 3, 2, 4, 3, 2];
    let weights: Vec<u64> = (0..opts.accounts)
        .map(|i| {
            if opts.at_scale {
                // 1 / (i + 1)^0.7 in millionths: a long tail behind a few heavy brands.
                (1e6 / ((i + 1) as f64).powf(0.7)).round() as u64
            } else {
                SHARE[i % SHARE.len()]
            }
        })
        .collect();
    let total: u64 = weights.iter().sum();
    let mut counts: Vec<usize> = weights
        .iter()
        .map(|w| (opts.conversations as u128 * *w as u128 / total as u128) as usize)
        .collect();
    let mut rest = opts.conversations - counts.iter().sum::<usize>();
    let mut i = 0;
    while rest > 0 {
        let len = counts.len();
        counts[i % len] += 1;
        rest -= 1;
        i += 1;
    }

    let first_local = opts
        .end_date
        .checked_sub_days(chrono::Days::new(opts.days as u64 - 1))
        .expect("validated");
    let after_end = opts.end_date.succ_opt().expect("validated");

    let mut accounts = Vec::with_capacity(opts.accounts);
    for (idx, &n_conv) in counts.iter().enumerate() {
        let brand = &BRANDS[idx % BRANDS.len()];
        let round = idx / BRANDS.len();
        let tz: Tz = brand.zone.parse().map_err(|_| {
            GenerateError::setting(format!(
                "unknown time zone {} for account {}",
                brand.zone,
                idx + 1
            ))
        })?;
        let name = if round == 0 {
            brand.name.to_string()
        } else {
            format!("{} {}", brand.name, round + 1)
        };
        // SMS attribution windows: defaults, custom, receipt switched off, ...
        let (click_window, receipt_window) = match idx % 4 {
            0 => (None, None),
            1 => (Some(72), Some(6)),
            2 => (None, Some(0)),
            _ => (Some(48), None),
        };
        let id = format!("acc_{:03}", idx + 1);
        let start = local_midnight(&tz, first_local);
        let limit = local_midnight(&tz, after_end) - 1;
        let sku_base = 1000 * (idx as u32 + 1) + 20;
        let mut products = Vec::with_capacity(brand.items.len() * VARIANTS);
        for (i, item) in brand.items.iter().enumerate() {
            for v in 0..VARIANTS {
                let sku = sku_base + (i * VARIANTS + v) as u32;
                // Price varies by style; ends in .99 or .00.
                let whole = item.price * (88 + 5 * v as i64) / 10_000;
                let price = if v % 2 == 0 {
                    whole * 100 - 1
                } else {
                    whole * 100
                };
                products.push(Product {
                    sku,
                    name: format!("{} {}", brand.adjectives[v], item.title),
                    price: price.clamp(1500, 38000),
                });
            }
        }
        let mut acc = Account {
            idx: idx as u32,
            id,
            name,
            brand,
            tz,
            click_window,
            receipt_window,
            first_local,
            start,
            limit,
            products,
            profiles: Vec::new(),
            chatting: 0,
            starts: Vec::new(),
            owned: owned(idx),
            follow_ups: opts.at_scale,
        };
        if acc.owned {
            build_profiles(opts.seed, &mut acc, n_conv);
            acc.starts = conversation_starts(opts.seed, &acc, n_conv, opts.days);
        }
        accounts.push(acc);
    }
    Ok(accounts)
}

fn build_profiles(seed: u64, acc: &mut Account, n_conv: usize) {
    let mut rng = Rng::derive(seed, &[2, acc.idx as u64]);
    let n = (n_conv * 3 / 5 + 8).max(12);
    let brand = acc.brand;
    let earliest = acc.start - 400 * DAY;
    let latest = acc.limit - HOUR;
    let phone_modulus = 10u64.pow(brand.phone_digits);
    let mut profiles = Vec::with_capacity(n);
    for i in 0..n {
        let forced_duplicate = i == 2 || i == 6;
        let r = rng.unit();
        let named = forced_duplicate || r < 0.55;
        let email_only = !named && r < 0.75;
        let phone_only = !named && !email_only && r < 0.92;
        let (first, last) = if named {
            (
                Some(rng.pick_str(brand.first_names)),
                Some(rng.pick_str(brand.last_names)),
            )
        } else {
            (None, None)
        };
        let email = if named {
            let clean = |s: &str| -> String {
                s.chars()
                    .filter(|c| c.is_ascii_alphanumeric())
                    .collect::<String>()
                    .to_lowercase()
            };
            Some(format!(
                "{}.{}{}@{}",
                clean(first.unwrap_or_default()),
                clean(last.unwrap_or_default()),
                i + 1,
                rng.pick(EMAIL_DOMAINS)
            ))
        } else if email_only {
            Some(format!(
                "{}{}@{}",
                rng.pick(EMAIL_HANDLES),
                i + 1,
                rng.pick(EMAIL_DOMAINS)
            ))
        } else {
            None
        };
        let phone = if phone_only || (named && rng.chance(0.45)) {
            let number = (i as u64 + 1 + acc.idx as u64 * 7919) % phone_modulus;
            Some(format!(
                "{}{:0width$}",
                brand.phone_prefix,
                number,
                width = brand.phone_digits as usize
            ))
        } else {
            None
        };
        let updated_at = rng.span(earliest, latest);
        let older = if forced_duplicate || (named && rng.chance(0.06)) {
            let older_at = if i == 2 || (i != 6 && rng.chance(0.2)) {
                None
            } else {
                Some(updated_at - rng.span(10 * DAY, 300 * DAY))
            };
            let (of, ol) = if rng.chance(0.6) || i == 2 || i == 6 {
                // Same first name, a different last name before (e.g. before marriage).
                let mut old_last = rng.pick_str(brand.last_names);
                if Some(old_last) == last {
                    old_last = brand.last_names[(brand
                        .last_names
                        .iter()
                        .position(|l| *l == old_last)
                        .unwrap_or(0)
                        + 1)
                        % brand.last_names.len()];
                }
                (first, Some(old_last))
            } else {
                // No name yet on the older row.
                (None, None)
            };
            Some(OlderProfile {
                first: of,
                last: ol,
                updated_at: older_at,
            })
        } else {
            None
        };
        profiles.push(Profile {
            first,
            last,
            email,
            phone,
            updated_at,
            older,
        });
    }
    acc.chatting = (n * 4 / 5).max(1);
    acc.profiles = profiles;
}

fn conversation_starts(seed: u64, acc: &Account, n_conv: usize, days: u32) -> Vec<(i64, ConvKind)> {
    let mut rng = Rng::derive(seed, &[3, acc.idx as u64]);
    let day_weights: Vec<f64> = (0..days)
        .map(|d| {
            let date = acc.first_local + chrono::Days::new(d as u64);
            match date.weekday() {
                Weekday::Sat | Weekday::Sun => 0.8,
                Weekday::Mon => 1.1,
                _ => 1.0,
            }
        })
        .collect();
    let mut starts = Vec::with_capacity(n_conv);
    for _ in 0..n_conv {
        let r = rng.unit();
        let kind = if r < 0.70 {
            ConvKind::Web
        } else if r < 0.865 {
            ConvKind::SmsOutbound
        } else {
            ConvKind::SmsInbound
        };
        let d = rng.weighted(&day_weights);
        let hours: &[f64] = if kind == ConvKind::SmsOutbound {
            &CAMPAIGN_HOURS
        } else {
            &CHAT_HOURS
        };
        let hour = rng.weighted(hours) as i64;
        let date = acc.first_local + chrono::Days::new(d as u64);
        let local = date.and_hms_opt(0, 0, 0).expect("midnight")
            + TimeDelta::seconds(hour * 3600 + rng.below(3600) as i64);
        let start = local_to_utc(&acc.tz, local) + rng.below(1000) as i64 * 1000;
        starts.push((start.min(acc.limit), kind));
    }
    starts.sort_by_key(|&(start, kind)| (start, kind as u8));
    // One conversation in the first account uses a channel the schema does not know.
    if acc.idx == 0 && starts.len() >= 3 {
        let mid = starts.len() / 2;
        starts[mid].1 = ConvKind::WhatsApp;
    }
    starts
}

// ---------------------------------------------------------------------------
// Conversations
// ---------------------------------------------------------------------------

#[derive(Clone)]
struct MsgRow {
    acc: u32,
    conv: u32,
    seq: u32,
    channel: &'static str,
    sent_at: i64,
    sender: &'static str,
    kind: &'static str,
    body: Option<String>,
    profile: Option<u32>,
    skill: Option<&'static str>,
    products: Option<Vec<u32>>,
    tags: Option<Vec<&'static str>>,
    escalation: Option<&'static str>,
}

struct Conv {
    acc: u32,
    num: u32,
    channel: &'static str,
    t: i64,
    end: i64,
    /// Extra delay before the next row.
    pending: i64,
    rows: Vec<MsgRow>,
    profile: Option<u32>,
    /// Rows from this index on carry the profile id.
    reveal_at: usize,
    stopped: bool,
    /// A human took over (hand-off messages were sent).
    human: bool,
    /// Product cards shown: (time, skus).
    cards: Vec<(i64, Vec<u32>)>,
    /// Agent SMS with a link: (time, product).
    sms_links: Vec<(i64, Option<u32>)>,
}

impl Conv {
    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        sender: &'static str,
        kind: &'static str,
        body: Option<String>,
        skill: Option<&'static str>,
        tags: &[&'static str],
        products: Option<Vec<u32>>,
        escalation: Option<&'static str>,
        rng: &mut Rng,
    ) -> Option<i64> {
        if self.stopped {
            return None;
        }
        let gap = match self.rows.last() {
            None => 0,
            Some(prev) => reply_gap(rng, prev, sender, kind, self.channel),
        };
        let t = self.t + gap + std::mem::take(&mut self.pending);
        if t > self.end {
            self.stopped = true;
            return None;
        }
        self.t = t;
        let profile = if self.rows.len() >= self.reveal_at {
            self.profile
        } else {
            None
        };
        if kind == KIND_CARD
            && let Some(p) = &products
        {
            self.cards.push((t, p.clone()));
        }
        self.rows.push(MsgRow {
            acc: self.acc,
            conv: self.num,
            seq: self.rows.len() as u32,
            channel: self.channel,
            sent_at: t,
            sender,
            kind,
            body,
            profile,
            skill,
            products,
            tags: if tags.is_empty() {
                None
            } else {
                Some(tags.to_vec())
            },
            escalation,
        });
        Some(t)
    }

    fn visitor(&mut self, body: String, tags: &[&'static str], rng: &mut Rng) -> Option<i64> {
        self.push(VISITOR, KIND_TEXT, Some(body), None, tags, None, None, rng)
    }

    fn agent(
        &mut self,
        body: String,
        skill: Option<&'static str>,
        tags: &[&'static str],
        rng: &mut Rng,
    ) -> Option<i64> {
        self.push(AGENT, KIND_TEXT, Some(body), skill, tags, None, None, rng)
    }

    /// An agent SMS containing a link that can be clicked.
    fn agent_link(
        &mut self,
        body: String,
        skill: Option<&'static str>,
        tags: &[&'static str],
        product: Option<u32>,
        rng: &mut Rng,
    ) -> Option<i64> {
        let t = self.agent(body, skill, tags, rng)?;
        self.sms_links.push((t, product));
        Some(t)
    }

    fn card(&mut self, acc: &Account, skus: Vec<u32>, rng: &mut Rng) -> Option<i64> {
        let body = skus
            .iter()
            .map(|s| acc.product(*s).name.as_str())
            .collect::<Vec<_>>()
            .join(" · ");
        self.push(
            AGENT,
            KIND_CARD,
            Some(body),
            Some(SKILL_PRODUCT),
            &[],
            Some(skus),
            None,
            rng,
        )
    }

    fn ticket(
        &mut self,
        body: &str,
        skill: &'static str,
        reason: &'static str,
        rng: &mut Rng,
    ) -> Option<i64> {
        self.push(
            AGENT,
            KIND_TICKET,
            Some(body.to_string()),
            Some(skill),
            &[],
            None,
            Some(reason),
            rng,
        )
    }

    fn human(&mut self, body: String, rng: &mut Rng) -> Option<i64> {
        self.human = true;
        self.push(AGENT, KIND_HANDOFF, Some(body), None, &[], None, None, rng)
    }

    fn close(&mut self, rng: &mut Rng) -> Option<i64> {
        self.push(VISITOR, KIND_CLOSE, None, None, &[], None, None, rng)
    }

    fn last_sender(&self) -> Option<&'static str> {
        self.rows.last().map(|r| r.sender)
    }
}

fn reply_gap(rng: &mut Rng, prev: &MsgRow, sender: &str, kind: &str, channel: &str) -> i64 {
    if kind == KIND_HANDOFF {
        if prev.kind == KIND_TICKET {
            // Waiting for a human to pick up the ticket.
            return if rng.chance(0.7) {
                rng.span(2 * MIN, 30 * MIN)
            } else {
                rng.span(30 * MIN, 3 * HOUR)
            };
        }
        return rng.span(20 * SEC, 4 * MIN);
    }
    let sms = channel == CHANNEL_SMS;
    match (prev.sender, sender) {
        (VISITOR, AGENT) => {
            if sms {
                rng.span(3 * SEC, 30 * SEC)
            } else {
                rng.span(2 * SEC, 18 * SEC)
            }
        }
        (AGENT, AGENT) => rng.span(800_000, 4 * SEC),
        (AGENT, _) => {
            let r = rng.unit();
            if sms {
                if r < 0.7 {
                    rng.span(MIN, 10 * MIN)
                } else {
                    rng.span(10 * MIN, 2 * HOUR)
                }
            } else if r < 0.70 {
                rng.span(8 * SEC, 90 * SEC)
            } else if r < 0.93 {
                rng.span(90 * SEC, 6 * MIN)
            } else {
                rng.span(6 * MIN, 25 * MIN)
            }
        }
        _ => rng.span(3 * SEC, 40 * SEC),
    }
}

/// Values substituted into the text templates.
struct Vars<'a> {
    brand_name: &'a str,
    brand: &'static Brand,
    item: &'static Item,
    size: &'static str,
    order: u32,
    product: &'a str,
    sku: u32,
    first: Option<&'static str>,
    email: Option<&'a str>,
    phone: Option<&'a str>,
    agent: &'static str,
    carrier: &'static str,
    tracking: &'a str,
    ship_day: &'static str,
    eta: &'static str,
}

impl Vars<'_> {
    fn fill(&self, template: &str) -> String {
        let mut out = String::with_capacity(template.len() + 32);
        let mut rest = template;
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let after = &rest[open + 1..];
            match after.find('}') {
                Some(close) => {
                    self.var(&after[..close], &mut out);
                    rest = &after[close + 1..];
                }
                None => {
                    out.push_str(&rest[open..]);
                    rest = "";
                }
            }
        }
        out.push_str(rest);
        out
    }

    fn var(&self, key: &str, out: &mut String) {
        match key {
            "brand" => out.push_str(self.brand_name),
            "one" => out.push_str(self.item.one),
            "many" => out.push_str(self.item.many),
            "this" => out.push_str(self.item.this),
            "title" => out.push_str(&self.item.title.to_lowercase()),
            "sizeq" => {
                out.push_str(self.item.size_prefix);
                out.push_str(self.size);
            }
            "order" => {
                let _ = write!(out, "{}", self.order);
            }
            "product" => out.push_str(self.product),
            "sku" => {
                let _ = write!(out, "sku_{}", self.sku);
            }
            "hi" => match self.first {
                Some(f) => {
                    let _ = write!(out, "Hi {f}!");
                }
                None => out.push_str("Hi!"),
            },
            "name" => out.push_str(self.first.unwrap_or("there")),
            "email" => out.push_str(self.email.unwrap_or("")),
            "phone" => out.push_str(self.phone.unwrap_or("")),
            "agent" => out.push_str(self.agent),
            "carrier" => out.push_str(self.carrier),
            "tracking" => out.push_str(self.tracking),
            "shipday" => out.push_str(self.ship_day),
            "eta" => out.push_str(self.eta),
            "country" => out.push_str(self.brand.country),
            "link" => out.push_str(self.brand.link),
            _ => {
                out.push('{');
                out.push_str(key);
                out.push('}');
            }
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Topic {
    Order,
    Product,
    Faq,
    Returns,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Identity {
    Anonymous,
    Known,
    /// The profile appears from a later row on (login, or an email given in the chat).
    Midway,
}

fn pick_profile(rng: &mut Rng, acc: &Account, need: impl Fn(&Profile) -> bool) -> Option<u32> {
    let n = acc.chatting;
    if n == 0 {
        return None;
    }
    for _ in 0..12 {
        let p = rng.below(n);
        if need(&acc.profiles[p]) {
            return Some(p as u32);
        }
    }
    let from = rng.below(n);
    (0..n)
        .map(|k| (from + k) % n)
        .find(|&p| need(&acc.profiles[p]))
        .map(|p| p as u32)
}

fn build_conversation(rng: &mut Rng, acc: &Account, num: u32, start: i64, kind: ConvKind) -> Conv {
    let channel = match kind {
        ConvKind::Web => CHANNEL_WEB,
        ConvKind::SmsOutbound | ConvKind::SmsInbound => CHANNEL_SMS,
        ConvKind::WhatsApp => CHANNEL_UNKNOWN,
    };
    let identity = match kind {
        ConvKind::Web => {
            let r = rng.unit();
            if r < 0.40 {
                Identity::Anonymous
            } else if r < 0.75 {
                Identity::Known
            } else {
                Identity::Midway
            }
        }
        ConvKind::SmsOutbound | ConvKind::SmsInbound => Identity::Known,
        ConvKind::WhatsApp => Identity::Anonymous,
    };
    let profile = match (kind, identity) {
        (_, Identity::Anonymous) => None,
        (ConvKind::SmsOutbound | ConvKind::SmsInbound, _) => {
            pick_profile(rng, acc, |p| p.phone.is_some())
        }
        (_, Identity::Midway) => pick_profile(rng, acc, |p| p.email.is_some() || p.phone.is_some()),
        _ => pick_profile(rng, acc, |_| true),
    };
    let mut c = Conv {
        acc: acc.idx,
        num,
        channel,
        t: start,
        end: acc.limit.min(start + MAX_CONVERSATION_SPAN),
        pending: 0,
        rows: Vec::with_capacity(12),
        profile,
        reveal_at: if identity == Identity::Midway {
            usize::MAX
        } else {
            0
        },
        stopped: false,
        human: false,
        cards: Vec::new(),
        sms_links: Vec::new(),
    };

    let brand = acc.brand;
    let item_idx = rng.below(brand.items.len());
    let item = &brand.items[item_idx];
    let size = rng.pick_str(item.sizes);
    let skus = acc.item_skus(item_idx);
    let featured = &acc.products[skus.start + rng.below(VARIANTS)];
    let start_date = local_date(&acc.tz, start);
    let ship_date = start_date - chrono::Days::new(1 + rng.below(3) as u64);
    let eta_date = start_date + chrono::Days::new(1 + rng.below(4) as u64);
    let tracking = format!(
        "{}{:010}",
        ["1Z", "TRK", "LX"][rng.below(3)],
        rng.next_u64() % 10_000_000_000
    );
    let prof = profile.map(|p| &acc.profiles[p as usize]);
    let vars = Vars {
        brand_name: &acc.name,
        brand,
        item,
        size,
        order: 1000 + rng.below(9000) as u32,
        product: &featured.name,
        sku: featured.sku,
        first: prof.and_then(|p| p.first),
        email: prof.and_then(|p| p.email.as_deref()),
        phone: prof.and_then(|p| p.phone.as_deref()),
        agent: rng.pick_str(brand.agents),
        carrier: rng.pick_str(brand.carriers),
        tracking: &tracking,
        ship_day: weekday_name(ship_date),
        eta: weekday_name(eta_date),
    };

    match kind {
        ConvKind::WhatsApp => {
            let faq = rng.pick(FAQS);
            c.visitor(vars.fill(faq.question), &[], rng);
            c.agent(vars.fill(faq.answer), Some(SKILL_FAQ), faq.tags, rng);
            c.visitor(rng_thanks(rng), &[], rng);
        }
        ConvKind::SmsOutbound => sms_outbound(rng, &mut c, &vars),
        ConvKind::Web | ConvKind::SmsInbound => {
            let web = kind == ConvKind::Web;
            if web && rng.chance(0.15) {
                c.agent(vars.fill(rng.pick_str(GREETINGS)), None, &[], rng);
                if rng.chance(0.3) {
                    // The visitor never answered the greeting.
                    return c;
                }
            }
            let topic = if web {
                [Topic::Order, Topic::Product, Topic::Faq, Topic::Returns]
                    [rng.weighted(&[0.28, 0.37, 0.20, 0.15])]
            } else {
                [Topic::Order, Topic::Product, Topic::Faq, Topic::Returns]
                    [rng.weighted(&[0.45, 0.15, 0.20, 0.20])]
            };
            if identity == Identity::Midway && topic != Topic::Order {
                // Logs in a little later.
                c.reveal_at = c.rows.len() + 1 + rng.below(3);
            }
            let escalation = match topic {
                Topic::Order => order_flow(rng, &mut c, &vars, identity),
                Topic::Product => product_flow(rng, acc, &mut c, &vars, web),
                Topic::Faq => {
                    let faq = rng.pick(FAQS);
                    c.visitor(
                        vars.fill(faq.question),
                        if rng.chance(0.6) { faq.tags } else { &[] },
                        rng,
                    );
                    c.agent(
                        vars.fill(faq.answer),
                        Some(SKILL_FAQ),
                        if rng.chance(0.3) { faq.tags } else { &[] },
                        rng,
                    );
                    Escalation {
                        probability: faq.handoff,
                        reason: faq.reason,
                        skill: SKILL_FAQ,
                        asked: false,
                    }
                }
                Topic::Returns => {
                    let sized = item.sizes.len() > 1;
                    let candidates: Vec<&Returns> =
                        RETURNS.iter().filter(|r| sized || !r.needs_sizes).collect();
                    let ret = *rng.pick(&candidates);
                    c.visitor(
                        vars.fill(ret.question),
                        if rng.chance(0.6) { ret.tags } else { &[] },
                        rng,
                    );
                    c.agent(
                        vars.fill(ret.answer),
                        Some(SKILL_RETURNS),
                        if rng.chance(0.4) { ret.tags } else { &[] },
                        rng,
                    );
                    Escalation {
                        probability: ret.handoff,
                        reason: ret.reason,
                        skill: SKILL_RETURNS,
                        asked: false,
                    }
                }
            };
            if acc.follow_ups {
                // At scale: a few more questions before the conversation winds down.
                for _ in 0..rng.below(8) {
                    if c.stopped {
                        break;
                    }
                    let faq = rng.pick(FAQS);
                    c.visitor(vars.fill(faq.question), &[], rng);
                    c.agent(vars.fill(faq.answer), Some(SKILL_FAQ), &[], rng);
                }
            }
            if rng.chance(escalation.probability + 0.02) {
                handoff(rng, &mut c, &vars, &escalation);
            }
            ending(rng, &mut c, &vars, web);
        }
    }
    c
}

fn rng_thanks(rng: &mut Rng) -> String {
    rng.pick(VISITOR_THANKS).to_string()
}

fn order_flow(rng: &mut Rng, c: &mut Conv, v: &Vars, identity: Identity) -> Escalation {
    c.visitor(
        v.fill(rng.pick_str(ORDER_QUESTIONS)),
        if rng.chance(0.4) {
            &[TAG_SHIPPING]
        } else {
            &[]
        },
        rng,
    );
    if identity == Identity::Midway {
        if v.email.is_some() {
            c.agent(
                "Happy to check! What's the email address you used at checkout?".into(),
                Some(SKILL_ORDER),
                &[],
                rng,
            );
            c.reveal_at = c.rows.len();
            let reply = ["{email}", "it's {email}", "Sure, {email}"][rng.below(3)];
            c.visitor(v.fill(reply), &[], rng);
        } else {
            c.agent(
                "Happy to check! What's the phone number on the order?".into(),
                Some(SKILL_ORDER),
                &[],
                rng,
            );
            c.reveal_at = c.rows.len();
            c.visitor(v.fill("{phone}"), &[], rng);
        }
    }
    // ORDER_ANSWERS[1] is the only one where the parcel has not shipped yet.
    let answer = rng.below(ORDER_ANSWERS.len());
    c.agent(
        v.fill(ORDER_ANSWERS[answer]),
        Some(SKILL_ORDER),
        if rng.chance(0.3) {
            &[TAG_SHIPPING]
        } else {
            &[]
        },
        rng,
    );
    let r = rng.unit();
    if r < 0.22 {
        c.visitor(
            "Can I change the delivery address?".into(),
            &[TAG_SHIPPING],
            rng,
        );
        c.agent(
            v.fill(if answer == 1 {
                "Yes, it hasn't shipped yet. What's the new address? I'll update it before it leaves the warehouse."
            } else {
                "Once an order has shipped I can't change the address, but you can redirect it with {carrier} using the tracking number."
            }),
            Some(SKILL_ORDER),
            &[],
            rng,
        );
        Escalation {
            probability: 0.12,
            reason: REASON_POLICY,
            skill: SKILL_ORDER,
            asked: true,
        }
    } else if r < 0.32 {
        c.visitor(
            "It says delivered but it's not here".into(),
            &[TAG_SHIPPING],
            rng,
        );
        c.agent(
            "Sorry about that! Sometimes parcels are marked delivered a little early. Could you check with neighbours or your building's mailroom?".into(),
            Some(SKILL_ORDER),
            &[],
            rng,
        );
        Escalation {
            probability: 0.45,
            reason: REASON_GAP,
            skill: SKILL_ORDER,
            asked: true,
        }
    } else {
        Escalation {
            probability: 0.03,
            reason: REASON_REQUEST,
            skill: SKILL_ORDER,
            asked: false,
        }
    }
}

fn product_flow(rng: &mut Rng, acc: &Account, c: &mut Conv, v: &Vars, web: bool) -> Escalation {
    let sized = v.item.sizes.len() > 1;
    let r = rng.below(if sized { 5 } else { 3 });
    let (question, intro, tags): (&str, &str, &[&'static str]) = match r {
        0 => (
            "I'm looking for {one} as a gift. Any recommendations?",
            "Great idea! Here are a few of our most popular {many}:",
            &[],
        ),
        1 => (
            "Are any of your {many} on sale right now?",
            "A few {many} are on sale this week. Here they are:",
            &[TAG_DISCOUNT],
        ),
        2 => (
            "Which {many} would you recommend for a beginner?",
            "For a first one I'd go with one of these:",
            &[],
        ),
        3 => (
            "Do you have {this} in {sizeq}?",
            "Good news, {sizeq} is in stock in these styles:",
            &[TAG_SIZING],
        ),
        _ => (
            "Hi! Do you have {this} in {sizeq}? The site says sold out",
            "{sizeq} sold out in one colour, but it's still available in these:",
            &[TAG_SIZING],
        ),
    };
    c.visitor(
        v.fill(question),
        if rng.chance(0.7) { tags } else { &[] },
        rng,
    );
    let skus = acc.item_skus(
        acc.brand
            .items
            .iter()
            .position(|i| std::ptr::eq(i, v.item))
            .unwrap_or(0),
    );
    let shown = choose_skus(acc, skus.clone(), 1 + rng.below(3), rng);
    if web {
        c.agent(
            capitalized(v.fill(intro)),
            Some(SKILL_PRODUCT),
            if rng.chance(0.3) { tags } else { &[] },
            rng,
        );
        c.card(acc, shown.clone(), rng);
    } else {
        let first = shown[0];
        let text = format!(
            "{} https://{}/p/sku_{}",
            capitalized(v.fill(intro)).trim_end_matches(':'),
            v.brand.link,
            first
        );
        c.agent_link(text, Some(SKILL_PRODUCT), &[], Some(first), rng);
    }
    if rng.chance(0.55) {
        let shown_name = &acc.product(shown[0]).name;
        match rng.below(5) {
            0 => {
                c.visitor(
                    format!("How's the sizing on the {shown_name}?"),
                    &[TAG_SIZING],
                    rng,
                );
                c.agent("Most customers find it true to size. If you're between sizes, we recommend going up one.".into(), Some(SKILL_PRODUCT), &[TAG_SIZING], rng);
            }
            1 => {
                c.visitor("How long does delivery take?".into(), &[], rng);
                c.agent(
                    "Standard delivery takes 3–5 business days; express arrives in 1–2.".into(),
                    Some(SKILL_FAQ),
                    &[TAG_SHIPPING],
                    rng,
                );
            }
            2 => {
                c.visitor(
                    "Is there a discount code I can use?".into(),
                    &[TAG_DISCOUNT],
                    rng,
                );
                c.agent(
                    "You can use WELCOME10 for 10% off your first order!".into(),
                    Some(SKILL_FAQ),
                    &[TAG_DISCOUNT],
                    rng,
                );
            }
            3 => {
                c.visitor("Which one is the most popular?".into(), &[], rng);
                c.agent(
                    format!(
                        "Our bestseller is the {shown_name}, with over 1,200 five-star reviews."
                    ),
                    Some(SKILL_PRODUCT),
                    &[],
                    rng,
                );
            }
            _ => {
                c.visitor(format!("Any other colours for the {shown_name}?"), &[], rng);
                let more = choose_skus(acc, skus, 1 + rng.below(2), rng);
                if web {
                    c.agent(
                        "It does! Here are a few more colours:".into(),
                        Some(SKILL_PRODUCT),
                        &[],
                        rng,
                    );
                    c.card(acc, more, rng);
                } else {
                    let text = format!(
                        "It does! See all colours here: https://{}/p/sku_{}",
                        v.brand.link, more[0]
                    );
                    c.agent_link(text, Some(SKILL_PRODUCT), &[], Some(more[0]), rng);
                }
            }
        }
    }
    let reason = if rng.chance(0.5) {
        REASON_GAP
    } else {
        REASON_REQUEST
    };
    Escalation {
        probability: 0.03,
        reason,
        skill: SKILL_PRODUCT,
        asked: false,
    }
}

fn capitalized(mut s: String) -> String {
    if let Some(first) = s.chars().next()
        && first.is_lowercase()
    {
        let upper: String = first.to_uppercase().collect();
        s.replace_range(..first.len_utf8(), &upper);
    }
    s
}

fn choose_skus(acc: &Account, range: std::ops::Range<usize>, n: usize, rng: &mut Rng) -> Vec<u32> {
    let mut picked: Vec<u32> = Vec::with_capacity(n);
    let len = range.len();
    let offset = rng.below(len);
    let step = 1 + rng.below(len - 1);
    for k in 0..n.min(len) {
        let sku = acc.products[range.start + (offset + k * step) % len].sku;
        if !picked.contains(&sku) {
            picked.push(sku);
        }
    }
    picked
}

/// Questions the AI agent cannot answer (knowledge gaps).
const HARD_QUESTIONS: &[&str] = &[
    "Is the {title} made from recycled materials?",
    "When exactly will {this} be restocked?",
    "Which factory makes the {title}?",
    "Could you do a custom invoice with my company's tax number?",
];

/// How a conversation may be handed to a human.
struct Escalation {
    probability: f64,
    reason: &'static str,
    skill: &'static str,
    /// The visitor already asked something the agent could not answer.
    asked: bool,
}

fn handoff(rng: &mut Rng, c: &mut Conv, v: &Vars, e: &Escalation) {
    let ticket = match e.reason {
        REASON_REQUEST => {
            c.visitor(rng.pick(ASK_FOR_HUMAN).to_string(), &[], rng);
            "Of course! I've passed this conversation to our support team. Someone will reply here shortly."
        }
        REASON_POLICY => {
            "That needs approval from our customer care team, so I've created a ticket and they'll follow up here."
        }
        _ => {
            if !e.asked {
                c.visitor(v.fill(rng.pick_str(HARD_QUESTIONS)), &[], rng);
            }
            "I'm not sure about that one, so I've asked a teammate to jump in. They'll reply here soon."
        }
    };
    c.ticket(ticket, e.skill, e.reason, rng);
    if rng.chance(0.7) {
        let resolution = match (e.reason, e.skill) {
            (REASON_REQUEST, _) => "How can I help today?",
            (REASON_POLICY, SKILL_ORDER) => {
                "I've asked {carrier} to update the delivery address, and you'll get a confirmation email shortly."
            }
            (REASON_POLICY, SKILL_RETURNS) => {
                "I've approved an exception for you, and you'll receive a prepaid return label by email shortly."
            }
            (REASON_POLICY, _) => {
                "We can't match that price, but I've emailed you a one-off 10% code instead."
            }
            (_, SKILL_ORDER) => {
                "I've opened a claim with {carrier} and we'll send a replacement if it doesn't turn up in 2 days."
            }
            _ => "I've checked with the team and I'll email you the details within the hour.",
        };
        c.human(
            v.fill(&format!(
                "Hi {{name}}, this is {{agent}} from the {{brand}} team. {resolution}"
            )),
            rng,
        );
        if rng.chance(0.5) {
            c.visitor("Thank you!".into(), &[], rng);
            if rng.chance(0.6) {
                c.human("You're welcome, have a lovely day!".into(), rng);
            }
        }
    }
}

/// The AI agent's reply, or the human's once the conversation was handed off.
fn reply(rng: &mut Rng, c: &mut Conv, body: String, skill: Option<&'static str>) -> Option<i64> {
    if c.human {
        c.human(body, rng)
    } else {
        c.agent(body, skill, &[], rng)
    }
}

fn ending(rng: &mut Rng, c: &mut Conv, v: &Vars, web: bool) {
    if rng.chance(0.04) {
        // The visitor comes back the next day with another question.
        c.pending = rng.span(18 * HOUR, 30 * HOUR);
        let faq = rng.pick(FAQS);
        c.visitor(format!("Hi again! {}", v.fill(faq.question)), faq.tags, rng);
        reply(rng, c, v.fill(faq.answer), Some(SKILL_FAQ));
    }
    let r = rng.unit();
    if r < 0.33 {
        if c.last_sender() == Some(AGENT) {
            c.visitor(rng_thanks(rng), &[], rng);
        }
    } else if r < 0.62 {
        if c.last_sender() == Some(AGENT) {
            c.visitor(rng_thanks(rng), &[], rng);
        }
        if c.last_sender() == Some(VISITOR) {
            let closing = rng.pick(AGENT_CLOSINGS).to_string();
            reply(rng, c, closing, None);
        }
    }
    if web && rng.chance(0.16) {
        c.close(rng);
        if rng.chance(0.3) {
            // Comes back after closing the chat window.
            c.pending = rng.span(2 * MIN, 40 * MIN);
            let faq = rng.pick(FAQS);
            c.visitor(
                format!("Actually, one more question: {}", v.fill(faq.question)),
                faq.tags,
                rng,
            );
            reply(rng, c, v.fill(faq.answer), Some(SKILL_FAQ));
            if rng.chance(0.4) {
                c.visitor(rng_thanks(rng), &[], rng);
            }
        }
    }
}

fn sms_outbound(rng: &mut Rng, c: &mut Conv, v: &Vars) {
    let promo = rng.below(4);
    let (text, skill, tags, product): (String, &'static str, &[&'static str], Option<u32>) = match promo {
        0 => (
            v.fill("{hi} {brand}: the {product} is back in stock. Shop now: https://{link}/p/{sku} Reply STOP to opt out"),
            SKILL_PRODUCT,
            &[],
            Some(v.sku),
        ),
        1 => (
            v.fill("{brand}: our mid-season sale starts now, up to 30% off {many}. https://{link}/sale Reply STOP to opt out"),
            SKILL_PRODUCT,
            &[TAG_DISCOUNT],
            None,
        ),
        2 => (
            v.fill("{hi} You left the {product} in your cart. Complete your order: https://{link}/cart Reply STOP to opt out"),
            SKILL_PRODUCT,
            &[],
            Some(v.sku),
        ),
        _ => (
            v.fill("{brand}: your order #{order} has shipped with {carrier}! Track it: https://{link}/t/{tracking}"),
            SKILL_ORDER,
            &[TAG_SHIPPING],
            None,
        ),
    };
    c.agent_link(text, Some(skill), tags, product, rng);
    if !rng.chance(0.45) {
        return; // No reply: the agent spoke last.
    }
    let sized = v.item.sizes.len() > 1;
    match rng.below(if sized { 5 } else { 4 }) {
        0 => {
            c.visitor("STOP".into(), &[], rng);
            c.agent(
                v.fill("You're unsubscribed from {brand} texts. Reply START to resubscribe."),
                None,
                &[],
                rng,
            );
            return;
        }
        1 => {
            c.visitor("How much is shipping?".into(), &[TAG_SHIPPING], rng);
            c.agent(
                "Shipping is free on orders over 50, otherwise it's a flat 7.95.".into(),
                Some(SKILL_FAQ),
                &[TAG_SHIPPING],
                rng,
            );
        }
        2 => {
            c.visitor(
                "Can I use my discount code on sale items?".into(),
                &[TAG_DISCOUNT],
                rng,
            );
            c.agent("Codes can't be combined with sale prices, but sale items already include the discount.".into(), Some(SKILL_FAQ), &[TAG_DISCOUNT], rng);
        }
        3 => {
            c.visitor(
                "Where is my order? Still says processing".into(),
                &[TAG_SHIPPING],
                rng,
            );
            c.agent(
                v.fill(rng.pick_str(ORDER_ANSWERS)),
                Some(SKILL_ORDER),
                &[],
                rng,
            );
        }
        _ => {
            c.visitor(v.fill("Do you have it in {sizeq}?"), &[TAG_SIZING], rng);
            let text = v.fill("Yes, {sizeq} is in stock! Grab it here: https://{link}/p/{sku}");
            c.agent_link(text, Some(SKILL_PRODUCT), &[TAG_SIZING], Some(v.sku), rng);
        }
    }
    if rng.chance(0.03) {
        handoff(
            rng,
            c,
            v,
            &Escalation {
                probability: 1.0,
                reason: REASON_REQUEST,
                skill: SKILL_FAQ,
                asked: false,
            },
        );
    }
    ending(rng, c, v, false);
}

// ---------------------------------------------------------------------------
// Events
// ---------------------------------------------------------------------------

#[derive(Clone)]
struct EventRow {
    id: u64,
    acc: u32,
    profile: Option<u32>,
    metric: &'static str,
    at: i64,
    conv: Option<u32>,
    product: Option<u32>,
    order: Option<u64>,
    value: Option<i128>,
}

struct Events {
    next_id: u64,
    next_order: u64,
    days: BTreeMap<i64, Vec<EventRow>>,
}

impl Events {
    /// Event and order numbers of writer `w` start at `w * 10^10`, so writers never collide.
    fn new(writer: Option<usize>) -> Self {
        let base = writer.map_or(0, |w| w as u64 * 10_000_000_000);
        Events {
            next_id: base + 1,
            next_order: base + 100_001,
            days: BTreeMap::new(),
        }
    }

    /// Records an event unless it is later than the account's last instant.
    /// About 1% of events are delivered twice with the same event id.
    #[allow(clippy::too_many_arguments)]
    fn emit(
        &mut self,
        acc: &Account,
        metric: &'static str,
        at: i64,
        profile: Option<u32>,
        conv: Option<u32>,
        product: Option<u32>,
        rng: &mut Rng,
    ) -> bool {
        self.emit_row(
            acc,
            EventRow {
                id: 0,
                acc: acc.idx,
                profile,
                metric,
                at,
                conv,
                product,
                order: None,
                value: None,
            },
            rng,
        )
    }

    fn emit_row(&mut self, acc: &Account, mut row: EventRow, rng: &mut Rng) -> bool {
        if row.at > acc.limit {
            return false;
        }
        row.id = self.next_id;
        self.next_id += 1;
        let twice = rng.chance(0.012);
        let day = self.days.entry(row.at.div_euclid(DAY)).or_default();
        if twice {
            day.push(row.clone());
        }
        day.push(row);
        true
    }

    /// A `Placed Order`; about 5% of orders are reported again later under the same order id.
    fn order(
        &mut self,
        acc: &Account,
        at: i64,
        profile: Option<u32>,
        product: Option<u32>,
        rng: &mut Rng,
    ) {
        if at > acc.limit {
            return;
        }
        let value = order_value(rng, acc, product) as i128;
        let order = self.next_order;
        self.next_order += 1;
        let row = EventRow {
            id: 0,
            acc: acc.idx,
            profile,
            metric: METRIC_ORDER,
            at,
            conv: None,
            product,
            order: Some(order),
            value: Some(value),
        };
        self.emit_row(acc, row.clone(), rng);
        if rng.chance(0.05) {
            let later = EventRow {
                at: at + rng.span(20 * MIN, 30 * HOUR),
                ..row
            };
            self.emit_row(acc, later, rng);
        }
    }
}

/// Order total in cents, 15.00–400.00.
fn order_value(rng: &mut Rng, acc: &Account, product: Option<u32>) -> i64 {
    let v = match product {
        Some(sku) => {
            let price = acc.product(sku).price;
            let qty = [1, 1, 1, 1, 1, 1, 2, 2, 3][rng.below(9)];
            let mut v = price * qty;
            if rng.chance(0.3) {
                v += rng.pick(&acc.products).price;
            }
            if v > 40_000 { price } else { v }
        }
        None => {
            let (a, b) = (rng.unit(), rng.unit());
            1500 + (a * b * 38_500.0) as i64
        }
    };
    v.clamp(1500, 40_000)
}

fn conversation_events(rng: &mut Rng, acc: &Account, c: &Conv, ev: &mut Events) {
    let Some(first) = c.rows.first() else { return };
    let last_at = c.rows.last().map(|r| r.sent_at).unwrap_or(first.sent_at);
    let profile = c.rows.iter().find_map(|r| r.profile);
    let conv = Some(c.num);
    match c.channel {
        CHANNEL_WEB => {
            for (k, (t, skus)) in c.cards.iter().enumerate() {
                match profile {
                    Some(p) if rng.chance(if k == 0 { 0.5 } else { 0.25 }) => {
                        let product = *rng.pick(skus);
                        let click = t + rng.span(4 * SEC, 12 * MIN);
                        if !ev.emit(
                            acc,
                            METRIC_CARD_CLICK,
                            click,
                            Some(p),
                            conv,
                            Some(product),
                            rng,
                        ) {
                            continue;
                        }
                        if rng.chance(0.5) {
                            ev.emit(
                                acc,
                                METRIC_VIEWED,
                                click + rng.span(SEC, 6 * SEC),
                                Some(p),
                                None,
                                Some(product),
                                rng,
                            );
                        }
                        let r = rng.unit();
                        if r < 0.32 {
                            // Inside the 24h web-chat click window.
                            ev.order(
                                acc,
                                click + rng.span(3 * MIN, 23 * HOUR + 30 * MIN),
                                Some(p),
                                maybe(rng, 0.6, product),
                                rng,
                            );
                        } else if r < 0.42 {
                            // Outside the web window, inside a (default) SMS click window.
                            ev.order(
                                acc,
                                click + rng.span(25 * HOUR, 119 * HOUR),
                                Some(p),
                                maybe(rng, 0.6, product),
                                rng,
                            );
                        }
                    }
                    None if rng.chance(0.25) => {
                        let product = *rng.pick(skus);
                        ev.emit(
                            acc,
                            METRIC_VIEWED,
                            t + rng.span(5 * SEC, 2 * MIN),
                            None,
                            None,
                            Some(product),
                            rng,
                        );
                    }
                    _ => {}
                }
            }
        }
        CHANNEL_SMS => {
            let Some(p) = profile else { return };
            let mut clicked = false;
            for (t, product) in &c.sms_links {
                if rng.chance(0.35) {
                    let click = t + if rng.chance(0.7) {
                        rng.span(MIN, 20 * MIN)
                    } else {
                        rng.span(20 * MIN, 4 * HOUR)
                    };
                    if !ev.emit(acc, METRIC_SMS_CLICK, click, Some(p), conv, *product, rng) {
                        continue;
                    }
                    clicked = true;
                    let r = rng.unit();
                    if r < 0.25 {
                        ev.order(
                            acc,
                            click + rng.span(5 * MIN, 23 * HOUR),
                            Some(p),
                            *product,
                            rng,
                        );
                    } else if r < 0.33 {
                        ev.order(
                            acc,
                            click + rng.span(25 * HOUR, 71 * HOUR),
                            Some(p),
                            *product,
                            rng,
                        );
                    } else if r < 0.40 {
                        // Inside the default 5-day SMS click window, outside a 72h custom one.
                        ev.order(
                            acc,
                            click + rng.span(73 * HOUR, 119 * HOUR),
                            Some(p),
                            *product,
                            rng,
                        );
                    }
                }
            }
            if !clicked {
                // Ordered without clicking, soon after receiving an agent SMS (receipt window).
                let agent_sms = c
                    .rows
                    .iter()
                    .rev()
                    .find(|r| r.sender == AGENT)
                    .map(|r| r.sent_at);
                if let Some(t) = agent_sms
                    && rng.chance(if c.sms_links.is_empty() { 0.05 } else { 0.12 })
                {
                    let at = if rng.chance(0.5) {
                        t + rng.span(15 * MIN, 5 * HOUR + 50 * MIN)
                    } else {
                        t + rng.span(6 * HOUR + 10 * MIN, 11 * HOUR + 50 * MIN)
                    };
                    ev.order(acc, at, Some(p), None, rng);
                }
            }
        }
        _ => {}
    }
    if let Some(p) = profile
        && rng.chance(0.04)
    {
        // Long after the conversation: outside every attribution window.
        ev.order(
            acc,
            last_at + rng.span(8 * DAY, 20 * DAY),
            Some(p),
            None,
            rng,
        );
    }
}

fn maybe(rng: &mut Rng, p: f64, product: u32) -> Option<u32> {
    if rng.chance(p) { Some(product) } else { None }
}

/// Events that are not tied to a conversation: orders from profiles that never chatted,
/// guest orders without a profile, product views, add-to-carts, and clicks naming
/// conversations that do not exist.
fn background_events(seed: u64, acc: &Account, days: u32, ev: &mut Events) {
    let mut rng = Rng::derive(seed, &[6, acc.idx as u64]);
    let n_conv = acc.starts.len() as f64;
    let per_day = n_conv / days as f64;
    let n_profiles = acc.profiles.len();
    let never_chatted = acc.chatting..n_profiles;
    let day_time = |rng: &mut Rng, d: u32| -> i64 {
        let date = acc.first_local + chrono::Days::new(d as u64);
        let hour = rng.weighted(&CHAT_HOURS) as i64;
        let local = date.and_hms_opt(0, 0, 0).expect("midnight")
            + TimeDelta::seconds(hour * 3600 + rng.below(3600) as i64);
        local_to_utc(&acc.tz, local) + rng.below(1000) as i64 * 1000
    };
    let count = |rng: &mut Rng, rate: f64| -> usize {
        let whole = rate as usize;
        whole + usize::from(rng.chance(rate - whole as f64))
    };
    for d in 0..days {
        for _ in 0..count(&mut rng, 0.06 * per_day + 0.3) {
            if never_chatted.is_empty() {
                break;
            }
            let p = (never_chatted.start + rng.below(never_chatted.len())) as u32;
            let at = day_time(&mut rng, d);
            ev.order(acc, at, Some(p), None, &mut rng);
        }
        for _ in 0..count(&mut rng, 0.04 * per_day + 0.2) {
            let at = day_time(&mut rng, d);
            ev.order(acc, at, None, None, &mut rng);
        }
        for _ in 0..count(&mut rng, 0.25 * per_day + 1.0) {
            let at = day_time(&mut rng, d);
            let p = if rng.chance(0.6) {
                Some(rng.below(n_profiles) as u32)
            } else {
                None
            };
            let product = rng.pick(&acc.products).sku;
            ev.emit(acc, METRIC_VIEWED, at, p, None, Some(product), &mut rng);
        }
        for _ in 0..count(&mut rng, 0.08 * per_day + 0.3) {
            let at = day_time(&mut rng, d);
            let p = if rng.chance(0.7) {
                Some(rng.below(n_profiles) as u32)
            } else {
                None
            };
            let product = rng.pick(&acc.products).sku;
            ev.emit(acc, METRIC_CART, at, p, None, Some(product), &mut rng);
        }
    }
    // Clicks naming a conversation id that does not exist.
    let unknown = 2 + acc.starts.len() / 1000;
    for k in 0..unknown {
        let d = rng.below(days as usize) as u32;
        let at = day_time(&mut rng, d);
        let p = Some(rng.below(acc.chatting.max(1).min(n_profiles)) as u32);
        let conv = Some(acc.starts.len() as u32 + 100 + 37 * k as u32);
        let product = rng.pick(&acc.products).sku;
        ev.emit(acc, METRIC_CARD_CLICK, at, p, conv, Some(product), &mut rng);
    }
}

// ---------------------------------------------------------------------------
// Arrow schemas and batches
// ---------------------------------------------------------------------------

fn utc_micros() -> DataType {
    DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
}

fn utf8_list() -> DataType {
    DataType::List(Arc::new(Field::new_list_field(DataType::Utf8, true)))
}

fn accounts_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("account_id", DataType::Utf8, false),
        Field::new("name", DataType::Utf8, true),
        Field::new("timezone", DataType::Utf8, false),
        Field::new("currency", DataType::Utf8, true),
        Field::new("sms_click_window_hours", DataType::Int32, true),
        Field::new("sms_receipt_window_hours", DataType::Int32, true),
    ]))
}

fn profiles_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("profile_id", DataType::Utf8, false),
        Field::new("account_id", DataType::Utf8, false),
        Field::new("first_name", DataType::Utf8, true),
        Field::new("last_name", DataType::Utf8, true),
        Field::new("email", DataType::Utf8, true),
        Field::new("phone_number", DataType::Utf8, true),
        Field::new("updated_at", utc_micros(), true),
    ]))
}

fn messages_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("account_id", DataType::Utf8, false),
        Field::new("conversation_id", DataType::Utf8, false),
        Field::new("message_id", DataType::Utf8, false),
        Field::new("channel", DataType::Utf8, false),
        Field::new("sent_at", utc_micros(), false),
        Field::new("sender", DataType::Utf8, false),
        Field::new("kind", DataType::Utf8, false),
        Field::new("body", DataType::Utf8, true),
        Field::new("profile_id", DataType::Utf8, true),
        Field::new("skill", DataType::Utf8, true),
        Field::new("product_ids", utf8_list(), true),
        Field::new("tags", utf8_list(), true),
        Field::new("escalation_reason", DataType::Utf8, true),
    ]))
}

fn events_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("event_id", DataType::Utf8, false),
        Field::new("account_id", DataType::Utf8, false),
        Field::new("profile_id", DataType::Utf8, true),
        Field::new("metric", DataType::Utf8, false),
        Field::new("occurred_at", utc_micros(), false),
        Field::new("conversation_id", DataType::Utf8, true),
        Field::new("product_id", DataType::Utf8, true),
        Field::new("order_id", DataType::Utf8, true),
        Field::new("value", DataType::Decimal128(18, 2), true),
    ]))
}

fn arrow_error(table: &str, e: arrow::error::ArrowError) -> GenerateError {
    GenerateError::with_source(format!("cannot build the {table} batch"), e)
}

fn accounts_batch(accounts: &[Account]) -> Result<RecordBatch, GenerateError> {
    let mut id = StringBuilder::new();
    let mut name = StringBuilder::new();
    let mut zone = StringBuilder::new();
    let mut currency = StringBuilder::new();
    let mut click = Vec::new();
    let mut receipt = Vec::new();
    for acc in accounts {
        id.append_value(&acc.id);
        name.append_value(&acc.name);
        zone.append_value(acc.brand.zone);
        currency.append_value(acc.brand.currency);
        click.push(acc.click_window);
        receipt.push(acc.receipt_window);
    }
    let columns: Vec<ArrayRef> = vec![
        Arc::new(id.finish()),
        Arc::new(name.finish()),
        Arc::new(zone.finish()),
        Arc::new(currency.finish()),
        Arc::new(Int32Array::from(click)),
        Arc::new(Int32Array::from(receipt)),
    ];
    RecordBatch::try_new(accounts_schema(), columns).map_err(|e| arrow_error("accounts", e))
}

fn profiles_batch(accounts: &[Account]) -> Result<(RecordBatch, usize), GenerateError> {
    let mut profile_id = StringBuilder::new();
    let mut account_id = StringBuilder::new();
    let mut first = StringBuilder::new();
    let mut last = StringBuilder::new();
    let mut email = StringBuilder::new();
    let mut phone = StringBuilder::new();
    let mut updated = Vec::new();
    for acc in accounts.iter().filter(|a| a.owned) {
        for (i, p) in acc.profiles.iter().enumerate() {
            let pid = acc.profile_id(i as u32);
            if let Some(old) = &p.older {
                profile_id.append_value(&pid);
                account_id.append_value(&acc.id);
                first.append_option(old.first);
                last.append_option(old.last);
                email.append_option(p.email.as_deref());
                phone.append_option(p.phone.as_deref());
                updated.push(old.updated_at);
            }
            profile_id.append_value(&pid);
            account_id.append_value(&acc.id);
            first.append_option(p.first);
            last.append_option(p.last);
            email.append_option(p.email.as_deref());
            phone.append_option(p.phone.as_deref());
            updated.push(Some(p.updated_at));
        }
    }
    let rows = updated.len();
    let columns: Vec<ArrayRef> = vec![
        Arc::new(profile_id.finish()),
        Arc::new(account_id.finish()),
        Arc::new(first.finish()),
        Arc::new(last.finish()),
        Arc::new(email.finish()),
        Arc::new(phone.finish()),
        Arc::new(TimestampMicrosecondArray::from(updated).with_timezone("UTC")),
    ];
    let batch =
        RecordBatch::try_new(profiles_schema(), columns).map_err(|e| arrow_error("profiles", e))?;
    Ok((batch, rows))
}

fn utf8_list_builder() -> ListBuilder<StringBuilder> {
    ListBuilder::new(StringBuilder::new())
        .with_field(Arc::new(Field::new_list_field(DataType::Utf8, true)))
}

fn messages_batch(rows: &[MsgRow], accounts: &[Account]) -> Result<RecordBatch, GenerateError> {
    let n = rows.len();
    let mut account_id = StringBuilder::with_capacity(n, n * 7);
    let mut conversation_id = StringBuilder::with_capacity(n, n * 20);
    let mut message_id = StringBuilder::with_capacity(n, n * 24);
    let mut channel = StringBuilder::with_capacity(n, n * 8);
    let mut sent_at = Vec::with_capacity(n);
    let mut sender = StringBuilder::with_capacity(n, n * 7);
    let mut kind = StringBuilder::with_capacity(n, n * 8);
    let mut body = StringBuilder::with_capacity(n, n * 64);
    let mut profile_id = StringBuilder::with_capacity(n, n * 18);
    let mut skill = StringBuilder::with_capacity(n, n * 8);
    let mut product_ids = utf8_list_builder();
    let mut tags = utf8_list_builder();
    let mut escalation = StringBuilder::new();
    for r in rows {
        let acc = &accounts[r.acc as usize];
        account_id.append_value(&acc.id);
        let _ = write!(conversation_id, "conv_{}_{:06}", acc.id, r.conv + 1);
        conversation_id.append_value("");
        let _ = write!(
            message_id,
            "msg_{}_{:06}_{:03}",
            acc.id,
            r.conv + 1,
            r.seq + 1
        );
        message_id.append_value("");
        channel.append_value(r.channel);
        sent_at.push(r.sent_at);
        sender.append_value(r.sender);
        kind.append_value(r.kind);
        body.append_option(r.body.as_deref());
        match r.profile {
            Some(p) => {
                let _ = write!(profile_id, "prof_{}_{:05}", acc.id, p + 1);
                profile_id.append_value("");
            }
            None => profile_id.append_null(),
        }
        skill.append_option(r.skill);
        match &r.products {
            Some(skus) => {
                for sku in skus {
                    let _ = write!(product_ids.values(), "sku_{sku}");
                    product_ids.values().append_value("");
                }
                product_ids.append(true);
            }
            None => product_ids.append_null(),
        }
        match &r.tags {
            Some(list) => {
                for tag in list {
                    tags.values().append_value(tag);
                }
                tags.append(true);
            }
            None => tags.append_null(),
        }
        escalation.append_option(r.escalation);
    }
    let columns: Vec<ArrayRef> = vec![
        Arc::new(account_id.finish()),
        Arc::new(conversation_id.finish()),
        Arc::new(message_id.finish()),
        Arc::new(channel.finish()),
        Arc::new(TimestampMicrosecondArray::from(sent_at).with_timezone("UTC")),
        Arc::new(sender.finish()),
        Arc::new(kind.finish()),
        Arc::new(body.finish()),
        Arc::new(profile_id.finish()),
        Arc::new(skill.finish()),
        Arc::new(product_ids.finish()),
        Arc::new(tags.finish()),
        Arc::new(escalation.finish()),
    ];
    RecordBatch::try_new(messages_schema(), columns).map_err(|e| arrow_error("messages", e))
}

fn events_batch(rows: &[EventRow], accounts: &[Account]) -> Result<RecordBatch, GenerateError> {
    let n = rows.len();
    let mut event_id = StringBuilder::with_capacity(n, n * 10);
    let mut account_id = StringBuilder::with_capacity(n, n * 7);
    let mut profile_id = StringBuilder::with_capacity(n, n * 18);
    let mut metric = StringBuilder::with_capacity(n, n * 14);
    let mut occurred_at = Vec::with_capacity(n);
    let mut conversation_id = StringBuilder::new();
    let mut product_id = StringBuilder::new();
    let mut order_id = StringBuilder::new();
    let mut value = Vec::with_capacity(n);
    for r in rows {
        let acc = &accounts[r.acc as usize];
        let _ = write!(event_id, "evt_{:06}", r.id);
        event_id.append_value("");
        account_id.append_value(&acc.id);
        match r.profile {
            Some(p) => {
                let _ = write!(profile_id, "prof_{}_{:05}", acc.id, p + 1);
                profile_id.append_value("");
            }
            None => profile_id.append_null(),
        }
        metric.append_value(r.metric);
        occurred_at.push(r.at);
        match r.conv {
            Some(c) => {
                let _ = write!(conversation_id, "conv_{}_{:06}", acc.id, c + 1);
                conversation_id.append_value("");
            }
            None => conversation_id.append_null(),
        }
        match r.product {
            Some(sku) => {
                let _ = write!(product_id, "sku_{sku}");
                product_id.append_value("");
            }
            None => product_id.append_null(),
        }
        match r.order {
            Some(o) => {
                let _ = write!(order_id, "ord_{o}");
                order_id.append_value("");
            }
            None => order_id.append_null(),
        }
        value.push(r.value);
    }
    let value = Decimal128Array::from(value)
        .with_precision_and_scale(18, 2)
        .map_err(|e| arrow_error("events", e))?;
    let columns: Vec<ArrayRef> = vec![
        Arc::new(event_id.finish()),
        Arc::new(account_id.finish()),
        Arc::new(profile_id.finish()),
        Arc::new(metric.finish()),
        Arc::new(TimestampMicrosecondArray::from(occurred_at).with_timezone("UTC")),
        Arc::new(conversation_id.finish()),
        Arc::new(product_id.finish()),
        Arc::new(order_id.finish()),
        Arc::new(value),
    ];
    RecordBatch::try_new(events_schema(), columns).map_err(|e| arrow_error("events", e))
}

// ---------------------------------------------------------------------------
// Parquet output
// ---------------------------------------------------------------------------

const MAX_ROW_GROUP_ROWS: usize = 65_536;

struct Output {
    root: PathBuf,
    props: WriterProperties,
    summary: GenerateSummary,
    /// The writer (file name `part-NNNNN`) when there are several; `None` for the sample.
    writer: Option<usize>,
}

impl Output {
    fn new(root: &Path, writer: Option<usize>) -> Self {
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

    fn write(&mut self, path: &Path, batch: RecordBatch) -> Result<(), GenerateError> {
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
                let mut picks: Vec<usize> = (0..1 + rng.below(3))
                    .map(|_| rng.below(rows.len()))
                    .collect();
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

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{
        Array, Decimal128Array, Int32Array, ListArray, StringArray, TimestampMicrosecondArray,
    };
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    use std::collections::{BTreeMap, BTreeSet};
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A fresh directory under the system temp dir, removed on drop.
    struct TempDir(PathBuf);

    impl TempDir {
        fn new(name: &str) -> Self {
            static COUNTER: AtomicUsize = AtomicUsize::new(0);
            let n = COUNTER.fetch_add(1, Ordering::SeqCst);
            let dir = std::env::temp_dir().join(format!(
                "conversql-generate-{}-{}-{}",
                std::process::id(),
                name,
                n
            ));
            let _ = fs::remove_dir_all(&dir);
            fs::create_dir_all(&dir).unwrap();
            TempDir(dir)
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    fn options(out: &Path) -> GenerateOptions {
        GenerateOptions {
            out: out.to_path_buf(),
            ..GenerateOptions::default()
        }
    }

    fn files(dir: &Path) -> Vec<PathBuf> {
        let mut out = Vec::new();
        let mut entries: Vec<PathBuf> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                out.extend(files(&path));
            } else {
                out.push(path);
            }
        }
        out
    }

    fn read(path: &Path) -> (SchemaRef, Vec<RecordBatch>) {
        let builder = ParquetRecordBatchReaderBuilder::try_new(File::open(path).unwrap()).unwrap();
        let schema = builder.schema().clone();
        let batches = builder.build().unwrap().map(|b| b.unwrap()).collect();
        (schema, batches)
    }

    fn strings(batch: &RecordBatch, name: &str) -> Vec<Option<String>> {
        let a = batch
            .column_by_name(name)
            .unwrap()
            .as_any()
            .downcast_ref::<StringArray>()
            .unwrap();
        (0..a.len())
            .map(|i| a.is_valid(i).then(|| a.value(i).to_string()))
            .collect()
    }

    fn times(batch: &RecordBatch, name: &str) -> Vec<Option<i64>> {
        let a = batch
            .column_by_name(name)
            .unwrap()
            .as_any()
            .downcast_ref::<TimestampMicrosecondArray>()
            .unwrap();
        (0..a.len())
            .map(|i| a.is_valid(i).then(|| a.value(i)))
            .collect()
    }

    fn lists(batch: &RecordBatch, name: &str) -> Vec<Option<Vec<String>>> {
        let a = batch
            .column_by_name(name)
            .unwrap()
            .as_any()
            .downcast_ref::<ListArray>()
            .unwrap();
        (0..a.len())
            .map(|i| {
                a.is_valid(i).then(|| {
                    let v = a.value(i);
                    let s = v.as_any().downcast_ref::<StringArray>().unwrap();
                    (0..s.len()).map(|j| s.value(j).to_string()).collect()
                })
            })
            .collect()
    }

    fn fields(schema: &Schema) -> Vec<(String, DataType, bool)> {
        schema
            .fields()
            .iter()
            .map(|f| (f.name().clone(), f.data_type().clone(), f.is_nullable()))
            .collect()
    }

    #[derive(Debug, Clone)]
    struct Msg {
        file: PathBuf,
        account: String,
        conversation: String,
        id: String,
        channel: String,
        sent_at: i64,
        sender: String,
        kind: String,
        profile: Option<String>,
        skill: Option<String>,
        products: Option<Vec<String>>,
        tags: Option<Vec<String>>,
        escalation: Option<String>,
    }

    #[derive(Debug, Clone)]
    struct Event {
        id: String,
        account: String,
        profile: Option<String>,
        metric: String,
        at: i64,
        conversation: Option<String>,
        order: Option<String>,
        value: Option<i128>,
    }

    /// profile_id, last_name, updated_at
    type ProfileRow = (String, Option<String>, Option<i64>);

    struct Dataset {
        accounts: Vec<(String, String, Option<i32>, Option<i32>)>,
        profiles: Vec<ProfileRow>,
        messages: Vec<Msg>,
        events: Vec<Event>,
    }

    /// Reads everything back, checking schemas, partitions and ordering on the way.
    fn load(root: &Path) -> Dataset {
        let mut top: Vec<String> = fs::read_dir(root)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        top.sort();
        assert_eq!(top, ["accounts", "events", "messages", "profiles"]);

        let (schema, batches) = read(&root.join("accounts").join("accounts.parquet"));
        assert_eq!(fields(&schema), fields(&accounts_schema()));
        let mut accounts = Vec::new();
        for b in &batches {
            let ids = strings(b, "account_id");
            let zones = strings(b, "timezone");
            let click = b
                .column_by_name("sms_click_window_hours")
                .unwrap()
                .as_any()
                .downcast_ref::<Int32Array>()
                .unwrap();
            let receipt = b
                .column_by_name("sms_receipt_window_hours")
                .unwrap()
                .as_any()
                .downcast_ref::<Int32Array>()
                .unwrap();
            for i in 0..b.num_rows() {
                accounts.push((
                    ids[i].clone().unwrap(),
                    zones[i].clone().unwrap(),
                    click.is_valid(i).then(|| click.value(i)),
                    receipt.is_valid(i).then(|| receipt.value(i)),
                ));
            }
        }
        assert_eq!(fs::read_dir(root.join("accounts")).unwrap().count(), 1);

        let (schema, batches) = read(&root.join("profiles").join("profiles.parquet"));
        assert_eq!(fields(&schema), fields(&profiles_schema()));
        let mut profiles = Vec::new();
        for b in &batches {
            let ids = strings(b, "profile_id");
            let last = strings(b, "last_name");
            let updated = times(b, "updated_at");
            for i in 0..b.num_rows() {
                profiles.push((ids[i].clone().unwrap(), last[i].clone(), updated[i]));
            }
        }

        let check_partition = |table: &str, path: &Path| -> NaiveDate {
            let rel = path.strip_prefix(root.join(table)).unwrap();
            let parts: Vec<String> = rel
                .iter()
                .map(|p| p.to_string_lossy().into_owned())
                .collect();
            assert_eq!(parts.len(), 2, "{}", path.display());
            assert!(
                parts[1].starts_with("part-") && parts[1].ends_with(".parquet"),
                "{}",
                path.display()
            );
            let date = parts[0].strip_prefix("date=").expect("date= partition");
            NaiveDate::parse_from_str(date, "%Y-%m-%d").unwrap()
        };

        let mut messages = Vec::new();
        for path in files(&root.join("messages")) {
            let day = check_partition("messages", &path);
            let (schema, batches) = read(&path);
            assert_eq!(fields(&schema), fields(&messages_schema()));
            let mut previous = i64::MIN;
            for b in &batches {
                let (acc, conv, id, channel) = (
                    strings(b, "account_id"),
                    strings(b, "conversation_id"),
                    strings(b, "message_id"),
                    strings(b, "channel"),
                );
                let (sent, sender, kind) = (
                    times(b, "sent_at"),
                    strings(b, "sender"),
                    strings(b, "kind"),
                );
                let (profile, skill, escalation) = (
                    strings(b, "profile_id"),
                    strings(b, "skill"),
                    strings(b, "escalation_reason"),
                );
                let (products, tags) = (lists(b, "product_ids"), lists(b, "tags"));
                for i in 0..b.num_rows() {
                    let sent_at = sent[i].unwrap();
                    assert!(
                        sent_at >= previous,
                        "rows sorted by sent_at in {}",
                        path.display()
                    );
                    previous = sent_at;
                    assert_eq!(
                        DateTime::<Utc>::from_timestamp_micros(sent_at)
                            .unwrap()
                            .date_naive(),
                        day
                    );
                    messages.push(Msg {
                        file: path.clone(),
                        account: acc[i].clone().unwrap(),
                        conversation: conv[i].clone().unwrap(),
                        id: id[i].clone().unwrap(),
                        channel: channel[i].clone().unwrap(),
                        sent_at,
                        sender: sender[i].clone().unwrap(),
                        kind: kind[i].clone().unwrap(),
                        profile: profile[i].clone(),
                        skill: skill[i].clone(),
                        products: products[i].clone(),
                        tags: tags[i].clone(),
                        escalation: escalation[i].clone(),
                    });
                }
            }
        }

        let mut events = Vec::new();
        for path in files(&root.join("events")) {
            let day = check_partition("events", &path);
            let (schema, batches) = read(&path);
            assert_eq!(fields(&schema), fields(&events_schema()));
            let mut previous = i64::MIN;
            for b in &batches {
                let (id, acc, profile, metric) = (
                    strings(b, "event_id"),
                    strings(b, "account_id"),
                    strings(b, "profile_id"),
                    strings(b, "metric"),
                );
                let (at, conv, order) = (
                    times(b, "occurred_at"),
                    strings(b, "conversation_id"),
                    strings(b, "order_id"),
                );
                let value = b
                    .column_by_name("value")
                    .unwrap()
                    .as_any()
                    .downcast_ref::<Decimal128Array>()
                    .unwrap();
                assert_eq!((value.precision(), value.scale()), (18, 2));
                for i in 0..b.num_rows() {
                    let at = at[i].unwrap();
                    assert!(
                        at >= previous,
                        "rows sorted by occurred_at in {}",
                        path.display()
                    );
                    previous = at;
                    assert_eq!(
                        DateTime::<Utc>::from_timestamp_micros(at)
                            .unwrap()
                            .date_naive(),
                        day
                    );
                    events.push(Event {
                        id: id[i].clone().unwrap(),
                        account: acc[i].clone().unwrap(),
                        profile: profile[i].clone(),
                        metric: metric[i].clone().unwrap(),
                        at,
                        conversation: conv[i].clone(),
                        order: order[i].clone(),
                        value: value.is_valid(i).then(|| value.value(i)),
                    });
                }
            }
        }
        Dataset {
            accounts,
            profiles,
            messages,
            events,
        }
    }

    #[test]
    fn same_options_give_identical_files() {
        let (a, b, c) = (
            TempDir::new("det-a"),
            TempDir::new("det-b"),
            TempDir::new("det-c"),
        );
        let opts = GenerateOptions {
            conversations: 600,
            days: 12,
            ..options(&a.0)
        };
        let first = generate(&opts).unwrap();
        let second = generate(&GenerateOptions {
            out: b.0.clone(),
            ..opts.clone()
        })
        .unwrap();
        let (fa, fb) = (files(&a.0), files(&b.0));
        assert_eq!(fa.len(), first.files);
        let rel = |root: &Path, f: &Vec<PathBuf>| {
            f.iter()
                .map(|p| p.strip_prefix(root).unwrap().to_path_buf())
                .collect::<Vec<_>>()
        };
        assert_eq!(rel(&a.0, &fa), rel(&b.0, &fb));
        for (x, y) in fa.iter().zip(&fb) {
            assert!(
                fs::read(x).unwrap() == fs::read(y).unwrap(),
                "{} differs",
                x.display()
            );
        }
        assert_eq!(
            (first.messages, first.events, first.profiles, first.bytes),
            (
                second.messages,
                second.events,
                second.profiles,
                second.bytes
            )
        );

        // Another seed gives other data.
        generate(&GenerateOptions {
            out: c.0.clone(),
            seed: 7,
            ..opts
        })
        .unwrap();
        let bytes = |root: &Path| {
            files(&root.join("messages"))
                .iter()
                .map(|p| fs::read(p).unwrap())
                .collect::<Vec<_>>()
        };
        assert_ne!(bytes(&a.0), bytes(&c.0));
    }

    #[test]
    fn layout_schemas_and_bounds() {
        let dir = TempDir::new("layout");
        let opts = options(&dir.0);
        let summary = generate(&opts).unwrap();
        let data = load(&dir.0);

        assert_eq!(summary.accounts, 3);
        assert_eq!(data.accounts.len(), 3);
        assert_eq!(summary.conversations, 2000);
        assert_eq!(summary.profiles, data.profiles.len());
        assert_eq!(summary.messages, data.messages.len());
        assert_eq!(summary.events, data.events.len());
        let all = files(&dir.0);
        assert_eq!(summary.files, all.len());
        assert_eq!(
            summary.bytes,
            all.iter()
                .map(|p| fs::metadata(p).unwrap().len())
                .sum::<u64>()
        );
        assert!(
            summary.bytes < 5 * 1024 * 1024,
            "default dataset is {} bytes",
            summary.bytes
        );

        let conversations: BTreeSet<&str> = data
            .messages
            .iter()
            .map(|m| m.conversation.as_str())
            .collect();
        assert_eq!(conversations.len(), 2000);

        // Nothing before the first day or after end_date 23:59:59 in the account's zone.
        let first_day = opts.end_date - chrono::Days::new(opts.days as u64 - 1);
        for (id, zone, _, _) in &data.accounts {
            let tz: Tz = zone.parse().unwrap();
            let limit = local_midnight(&tz, opts.end_date.succ_opt().unwrap());
            let start = local_midnight(&tz, first_day);
            for m in data.messages.iter().filter(|m| &m.account == id) {
                assert!(
                    m.sent_at < limit && m.sent_at >= start,
                    "{} at {}",
                    m.id,
                    m.sent_at
                );
            }
            for e in data.events.iter().filter(|e| &e.account == id) {
                assert!(e.at < limit, "{} at {}", e.id, e.at);
            }
            for (p, _, updated) in data.profiles.iter().filter(|p| p.0.contains(id.as_str())) {
                assert!(updated.is_none_or(|u| u < limit), "{p}");
            }
        }

        // Id formats.
        assert!(
            data.accounts
                .iter()
                .all(|a| a.0.len() == 7 && a.0.starts_with("acc_"))
        );
        assert!(
            data.messages
                .iter()
                .all(|m| m.conversation.starts_with(&format!("conv_{}_", m.account)))
        );
        assert!(
            data.messages
                .iter()
                .all(|m| m.id.starts_with(&format!("msg_{}_", m.account)))
        );
        assert!(
            data.profiles
                .iter()
                .all(|p| p.0.starts_with("prof_acc_") && p.0.len() == "prof_acc_001_00042".len())
        );
        assert!(
            data.events
                .iter()
                .all(|e| e.id.starts_with("evt_") && e.id.len() == "evt_000001".len())
        );
        assert!(
            data.events
                .iter()
                .filter_map(|e| e.order.as_ref())
                .all(|o| o.starts_with("ord_1"))
        );
    }

    #[test]
    fn covers_every_value_and_edge_case() {
        let dir = TempDir::new("cover");
        generate(&options(&dir.0)).unwrap();
        let data = load(&dir.0);
        let set = |it: &mut dyn Iterator<Item = String>| it.collect::<BTreeSet<String>>();
        let expect = |got: BTreeSet<String>, want: &[&str]| {
            for w in want {
                assert!(got.contains(*w), "{w} missing from {got:?}");
            }
        };
        let msgs = &data.messages;
        expect(
            set(&mut msgs.iter().map(|m| m.kind.clone())),
            &[
                "text",
                "product_card",
                "handoff_ticket",
                "handoff_message",
                "close",
            ],
        );
        expect(
            set(&mut msgs.iter().map(|m| m.sender.clone())),
            &["visitor", "agent"],
        );
        expect(
            set(&mut msgs.iter().map(|m| m.channel.clone())),
            &["web_chat", "sms", "whatsapp"],
        );
        expect(
            set(&mut msgs.iter().filter_map(|m| m.skill.clone())),
            &["order_tracking", "product_recommendation", "faq", "returns"],
        );
        expect(
            set(&mut msgs.iter().filter_map(|m| m.escalation.clone())),
            &["knowledge_gap", "customer_request", "policy"],
        );
        expect(
            set(&mut msgs.iter().flat_map(|m| m.tags.clone().unwrap_or_default())),
            &["shipping", "sizing", "returns", "discount", "wholesale"],
        );
        expect(
            set(&mut data.events.iter().map(|e| e.metric.clone())),
            &[
                "Clicked Product Card",
                "Clicked SMS",
                "Placed Order",
                "Viewed Product",
                "Added to Cart",
            ],
        );

        for m in msgs {
            match m.kind.as_str() {
                "product_card" => {
                    assert_eq!(
                        (m.sender.as_str(), m.skill.as_deref()),
                        ("agent", Some("product_recommendation"))
                    );
                    let p = m.products.as_ref().unwrap();
                    assert!((1..=3).contains(&p.len()) && p.iter().all(|s| s.starts_with("sku_")));
                }
                "handoff_ticket" => assert!(m.sender == "agent" && m.escalation.is_some()),
                "close" => assert_eq!(m.sender, "visitor"),
                _ => assert!(m.products.is_none() && m.escalation.is_none()),
            }
        }
        // Only one conversation uses the unknown channel.
        let unknown: BTreeSet<&str> = msgs
            .iter()
            .filter(|m| m.channel == "whatsapp")
            .map(|m| m.conversation.as_str())
            .collect();
        assert_eq!(unknown.len(), 1);

        // At-least-once delivery: a few identical rows again in another file of the same day.
        let mut by_id: BTreeMap<&str, Vec<&Msg>> = BTreeMap::new();
        for m in msgs {
            by_id.entry(m.id.as_str()).or_default().push(m);
        }
        let repeated: Vec<&Vec<&Msg>> = by_id.values().filter(|v| v.len() > 1).collect();
        assert!(!repeated.is_empty() && repeated.len() < 100);
        for v in &repeated {
            assert_eq!(v.len(), 2);
            assert_ne!(v[0].file, v[1].file);
            assert_eq!(v[0].file.parent(), v[1].file.parent());
            assert_eq!(
                (v[0].sent_at, &v[0].kind, &v[0].profile),
                (v[1].sent_at, &v[1].kind, &v[1].profile)
            );
        }

        // Conversation shapes.
        let mut convs: BTreeMap<&str, Vec<&Msg>> = BTreeMap::new();
        for v in by_id.values() {
            convs
                .entry(v[0].conversation.as_str())
                .or_default()
                .push(v[0]);
        }
        for c in convs.values_mut() {
            c.sort_by_key(|m| (m.sent_at, m.id.clone()));
        }
        let count = |f: &dyn Fn(&Vec<&Msg>) -> bool| convs.values().filter(|c| f(c)).count();
        assert!(
            count(&|c| c[0].sender == "agent" && c[0].channel == "web_chat") > 10,
            "agent greetings"
        );
        assert!(
            count(&|c| c.last().unwrap().sender == "agent") > 100,
            "agent spoke last"
        );
        assert!(
            count(&|c| c.last().unwrap().sender == "visitor") > 100,
            "visitor spoke last"
        );
        assert!(
            count(&|c| c.iter().all(|m| m.profile.is_none())) > 100,
            "anonymous"
        );
        assert!(
            count(&|c| c[0].profile.is_none() && c.iter().any(|m| m.profile.is_some())) > 50,
            "identified midway"
        );
        assert!(
            count(&|c| c
                .iter()
                .position(|m| m.kind == "close")
                .is_some_and(|i| i + 1 < c.len()))
                > 5,
            "continues after close"
        );
        assert!(
            count(&|c| c
                .windows(2)
                .any(|w| w[1].sent_at - w[0].sent_at > 12 * HOUR))
                > 5,
            "gaps of about a day"
        );
        let n = convs.len() as f64;
        let share = |kind: &str| count(&|c| c.iter().any(|m| m.kind == kind)) as f64 / n;
        assert!(
            (0.05..0.12).contains(&share("handoff_ticket")),
            "handoff_ticket {}",
            share("handoff_ticket")
        );
        assert!(
            (0.03..0.08).contains(&share("handoff_message")),
            "handoff_message {}",
            share("handoff_message")
        );
        assert!(
            (0.06..0.14).contains(&share("close")),
            "close {}",
            share("close")
        );
        let web = count(&|c| c[0].channel == "web_chat") as f64 / n;
        assert!((0.62..0.78).contains(&web), "web_chat share {web}");
        let as_of = NaiveDate::from_ymd_opt(2026, 6, 7)
            .unwrap()
            .and_hms_opt(12, 0, 0)
            .unwrap()
            .and_utc()
            .timestamp_micros();
        assert!(
            count(&|c| c[0].sent_at <= as_of
                && c.iter()
                    .filter(|m| m.sent_at <= as_of)
                    .all(|m| as_of - m.sent_at < 48 * HOUR))
                > 20,
            "open at as_of"
        );

        // Events.
        let mut ids: BTreeMap<&str, usize> = BTreeMap::new();
        for e in &data.events {
            *ids.entry(e.id.as_str()).or_default() += 1;
        }
        assert!(ids.values().any(|&c| c == 2), "repeated event ids");
        let orders: Vec<&Event> = data
            .events
            .iter()
            .filter(|e| e.metric == "Placed Order")
            .collect();
        assert!(orders.iter().all(|e| e.order.is_some() && e.value.is_some_and(|v| (1500..=40_000).contains(&v))));
        assert!(
            orders.iter().any(|e| e.profile.is_none()),
            "orders without a profile"
        );
        let mut order_events: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
        for e in &orders {
            order_events
                .entry(e.order.as_deref().unwrap())
                .or_default()
                .insert(e.id.as_str());
        }
        assert!(
            order_events.values().any(|ids| ids.len() == 2),
            "repeated order ids"
        );
        let chatted: BTreeSet<&str> = msgs.iter().filter_map(|m| m.profile.as_deref()).collect();
        assert!(
            orders
                .iter()
                .any(|e| e.profile.as_deref().is_some_and(|p| !chatted.contains(p))),
            "orders from profiles that never chatted"
        );
        let clicks: Vec<&Event> = data
            .events
            .iter()
            .filter(|e| e.metric.starts_with("Clicked"))
            .collect();
        assert!(
            clicks
                .iter()
                .all(|e| e.profile.is_some() && e.conversation.is_some())
        );
        assert!(
            clicks
                .iter()
                .any(|e| !convs.contains_key(e.conversation.as_deref().unwrap())),
            "unknown conversation ids"
        );
        for e in clicks.iter().filter(|e| e.metric == "Clicked SMS") {
            if let Some(c) = convs.get(e.conversation.as_deref().unwrap()) {
                assert_eq!(c[0].channel, "sms");
            }
        }
        for e in clicks.iter().filter(|e| e.metric == "Clicked Product Card") {
            if let Some(c) = convs.get(e.conversation.as_deref().unwrap()) {
                let card = c
                    .iter()
                    .find(|m| m.kind == "product_card")
                    .expect("clicked conversation showed a card");
                assert!(e.at > card.sent_at);
            }
        }

        // Accounts and profiles.
        let windows: Vec<(Option<i32>, Option<i32>)> =
            data.accounts.iter().map(|a| (a.2, a.3)).collect();
        assert_eq!(
            windows,
            [(None, None), (Some(72), Some(6)), (None, Some(0))]
        );
        let zones: Vec<&str> = data.accounts.iter().map(|a| a.1.as_str()).collect();
        assert_eq!(
            zones,
            ["America/New_York", "Australia/Sydney", "Europe/London"]
        );
        let mut rows: BTreeMap<&str, Vec<&ProfileRow>> = BTreeMap::new();
        for p in &data.profiles {
            rows.entry(p.0.as_str()).or_default().push(p);
        }
        assert!(
            rows.values()
                .any(|r| r.len() == 2 && r[0].2.is_none() && r[1].2.is_some()),
            "older row with NULL updated_at"
        );
        assert!(
            rows.values().any(|r| r.len() == 2
                && r[0].2.is_some_and(|a| r[1].2.is_some_and(|b| a < b))
                && r[0].1 != r[1].1),
            "name changed"
        );
    }

    #[test]
    fn refuses_a_non_empty_output_directory() {
        let dir = TempDir::new("refuse");
        fs::create_dir_all(dir.0.join("messages").join("date=2026-06-01")).unwrap();
        fs::write(
            dir.0
                .join("messages")
                .join("date=2026-06-01")
                .join("part-00000.parquet"),
            b"keep me",
        )
        .unwrap();
        let opts = GenerateOptions {
            conversations: 50,
            days: 3,
            ..options(&dir.0)
        };
        let err = generate(&opts).unwrap_err();
        assert!(err.to_string().contains("messages"), "{err}");
        assert!(!dir.0.join("accounts").exists(), "nothing was written");
        assert_eq!(
            fs::read(
                dir.0
                    .join("messages")
                    .join("date=2026-06-01")
                    .join("part-00000.parquet")
            )
            .unwrap(),
            b"keep me"
        );

        // Empty table directories are fine.
        let empty = TempDir::new("empty");
        for table in TABLES {
            fs::create_dir_all(empty.0.join(table)).unwrap();
        }
        generate(&GenerateOptions {
            out: empty.0.clone(),
            ..opts.clone()
        })
        .unwrap();
        // ... but a second run into the same directory is refused.
        let err = generate(&GenerateOptions {
            out: empty.0.clone(),
            ..opts
        })
        .unwrap_err();
        assert!(err.to_string().contains("accounts"), "{err}");
    }

    #[test]
    fn rejects_bad_settings() {
        let dir = TempDir::new("bad");
        let err = generate(&GenerateOptions {
            accounts: 0,
            ..options(&dir.0)
        })
        .unwrap_err();
        assert!(err.to_string().contains("accounts"), "{err}");
        let err = generate(&GenerateOptions {
            days: 0,
            ..options(&dir.0)
        })
        .unwrap_err();
        assert!(err.to_string().contains("days"), "{err}");
        assert!(fs::read_dir(&dir.0).unwrap().next().is_none());
    }

    #[test]
    fn small_and_daylight_saving_runs() {
        // Spans the April DST changes in Sydney and across many zones; tiny sizes must work too.
        for (conversations, accounts, days, end) in [
            (0, 1, 1, (2026, 6, 7)),
            (5, 7, 2, (2026, 6, 7)),
            (400, 6, 20, (2026, 4, 10)),
        ] {
            let dir = TempDir::new("small");
            let opts = GenerateOptions {
                conversations,
                accounts,
                days,
                end_date: NaiveDate::from_ymd_opt(end.0, end.1, end.2).unwrap(),
                ..options(&dir.0)
            };
            let summary = generate(&opts).unwrap();
            let data = load(&dir.0);
            assert_eq!(summary.conversations, conversations);
            assert_eq!(data.accounts.len(), accounts);
            let convs: BTreeSet<&str> = data
                .messages
                .iter()
                .map(|m| m.conversation.as_str())
                .collect();
            assert_eq!(convs.len(), conversations);
            for (id, zone, _, _) in &data.accounts {
                let tz: Tz = zone.parse().unwrap();
                let limit = local_midnight(&tz, opts.end_date.succ_opt().unwrap());
                assert!(
                    data.messages
                        .iter()
                        .filter(|m| &m.account == id)
                        .all(|m| m.sent_at < limit)
                );
                assert!(
                    data.events
                        .iter()
                        .filter(|e| &e.account == id)
                        .all(|e| e.at < limit)
                );
            }
        }
    }

    #[test]
    fn scaled_options_reject_bad_factors() {
        for factor in [-1.0, 0.0, f64::NAN, f64::INFINITY, 100.0, 1e-9] {
            let err = GenerateOptions::scaled(PathBuf::from("x"), factor).unwrap_err();
            assert!(err.to_string().contains("scale"), "{factor}: {err}");
        }
        let sf1 = GenerateOptions::scaled(PathBuf::from("x"), 1.0).unwrap();
        assert_eq!(
            (
                sf1.conversations,
                sf1.accounts,
                sf1.days,
                sf1.writers,
                sf1.at_scale
            ),
            (1_000_000, 100, 90, 4, true)
        );
    }

    #[test]
    fn scaled_runs_write_several_files_a_day_deterministically() {
        let (a, b) = (TempDir::new("scale-a"), TempDir::new("scale-b"));
        let opts = GenerateOptions {
            days: 8,
            ..GenerateOptions::scaled(a.0.clone(), 0.003).unwrap()
        };
        let first = generate(&opts).unwrap();
        let second = generate(&GenerateOptions {
            out: b.0.clone(),
            ..opts.clone()
        })
        .unwrap();
        // Parallel writers, same bytes.
        let (fa, fb) = (files(&a.0), files(&b.0));
        assert_eq!(fa.len(), first.files);
        assert_eq!(fa.len(), fb.len());
        for (x, y) in fa.iter().zip(&fb) {
            assert_eq!(x.strip_prefix(&a.0).unwrap(), y.strip_prefix(&b.0).unwrap());
            assert!(
                fs::read(x).unwrap() == fs::read(y).unwrap(),
                "{} differs",
                x.display()
            );
        }
        assert_eq!(
            (first.messages, first.events),
            (second.messages, second.events)
        );

        // Layout: one profiles file per writer; one file per writer and day (plus redeliveries).
        let names = |dir: &Path| -> BTreeSet<String> {
            fs::read_dir(dir)
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        };
        let writers: BTreeSet<String> = (0..4).map(|w| format!("part-{w:05}.parquet")).collect();
        assert_eq!(names(&a.0.join("profiles")), writers);
        let mut days = 0;
        for table in ["messages", "events"] {
            for day in fs::read_dir(a.0.join(table)).unwrap() {
                let day = day.unwrap().path();
                let files = names(&day);
                let plain: BTreeSet<String> = files
                    .iter()
                    .filter(|f| !f.contains("redelivered"))
                    .cloned()
                    .collect();
                assert!(plain.is_subset(&writers), "{}: {files:?}", day.display());
                if table == "messages" && plain.len() == 4 {
                    days += 1;
                }
            }
        }
        assert!(days >= 8, "only {days} days with a file from every writer");

        // Counts: every conversation and account, about ten rows per conversation, the
        // UTC partition of every row, re-delivered rows, unique event ids across writers.
        let mut conversations = BTreeMap::<String, usize>::new();
        let mut accounts = BTreeSet::new();
        let (mut rows, mut ids) = (0usize, BTreeSet::new());
        for path in files(&a.0.join("messages")) {
            let dir = path
                .parent()
                .unwrap()
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned();
            let (_, batches) = read(&path);
            for batch in &batches {
                let times = times(batch, "sent_at");
                let accs = strings(batch, "account_id");
                let ids_ = strings(batch, "message_id");
                for (i, c) in strings(batch, "conversation_id").into_iter().enumerate() {
                    *conversations.entry(c.unwrap()).or_default() += 1;
                    accounts.insert(accs[i].clone().unwrap());
                    ids.insert(ids_[i].clone().unwrap());
                    let day = utc_day_to_date(times[i].unwrap().div_euclid(DAY));
                    assert_eq!(dir, format!("date={}", day.format("%Y-%m-%d")));
                    rows += 1;
                }
            }
        }
        assert_eq!(rows, first.messages);
        assert_eq!(conversations.len(), 3000);
        assert_eq!(accounts.len(), 100);
        assert!(ids.len() < rows, "some rows are delivered twice");
        let per_conversation = ids.len() as f64 / 3000.0;
        assert!(
            (8.0..12.0).contains(&per_conversation),
            "{per_conversation} rows per conversation"
        );
        // Uneven accounts: the first is much larger than the last.
        let count = |acc: &str| {
            conversations
                .keys()
                .filter(|c| c.starts_with(&format!("conv_{acc}_")))
                .count()
        };
        assert!(
            count("acc_001") > 10 * count("acc_100"),
            "{} vs {}",
            count("acc_001"),
            count("acc_100")
        );
        let mut events = Vec::new();
        for path in files(&a.0.join("events")) {
            for batch in read(&path).1 {
                events.extend(strings(&batch, "event_id").into_iter().map(Option::unwrap));
            }
        }
        assert_eq!(events.len(), first.events);
        let distinct: BTreeSet<&String> = events.iter().collect();
        assert!(distinct.len() < events.len() && distinct.len() > events.len() * 9 / 10);
    }
}
