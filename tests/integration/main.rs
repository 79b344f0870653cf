//! The integration tests, in one binary (one link of DataFusion instead of
//! one per file): the real `conversql serve` and CLI through real clients,
//! and the engine in-process where a test needs no server. The
//! sqllogictest suite is its own binary (`tests/slt.rs`, no libtest harness).
//!
//! `cargo test --test integration MODULE` runs one module's tests. Tests that
//! need a program or package from outside the repository skip, saying what
//! to install, when it is missing (`require!`, see `common/require.rs`);
//! `CONVERSQL_TEST_REQUIRE_ALL=1` makes that a failure. The soak is
//! `#[ignore]`d: `cargo test --test integration soak -- --ignored`.

#[macro_use]
mod common;

mod catalog;
mod clients;
mod cluster;
mod copy_out;
mod differential;
mod drivers;
mod facts;
mod pg_names;
mod pg_types;
mod reports;
mod security;
mod server;
mod soak;
mod views_from_sql;
