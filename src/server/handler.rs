//! The query handlers: simple protocol, extended protocol (parse, describe,
//! bind, execute) and the per-connection session they share.

use std::fmt::Debug;
use std::sync::Arc;

use arrow::datatypes::{DataType, SchemaRef};
use async_trait::async_trait;
use datafusion::sql::sqlparser::ast::Statement;
use futures::{Sink, SinkExt, StreamExt};
use pgwire::api::portal::PortalExecutionState;
use pgwire::api::portal::{Format, Portal};
use pgwire::api::query::{
    ExtendedQueryHandler, SimpleQueryHandler, send_describe_response, send_execution_response,
};
use pgwire::api::results::{DescribePortalResponse, FieldInfo, Response, Tag};
use pgwire::api::stmt::{QueryParser, StoredStatement};
use pgwire::api::store::Entry;
use pgwire::api::store::PortalStore;
use pgwire::api::{ClientInfo, ClientPortalStore, Type};
use pgwire::api::{DEFAULT_NAME, PgWireConnectionState};
use pgwire::error::{ErrorInfo, PgWireError, PgWireResult};
use pgwire::messages::PgWireBackendMessage;
use pgwire::messages::extendedquery::{
    Describe, Execute, Parse, ParseComplete, TARGET_TYPE_BYTE_PORTAL,
};
use pgwire::messages::response::EmptyQueryResponse;
use pgwire::types::format::FormatOptions;
use tokio::sync::Mutex;

use super::control::StatementGuard;
use super::encode::{bind_parameters, fields, pg_error, rows, stopped};
use super::startup::ConnectionControl;
use crate::session::{Session, StatementResult};

/// The most rows one `Execute` with a row limit returns (see `on_execute`).
pub const MAX_FETCH_ROWS: i32 = 100_000;

/// A statement prepared with `Parse`: the parsed SQL and what `Describe` reports.
#[derive(Debug, Clone)]
pub struct Prepared {
    statement: Statement,
    parameter_types: Vec<Option<DataType>>,
    schema: Option<SchemaRef>,
}

/// Serves queries of every connection of one server.
pub struct QueryHandler {
    parser: Arc<PreparedParser>,
}

/// The extended protocol's parser: plans statements (in the connection's session) to describe them.
pub struct PreparedParser;

impl QueryHandler {
    /// A handler for the connections of one server; each connection's session is made at start-up.
    pub fn new() -> Self {
        QueryHandler {
            parser: Arc::new(PreparedParser),
        }
    }
}

impl Default for QueryHandler {
    fn default() -> Self {
        Self::new()
    }
}

/// The session of the connection `client`, created when it authenticated.
fn session_of<C: ClientInfo + ?Sized>(client: &C) -> PgWireResult<Arc<Mutex<Session>>> {
    client
        .session_extensions()
        .get::<Mutex<Session>>()
        .ok_or_else(|| {
            PgWireError::UserError(Box::new(ErrorInfo::new(
                "FATAL".into(),
                "08P01".into(),
                "query before the connection was authenticated".into(),
            )))
        })
}

/// A guard for the next statement of `client`: its cancel token and `statement_timeout` deadline.
fn begin_statement<C: ClientInfo + ?Sized>(client: &C, session: &Session) -> StatementGuard {
    let control = client
        .session_extensions()
        .get::<ConnectionControl>()
        .map(|c| c.0.clone())
        .unwrap_or_default();
    let guard = control.begin(session.statement_timeout());
    session.set_stop_flag(guard.flag());
    guard
}

/// Runs one statement under `guard`: planning and execution stop on cancel or timeout.
async fn execute_guarded(
    session: &mut Session,
    statement: Statement,
    guard: &StatementGuard,
) -> PgWireResult<StatementResult> {
    match guard.run(session.execute(statement)).await {
        Ok(result) => result.map_err(|e| pg_error(&e)),
        Err(stop) => Err(stopped(stop)),
    }
}

fn format_options<C: ClientInfo + ?Sized>(client: &C) -> Arc<FormatOptions> {
    Arc::new(FormatOptions::from_client_metadata(client.metadata()))
}

async fn respond(
    result: StatementResult,
    format: &Format,
    options: Arc<FormatOptions>,
    guard: &StatementGuard,
) -> PgWireResult<Response> {
    match result {
        StatementResult::Rows(df) => Ok(Response::Query(rows(df, format, options, guard).await?)),
        StatementResult::Command(tag) => Ok(Response::Execution(Tag::new(&tag))),
        StatementResult::CopyOut(df, copy_format) => Ok(Response::CopyOut(
            super::copy::copy_out(df, &copy_format, options, guard).await?,
        )),
    }
}

fn wire_type(data_type: Option<&DataType>) -> Type {
    match data_type {
        Some(t) if crate::catalog::asyncpg_introspection::is_oid_array(t) => Type::OID_ARRAY,
        Some(t) => arrow_pg::datatypes::into_pg_type(t).unwrap_or(Type::TEXT),
        None => Type::TEXT,
    }
}

#[async_trait]
impl SimpleQueryHandler for QueryHandler {
    async fn do_query<C>(&self, client: &mut C, query: &str) -> PgWireResult<Vec<Response>>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let session = session_of(client)?;
        let mut session = session.lock().await;
        let statements = session.parse(query).map_err(|e| pg_error(&e))?;
        if statements.is_empty() {
            return Ok(vec![Response::EmptyQuery]);
        }
        let options = format_options(client);
        let mut responses = vec![];
        for statement in statements {
            if let Some(outcome) = super::deallocate::deallocate(client, &statement) {
                match outcome {
                    Ok(response) => responses.push(response),
                    Err(PgWireError::UserError(info)) => {
                        responses.push(Response::Error(info));
                        break;
                    }
                    Err(other) => return Err(other),
                }
                continue;
            }
            let guard = begin_statement(client, &session);
            let outcome = match execute_guarded(&mut session, statement, &guard).await {
                Ok(result) => respond(result, &Format::UnifiedText, options.clone(), &guard).await,
                Err(e) => Err(e),
            };
            match outcome {
                Ok(response) => responses.push(response),
                Err(PgWireError::UserError(info)) => {
                    responses.push(Response::Error(info));
                    break;
                }
                Err(other) => return Err(other),
            }
        }
        Ok(responses)
    }
}

#[async_trait]
impl QueryParser for PreparedParser {
    type Statement = Prepared;

    async fn parse_sql<C>(
        &self,
        client: &C,
        sql: &str,
        types: &[Option<Type>],
    ) -> PgWireResult<Option<Prepared>>
    where
        C: ClientInfo + Unpin + Send + Sync,
    {
        let session = session_of(client)?;
        let session = session.lock().await;
        let mut statements = session.parse(sql).map_err(|e| pg_error(&e))?;
        if statements.len() > 1 {
            return Err(PgWireError::UserError(Box::new(ErrorInfo::new(
                "ERROR".into(),
                "42601".into(),
                "cannot insert multiple commands into a prepared statement".into(),
            ))));
        }
        let Some(statement) = statements.pop() else {
            return Ok(None);
        };
        let declared = crate::pg_types::declared_parameters::leading_planned_types(types);
        let description = session
            .describe(&statement, &declared)
            .await
            .map_err(|e| pg_error(&e))?;
        Ok(Some(Prepared {
            statement,
            parameter_types: description.parameters,
            schema: description.schema,
        }))
    }

    fn get_parameter_types(&self, stmt: &Prepared) -> PgWireResult<Vec<Type>> {
        Ok(stmt
            .parameter_types
            .iter()
            .map(|t| wire_type(t.as_ref()))
            .collect())
    }

    fn get_result_schema(
        &self,
        stmt: &Prepared,
        format: Option<&Format>,
    ) -> PgWireResult<Vec<FieldInfo>> {
        match &stmt.schema {
            Some(schema) => fields(
                schema,
                format.unwrap_or(&Format::UnifiedText),
                Arc::new(FormatOptions::default()),
            ),
            None => Ok(vec![]),
        }
    }
}

impl QueryHandler {
    /// The statement of `portal` with its bound parameters substituted.
    ///
    /// Array and `numeric` parameters are decoded by conversql
    /// (`pg_types::array_parameters`, `pg_types::numeric_parameters`:
    /// PostgreSQL's text syntax and binary layout); the others by arrow-pg.
    fn bound_statement(portal: &Portal<Prepared>) -> PgWireResult<Statement> {
        use crate::pg_types::array_parameters::{bind_array, bound_array_type, is_binary};
        let prepared = &portal.statement.statement;
        if portal.parameter_len() == 0 {
            return Ok(prepared.statement.clone());
        }
        let declared = &portal.statement.parameter_types;
        let mut exprs = vec![None; portal.parameter_len()];
        for (i, slot) in exprs.iter_mut().enumerate() {
            let inferred = prepared.parameter_types.get(i).and_then(Option::as_ref);
            if inferred.is_some_and(crate::catalog::asyncpg_introspection::is_oid_array) {
                continue;
            }
            let declared_type = declared.get(i).and_then(Option::as_ref);
            if declared_type == Some(&Type::OID_ARRAY) {
                continue;
            }
            if declared_type == Some(&Type::NUMERIC) {
                let value = portal.parameters.get(i).and_then(Option::as_deref);
                *slot = Some(
                    crate::pg_types::numeric_parameters::bind_numeric(
                        i,
                        value,
                        is_binary(&portal.parameter_format, i),
                    )
                    .map_err(|e| pg_error(&e))?,
                );
                continue;
            }
            if let Some(array) = bound_array_type(declared_type, inferred) {
                let value = portal.parameters.get(i).and_then(Option::as_deref);
                *slot = Some(
                    bind_array(i, &array, value, is_binary(&portal.parameter_format, i))
                        .map_err(|e| pg_error(&e))?,
                );
            }
        }
        // arrow-pg decodes the others; the array parameters are hidden from it (as NULL text).
        let hidden;
        let portal = if exprs.iter().any(Option::is_some) {
            let mut parameter_types = declared.clone();
            parameter_types.resize(portal.parameter_len(), None);
            let mut parameters = portal.parameters.clone();
            for (i, e) in exprs.iter().enumerate() {
                if e.is_some() {
                    parameter_types[i] = Some(Type::TEXT);
                    parameters[i] = None;
                }
            }
            let codes = match &portal.parameter_format {
                Format::UnifiedText => vec![],
                Format::UnifiedBinary => vec![1],
                Format::Individual(codes) => codes.clone(),
            };
            hidden = Portal::try_new(
                &pgwire::messages::extendedquery::Bind::new(None, None, codes, parameters, vec![]),
                Arc::new(pgwire::api::stmt::StoredStatement::new(
                    portal.statement.id.clone(),
                    prepared.clone(),
                    parameter_types,
                )),
            )?;
            &hidden
        } else {
            portal
        };
        // `oid[]` travels as `int4[]` does (4-byte elements); decode it so.
        let plain_int_array = DataType::List(Arc::new(arrow::datatypes::Field::new_list_field(
            DataType::Int32,
            true,
        )));
        let inferred: Vec<Option<&DataType>> = prepared
            .parameter_types
            .iter()
            .enumerate()
            .map(|(i, t)| match t {
                _ if exprs.get(i).is_some_and(Option::is_some) => None,
                Some(t) if crate::catalog::asyncpg_introspection::is_oid_array(t) => {
                    Some(&plain_int_array)
                }
                t => t.as_ref(),
            })
            .collect();
        let server_types: Vec<Type> = prepared
            .parameter_types
            .iter()
            .enumerate()
            .map(|(i, t)| match wire_type(t.as_ref()) {
                _ if exprs.get(i).is_some_and(Option::is_some) => Type::TEXT,
                Type::OID_ARRAY => Type::INT4_ARRAY,
                other => other,
            })
            .collect();
        let server_refs: Vec<Option<&Type>> = server_types.iter().map(Some).collect();
        let values = arrow_pg::datatypes::df::deserialize_parameters_with_server_types(
            portal,
            &inferred,
            &server_refs,
        )?;
        bind_parameters(&prepared.statement, &values, &exprs).map_err(|e| pg_error(&e))
    }
}

#[async_trait]
impl ExtendedQueryHandler for QueryHandler {
    type Statement = Prepared;
    type QueryParser = PreparedParser;

    fn query_parser(&self) -> Arc<PreparedParser> {
        self.parser.clone()
    }

    /// `Parse`: pgwire's, and the statement's name kept for `DEALLOCATE ALL`.
    async fn on_parse<C>(&self, client: &mut C, message: Parse) -> PgWireResult<()>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Self::Statement>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let name = message
            .name
            .clone()
            .unwrap_or_else(|| DEFAULT_NAME.to_owned());
        match StoredStatement::parse(client, &message, self.query_parser()).await? {
            Some(statement) => client.portal_store().put_statement(Arc::new(statement)),
            None => client.portal_store().put_empty_statement(&name),
        }
        super::deallocate::parsed(client, message.name.as_deref());
        client
            .send(PgWireBackendMessage::ParseComplete(ParseComplete::new()))
            .await?;
        Ok(())
    }

    /// `Execute`: with no row limit the rows are streamed to the client as
    /// they are produced (pgwire's default collects the whole result in memory
    /// first); with a row limit, the limit is capped at [`MAX_FETCH_ROWS`]
    /// (pgwire preallocates room for the limit, so a huge `max_rows` would
    /// exhaust memory; found by the fuzz target). A capped fetch ends with
    /// `PortalSuspended` and the client fetches again, as the protocol allows.
    async fn on_execute<C>(&self, client: &mut C, message: Execute) -> PgWireResult<()>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Self::Statement>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let name = message.name.as_deref().unwrap_or(DEFAULT_NAME);
        let portal = match client.portal_store().get_portal(name) {
            Some(Entry::Value(portal)) => Some(portal),
            _ => None,
        };
        let streams_whole_result = match &portal {
            Some(portal) if message.max_rows <= 0 => {
                matches!(*portal.state().lock().await, PortalExecutionState::Initial)
            }
            _ => false,
        };
        let (Some(portal), true) = (portal, streams_whole_result) else {
            let mut message = message;
            message.max_rows = message.max_rows.clamp(0, MAX_FETCH_ROWS);
            return self._on_execute(client, message).await;
        };
        if !matches!(client.state(), PgWireConnectionState::ReadyForQuery) {
            return Err(PgWireError::NotReadyForQuery);
        }
        client.set_state(PgWireConnectionState::QueryInProgress);
        match ExtendedQueryHandler::do_query(self, client, portal.as_ref(), 0).await? {
            Response::Query(mut results) => {
                *portal.state().lock().await = PortalExecutionState::Finished;
                let tag = results.command_tag().to_owned();
                let mut count = 0;
                while let Some(row) = results.data_rows().next().await {
                    client.feed(PgWireBackendMessage::DataRow(row?)).await?;
                    count += 1;
                }
                client
                    .feed(PgWireBackendMessage::CommandComplete(
                        Tag::new(&tag).with_rows(count).into(),
                    ))
                    .await?;
            }
            Response::Execution(tag) => send_execution_response(client, tag).await?,
            Response::EmptyQuery => {
                client
                    .feed(PgWireBackendMessage::EmptyQueryResponse(
                        EmptyQueryResponse::new(),
                    ))
                    .await?;
            }
            Response::Error(info) => {
                client
                    .send(PgWireBackendMessage::ErrorResponse((*info).into()))
                    .await?;
            }
            Response::CopyOut(copy) => {
                *portal.state().lock().await = PortalExecutionState::Finished;
                pgwire::api::copy::send_copy_out_response(client, copy).await?;
            }
            _ => {
                return Err(PgWireError::UserError(Box::new(ErrorInfo::new(
                    "ERROR".into(),
                    "0A000".into(),
                    "COPY FROM STDIN and COPY BOTH are not supported".into(),
                ))));
            }
        }
        client.set_state(PgWireConnectionState::ReadyForQuery);
        Ok(())
    }

    /// `Describe` of a portal that is a SQL cursor (`DECLARE name CURSOR …`), as psycopg's
    /// named cursors send it, is answered from the session's cursor; other targets as usual.
    async fn on_describe<C>(&self, client: &mut C, message: Describe) -> PgWireResult<()>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Self::Statement>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        if message.target_type == TARGET_TYPE_BYTE_PORTAL
            && let Some(name) = message.name.as_deref()
            && client.portal_store().get_portal(name).is_none()
        {
            let schema = session_of(client)?.lock().await.cursor_schema(name);
            if let Some(schema) = schema {
                let fields = fields(&schema, &Format::UnifiedText, format_options(client))?;
                send_describe_response(client, &DescribePortalResponse::new(fields)).await?;
                return Ok(());
            }
        }
        self._on_describe(client, message).await
    }

    async fn do_describe_portal<C>(
        &self,
        client: &mut C,
        portal: &Portal<Prepared>,
    ) -> PgWireResult<DescribePortalResponse>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Self::Statement>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let statement = Self::bound_statement(portal)?;
        let session = session_of(client)?;
        let session = session.lock().await;
        let description = session
            .describe(&statement, &[])
            .await
            .map_err(|e| pg_error(&e))?;
        let fields = match description.schema {
            Some(schema) => fields(
                &schema,
                &portal.result_column_format,
                format_options(client),
            )?,
            None => vec![],
        };
        Ok(DescribePortalResponse::new(fields))
    }

    async fn do_query<C>(
        &self,
        client: &mut C,
        portal: &Portal<Prepared>,
        _max_rows: usize,
    ) -> PgWireResult<Response>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Self::Statement>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let statement = Self::bound_statement(portal)?;
        if let Some(outcome) = super::deallocate::deallocate(client, &statement) {
            return outcome;
        }
        let options = format_options(client);
        let session = session_of(client)?;
        let mut session = session.lock().await;
        let guard = begin_statement(client, &session);
        let result = execute_guarded(&mut session, statement, &guard).await?;
        respond(result, &portal.result_column_format, options, &guard).await
    }
}
