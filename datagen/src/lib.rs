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
//!
//! The modules, from the bottom up: `options` (the settings and their checks),
//! `rng` (the seeded generator), `time` (zones and days), `names` and `brands`
//! (the static catalogs), `accounts` and `profiles`, `conversation` (the
//! simulated chats and texts), `events` (shopper activity), `batches` (Arrow
//! batches on the schemas of `conversql-contract`) and `writer` (the Parquet
//! files, one share of the accounts per writer).

#![warn(missing_docs)]

mod accounts;
mod batches;
mod brands;
mod conversation;
mod events;
mod names;
mod options;
mod profiles;
mod rng;
mod time;
mod writer;

use std::fmt;

pub use options::{
    GenerateOptions, SCALE_ACCOUNTS, SCALE_CONVERSATIONS, SCALE_DAYS, SCALE_WRITERS,
};

use accounts::build_accounts;
use batches::accounts_batch;
use writer::{Output, prepare_output, write_share, write_shares};

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
    options::validate(opts)?;
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
    if single {
        write_share(opts, &accounts, &mut out)?;
    } else {
        out.summary.add(&write_shares(opts)?);
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
