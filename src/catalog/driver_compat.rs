//! What drivers and BI tools need beyond the catalog overlay, registered in
//! one place: Postgres' `information_schema`, `current_setting` and
//! `parse_ident` (tests/drivers.rs proves them with pgjdbc, Npgsql's,
//! Grafana's, Metabase's and SQLAlchemy's queries).

use datafusion::prelude::SessionContext;

use crate::error::Result;

/// Registers everything above in `ctx`, whose catalog is `catalog_name`.
pub fn register(ctx: &SessionContext, catalog_name: &str) -> Result<()> {
    super::information_schema::register(ctx, catalog_name)?;
    super::setting_functions::register(ctx);
    super::parse_ident::register(ctx);
    Ok(())
}
