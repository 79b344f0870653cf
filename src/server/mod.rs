//! The Postgres wire-protocol server (`pgwire`): authentication (SCRAM-SHA-256
//! against a users file), TLS (rustls), connection limits, one
//! [`crate::session::Session`] per connection, the simple and the extended
//! protocol, cancellation and `statement_timeout` over the whole execution,
//! and Arrow results streamed with back-pressure in text or binary.

mod binary_form;
mod char_form;
mod column_forms;
mod control;
mod copy;
mod deallocate;
mod encode;
mod executor;
mod handler;
mod interval_form;
mod numeric_form;
mod scale_form;
pub mod scram;
mod startup;
mod text_form;
pub mod tls;
pub mod users;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use pgwire::api::auth::DefaultServerParameterProvider;
use pgwire::api::{PgWireServerHandlers, RandomPidSecretKeyGenerator};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::names::SERVER_VERSION;

pub use control::{Cancellations, PeerSocket, QueryControl, Stop};
pub use handler::QueryHandler;
use users::{User, Users};

/// How the server runs: who may connect, how, and how much they may use.
#[derive(Debug, Clone)]
pub struct ServerOptions {
    /// The users and their SCRAM verifiers; `None`: no passwords, loopback only.
    pub users: Option<Users>,
    /// The TLS acceptor (certificate and key) if TLS is configured.
    pub tls: Option<tls::Tls>,
    /// Refuse connections that did not negotiate TLS.
    pub require_tls: bool,
    /// The most connections served at once; more are refused with SQLSTATE 53300.
    pub max_connections: usize,
    /// The default `statement_timeout` of every session (a Postgres value such as `30s`).
    pub statement_timeout: Option<String>,
}

impl Default for ServerOptions {
    fn default() -> Self {
        ServerOptions {
            users: None,
            tls: None,
            require_tls: false,
            max_connections: 100,
            statement_timeout: None,
        }
    }
}

impl ServerOptions {
    /// Checks that the options fit the address to listen on: without a users
    /// file only loopback is allowed, and requiring TLS needs a certificate.
    pub fn check(&self, listen: &SocketAddr) -> Result<()> {
        if self.users.is_none() && !listen.ip().is_loopback() {
            return Err(Error::config(format!(
                "refusing to listen on {listen} without authentication: give --users FILE (see `conversql user add`), \
                 or listen on a loopback address such as 127.0.0.1"
            )));
        }
        if self.require_tls && self.tls.is_none() {
            return Err(Error::config(
                "--require-tls needs --tls-cert and --tls-key",
            ));
        }
        if self.max_connections == 0 {
            return Err(Error::config("--max-connections must be at least 1"));
        }
        if let Some(timeout) = &self.statement_timeout {
            crate::pg_duration::parse_millis(timeout).map_err(Error::InvalidSetting)?;
        }
        Ok(())
    }
}

/// What all connections of one server share.
pub struct Shared {
    engine: Engine,
    users: Option<Users>,
    require_tls: bool,
    statement_timeout: Option<String>,
    cancellations: Arc<Cancellations>,
    parameters: DefaultServerParameterProvider,
    keys: RandomPidSecretKeyGenerator,
    /// A per-process secret mixed into the fake verifiers of unknown users.
    mock_seed: String,
}

impl Shared {
    fn user(&self, name: &str) -> Option<&User> {
        self.users.as_ref().and_then(|u| u.get(name))
    }
}

/// The handlers of one connection.
pub struct ConnectionHandlers {
    query: Arc<QueryHandler>,
    startup: Arc<startup::Startup>,
    cancel: Arc<control::CancelRequests>,
}

impl PgWireServerHandlers for ConnectionHandlers {
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
pub async fn serve(engine: Engine, listen: SocketAddr, options: ServerOptions) -> Result<()> {
    options.check(&listen)?;
    let listener = TcpListener::bind(listen).await.map_err(|e| Error::Io {
        path: format!("listen address {listen}"),
        source: e,
    })?;
    serve_listener(engine, listener, options).await
}

/// Serves connections accepted on an already bound listener.
pub async fn serve_listener(
    engine: Engine,
    listener: TcpListener,
    options: ServerOptions,
) -> Result<()> {
    let addr = listener.local_addr().map_err(|e| Error::Io {
        path: "listener".into(),
        source: e,
    })?;
    options.check(&addr)?;
    let server = Server::new(engine, &options);
    tracing::info!(
        "conversql listening on {addr} (auth: {}, tls: {}, max connections: {})",
        if options.users.is_some() {
            "scram-sha-256"
        } else {
            "none, loopback only"
        },
        if options.require_tls {
            "required"
        } else if options.tls.is_some() {
            "available"
        } else {
            "off"
        },
        options.max_connections
    );
    loop {
        let (socket, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                // Out of file descriptors and similar: wait a little instead of spinning.
                tracing::warn!("accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let handlers = server.handlers(Some(PeerSocket::of(&socket)));
        let acceptor = server.acceptor.clone();
        tokio::spawn(async move {
            if let Err(e) = pgwire::tokio::process_socket(socket, acceptor, handlers).await {
                tracing::debug!("connection from {peer} ended with an error: {e}");
            }
        });
    }
}

/// A server's shared state: what each new connection's handlers are made from.
pub struct Server {
    shared: Arc<Shared>,
    query: Arc<QueryHandler>,
    cancel: Arc<control::CancelRequests>,
    slots: Arc<Semaphore>,
    acceptor: Option<tokio_rustls::TlsAcceptor>,
}

impl Server {
    /// A server over `engine` with `options` (already checked against the listen address).
    pub fn new(engine: Engine, options: &ServerOptions) -> Server {
        let mut parameters = DefaultServerParameterProvider::default();
        parameters.server_version = SERVER_VERSION.to_string();
        parameters.default_transaction_read_only = true;
        parameters.is_superuser = false;
        parameters.time_zone = "UTC".into();
        let mock_seed = format!("{:?}{}", std::time::SystemTime::now(), std::process::id());
        let shared = Arc::new(Shared {
            engine,
            users: options.users.clone(),
            require_tls: options.require_tls,
            statement_timeout: options.statement_timeout.clone(),
            cancellations: Arc::new(Cancellations::default()),
            parameters,
            keys: RandomPidSecretKeyGenerator::default(),
            mock_seed,
        });
        let cancel = Arc::new(control::CancelRequests {
            registry: shared.cancellations.clone(),
        });
        Server {
            shared,
            query: Arc::new(QueryHandler::new()),
            cancel,
            slots: Arc::new(Semaphore::new(options.max_connections)),
            acceptor: options.tls.as_ref().map(tls::Tls::acceptor),
        }
    }

    /// The handlers of a new connection over `peer` (watched for hang-ups while a
    /// statement runs; `None`: not watched), holding one of the `--max-connections`
    /// slots if any is free.
    pub fn handlers(&self, peer: Option<PeerSocket>) -> ConnectionHandlers {
        ConnectionHandlers {
            query: self.query.clone(),
            startup: Arc::new(startup::Startup::new(
                self.shared.clone(),
                self.slots.clone().try_acquire_owned().ok(),
                peer,
            )),
            cancel: self.cancel.clone(),
        }
    }

    /// Serves one connection over a Unix stream (no TLS) until it ends: the
    /// same message handling as TCP connections, used by the fuzz target.
    pub async fn serve_unix(&self, stream: tokio::net::UnixStream) -> std::io::Result<()> {
        pgwire::tokio::process_socket_unix(stream, self.handlers(None)).await
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
