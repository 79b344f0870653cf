//! `COPY … TO STDOUT` as PostgreSQL answers it: the bytes a client reads
//! (tokio-postgres `copy_out`) in text, CSV and binary format, compared with a
//! real PostgreSQL for the same statements; the refusals of `COPY FROM` and of
//! server files; and psql's `\copy` of a view.

use futures::{StreamExt, pin_mut};
use tokio_postgres::{Client, NoTls};

use crate::common::{Postgres, Server};

async fn connect(conninfo: &str) -> Client {
    let (client, connection) = tokio_postgres::connect(conninfo, NoTls)
        .await
        .unwrap_or_else(|e| panic!("connect to {conninfo}: {e}"));
    tokio::spawn(async move {
        let _ = connection.await;
    });
    client
}

async fn copied(client: &Client, sql: &str) -> Result<Vec<u8>, String> {
    let stream = client.copy_out(sql).await.map_err(|e| format!("{e:?}"))?;
    pin_mut!(stream);
    let mut out = vec![];
    while let Some(chunk) = stream.next().await {
        out.extend_from_slice(&chunk.map_err(|e| format!("{e:?}"))?);
    }
    Ok(out)
}

const VALUES: &str = "SELECT * FROM (VALUES (1::int4, 'a,b'::text, true, TIMESTAMPTZ '2026-06-07 10:30:00+00', 2.5::float8), \
     (2::int4, NULL::text, false, NULL::timestamptz, NULL::float8), \
     (3::int4, 'tab\tquote\"back\\slash', NULL::bool, TIMESTAMPTZ '2026-06-08 00:00:00.5+00', -1e20::float8)) \
     AS t(n, s, b, ts, f) ORDER BY n";

#[test]
fn copy_to_stdout_answers_as_postgres_does() {
    let server = Server::start();
    let postgres = Postgres::start();
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            let ours = connect(&server.conninfo()).await;
            let theirs = connect(&postgres.conninfo("postgres")).await;
            theirs.batch_execute("SET TIME ZONE 'UTC'").await.unwrap();
            for options in [
                "",
                "(FORMAT text, DELIMITER '|', NULL 'null')",
                "(FORMAT text, HEADER)",
                "(FORMAT csv)",
                "(FORMAT csv, HEADER, NULL 'NULL', DELIMITER ';')",
                "(FORMAT csv, FORCE_QUOTE (n, s))",
                "CSV HEADER",
                "(FORMAT binary)",
                "BINARY",
            ] {
                for query in [VALUES, "SELECT 1::int4 AS n, 'x'::text AS s WHERE false"] {
                    let sql = format!("COPY ({query}) TO STDOUT {options}");
                    let expected = copied(&theirs, &sql).await.unwrap();
                    let actual = copied(&ours, &sql)
                        .await
                        .unwrap_or_else(|e| panic!("{sql}: {e}"));
                    assert_eq!(
                        String::from_utf8_lossy(&actual),
                        String::from_utf8_lossy(&expected),
                        "{sql}"
                    );
                }
            }
            for (sql, code) in [
                ("COPY conversations FROM STDIN", "25006"),
                ("COPY conversations TO '/tmp/conversql-copy'", "42501"),
                ("COPY (SELECT 1) TO STDOUT (FORMAT xml)", "22023"),
            ] {
                let err = ours.copy_out(sql).await.map(|_| ()).unwrap_err();
                assert_eq!(
                    err.code().map(tokio_postgres::error::SqlState::code),
                    Some(code),
                    "{sql}: {err}"
                );
            }
            // A view, by name and with a column list: the rows of the query.
            let table = copied(
                &ours,
                "COPY conversations (conversation_id, status) TO STDOUT (FORMAT csv)",
            )
            .await
            .unwrap();
            let count: i64 = ours
                .query_one("SELECT count(*) FROM conversations", &[])
                .await
                .unwrap()
                .get(0);
            assert_eq!(
                String::from_utf8(table).unwrap().lines().count(),
                usize::try_from(count).unwrap()
            );
        });
}
