//! Views from SQL over the wire: `CREATE [OR REPLACE] VIEW`, `COMMENT ON`,
//! `ALTER … RENAME TO`, `DROP VIEW`, alone and in transactions, kept as files
//! in the views location and read by a second server process sharing it,
//! without a restart; and the errors PostgreSQL gives for the bad cases,
//! with nothing written.

use std::path::Path;
use std::time::{Duration, Instant};

use tokio_postgres::{Client, NoTls, SimpleQueryMessage};

use crate::common::{Moto, Server};

async fn connect(server: &Server) -> Client {
    let (client, connection) = tokio_postgres::connect(&server.conninfo(), NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    client
}

/// The rows of `sql` in text form, `a|b` each.
async fn rows(client: &Client, sql: &str) -> Vec<String> {
    client
        .simple_query(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .into_iter()
        .filter_map(|m| match m {
            SimpleQueryMessage::Row(row) => Some(
                (0..row.len())
                    .map(|i| row.get(i).unwrap_or("NULL").to_string())
                    .collect::<Vec<_>>()
                    .join("|"),
            ),
            _ => None,
        })
        .collect()
}

/// The SQLSTATE and message of `sql`, which must fail.
async fn error(client: &Client, sql: &str) -> (String, String) {
    let e = client
        .simple_query(sql)
        .await
        .err()
        .unwrap_or_else(|| panic!("{sql} should fail"));
    let db = e
        .as_db_error()
        .unwrap_or_else(|| panic!("{sql}: not a server error: {e}"));
    (db.code().code().to_string(), db.message().to_string())
}

/// Waits (up to 10 s) until `sql` gives `expected` on `client`: the other
/// process reads the location when it last listed it over half a second ago.
async fn eventually(client: &Client, sql: &str, expected: &[&str]) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let got = match client.simple_query(sql).await {
            Ok(_) => rows(client, sql).await,
            Err(e) => vec![format!("error: {e}")],
        };
        if got == expected {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{sql}: got {got:?}, expected {expected:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[tokio::test(flavor = "multi_thread")]
async fn views_defined_on_one_server_are_read_by_another() {
    let views = tempfile::tempdir().unwrap();
    let location = views.path().to_str().unwrap();
    let a = Server::start_with(&["--views", location]);
    let b = Server::start_with(&["--views", location]);
    let (ca, cb) = (connect(&a).await, connect(&b).await);

    // Defined on A, answered on B with the rows of its SQL.
    let query = "SELECT status, count(*) AS n FROM conversations GROUP BY status";
    let expected = rows(&ca, &format!("{query} ORDER BY status")).await;
    assert!(expected.len() >= 2, "{expected:?}");
    rows(&ca, &format!("CREATE VIEW by_status AS {query}")).await;
    let expected: Vec<&str> = expected.iter().map(String::as_str).collect();
    eventually(
        &cb,
        "SELECT status, n FROM by_status ORDER BY status",
        &expected,
    )
    .await;
    assert_eq!(files(views.path()), ["by_status.sql"]);

    // Through the extended protocol too (Parse, Describe, Bind, Execute), and
    // described on B as soon as B can run it.
    ca.execute("CREATE VIEW extended AS SELECT 7 AS seven", &[])
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    // An integer literal is an `integer` through the view too, as in PostgreSQL.
    let seven: i32 = loop {
        match cb.query_one("SELECT seven FROM extended", &[]).await {
            Ok(row) => break row.get(0),
            Err(e) => {
                assert!(Instant::now() < deadline, "{e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    };
    assert_eq!(seven, 7);
    ca.execute("DROP VIEW extended", &[]).await.unwrap();

    // Comments travel with the file.
    rows(
        &ca,
        "COMMENT ON VIEW by_status IS 'Conversations per status.'",
    )
    .await;
    rows(&ca, "COMMENT ON COLUMN by_status.n IS 'How many.'").await;
    eventually(
        &cb,
        "SELECT obj_description('by_status'::regclass, 'pg_class'), \
         col_description('by_status'::regclass, 2)",
        &["Conversations per status.|How many."],
    )
    .await;
    let text = std::fs::read_to_string(views.path().join("by_status.sql")).unwrap();
    assert!(
        text.starts_with("-- @comment Conversations per status.\n-- @column n: How many.\n"),
        "{text}"
    );

    // In a transaction: nobody else sees it before COMMIT; ROLLBACK leaves nothing.
    rows(&ca, "BEGIN").await;
    rows(&ca, "CREATE VIEW pending AS SELECT 1 AS one").await;
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert_eq!(error(&cb, "SELECT one FROM pending").await.0, "42P01");
    assert!(!views.path().join("pending.sql").exists());
    rows(&ca, "COMMIT").await;
    eventually(&cb, "SELECT one FROM pending", &["1"]).await;
    rows(&ca, "BEGIN").await;
    rows(&ca, "CREATE VIEW rolled_back AS SELECT 2 AS two").await;
    rows(&ca, "ROLLBACK").await;
    assert_eq!(error(&ca, "SELECT two FROM rolled_back").await.0, "42P01");
    assert!(!views.path().join("rolled_back.sql").exists());

    // dbt's swap in one transaction: a new relation under a temporary name, renamed in.
    rows(&ca, "BEGIN").await;
    rows(
        &ca,
        "create view \"conversql\".\"public\".\"by_status__dbt_tmp\" as (SELECT status, count(*) AS n \
         FROM conversations WHERE channel = 'sms' GROUP BY status)",
    )
    .await;
    rows(
        &ca,
        "alter table \"conversql\".\"public\".\"by_status\" rename to \"by_status__dbt_backup\"",
    )
    .await;
    rows(
        &ca,
        "alter table \"conversql\".\"public\".\"by_status__dbt_tmp\" rename to \"by_status\"",
    )
    .await;
    rows(&ca, "COMMIT").await;
    rows(
        &ca,
        "drop view if exists \"conversql\".\"public\".\"by_status__dbt_backup\" cascade",
    )
    .await;
    let sms = rows(
        &ca,
        "SELECT status, count(*) FROM conversations WHERE channel = 'sms' GROUP BY status ORDER BY status",
    )
    .await;
    let sms: Vec<&str> = sms.iter().map(String::as_str).collect();
    eventually(&cb, "SELECT status, n FROM by_status ORDER BY status", &sms).await;
    assert_eq!(files(views.path()), ["by_status.sql", "pending.sql"]);

    // OR REPLACE may add columns at the end, not change the ones there.
    rows(
        &ca,
        "CREATE OR REPLACE VIEW pending AS SELECT 1 AS one, 'x' AS added",
    )
    .await;
    let (code, message) = error(&ca, "CREATE OR REPLACE VIEW pending AS SELECT 1 AS other").await;
    assert_eq!(code, "42P16", "{message}");

    // A view that does not plan: the planner's error, nothing written.
    let (code, message) = error(
        &ca,
        "CREATE VIEW broken AS SELECT no_such_column FROM conversations",
    )
    .await;
    assert!(message.contains("no_such_column"), "{code} {message}");
    assert!(!views.path().join("broken.sql").exists());

    // Built-in views are nobody's to replace or drop; a taken name is taken.
    assert_eq!(
        error(&ca, "CREATE VIEW conversations AS SELECT 1 AS a")
            .await
            .0,
        "42P07"
    );
    assert_eq!(
        error(&ca, "CREATE OR REPLACE VIEW conversations AS SELECT 1 AS a")
            .await
            .0,
        "42501"
    );
    assert_eq!(error(&ca, "DROP VIEW conversations").await.0, "42501");
    assert_eq!(
        error(&ca, "CREATE VIEW pending AS SELECT 1 AS one").await.0,
        "42P07"
    );
    assert_eq!(error(&ca, "DROP VIEW nowhere").await.0, "42P01");
    rows(&ca, "DROP VIEW IF EXISTS nowhere").await;

    // A view others read is dropped only with CASCADE, which drops them too.
    rows(&ca, "CREATE VIEW reads_pending AS SELECT one FROM pending").await;
    let (code, message) = error(&ca, "DROP VIEW pending").await;
    assert_eq!(code, "2BP01", "{message}");
    assert!(message.contains("reads_pending"), "{message}");
    rows(&ca, "DROP VIEW pending CASCADE").await;
    assert_eq!(files(views.path()), ["by_status.sql"]);
    eventually(
        &cb,
        "SELECT count(*) FROM pg_views WHERE viewname IN ('pending', 'reads_pending')",
        &["0"],
    )
    .await;

    // A file written by hand (and a temporary one beside it) is read by both servers.
    std::fs::write(
        views.path().join("by_hand.sql"),
        "-- @comment Written by hand.\nCREATE VIEW by_hand AS SELECT 3 AS three;\n",
    )
    .unwrap();
    std::fs::write(views.path().join(".by_hand.sql.swp"), "not SQL").unwrap();
    eventually(&cb, "SELECT three FROM by_hand", &["3"]).await;
    eventually(
        &ca,
        "SELECT obj_description('by_hand'::regclass, 'pg_class')",
        &["Written by hand."],
    )
    .await;

    // A location that refuses the write: the statement fails naming it.
    std::fs::create_dir(views.path().join("blocked.sql")).unwrap();
    let (code, message) = error(&ca, "CREATE VIEW blocked AS SELECT 1 AS one").await;
    assert_eq!(code, "58030", "{message}");
    assert!(message.contains(location), "{message}");
}

/// The keys under `prefix` of `bucket` on the moto server, through boto3.
fn s3_keys(moto: &Moto, bucket: &str, prefix: &str) -> Vec<String> {
    moto.boto3(&format!(
        "r = s3.list_objects_v2(Bucket='{bucket}', Prefix='{prefix}')\n\
         print('\\n'.join(sorted(o['Key'] for o in r.get('Contents', []))))"
    ))
    .lines()
    .filter(|l| !l.is_empty())
    .map(str::to_string)
    .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_views_location_in_s3_is_shared_by_two_servers() {
    require!(MOTO_SERVER, BOTO3);
    let moto = Moto::start(&["views"]);
    let env = moto.env();
    let a = Server::start_with_env(&["--views", "s3://views/team"], &env);
    let b = Server::start_with_env(&["--views", "s3://views/team"], &env);
    let (ca, cb) = (connect(&a).await, connect(&b).await);
    rows(
        &ca,
        "CREATE VIEW sms_conversations AS SELECT conversation_id FROM conversations WHERE channel = 'sms'",
    )
    .await;
    let expected = rows(
        &ca,
        "SELECT count(*) FROM conversations WHERE channel = 'sms'",
    )
    .await;
    eventually(
        &cb,
        "SELECT count(*) FROM sms_conversations",
        &[expected[0].as_str()],
    )
    .await;
    assert_eq!(
        s3_keys(&moto, "views", "team/"),
        ["team/sms_conversations.sql"]
    );
    rows(&cb, "DROP VIEW sms_conversations").await;
    assert!(s3_keys(&moto, "views", "team/").is_empty());
    eventually(
        &ca,
        "SELECT count(*) FROM pg_views WHERE viewname = 'sms_conversations'",
        &["0"],
    )
    .await;
}
