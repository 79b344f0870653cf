//! Per-user account isolation: a user bound to a list of account_ids sees
//! only those accounts' rows, in every view, table function and raw table.
//!
//! The scope is a typed extension of the session configuration, which SQL
//! cannot reach (no `SET` names it). Every contract table applies it when it
//! is scanned, below every view and table function, so there is no path from
//! SQL to other accounts' rows.

use datafusion::prelude::SessionConfig;

/// The accounts a session may see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountScope {
    accounts: Vec<String>,
}

impl AccountScope {
    /// A scope limited to `accounts`.
    pub fn new(accounts: Vec<String>) -> Self {
        AccountScope { accounts }
    }

    /// The visible account_ids.
    pub fn accounts(&self) -> &[String] {
        &self.accounts
    }

    /// The scope of a session configuration, if it has one.
    pub fn of(config: &SessionConfig) -> Option<std::sync::Arc<AccountScope>> {
        config.get_extension::<AccountScope>()
    }
}
