//! PostgreSQL's types through real clients: arrays bound as parameters by
//! tokio-postgres (binary) and psycopg 3 (text and binary), compared with the
//! answers of a real PostgreSQL where the statement reads no data, and with a
//! query without parameters where it reads the sample's views.

use std::process::Command;

use tokio_postgres::{Client, NoTls};

use crate::common::{Postgres, Server, repo_root};

async fn connect(conninfo: &str) -> Client {
    let (client, connection) = tokio_postgres::connect(conninfo, NoTls)
        .await
        .unwrap_or_else(|e| panic!("connect to {conninfo}: {e}"));
    tokio::spawn(async move {
        let _ = connection.await;
    });
    client
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Runtime::new().unwrap()
}

/// One value of a one-row, one-column query with bound parameters, from both servers.
macro_rules! both {
    ($ours:expr, $theirs:expr, $ty:ty, $sql:expr, $($param:expr),*) => {{
        let ours: $ty = $ours
            .query_one($sql, &[$(&$param),*])
            .await
            .unwrap_or_else(|e| panic!("conversql: {}: {e:?}", $sql))
            .get(0);
        let theirs: $ty = $theirs
            .query_one($sql, &[$(&$param),*])
            .await
            .unwrap_or_else(|e| panic!("PostgreSQL: {}: {e:?}", $sql))
            .get(0);
        assert_eq!(ours, theirs, "{}", $sql);
        ours
    }};
}

#[test]
fn tokio_postgres_binds_arrays_as_postgres_does() {
    require!(POSTGRES_SERVER);
    let server = Server::start();
    let postgres = Postgres::start();
    runtime().block_on(async {
        let ours = connect(&server.conninfo()).await;
        let theirs = connect(&postgres.conninfo("postgres")).await;

        let texts = vec![
            Some("v"),
            Some("a,b"),
            None,
            Some("NULL"),
            Some("q\"\\"),
            Some(""),
        ];
        let got = both!(
            ours,
            theirs,
            Vec<Option<String>>,
            "SELECT $1::text[]",
            texts
        );
        assert_eq!(got.len(), 6);
        assert_eq!(got[1].as_deref(), Some("a,b"));
        assert_eq!(got[2], None);

        let ints: Vec<Option<i32>> = vec![Some(1), None, Some(-3)];
        let got = both!(ours, theirs, Vec<Option<i32>>, "SELECT $1::int4[]", ints);
        assert_eq!(got, vec![Some(1), None, Some(-3)]);

        let bigs: Vec<i64> = vec![1 << 40, -1];
        both!(ours, theirs, Vec<i64>, "SELECT $1::int8[]", bigs);
        let floats: Vec<f64> = vec![1.5, -0.25];
        both!(ours, theirs, Vec<f64>, "SELECT $1::float8[]", floats);
        let bools: Vec<Option<bool>> = vec![Some(true), None];
        both!(ours, theirs, Vec<Option<bool>>, "SELECT $1::bool[]", bools);
        let dates = vec![chrono::NaiveDate::from_ymd_opt(2026, 1, 2).unwrap()];
        both!(
            ours,
            theirs,
            Vec<chrono::NaiveDate>,
            "SELECT $1::date[]",
            dates
        );
        let stamps = vec![
            chrono::NaiveDate::from_ymd_opt(2026, 1, 2)
                .unwrap()
                .and_hms_micro_opt(3, 4, 5, 600_000)
                .unwrap(),
        ];
        both!(
            ours,
            theirs,
            Vec<chrono::NaiveDateTime>,
            "SELECT $1::timestamp[]",
            stamps
        );
        let empty: Vec<i32> = vec![];
        both!(ours, theirs, Vec<i32>, "SELECT $1::int4[]", empty);

        // `= ANY($1)` and `<> ALL($1)`: the parameter's type is inferred as an array.
        let ab = vec!["a", "b"];
        assert!(both!(ours, theirs, bool, "SELECT 'a' = ANY($1)", ab));
        let with_null = vec![Some("a"), None];
        let got = both!(
            ours,
            theirs,
            Option<bool>,
            "SELECT 'c' = ANY($1)",
            with_null
        );
        assert_eq!(
            got, None,
            "no match but a NULL element: NULL, as in PostgreSQL"
        );
        let one_three: Vec<i64> = vec![1, 3];
        assert!(both!(
            ours,
            theirs,
            bool,
            "SELECT 2::int8 <> ALL($1)",
            one_three
        ));
        let b = vec!["b"];
        assert!(both!(
            ours,
            theirs,
            bool,
            "SELECT ARRAY['a','b'] @> $1::text[]",
            b
        ));
        let c_null = vec![Some("c"), None];
        assert!(!both!(
            ours,
            theirs,
            bool,
            "SELECT ARRAY['a','b'] && $1::text[]",
            c_null
        ));

        // The parameter types Describe reports are PostgreSQL's.
        for sql in [
            "SELECT $1::text[]",
            "SELECT 'a' = ANY($1)",
            "SELECT $1::int8[]",
        ] {
            let mine = ours.prepare(sql).await.unwrap();
            let pg = theirs.prepare(sql).await.unwrap();
            assert_eq!(mine.params(), pg.params(), "{sql}");
        }
    });
}

#[test]
fn array_parameters_over_the_views_agree_with_plain_queries() {
    let server = Server::start();
    runtime().block_on(async {
        let client = connect(&server.conninfo()).await;
        let plain: i64 = client
            .query_one(
                "SELECT count(*) FROM conversations WHERE 'returns' = ANY(tags)",
                &[],
            )
            .await
            .unwrap()
            .get(0);
        assert!(plain > 0, "the sample has conversations tagged 'returns'");
        let returns = vec!["returns"];
        for sql in [
            "SELECT count(*) FROM conversations WHERE tags @> $1::text[]",
            "SELECT count(*) FROM conversations WHERE tags && $1::text[]",
            "SELECT count(*) FROM conversations WHERE $1::text[] <@ tags",
        ] {
            let bound: i64 = client.query_one(sql, &[&returns]).await.unwrap().get(0);
            assert_eq!(bound, plain, "{sql}");
        }
        let any: i64 = client
            .query_one(
                "SELECT count(*) FROM conversations WHERE channel = ANY($1)",
                &[&vec!["web_chat", "sms"]],
            )
            .await
            .unwrap()
            .get(0);
        let plain_in: i64 = client
            .query_one(
                "SELECT count(*) FROM conversations WHERE channel IN ('web_chat', 'sms')",
                &[],
            )
            .await
            .unwrap()
            .get(0);
        assert_eq!(any, plain_in);
    });
}

fn psycopg_answers(port: u16, user: &str, dbname: &str) -> serde_json::Value {
    let script = repo_root().join("tests/clients/psycopg_arrays.py");
    let out = Command::new("python3")
        .arg(&script)
        .args([&port.to_string(), user, dbname])
        .output()
        .expect("python3");
    assert!(
        out.status.success(),
        "psycopg_arrays.py failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON")
}

#[test]
fn psycopg_binds_arrays_as_postgres_does() {
    require!(POSTGRES_SERVER, PSYCOPG);
    let server = Server::start();
    let postgres = Postgres::start();
    let ours = psycopg_answers(server.port, "analyst", "conversql");
    let theirs = psycopg_answers(postgres.port, "postgres", "postgres");
    let (ours, theirs) = (ours.as_array().unwrap(), theirs.as_array().unwrap());
    assert_eq!(ours.len(), theirs.len());
    for (mine, pg) in ours.iter().zip(theirs) {
        assert_eq!(mine, pg, "conversql vs PostgreSQL");
    }
    // Not vacuous: the first answer is the list bound, the last two are 22P02.
    assert_eq!(ours[0]["value"], serde_json::json!(["v", "m"]));
    assert_eq!(ours[ours.len() - 1]["sqlstate"], "22P02");
    assert_eq!(ours[ours.len() - 2]["sqlstate"], "22P02");
}
