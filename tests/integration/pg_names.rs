//! PostgreSQL's names and commands as a client sees them: the result column
//! names of a list of statements, as RowDescription reports them through
//! tokio-postgres, compared with a real PostgreSQL; the session and
//! transaction commands; temporary views kept apart between two sessions;
//! scalar subqueries (21000); and SQLAlchemy 2.1.9's column reflection query
//! (`PGDialect._columns_query`, sqlalchemy/dialects/postgresql/base.py,
//! compiled for `conversations` in `pg_names/sqlalchemy_2_1_9_columns.sql`).

use std::time::Duration;

use tokio_postgres::{Client, NoTls, SimpleQueryMessage};

use crate::common::{Postgres, Server, expected_conversation_columns};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap()
}

async fn connect(conninfo: &str) -> Client {
    let (client, connection) = tokio_postgres::connect(conninfo, NoTls)
        .await
        .unwrap_or_else(|e| panic!("connect to {conninfo}: {e}"));
    tokio::spawn(async move {
        let _ = connection.await;
    });
    client
}

/// Statements whose result column names PostgreSQL decides (FigureColname).
const NAMED: &[&str] = &[
    "SELECT 1",
    "SELECT NULL, NULL",
    "SELECT 1 AS a, 2 AS a",
    "SELECT 1 AS \"Mixed\", 2 AS Folded",
    "SELECT count(*), sum(x), max(x), min(x), avg(x) FROM (VALUES (1)) v(x)",
    "SELECT count(*), count(x) FROM (VALUES (1)) v(x)",
    "SELECT '1'::int, '1'::integer, '1'::bigint, '1'::smallint, '1'::text, CAST('1' AS varchar(3))",
    "SELECT '2026-01-01'::date, '2026-01-01 00:00:00'::timestamp, '2026-01-01 00:00:00+00'::timestamptz, 1.5::float8, 1.5::real, '1'::numeric, '1'::double precision",
    "SELECT true, false, DATE '2026-01-01', INTERVAL '1 day'",
    "SELECT x, x::text, x::int::text, CAST(x AS bigint) FROM (VALUES (1)) v(x)",
    "SELECT x, x FROM (VALUES (1)) v(x)",
    "SELECT v.x, w.x FROM (VALUES (1)) v(x), (VALUES (2)) w(x)",
    "SELECT CASE WHEN true THEN 1 END, CASE WHEN true THEN 1 ELSE x END FROM (VALUES (1)) v(x)",
    "SELECT x IS NULL, x + 1, -x, NOT true, x = 1, x BETWEEN 0 AND 2, x IN (1, 2) FROM (VALUES (1)) v(x)",
    "SELECT 'a' || 'b', 'a' LIKE 'a%'",
    "SELECT ARRAY[1, 2], ARRAY(SELECT 1)",
    "SELECT (SELECT max(x) FROM (VALUES (1)) v(x)), (SELECT x FROM (VALUES (1)) v(x)), (SELECT 1)",
    "SELECT coalesce(NULL, 1), nullif(1, 2), greatest(1, 2), least(1, 2)",
    "SELECT upper('a'), lower('a'), length('a'), trim(' a '), substring('abc' from 1 for 2), position('b' in 'abc')",
    "SELECT date_trunc('day', '2026-01-01 10:00:00'::timestamp), extract(year FROM DATE '2026-01-01'), date_part('year', DATE '2026-01-01')",
    "SELECT current_user, session_user, current_schema, current_database(), version()",
    "SELECT * FROM (SELECT 1, 2) t",
    "SELECT * FROM (SELECT NULL, NULL) t",
    "WITH c AS (SELECT count(*) FROM (VALUES (1)) v(x)) SELECT * FROM c",
    "SELECT count FROM (SELECT count(*) FROM (VALUES (1)) v(x)) t",
    "SELECT 1 UNION ALL SELECT 2",
    "SELECT row_number() OVER (), rank() OVER (ORDER BY x) FROM (VALUES (1)) v(x)",
    "SELECT x AS y FROM (VALUES (1)) v(x) ORDER BY y",
];

async fn column_names(client: &Client, sql: &str) -> Result<Vec<String>, String> {
    client
        .prepare(sql)
        .await
        .map(|s| s.columns().iter().map(|c| c.name().to_string()).collect())
        .map_err(|e| {
            e.as_db_error()
                .map_or(e.to_string(), |d| d.message().to_string())
        })
}

/// The column names each statement reports (Describe through the extended
/// protocol, and RowDescription of the simple protocol) are PostgreSQL's.
#[test]
fn column_names_are_postgres() {
    require!(POSTGRES_SERVER);
    let server = Server::start();
    let postgres = Postgres::start();
    runtime().block_on(async {
        let ours = connect(&server.conninfo()).await;
        let theirs = connect(&postgres.conninfo("postgres")).await;
        let mut differences = vec![];
        for sql in NAMED {
            let expected = column_names(&theirs, sql).await.expect(sql);
            let described = column_names(&ours, sql).await;
            if described.as_ref() != Ok(&expected) {
                differences.push(format!(
                    "{sql}\n  postgres:  {expected:?}\n  conversql: {described:?}"
                ));
                continue;
            }
            let simple = ours.simple_query(sql).await.map(|messages| {
                messages
                    .iter()
                    .find_map(|m| match m {
                        SimpleQueryMessage::RowDescription(columns) => Some(
                            columns
                                .iter()
                                .map(|c| c.name().to_string())
                                .collect::<Vec<_>>(),
                        ),
                        _ => None,
                    })
                    .unwrap_or_default()
            });
            if simple.as_ref().map_err(ToString::to_string) != Ok(&expected) {
                differences.push(format!(
                    "{sql} (simple)\n  postgres:  {expected:?}\n  conversql: {simple:?}"
                ));
            }
        }
        assert!(differences.is_empty(), "{}", differences.join("\n"));
    });
}

/// The first row's first value of a simple query.
async fn value(client: &Client, sql: &str) -> String {
    let messages = client
        .simple_query(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e:?}"));
    messages
        .iter()
        .find_map(|m| match m {
            SimpleQueryMessage::Row(row) => Some(row.get(0).unwrap_or("NULL").to_string()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("{sql}: no row"))
}

/// The session and transaction commands answer as PostgreSQL does: the same
/// values and column names of SHOW's multi-word forms, and the same effect of
/// SET SESSION CHARACTERISTICS, BEGIN with modes, RESET ALL and DISCARD ALL.
#[test]
fn commands_answer_as_postgres() {
    require!(POSTGRES_SERVER);
    let server = Server::start();
    let postgres = Postgres::start();
    runtime().block_on(async {
        let ours = connect(&server.conninfo()).await;
        let theirs = connect(&postgres.conninfo("postgres")).await;
        theirs.batch_execute("SET TimeZone = 'UTC'").await.unwrap();
        let script: &[(&str, Option<&str>)] = &[
            ("SHOW TIME ZONE", Some("SHOW TIME ZONE")),
            (
                "SHOW TRANSACTION ISOLATION LEVEL",
                Some("SHOW TRANSACTION ISOLATION LEVEL"),
            ),
            (
                "SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL REPEATABLE READ",
                None,
            ),
            (
                "SHOW default_transaction_isolation",
                Some("SHOW default_transaction_isolation"),
            ),
            (
                "SHOW transaction_isolation",
                Some("SHOW transaction_isolation"),
            ),
            ("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY", None),
            (
                "SHOW default_transaction_read_only",
                Some("SHOW default_transaction_read_only"),
            ),
            ("BEGIN ISOLATION LEVEL SERIALIZABLE READ ONLY", None),
            (
                "SHOW transaction_isolation",
                Some("SHOW transaction_isolation"),
            ),
            ("SET TRANSACTION ISOLATION LEVEL READ COMMITTED", None),
            (
                "SHOW TRANSACTION ISOLATION LEVEL",
                Some("SHOW TRANSACTION ISOLATION LEVEL"),
            ),
            ("COMMIT", None),
            (
                "SHOW transaction_isolation",
                Some("SHOW transaction_isolation"),
            ),
            ("START TRANSACTION READ ONLY", None),
            ("ROLLBACK", None),
            ("RESET ALL", None),
            (
                "SHOW default_transaction_isolation",
                Some("SHOW default_transaction_isolation"),
            ),
            (
                "SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL SERIALIZABLE",
                None,
            ),
            ("DISCARD ALL", None),
            (
                "SHOW default_transaction_isolation",
                Some("SHOW default_transaction_isolation"),
            ),
            ("DISCARD PLANS", None),
            ("DISCARD SEQUENCES", None),
            ("DISCARD TEMP", None),
        ];
        for (command, check) in script {
            ours.batch_execute(command)
                .await
                .unwrap_or_else(|e| panic!("conversql: {command}: {e:?}"));
            theirs
                .batch_execute(command)
                .await
                .unwrap_or_else(|e| panic!("postgres: {command}: {e:?}"));
            if let Some(show) = check {
                assert_eq!(
                    value(&ours, show).await,
                    value(&theirs, show).await,
                    "after {command}: {show}"
                );
                assert_eq!(
                    column_names(&ours, show).await,
                    column_names(&theirs, show).await,
                    "{show}"
                );
            }
        }
        // Writes of data fail. Without a users file every session may define
        // views, so it may open a read-write transaction (a reader may not:
        // tests/integration/security.rs).
        ours.batch_execute("BEGIN READ WRITE; ROLLBACK")
            .await
            .unwrap();
        let err = ours
            .batch_execute("CREATE TABLE t (a int)")
            .await
            .unwrap_err();
        assert_eq!(
            err.code().map(tokio_postgres::error::SqlState::code),
            Some("25006"),
            "{err}"
        );
        let err = ours.batch_execute("LISTEN somewhere").await.unwrap_err();
        assert_eq!(
            err.code().map(tokio_postgres::error::SqlState::code),
            Some("0A000"),
            "{err}"
        );
        assert!(format!("{err:?}").contains("LISTEN"), "{err:?}");
    });
}

/// A scalar subquery of more than one row is error 21000 on both servers;
/// of one row its value, of none NULL.
#[test]
fn scalar_subqueries_are_single_valued() {
    require!(POSTGRES_SERVER);
    let server = Server::start();
    let postgres = Postgres::start();
    runtime().block_on(async {
        let ours = connect(&server.conninfo()).await;
        let theirs = connect(&postgres.conninfo("postgres")).await;
        let many = "SELECT (SELECT x FROM (VALUES (1), (2)) v(x))";
        for client in [&ours, &theirs] {
            let err = client.simple_query(many).await.unwrap_err();
            assert_eq!(err.code().map(tokio_postgres::error::SqlState::code), Some("21000"), "{err}");
        }
        let correlated = "SELECT string_agg(o.k::text || '=' || coalesce((SELECT v.s FROM (VALUES (1, 'a'), (2, 'b')) v(k, s) WHERE v.k = o.k), 'none'), ',' ORDER BY o.k) FROM (VALUES (1), (2), (3)) o(k)";
        assert_eq!(value(&ours, correlated).await, value(&theirs, correlated).await);
    });
}

/// A temporary view is its session's alone, gone at DISCARD TEMP and at disconnect.
#[test]
fn temporary_views_belong_to_their_session() {
    let server = Server::start();
    runtime().block_on(async {
        let first = connect(&server.conninfo()).await;
        let second = connect(&server.conninfo()).await;
        first
            .batch_execute("CREATE TEMPORARY VIEW mine AS SELECT count(*) AS n FROM conversations")
            .await
            .unwrap();
        let direct = value(&first, "SELECT count(*) FROM conversations").await;
        assert_eq!(value(&first, "SELECT n FROM mine").await, direct);
        let err = second.simple_query("SELECT n FROM mine").await.unwrap_err();
        assert_eq!(
            err.code().map(tokio_postgres::error::SqlState::code),
            Some("42P01"),
            "{err}"
        );
        second
            .batch_execute("CREATE TEMP VIEW mine AS SELECT 'other' AS n")
            .await
            .unwrap();
        assert_eq!(value(&second, "SELECT n FROM mine").await, "other");
        assert_eq!(value(&first, "SELECT n FROM mine").await, direct);
        first.batch_execute("DISCARD TEMP").await.unwrap();
        let err = first.simple_query("SELECT n FROM mine").await.unwrap_err();
        assert_eq!(
            err.code().map(tokio_postgres::error::SqlState::code),
            Some("42P01"),
            "{err}"
        );
        drop(second);
        tokio::time::sleep(Duration::from_millis(200)).await;
        let third = connect(&server.conninfo()).await;
        let err = third.simple_query("SELECT n FROM mine").await.unwrap_err();
        assert_eq!(
            err.code().map(tokio_postgres::error::SqlState::code),
            Some("42P01"),
            "{err}"
        );
    });
}

/// SQLAlchemy 2.1.9's column reflection (`inspect(engine).get_columns`)
/// plans, with its correlated scalar subqueries in CASE branches, and lists
/// the view's columns in order.
#[test]
fn sqlalchemy_2_1_9_column_reflection() {
    let sql = include_str!("pg_names/sqlalchemy_2_1_9_columns.sql");
    let server = Server::start();
    let rows = runtime().block_on(async {
        let ours = connect(&server.conninfo()).await;
        ours.simple_query(sql)
            .await
            .unwrap_or_else(|e| panic!("{e:?}"))
    });
    let names: Vec<String> = rows
        .iter()
        .filter_map(|m| match m {
            SimpleQueryMessage::Row(row) => row.get("name").map(str::to_string),
            _ => None,
        })
        .collect();
    let expected: Vec<String> = expected_conversation_columns()
        .into_iter()
        .map(|(name, _)| name)
        .collect();
    assert_eq!(names, expected);
}

/// `DEALLOCATE`: the prepared statements are gone after `DEALLOCATE ALL`, and an unknown name is 26000, as in PostgreSQL.
#[test]
fn deallocate_removes_prepared_statements() {
    let server = Server::start();
    let postgres = Postgres::start();
    runtime().block_on(async {
        let ours = connect(&server.conninfo()).await;
        let theirs = connect(&postgres.conninfo("postgres")).await;
        for client in [&ours, &theirs] {
            let err = client.batch_execute("DEALLOCATE nope").await.unwrap_err();
            assert_eq!(
                err.code().map(tokio_postgres::error::SqlState::code),
                Some("26000"),
                "{err}"
            );
            let first = client.prepare("SELECT 1::int4").await.unwrap();
            let second = client.prepare("SELECT 2::int4").await.unwrap();
            assert_eq!(
                client
                    .query_one(&first, &[])
                    .await
                    .unwrap()
                    .get::<_, i32>(0),
                1
            );
            assert_eq!(
                client
                    .query_one(&second, &[])
                    .await
                    .unwrap()
                    .get::<_, i32>(0),
                2
            );
            client.batch_execute("DEALLOCATE ALL").await.unwrap();
            for statement in [&first, &second] {
                let err = client.query_one(statement, &[]).await.unwrap_err();
                assert_eq!(
                    err.code().map(tokio_postgres::error::SqlState::code),
                    Some("26000"),
                    "{err}"
                );
            }
        }
    });
}
