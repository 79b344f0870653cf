//! The Postgres wire-protocol server (`pgwire`): one [`crate::session::Session`]
//! per connection, the simple and the extended protocol, Arrow results encoded
//! with `arrow-pg` in text or binary.

mod encode;
mod handler;
mod startup;

use std::net::SocketAddr;
use std::sync::Arc;

use pgwire::api::{ConnectionManager, PgWireServerHandlers};
use pgwire::api::cancel::DefaultCancelHandler;
use tokio::net::TcpListener;

use crate::engine::Engine;
use crate::error::{Error, Result};

pub use handler::QueryHandler;

/// The handlers of one server: shared by every connection.
pub struct Handlers {
    query: Arc<QueryHandler>,
    startup: Arc<startup::Startup>,
    cancel: Arc<DefaultCancelHandler>,
}

impl Handlers {
    /// Handlers serving `engine`.
    pub fn new(engine: Engine) -> Self {
        let connections = Arc::new(ConnectionManager::new());
        Handlers {
            query: Arc::new(QueryHandler::new(engine)),
            startup: Arc::new(startup::Startup::new(connections.clone())),
            cancel: Arc::new(DefaultCancelHandler::new(connections)),
        }
    }
}

impl PgWireServerHandlers for Handlers {
    fn simple_query_handler(&self) -> Arc<impl pgwire::api::query::SimpleQueryHandler> {
        self.query.clone()
    }

    fn extended_query_handler(&self) -> Arc<impl pgwire::api::query::ExtendedQueryHandler> {
        self.query.clone()
    }

    fn startup_handler(&self) -> Arc<impl pgwire::api::auth::StartupHandler> {
        self.startup.clone()
    }

    fn cancel_handler(&self) -> Arc<impl pgwire::api::cancel::CancelHandler> {
        self.cancel.clone()
    }
}

/// Binds `listen` and serves connections until the process ends.
pub async fn serve(engine: Engine, listen: SocketAddr) -> Result<()> {
    let listener = TcpListener::bind(listen)
        .await
        .map_err(|e| Error::Io { path: format!("listen address {listen}"), source: e })?;
    serve_listener(engine, listener).await
}

/// Serves connections accepted on an already bound listener.
pub async fn serve_listener(engine: Engine, listener: TcpListener) -> Result<()> {
    let handlers = Arc::new(Handlers::new(engine));
    let addr = listener.local_addr().map(|a| a.to_string()).unwrap_or_default();
    tracing::info!("conversql listening on {addr}");
    loop {
        let (socket, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                tracing::warn!("accept failed: {e}");
                continue;
            }
        };
        let handlers = handlers.clone();
        tokio::spawn(async move {
            if let Err(e) = pgwire::tokio::process_socket(socket, None, handlers).await {
                tracing::debug!("connection from {peer} ended with an error: {e}");
            }
        });
    }
}

/// The address a server listens on, parsed from `host:port`.
pub fn parse_listen(listen: &str) -> Result<SocketAddr> {
    use std::net::ToSocketAddrs;
    listen
        .to_socket_addrs()
        .map_err(|e| Error::config(format!("invalid --listen '{listen}': {e}")))?
        .next()
        .ok_or_else(|| Error::config(format!("invalid --listen '{listen}': no address")))
}
