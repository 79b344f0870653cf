//! Fuzzes the reading of log files: the input is written as a Parquet file of
//! the conversation log (`messages/date=2026-06-01/fuzz.parquet`) in an
//! in-memory dataset beside a valid accounts file, and the contract's views
//! are queried over it: the footer check, the normalisation of column types
//! and timestamps, de-duplication, the conversation facts and `data_quality`.
//! Every query must answer or fail with an error; a panic fails the target.
//!
//! Seeds are real files of the sample (`corpus/log_files`), so mutations stay
//! close to valid Parquet.

#![no_main]

use std::sync::{Arc, OnceLock};

use conversql::dataset::Dataset;
use conversql::{Engine, EngineOptions};
use libfuzzer_sys::fuzz_target;
use object_store::memory::InMemory;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt};
use tokio::runtime::Runtime;

fn runtime() -> &'static Runtime {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap()
    })
}

fn accounts_file() -> &'static Vec<u8> {
    static FILE: OnceLock<Vec<u8>> = OnceLock::new();
    FILE.get_or_init(|| {
        let dir = format!("{}/../data/accounts", env!("CARGO_MANIFEST_DIR"));
        let entry = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.extension().is_some_and(|e| e == "parquet"))
            .expect("a sample accounts file");
        std::fs::read(entry).unwrap()
    })
}

/// One engine over one in-memory store, opened once; each input replaces the
/// fuzzed file (a new version: new size or modification time, so its footer
/// is checked again).
struct Harness {
    store: Arc<InMemory>,
    engine: Engine,
}

fn harness() -> &'static Harness {
    static HARNESS: OnceLock<Harness> = OnceLock::new();
    HARNESS.get_or_init(|| {
        runtime().block_on(async {
            let store = Arc::new(InMemory::new());
            store
                .put(
                    &Path::from("root/accounts/a.parquet"),
                    accounts_file().clone().into(),
                )
                .await
                .unwrap();
            for table in ["profiles", "events", "messages"] {
                store
                    .put(
                        &Path::from(format!("root/{table}/_SUCCESS")),
                        Vec::new().into(),
                    )
                    .await
                    .unwrap();
            }
            let shared: Arc<dyn ObjectStore> = store.clone();
            let dataset = Dataset::in_memory("memory://root", shared);
            let engine = Engine::open_dataset(
                dataset,
                EngineOptions {
                    as_of: Some(1_780_920_000_000_000),
                    ..Default::default()
                },
            )
            .await
            .expect("the dataset opens");
            Harness { store, engine }
        })
    })
}

fuzz_target!(|data: &[u8]| {
    let h = harness();
    runtime().block_on(async {
        h.store
            .put(
                &Path::from("root/messages/date=2026-06-01/fuzz.parquet"),
                data.to_vec().into(),
            )
            .await
            .unwrap();
        let mut session = h.engine.session();
        for sql in [
            "SELECT count(*), min(sent_at), max(sent_at) FROM raw.messages",
            "SELECT * FROM conversations",
            "SELECT * FROM customer_agent_events",
            "SELECT rule, detail FROM data_quality",
        ] {
            // Errors are expected for broken files; only a panic is a finding.
            match session.query(sql).await {
                Ok(df) => {
                    let _ = df.collect().await;
                }
                Err(e) => assert!(!e.to_string().is_empty()),
            }
        }
    });
});
