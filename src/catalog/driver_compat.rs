//! What drivers and BI tools need beyond the catalog overlay, in one place:
//! Postgres' `information_schema`, `parse_ident`, a lenient
//! `pg_get_constraintdef` and `pg_get_ruledef` ([`register`]), and the rewrites of their SQL text before parsing
//! ([`rewrite_sql`]). tests/integration/drivers.rs proves them with pgjdbc's, Npgsql's,
//! Grafana's, Metabase's and SQLAlchemy's queries.

use std::borrow::Cow;

use datafusion::prelude::SessionContext;

use crate::error::Result;

/// Registers everything above in `ctx`, whose catalog is `catalog_name`.
pub fn register(ctx: &SessionContext, catalog_name: &str) -> Result<()> {
    super::information_schema::register(ctx, catalog_name)?;
    super::parse_ident::register(ctx);
    super::constraint_functions::register(ctx);
    super::rule_functions::register(ctx);
    super::array_subquery::register(ctx);
    super::asyncpg_introspection::register(ctx);
    Ok(())
}

/// `sql` after the client rules (`crate::client_rules::RULES`, in order:
/// asyncpg's type introspection, Grafana's search_path subquery) and the
/// rewrites still here: regproc comparisons (pgjdbc, Npgsql), psql's
/// `ARRAY(subquery)` of TOAST options (`\d+`).
pub fn rewrite_sql(sql: &str) -> Cow<'_, str> {
    let mut sql = crate::client_rules::rewrite(sql);
    if let Some(new) = super::regproc_compare::rewrite_sql(&sql) {
        sql = Cow::Owned(new);
    }
    if let Some(new) = super::array_subquery::rewrite_sql(&sql) {
        sql = Cow::Owned(new);
    }
    sql
}
