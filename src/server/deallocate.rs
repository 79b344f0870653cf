//! `DEALLOCATE [PREPARE] name | ALL`: prepared statements are the protocol's
//! (a `Parse` message names them), so the command is carried out here, on the
//! connection's statement store, not by the session. As in PostgreSQL, a name
//! that no `Parse` prepared is error 26000, and `ALL` removes every statement
//! the connection prepared (psycopg sends it when it resets its cache).

use std::collections::BTreeSet;
use std::sync::Mutex;

use datafusion::sql::sqlparser::ast::Statement;
use pgwire::api::results::{Response, Tag};
use pgwire::api::store::PortalStore;
use pgwire::api::{ClientInfo, ClientPortalStore};
use pgwire::error::{ErrorInfo, PgWireError, PgWireResult};

/// The names of the statements the connection prepared with `Parse`.
#[derive(Debug, Default)]
pub struct PreparedNames(Mutex<BTreeSet<String>>);

fn names<C: ClientInfo + ?Sized>(client: &C) -> std::sync::Arc<PreparedNames> {
    client
        .session_extensions()
        .get_or_insert_with(PreparedNames::default)
}

/// Records that `Parse` prepared the statement `name` (the unnamed one is not kept).
pub fn parsed<C: ClientInfo + ?Sized>(client: &C, name: Option<&str>) {
    if let Some(name) = name.filter(|n| !n.is_empty()) {
        names(client)
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(name.to_string());
    }
}

/// Carries out `statement` if it is a `DEALLOCATE`; `None` for any other statement.
pub fn deallocate<C>(client: &C, statement: &Statement) -> Option<PgWireResult<Response>>
where
    C: ClientInfo + ClientPortalStore,
    C::PortalStore: PortalStore,
{
    let Statement::Deallocate { name, .. } = statement else {
        return None;
    };
    let known = names(client);
    let mut known = known
        .0
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if name.quote_style.is_none() && name.value.eq_ignore_ascii_case("all") {
        for name in std::mem::take(&mut *known) {
            client.portal_store().rm_statement(&name);
        }
        return Some(Ok(Response::Execution(Tag::new("DEALLOCATE ALL"))));
    }
    let name = if name.quote_style.is_some() {
        name.value.clone()
    } else {
        name.value.to_lowercase()
    };
    if !known.remove(&name) || client.portal_store().get_statement(&name).is_none() {
        return Some(Err(PgWireError::UserError(Box::new(ErrorInfo::new(
            "ERROR".into(),
            "26000".into(),
            format!("prepared statement \"{name}\" does not exist"),
        )))));
    }
    client.portal_store().rm_statement(&name);
    Some(Ok(Response::Execution(Tag::new("DEALLOCATE"))))
}
