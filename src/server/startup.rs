//! The connection start-up: connection slots, the TLS requirement, startup
//! parameters, SCRAM-SHA-256 authentication against the users file (or
//! none, on loopback without a users file), and the session the connection
//! then uses. One [`Startup`] exists per connection.

use std::fmt::Debug;
use std::sync::Arc;

use async_trait::async_trait;
use futures::{Sink, SinkExt};
use pgwire::api::auth::{
    StartupHandler, finish_authentication, protocol_negotiation,
    save_startup_parameters_to_metadata,
};
use pgwire::api::{ClientInfo, PgWireConnectionState, PidSecretKeyGenerator};
use pgwire::error::{ErrorInfo, PgWireError, PgWireResult};
use pgwire::messages::startup::{Authentication, Startup as StartupMessage};
use pgwire::messages::{PgWireBackendMessage, PgWireFrontendMessage};
use tokio::sync::{Mutex, OwnedSemaphorePermit};

use super::Shared;
use super::control::QueryControl;
use super::scram::{Exchange, MECHANISM, ScramError, Verifier};
use crate::scope::AccountScope;
use crate::session::Session;

/// Where authentication of one connection stands.
#[derive(Debug, Default)]
#[allow(clippy::enum_variant_names)]
enum AuthState {
    #[default]
    AwaitingStartup,
    AwaitingFirst,
    AwaitingFinal {
        exchange: Box<Exchange>,
        known: bool,
    },
}

/// The start-up handler of one connection.
pub struct Startup {
    shared: Arc<Shared>,
    /// The connection's slot under `--max-connections`; `None` when the server is full.
    slot: std::sync::Mutex<Option<OwnedSemaphorePermit>>,
    state: Mutex<AuthState>,
    /// The connection's socket, watched for hang-ups while statements run.
    peer: Option<super::control::PeerSocket>,
}

impl Startup {
    /// The start-up of a connection over `peer` holding `slot` (or none if the server is full).
    pub fn new(
        shared: Arc<Shared>,
        slot: Option<OwnedSemaphorePermit>,
        peer: Option<super::control::PeerSocket>,
    ) -> Self {
        Startup {
            shared,
            slot: std::sync::Mutex::new(slot),
            state: Mutex::new(AuthState::default()),
            peer,
        }
    }
}

/// A FATAL error: sent to the client, then the connection is closed.
fn fatal(code: &str, message: impl Into<String>) -> PgWireError {
    PgWireError::UserError(Box::new(ErrorInfo::new(
        "FATAL".into(),
        code.into(),
        message.into(),
    )))
}

/// Startup parameters that Postgres drivers send and that conversql accepts
/// (beyond the settings a session can `SHOW`); unknown names are refused like
/// PostgreSQL refuses them (42704).
const ACCEPTED_STARTUP_PARAMETERS: &[&str] = &[
    "user",
    "database",
    "options",
    "replication",
    "application_name",
    "client_encoding",
    "datestyle",
    "timezone",
    "extra_float_digits",
    "search_path",
    "intervalstyle",
    "geqo",
    "statement_timeout",
    "lock_timeout",
    "idle_in_transaction_session_timeout",
    "default_transaction_read_only",
    "default_transaction_isolation",
    "standard_conforming_strings",
    "bytea_output",
    "client_min_messages",
    "lc_messages",
    "lc_monetary",
    "lc_numeric",
    "lc_time",
    "ssl_renegotiation_limit",
    "jit",
    "tcp_keepalives_idle",
    "tcp_keepalives_interval",
    "tcp_keepalives_count",
];

/// Startup parameters that change the session (others are accepted and reported by their fixed values).
const APPLIED_STARTUP_PARAMETERS: &[&str] =
    &["application_name", "statement_timeout", "search_path"];

/// The settings a client asks for at start-up: its parameters and `options=-c name=value …`.
fn requested_settings(startup: &StartupMessage) -> PgWireResult<Vec<(String, String)>> {
    let mut settings = vec![];
    for (name, value) in &startup.parameters {
        let lower = name.to_ascii_lowercase();
        if lower == "options" {
            settings.extend(parse_options(value)?);
        } else if !lower.starts_with("_pq_.") {
            settings.push((lower, value.clone()));
        }
    }
    Ok(settings)
}

/// Parses libpq's `options` (`-c name=value`, `--name=value`), as `PGOPTIONS` sends them.
fn parse_options(options: &str) -> PgWireResult<Vec<(String, String)>> {
    let mut out = vec![];
    let mut words = options.split_whitespace();
    while let Some(word) = words.next() {
        let assignment = if word == "-c" {
            words.next().ok_or_else(|| {
                fatal(
                    "22023",
                    "invalid command-line argument: -c needs name=value",
                )
            })?
        } else if let Some(rest) = word.strip_prefix("-c").or_else(|| word.strip_prefix("--")) {
            rest
        } else {
            return Err(fatal(
                "22023",
                format!("invalid command-line argument for server process: {word}"),
            ));
        };
        let (name, value) = assignment.split_once('=').ok_or_else(|| {
            fatal(
                "22023",
                format!("invalid option '{assignment}': expected name=value"),
            )
        })?;
        out.push((
            name.replace('-', "_").to_ascii_lowercase(),
            value.to_string(),
        ));
    }
    Ok(out)
}

impl Startup {
    /// Checks and applies the start-up settings to a new session.
    fn configure(&self, session: &mut Session, settings: &[(String, String)]) -> PgWireResult<()> {
        // Values reach this client in PostgreSQL's forms, numerics with their own places.
        session.send_display_scales();
        if let Some(timeout) = &self.shared.statement_timeout {
            session
                .set_statement_timeout_ceiling(timeout)
                .map_err(|e| fatal(e.sqlstate(), e.to_string()))?;
        }
        for (name, value) in settings {
            let known = ACCEPTED_STARTUP_PARAMETERS.contains(&name.as_str())
                || name.starts_with("conversql.")
                || session.show(name).is_ok();
            if !known {
                return Err(fatal(
                    "42704",
                    format!("unrecognized configuration parameter \"{name}\""),
                ));
            }
            if APPLIED_STARTUP_PARAMETERS.contains(&name.as_str()) || name.starts_with("conversql.")
            {
                session.set_parameter(name, value).map_err(|e| {
                    fatal(e.sqlstate(), format!("startup parameter \"{name}\": {e}"))
                })?;
            }
        }
        Ok(())
    }

    /// Creates the session, registers for cancel requests and sends `AuthenticationOk`…`ReadyForQuery`.
    async fn finish<C>(
        &self,
        client: &mut C,
        user: &str,
        accounts: Option<Vec<String>>,
        may_define_views: bool,
    ) -> PgWireResult<()>
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let settings = client
            .session_extensions()
            .get::<StartupSettings>()
            .map(|s| s.0.clone())
            .unwrap_or_default();
        let mut session = self
            .shared
            .engine
            .session_with(accounts.map(AccountScope::new))
            .map_err(|e| fatal("XX000", e.to_string()))?;
        session.set_user(user);
        session.set_may_define_views(may_define_views);
        self.configure(&mut session, &settings)?;
        let (pid, secret_key) = self.shared.keys.generate(client);
        client.set_pid_and_secret_key(pid, secret_key.clone());
        let control = Arc::new(QueryControl::new(self.peer));
        let registration = self
            .shared
            .cancellations
            .register(pid, secret_key, &control);
        let extensions = client.session_extensions();
        extensions.insert(ConnectionControl(control));
        extensions.insert(registration);
        extensions.insert(Mutex::new(session));
        finish_authentication(client, &self.shared.parameters).await
    }
}

/// The query control of a connection, kept in its session extensions.
#[derive(Debug, Clone)]
pub struct ConnectionControl(pub Arc<QueryControl>);

/// The settings requested at start-up, kept until the session exists.
#[derive(Debug, Clone)]
struct StartupSettings(Vec<(String, String)>);

#[async_trait]
impl StartupHandler for Startup {
    async fn on_startup<C>(
        &self,
        client: &mut C,
        message: PgWireFrontendMessage,
    ) -> PgWireResult<()>
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let mut state = self.state.lock().await;
        match (std::mem::take(&mut *state), message) {
            (AuthState::AwaitingStartup, PgWireFrontendMessage::Startup(startup)) => {
                protocol_negotiation(client, &startup).await?;
                save_startup_parameters_to_metadata(client, &startup);
                if self.slot.lock().expect("slot lock").is_none() {
                    return Err(fatal("53300", "sorry, too many clients already"));
                }
                if self.shared.require_tls && !client.is_secure() {
                    return Err(fatal(
                        "28000",
                        "this server requires TLS: connect with sslmode=require (or verify-full)",
                    ));
                }
                let user = startup.parameters.get("user").cloned().unwrap_or_default();
                if user.is_empty() {
                    return Err(fatal("28000", "no user name given in the startup message"));
                }
                client
                    .session_extensions()
                    .insert(StartupSettings(requested_settings(&startup)?));
                if self.shared.users.is_none() {
                    self.finish(client, &user, None, true).await?;
                } else {
                    client.set_state(PgWireConnectionState::AuthenticationInProgress);
                    client
                        .send(PgWireBackendMessage::Authentication(Authentication::SASL(
                            vec![MECHANISM.into()],
                        )))
                        .await?;
                    *state = AuthState::AwaitingFirst;
                }
            }
            (AuthState::AwaitingFirst, PgWireFrontendMessage::PasswordMessageFamily(message)) => {
                let initial = message.into_sasl_initial_response()?;
                if initial.auth_method != MECHANISM {
                    return Err(fatal(
                        "28000",
                        format!(
                            "authentication method {} is not supported; use SCRAM-SHA-256",
                            initial.auth_method
                        ),
                    ));
                }
                let user = user_of(client);
                let known = self.shared.user(&user);
                let verifier = match &known {
                    Some(u) => u.verifier.clone(),
                    None => {
                        Verifier::impossible(format!("{}:{user}", self.shared.mock_seed).as_bytes())
                    }
                };
                let data = initial.data.unwrap_or_default();
                let (server_first, exchange) =
                    verifier.start(&data).map_err(|e| scram_error(e, &user))?;
                client
                    .send(PgWireBackendMessage::Authentication(
                        Authentication::SASLContinue(server_first.into()),
                    ))
                    .await?;
                *state = AuthState::AwaitingFinal {
                    exchange: Box::new(exchange),
                    known: known.is_some(),
                };
            }
            (
                AuthState::AwaitingFinal { exchange, known },
                PgWireFrontendMessage::PasswordMessageFamily(message),
            ) => {
                let response = message.into_sasl_response()?;
                let user = user_of(client);
                let server_final = exchange
                    .finish(&response.data)
                    .map_err(|e| scram_error(e, &user))?;
                let Some(account) = self.shared.user(&user).filter(|_| known) else {
                    return Err(scram_error(ScramError::WrongProof, &user));
                };
                client
                    .feed(PgWireBackendMessage::Authentication(
                        Authentication::SASLFinal(server_final.into()),
                    ))
                    .await?;
                self.finish(
                    client,
                    &user,
                    account.accounts.clone(),
                    account.role == super::users::Role::Writer,
                )
                .await?;
            }
            (_, other) => {
                return Err(fatal(
                    "08P01",
                    format!(
                        "unexpected message during authentication: {:?}",
                        std::mem::discriminant(&other)
                    ),
                ));
            }
        }
        Ok(())
    }
}

fn user_of<C: ClientInfo>(client: &C) -> String {
    client
        .metadata()
        .get(pgwire::api::METADATA_USER)
        .cloned()
        .unwrap_or_default()
}

/// Both a wrong password and an unknown user get PostgreSQL's one message (28P01).
fn scram_error(e: ScramError, user: &str) -> PgWireError {
    match e {
        ScramError::WrongProof => fatal(
            "28P01",
            format!("password authentication failed for user \"{user}\""),
        ),
        ScramError::Protocol(m) => fatal("08P01", format!("invalid SCRAM exchange: {m}")),
    }
}

#[cfg(test)]
mod tests {
    use super::parse_options;

    #[test]
    fn options_are_parsed_like_libpq_sends_them() {
        let got = parse_options(
            "-c statement_timeout=5s -cconversql.as_of=2026-06-08T12:00:00Z --search-path=public",
        )
        .unwrap();
        assert_eq!(
            got,
            vec![
                ("statement_timeout".to_string(), "5s".to_string()),
                (
                    "conversql.as_of".to_string(),
                    "2026-06-08T12:00:00Z".to_string()
                ),
                ("search_path".to_string(), "public".to_string()),
            ]
        );
        assert!(parse_options("-x").is_err());
        assert!(parse_options("-c novalue").is_err());
    }
}
