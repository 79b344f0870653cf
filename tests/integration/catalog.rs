//! The catalog in-process: a data engineer's own view (`--views DIR`) is
//! documented by the `-- @comment` / `-- @column` lines of its file, and an
//! undocumented one shows no comment (so the server test's "every view and
//! column has a comment" check can fail).

use conversql::{Engine, EngineOptions};

use crate::common::pipe_rows;

async fn rows(engine: &Engine, sql: &str) -> Vec<String> {
    let mut session = engine.session();
    let batches = session.query(sql).await.unwrap().collect().await.unwrap();
    pipe_rows(&batches, "NULL")
}

#[tokio::test]
async fn views_of_views_dir_carry_their_comments() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("refund_questions.sql"),
        "-- @comment One row per conversation whose first question mentions a refund.\n\
         -- @column account_id: The account.\n\
         -- @column conversation_id: The conversation.\n\
         CREATE VIEW refund_questions AS SELECT account_id, conversation_id FROM conversations \
         WHERE first_question ILIKE '%refund%';\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("undocumented.sql"),
        "CREATE VIEW undocumented AS SELECT account_id FROM accounts;\n",
    )
    .unwrap();
    let engine = Engine::open(EngineOptions {
        data: format!("{}/data", env!("CARGO_MANIFEST_DIR")),
        views: Some(dir.path().to_str().unwrap().to_string()),
        ..Default::default()
    })
    .await
    .unwrap();
    let got = rows(
        &engine,
        "SELECT c.relname, c.relkind, obj_description(c.oid, 'pg_class'), col_description(c.oid, 1), \
         col_description(c.oid, 2) FROM pg_catalog.pg_class c \
         WHERE c.relname IN ('refund_questions', 'undocumented') ORDER BY 1",
    )
    .await;
    assert_eq!(
        got,
        [
            "refund_questions|v|One row per conversation whose first question mentions a refund.|The account.|The conversation.",
            "undocumented|v|NULL|NULL|NULL",
        ]
    );
    let definition = rows(
        &engine,
        "SELECT definition FROM pg_catalog.pg_views WHERE viewname = 'refund_questions'",
    )
    .await;
    assert!(
        definition[0]
            .trim_start()
            .starts_with("SELECT account_id, conversation_id FROM conversations"),
        "{definition:?}"
    );
    let described = rows(
        &engine,
        "SELECT count(*) FROM pg_catalog.pg_description d JOIN pg_catalog.pg_class c ON c.oid = d.objoid \
         WHERE c.relname = 'refund_questions'",
    )
    .await;
    assert_eq!(
        described,
        ["3"],
        "pg_description: the view and its two columns"
    );
}
