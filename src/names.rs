//! The names and versions every layer shares: the database and its schemas
//! as clients see them, and the PostgreSQL version conversql advertises.
//!
//! A leaf module: it imports nothing of the crate, so the catalog, the
//! session, the engine and the server all take these names from here.

/// The database (catalog) name clients see.
pub const DATABASE: &str = "conversql";
/// The schema of the views.
pub const PUBLIC_SCHEMA: &str = "public";
/// The schema of the file-backed contract tables, as written (not de-duplicated).
pub const RAW_SCHEMA: &str = "raw";
/// The schema of the tables under `messages` and `conversation_facts` (the fact store, or the raw path).
pub const MATERIALIZED_SCHEMA: &str = "materialized";

/// The PostgreSQL version conversql advertises (`server_version` at start-up,
/// `SHOW server_version`, `version()`). 16 because the catalog tables
/// (`datafusion-pg-catalog`) are dumps of a PostgreSQL 16 catalog (e.g.
/// `pg_database.daticurules`, new in 16, and `daticulocale`, renamed in 17):
/// clients pick their catalog queries by this number, so it must match the
/// columns that are really there. docs/postgres.md says more.
pub const SERVER_VERSION: &str = "16.10";
/// [`SERVER_VERSION`] as `server_version_num`.
pub const SERVER_VERSION_NUM: &str = "160010";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_num_spells_the_version() {
        let (major, minor) = SERVER_VERSION.split_once('.').unwrap();
        let num = format!("{major}{:04}", minor.parse::<u32>().unwrap());
        assert_eq!(num, SERVER_VERSION_NUM);
    }
}
