//! The steps of a refresh at which a test may kill the process.
//!
//! With `CONVERSQL_FACTS_CRASH_AT=<step>` in its environment, the process
//! sends itself SIGKILL the first time a refresh reaches that step — a real
//! kill, with no unwinding and no chance to tidy up — so the tests can show
//! that a process killed at any step leaves the last committed generation
//! readable and that the next refresh completes the work
//! (tests/integration/facts.rs). Without the variable a step costs one load
//! of a cached value.

use std::sync::OnceLock;

/// The variable naming the step to be killed at.
pub const VARIABLE: &str = "CONVERSQL_FACTS_CRASH_AT";

/// Every step, in the order a refresh reaches them.
pub const STEPS: [&str; 7] = [
    // Retired files past their grace deleted (at the start of every refresh).
    "retired-deleted",
    // One account's profiles file written.
    "profiles-written",
    // One segment of a week partition (its messages and facts files) written.
    "partition-written",
    // One account's events files written.
    "events-written",
    // One account's touches file written: the last data file before the commit.
    "touches-written",
    // The new generation's manifest created.
    "manifest-committed",
    // Files that no generation refers to swept away.
    "swept",
];

/// Kills the process if the environment names `step`.
pub fn reached(step: &str) {
    static WANTED: OnceLock<Option<String>> = OnceLock::new();
    let wanted = WANTED.get_or_init(|| {
        let wanted = std::env::var(VARIABLE).ok();
        if let Some(unknown) = wanted.as_deref().filter(|w| !STEPS.contains(w)) {
            tracing::error!(
                target: "conversql::facts",
                "{VARIABLE}={unknown} names no step (the steps: {})",
                STEPS.join(", ")
            );
        }
        wanted
    });
    if wanted.as_deref() == Some(step) {
        tracing::warn!(target: "conversql::facts", "{VARIABLE}={step}: killing the process");
        // SAFETY: kill(2) on this process's own id has no memory effects here;
        // SIGKILL cannot be caught, so nothing runs after it.
        unsafe {
            libc::kill(libc::getpid(), libc::SIGKILL);
        }
    }
}
