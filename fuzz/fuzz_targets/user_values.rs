//! Fuzzes the values users type: the instant `T` (`SET conversql.as_of`),
//! IANA time-zone names (`local_date`, `checked_time_zone`), and the arguments
//! of the table functions `overview` and `overview_daily` (account, dates,
//! grouping), each run through a real session over the bundled sample.
//!
//! The input is split at `|` into up to five values, each placed in a SQL
//! string literal (quotes doubled, so the fuzzer exercises the value parsers,
//! not the SQL parser). Every statement must answer or fail with an error;
//! a panic fails the target.

#![no_main]

use std::sync::OnceLock;

use conversql::{Engine, EngineOptions};
use libfuzzer_sys::fuzz_target;
use tokio::runtime::Runtime;

struct Harness {
    runtime: Runtime,
    engine: Engine,
}

fn harness() -> &'static Harness {
    static HARNESS: OnceLock<Harness> = OnceLock::new();
    HARNESS.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let data = format!("{}/../data", env!("CARGO_MANIFEST_DIR"));
        let engine = runtime
            .block_on(Engine::open(EngineOptions {
                data,
                as_of: Some(1_780_920_000_000_000),
                ..Default::default()
            }))
            .expect("the sample dataset opens");
        Harness { runtime, engine }
    })
}

fn literal(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut values: Vec<String> = text.splitn(5, '|').map(literal).collect();
    values.resize(5, literal(""));
    let h = harness();
    let statements = [
        format!("SET conversql.as_of = {}", values[0]),
        format!(
            "SELECT local_date(TIMESTAMP '2026-06-01T03:00:00Z', {}) AS d",
            values[0]
        ),
        format!("SELECT checked_time_zone({}) AS z", values[1]),
        format!(
            "SELECT * FROM overview({}, {}, {})",
            values[2], values[3], values[4]
        ),
        format!(
            "SELECT * FROM overview_daily('acc_001', {}, {}, {})",
            values[3], values[4], values[1]
        ),
        format!(
            "SELECT * FROM overview('acc_001', {}, '2026-06-07')",
            values[0]
        ),
    ];
    h.runtime.block_on(async {
        let mut session = h.engine.session();
        for sql in statements {
            // Errors are expected for most inputs; only a panic is a finding.
            if let Ok(df) = session.query(&sql).await {
                let _ = df.collect().await;
            }
        }
    });
});
