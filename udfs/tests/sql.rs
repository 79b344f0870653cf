//! Runs every conversql function through SQL on a DataFusion session.

use std::sync::Arc;

use arrow::array::{ArrayRef, RecordBatch, StringArray, TimestampMicrosecondArray};
use arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use arrow::util::pretty::pretty_format_batches;
use conversql_udfs::{
    ConversqlOptions, aggregate_udfs, format_instant, get_as_of, parse_instant, register_all,
    register_options, scalar_udfs, set_as_of, window_udfs, with_options,
};
use datafusion::common::Result;
use datafusion::datasource::MemTable;
use datafusion::prelude::{SessionConfig, SessionContext};

/// A session with the conversql options and functions.
fn context() -> SessionContext {
    // As conversql's engine sets it: `TIMESTAMPTZ` literals are instants in UTC.
    let config = with_options(SessionConfig::new().with_information_schema(true))
        .set_str("datafusion.execution.time_zone", "UTC")
        // As conversql's engine sets it: `2.5` is a numeric.
        .set_bool("datafusion.sql_parser.parse_float_as_decimal", true);
    let state = datafusion::execution::SessionStateBuilder::new()
        .with_config(config)
        .with_expr_planners(conversql_udfs::expr_planners())
        .with_default_features()
        .build();
    let ctx = SessionContext::new_with_state(state);
    register_all(&ctx);
    ctx
}

/// Runs `sql` and returns the pretty-printed result, one string per line.
async fn run(ctx: &SessionContext, sql: &str) -> Result<Vec<String>> {
    let batches = ctx.sql(sql).await?.collect().await?;
    Ok(pretty_format_batches(&batches)?
        .to_string()
        .lines()
        .map(str::to_string)
        .collect())
}

/// Runs `sql`, which must fail, and returns the error message.
async fn run_err(ctx: &SessionContext, sql: &str) -> String {
    match ctx.sql(sql).await {
        Err(e) => e.to_string(),
        Ok(df) => match df.collect().await {
            Err(e) => e.to_string(),
            Ok(batches) => panic!(
                "{sql} should fail, got\n{}",
                pretty_format_batches(&batches).unwrap()
            ),
        },
    }
}

/// Runs `sql` and returns the single value it produces, as text.
async fn value(ctx: &SessionContext, sql: &str) -> String {
    let batches = ctx.sql(sql).await.unwrap().collect().await.unwrap();
    let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
    assert_eq!(rows, 1, "{sql}");
    let batch = batches.iter().find(|b| b.num_rows() == 1).unwrap();
    assert_eq!(batch.num_columns(), 1, "{sql}");
    arrow::util::display::array_value_to_string(batch.column(0), 0).unwrap()
}

#[tokio::test]
async fn local_date_in_sql() -> Result<()> {
    let ctx = context();
    for (ts, zone, expected) in [
        ("2026-03-08T06:59:59Z", "America/New_York", "2026-03-08"),
        ("2026-03-08T07:00:00Z", "America/New_York", "2026-03-08"),
        ("2026-03-08T04:59:59Z", "America/New_York", "2026-03-07"),
        ("2026-11-01T04:30:00Z", "America/New_York", "2026-11-01"),
        ("2026-07-15T13:30:00Z", "Australia/Sydney", "2026-07-15"),
        ("2026-01-15T13:30:00Z", "Australia/Sydney", "2026-01-16"),
        ("2026-06-07T23:59:59Z", "UTC", "2026-06-07"),
    ] {
        let sql = format!("SELECT local_date(TIMESTAMP '{ts}', '{zone}')");
        assert_eq!(value(&ctx, &sql).await, expected, "{sql}");
    }
    assert_eq!(value(&ctx, "SELECT local_date(NULL, 'UTC')").await, "");
    assert_eq!(
        value(
            &ctx,
            "SELECT local_date(TIMESTAMP '2026-06-07T12:00:00Z', NULL)"
        )
        .await,
        ""
    );
    assert_eq!(
        value(
            &ctx,
            "SELECT arrow_typeof(local_date(TIMESTAMP '2026-06-07T12:00:00Z', 'UTC'))"
        )
        .await,
        "Date32"
    );

    // Columns, with several units and a per-row zone.
    let lines = run(
        &ctx,
        "SELECT local_date(ts, zone) AS d FROM (VALUES \
           (arrow_cast(TIMESTAMP '2026-03-08T04:30:00Z', 'Timestamp(Second, None)'), 'America/New_York'), \
           (arrow_cast(TIMESTAMP '2026-03-08T04:30:00Z', 'Timestamp(Second, None)'), 'Europe/Paris'), \
           (NULL, 'Europe/Paris')) AS t(ts, zone)",
    )
    .await?;
    assert_eq!(
        lines,
        vec![
            "+------------+",
            "| d          |",
            "+------------+",
            "| 2026-03-07 |",
            "| 2026-03-08 |",
            "|            |",
            "+------------+",
        ]
    );

    let err = run_err(
        &ctx,
        "SELECT local_date(TIMESTAMP '2026-06-07T12:00:00Z', 'Mars/Olympus')",
    )
    .await;
    assert!(err.contains("unknown time zone 'Mars/Olympus'"), "{err}");
    let err = run_err(&ctx, "SELECT local_date(42, 'UTC')").await;
    assert!(err.contains("must be a timestamp"), "{err}");
    Ok(())
}

#[tokio::test]
async fn checked_time_zone_in_sql() -> Result<()> {
    let ctx = context();
    let lines = run(
        &ctx,
        "SELECT account_id, checked_time_zone(timezone, account_id) AS tz FROM (VALUES \
           ('acme', 'America/New_York'), ('globex', 'UTC')) AS accounts(account_id, timezone) \
         ORDER BY account_id",
    )
    .await?;
    assert_eq!(
        lines,
        vec![
            "+------------+------------------+",
            "| account_id | tz               |",
            "+------------+------------------+",
            "| acme       | America/New_York |",
            "| globex     | UTC              |",
            "+------------+------------------+",
        ]
    );
    let err = run_err(
        &ctx,
        "SELECT checked_time_zone(timezone, account_id) FROM (VALUES \
           ('globex', 'UTC'), ('acme', 'Mars/Olympus')) AS accounts(account_id, timezone)",
    )
    .await;
    assert!(
        err.contains("account 'acme' has unknown time zone 'Mars/Olympus'"),
        "{err}"
    );
    let err = run_err(
        &ctx,
        "SELECT checked_time_zone(timezone, account_id) FROM (VALUES \
           ('acme', CAST(NULL AS VARCHAR))) AS accounts(account_id, timezone)",
    )
    .await;
    assert!(
        err.contains("account 'acme' has no time zone (timezone is NOT NULL)"),
        "{err}"
    );
    Ok(())
}

#[tokio::test]
async fn conversation_closed_at_and_status_in_sql() -> Result<()> {
    let ctx = context();
    ctx.sql("SET conversql.as_of = '2026-06-07T12:00:00Z'")
        .await?;
    let lines = run(
        &ctx,
        "SELECT id, closed_at, \
                conversation_status(has_ticket, has_handoff, closed_at, last_sender) AS status \
         FROM ( \
           SELECT id, has_ticket, has_handoff, last_sender, \
                  conversation_closed_at(first_close_at, last_updated, as_of()) AS closed_at \
           FROM (VALUES \
             (1, CAST(NULL AS TIMESTAMP), TIMESTAMP '2026-06-05T12:00:00Z', false, false, 'agent'), \
             (2, CAST(NULL AS TIMESTAMP), TIMESTAMP '2026-06-05T12:00:00.000001Z', false, false, 'agent'), \
             (3, TIMESTAMP '2026-06-01T09:00:00Z', TIMESTAMP '2026-06-01T08:00:00Z', false, false, 'customer'), \
             (4, CAST(NULL AS TIMESTAMP), TIMESTAMP '2026-06-01T08:00:00Z', true, true, 'agent'), \
             (5, CAST(NULL AS TIMESTAMP), TIMESTAMP '2026-06-07T08:00:00Z', NULL, true, 'agent'), \
             (6, TIMESTAMP '2026-06-04T00:00:00Z', TIMESTAMP '2026-06-01T08:00:00Z', NULL, NULL, NULL), \
             (7, CAST(NULL AS TIMESTAMP), CAST(NULL AS TIMESTAMP), false, false, 'agent') \
           ) AS c(id, first_close_at, last_updated, has_ticket, has_handoff, last_sender) \
         ) ORDER BY id",
    )
    .await?;
    assert_eq!(
        lines,
        vec![
            "+----+----------------------+----------+",
            "| id | closed_at            | status   |",
            "+----+----------------------+----------+",
            "| 1  | 2026-06-07T12:00:00Z | Resolved |",
            "| 2  |                      | Open     |",
            "| 3  | 2026-06-01T09:00:00Z | Closed   |",
            "| 4  | 2026-06-03T08:00:00Z | Routed   |",
            "| 5  |                      | Closed   |",
            "| 6  | 2026-06-03T08:00:00Z | Closed   |",
            "| 7  |                      | Open     |",
            "+----+----------------------+----------+",
        ]
    );
    assert_eq!(
        value(
            &ctx,
            "SELECT arrow_typeof(conversation_closed_at(NULL, NULL, as_of()))"
        )
        .await,
        "Timestamp(µs, \"UTC\")"
    );
    Ok(())
}

#[tokio::test]
async fn attribution_in_sql() -> Result<()> {
    let ctx = context();
    let lines = run(
        &ctx,
        "SELECT touch, \
                attribution_window_hours(touch, click_h, receipt_h) AS hours, \
                touch_priority(touch) AS priority, \
                in_attribution_window(touch_at, placed_at, \
                    attribution_window_hours(touch, click_h, receipt_h)) AS attributed \
         FROM (VALUES \
           (1, 'web_chat_click', CAST(NULL AS SMALLINT), CAST(NULL AS BIGINT), \
              TIMESTAMP '2026-06-01T00:00:00Z', TIMESTAMP '2026-06-02T00:00:00Z'), \
           (2, 'web_chat_click', NULL, NULL, \
              TIMESTAMP '2026-06-01T00:00:00Z', TIMESTAMP '2026-06-02T00:00:00.000001Z'), \
           (3, 'sms_click', NULL, NULL, \
              TIMESTAMP '2026-06-01T00:00:00Z', TIMESTAMP '2026-06-06T00:00:00Z'), \
           (4, 'sms_click', 48, NULL, \
              TIMESTAMP '2026-06-01T00:00:00Z', TIMESTAMP '2026-06-06T00:00:00Z'), \
           (5, 'sms_receipt', NULL, NULL, \
              TIMESTAMP '2026-06-01T00:00:00Z', TIMESTAMP '2026-06-01T12:00:00Z'), \
           (6, 'sms_receipt', NULL, 0, \
              TIMESTAMP '2026-06-01T00:00:00Z', TIMESTAMP '2026-06-01T01:00:00Z'), \
           (7, 'sms_click', NULL, NULL, \
              TIMESTAMP '2026-06-01T00:00:00Z', TIMESTAMP '2026-06-01T00:00:00Z'), \
           (8, NULL, NULL, NULL, \
              TIMESTAMP '2026-06-01T00:00:00Z', TIMESTAMP '2026-06-01T01:00:00Z') \
         ) AS t(id, touch, click_h, receipt_h, touch_at, placed_at) ORDER BY id",
    )
    .await?;
    assert_eq!(
        lines,
        vec![
            "+----------------+-------+----------+------------+",
            "| touch          | hours | priority | attributed |",
            "+----------------+-------+----------+------------+",
            "| web_chat_click | 24    | 0        | true       |",
            "| web_chat_click | 24    | 0        | false      |",
            "| sms_click      | 120   | 0        | true       |",
            "| sms_click      | 48    | 0        | false      |",
            "| sms_receipt    | 12    | 1        | true       |",
            "| sms_receipt    | 0     | 1        | false      |",
            "| sms_click      | 120   | 0        | false      |",
            "|                |       |          |            |",
            "+----------------+-------+----------+------------+",
        ]
    );
    let err = run_err(&ctx, "SELECT touch_priority('email_open')").await;
    assert!(err.contains("unknown touch 'email_open'"), "{err}");
    let err = run_err(&ctx, "SELECT attribution_window_hours('email_open', 1, 2)").await;
    assert!(
        err.contains("'email_open'")
            && err.contains("'web_chat_click', 'sms_click', 'sms_receipt'"),
        "{err}"
    );
    assert_eq!(
        value(
            &ctx,
            "SELECT in_attribution_window(TIMESTAMP '2026-06-01T00:00:00Z', NULL, 24)"
        )
        .await,
        ""
    );
    Ok(())
}

#[tokio::test]
async fn tag_union_in_sql() -> Result<()> {
    let ctx = context();
    let lines = run(
        &ctx,
        "SELECT account_id, tag_union(tags) AS tags FROM (VALUES \
           ('acme', ['vip', 'refund']), \
           ('acme', ['refund', NULL, 'Billing']), \
           ('acme', NULL), \
           ('globex', NULL), \
           ('initech', []), \
           ('initech', ['b', 'a', 'b']) \
         ) AS t(account_id, tags) GROUP BY account_id ORDER BY account_id",
    )
    .await?;
    assert_eq!(
        lines,
        vec![
            "+------------+------------------------+",
            "| account_id | tags                   |",
            "+------------+------------------------+",
            "| acme       | [Billing, refund, vip] |",
            "| globex     | []                     |",
            "| initech    | [a, b]                 |",
            "+------------+------------------------+",
        ]
    );
    assert_eq!(
        value(&ctx, "SELECT arrow_typeof(tag_union(['a']))").await,
        "List(Utf8)"
    );
    // No rows at all: an empty list, not NULL.
    assert_eq!(
        value(
            &ctx,
            "SELECT tag_union(tags) FROM (VALUES (['a'])) AS t(tags) WHERE false"
        )
        .await,
        "[]"
    );
    // Other encodings.
    assert_eq!(
        value(
            &ctx,
            "SELECT tag_union(arrow_cast(tags, 'LargeList(Utf8View)')) \
             FROM (VALUES (['y', 'x']), (['z'])) AS t(tags)"
        )
        .await,
        "[x, y, z]"
    );
    let err = run_err(&ctx, "SELECT tag_union([1, 2])").await;
    assert!(err.contains("tag_union expects a list of strings"), "{err}");
    Ok(())
}

#[tokio::test]
async fn tag_union_repartitioned() -> Result<()> {
    // Several partitions and a small batch size force partial aggregation,
    // repartitioning and merge_batch.
    let config = with_options(
        SessionConfig::new()
            .with_target_partitions(4)
            .with_batch_size(2),
    );
    let ctx = SessionContext::new_with_config(config);
    register_all(&ctx);

    let schema = Arc::new(Schema::new(vec![
        Field::new("account_id", DataType::Utf8, false),
        Field::new(
            "tags",
            DataType::List(Arc::new(Field::new_list_field(DataType::Utf8, true))),
            true,
        ),
    ]));
    let mut partitions = vec![];
    for p in 0..4 {
        let mut batches = vec![];
        for b in 0..3 {
            let accounts: ArrayRef = Arc::new(StringArray::from(vec!["a", "b", "c", "a"]));
            let mut tags = arrow::array::ListBuilder::new(arrow::array::StringBuilder::new());
            for row in 0..4 {
                tags.values()
                    .append_value(format!("t{}", (p * 7 + b * 3 + row) % 10));
                tags.values().append_value(format!("p{p}"));
                tags.append(true);
            }
            batches.push(RecordBatch::try_new(
                Arc::clone(&schema),
                vec![accounts, Arc::new(tags.finish())],
            )?);
        }
        partitions.push(batches);
    }
    ctx.register_table(
        "conversations",
        Arc::new(MemTable::try_new(Arc::clone(&schema), partitions)?),
    )?;

    let lines = run(
        &ctx,
        "SELECT account_id, tag_union(tags) AS tags FROM conversations \
         GROUP BY account_id ORDER BY account_id",
    )
    .await?;
    // Every account sees every partition's tag; the t* tags depend on rows.
    assert_eq!(lines.len(), 7, "{lines:#?}");
    for line in &lines[3..6] {
        assert!(line.contains("p0, p1, p2, p3"), "{line}");
    }

    // Compare with a plain SQL formulation of the same union.
    let expected = run(
        &ctx,
        "SELECT account_id, array_sort(array_agg(DISTINCT tag)) AS tags FROM ( \
           SELECT account_id, unnest(tags) AS tag FROM conversations) \
         GROUP BY account_id ORDER BY account_id",
    )
    .await?;
    assert_eq!(lines, expected);
    Ok(())
}

#[tokio::test]
async fn as_of_in_sql() -> Result<()> {
    let ctx = context();

    // Unset: the query start time, identical everywhere in the statement.
    let before = chrono::Utc::now().timestamp_micros();
    let batches = ctx
        .sql("SELECT as_of() AS a, as_of() AS b")
        .await?
        .collect()
        .await?;
    let after = chrono::Utc::now().timestamp_micros();
    let a = batches[0]
        .column(0)
        .as_any()
        .downcast_ref::<TimestampMicrosecondArray>()
        .unwrap();
    let b = batches[0]
        .column(1)
        .as_any()
        .downcast_ref::<TimestampMicrosecondArray>()
        .unwrap();
    assert_eq!(a.value(0), b.value(0));
    assert!(before <= a.value(0) && a.value(0) <= after);
    assert_eq!(
        batches[0].schema().field(0).data_type(),
        &DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
    );

    // Set.
    ctx.sql("SET conversql.as_of = '2026-06-07T12:00:00Z'")
        .await?;
    assert_eq!(value(&ctx, "SELECT as_of()").await, "2026-06-07T12:00:00Z");
    assert_eq!(
        get_as_of(ctx.state().config()),
        Some(parse_instant("2026-06-07T12:00:00Z")?)
    );

    // A bad value is an error and keeps the previous value.
    let err = run_err(&ctx, "SET conversql.as_of = 'yesterday-ish'").await;
    assert!(
        err.contains(
            "invalid value 'yesterday-ish' \
             (expected an instant such as '2026-06-07T12:00:00Z')"
        ),
        "{err}"
    );
    assert_eq!(value(&ctx, "SELECT as_of()").await, "2026-06-07T12:00:00Z");

    // Other syntaxes.
    ctx.sql("SET conversql.as_of = '2026-06-07 14:00:00.5+02'")
        .await?;
    assert_eq!(
        value(&ctx, "SELECT as_of()").await,
        "2026-06-07T12:00:00.500Z"
    );
    ctx.sql("SET conversql.as_of = '2026-06-07'").await?;
    assert_eq!(value(&ctx, "SELECT as_of()").await, "2026-06-07T00:00:00Z");

    // SHOW and information_schema.
    ctx.sql("SET conversql.as_of = '2026-06-07T12:00:00Z'")
        .await?;
    let lines = run(&ctx, "SHOW conversql.as_of").await?;
    assert!(
        lines
            .iter()
            .any(|l| l.contains("conversql.as_of") && l.contains("2026-06-07T12:00:00Z")),
        "{lines:#?}"
    );
    assert_eq!(
        value(
            &ctx,
            "SELECT value FROM information_schema.df_settings WHERE name = 'conversql.as_of'"
        )
        .await,
        "2026-06-07T12:00:00Z"
    );

    // Used by the other functions.
    assert_eq!(
        value(&ctx, "SELECT local_date(as_of(), 'Pacific/Kiritimati')").await,
        "2026-06-08"
    );

    // Clearing goes back to the query start time.
    ctx.sql("SET conversql.as_of = ''").await?;
    assert_eq!(get_as_of(ctx.state().config()), None);
    let now = value(&ctx, "SELECT as_of() > TIMESTAMP '2026-01-01T00:00:00Z'").await;
    assert_eq!(now, "true");

    // Prepared statements are planned without a start time and executed with one.
    ctx.sql("PREPARE later(TIMESTAMP) AS SELECT as_of() > $1")
        .await?;
    assert_eq!(
        value(&ctx, "EXECUTE later(TIMESTAMP '2026-01-01T00:00:00Z')").await,
        "true"
    );

    // The DataFrame API goes through the same planning.
    let as_of = datafusion::logical_expr::ScalarUDF::from(conversql_udfs::AsOfFunc::new());
    let batches = ctx
        .read_empty()?
        .select(vec![as_of.call(vec![]).alias("t")])?
        .collect()
        .await?;
    assert_eq!(batches[0].num_rows(), 1);
    Ok(())
}

#[tokio::test]
async fn as_of_through_the_rust_api() -> Result<()> {
    let mut config = SessionConfig::new();
    assert_eq!(get_as_of(&config), None);
    register_options(&mut config);
    register_options(&mut config); // idempotent
    let noon = parse_instant("2026-06-07T12:00:00Z")?;
    set_as_of(&mut config, Some(noon));
    assert_eq!(get_as_of(&config), Some(noon));
    assert_eq!(format_instant(noon), "2026-06-07T12:00:00Z");

    // register_all keeps options that are already configured.
    let ctx = SessionContext::new_with_config(config);
    register_all(&ctx);
    assert_eq!(value(&ctx, "SELECT as_of()").await, "2026-06-07T12:00:00Z");

    // register_all adds the options to a context that lacks them.
    let ctx = SessionContext::new();
    register_all(&ctx);
    assert!(
        ctx.state()
            .config()
            .options()
            .extensions
            .get::<ConversqlOptions>()
            .is_some()
    );
    ctx.sql("SET conversql.as_of = '2026-06-07T12:00:00Z'")
        .await?;
    assert_eq!(value(&ctx, "SELECT as_of()").await, "2026-06-07T12:00:00Z");
    Ok(())
}

#[test]
fn every_function_is_registered_and_documented() {
    let ctx = context();
    let state = ctx.state();
    let scalar = scalar_udfs();
    let aggregate = aggregate_udfs();
    let mut names = vec![];
    for udf in &scalar {
        assert!(
            state.scalar_functions().contains_key(udf.name()),
            "{}",
            udf.name()
        );
        let doc = udf
            .documentation()
            .unwrap_or_else(|| panic!("{} has no documentation", udf.name()));
        assert!(!doc.description.is_empty(), "{}", udf.name());
        assert!(doc.syntax_example.starts_with(udf.name()), "{}", udf.name());
        assert!(doc.sql_example.is_some(), "{}", udf.name());
        names.push(udf.name().to_string());
    }
    for udaf in &aggregate {
        assert!(
            state.aggregate_functions().contains_key(udaf.name()),
            "{}",
            udaf.name()
        );
        let doc = udaf
            .documentation()
            .unwrap_or_else(|| panic!("{} has no documentation", udaf.name()));
        assert!(!doc.description.is_empty(), "{}", udaf.name());
        assert!(
            doc.syntax_example.starts_with(udaf.name()),
            "{}",
            udaf.name()
        );
        assert!(doc.sql_example.is_some(), "{}", udaf.name());
        names.push(udaf.name().to_string());
    }
    names.sort();
    assert_eq!(
        names,
        vec![
            "age",
            "array_remove",
            "as_of",
            "attribution_window_hours",
            "avg",
            "cbrt",
            "checked_time_zone",
            "conversation_closed_at",
            "conversation_status",
            "date_part",
            "date_trunc",
            "div",
            "extract",
            "factorial",
            "float8div",
            "format",
            "in_attribution_window",
            "int4mi",
            "int4mul",
            "int4pl",
            "int8mi",
            "int8mul",
            "int8pl",
            "interval_div",
            "interval_mul",
            "justify_days",
            "justify_hours",
            "justify_interval",
            "local_date",
            "make_date",
            "make_interval",
            "make_time",
            "make_timestamp",
            "make_timestamptz",
            "mod",
            "mode",
            "numeric",
            "numeric_cast_scale",
            "numeric_div",
            "numeric_div_scale",
            "numeric_variance",
            "numeric_variance_scale",
            "percentile_disc",
            "pg_any_equal",
            "pg_array_contains",
            "pg_array_in",
            "pg_array_length",
            "pg_array_overlap",
            "quote_ident",
            "quote_literal",
            "quote_nullable",
            "sign",
            "stddev",
            "stddev_pop",
            "substring_pattern",
            "sum",
            "tag_union",
            "timezone",
            "to_char",
            "to_date",
            "to_timestamp",
            "touch_priority",
            "var_pop",
            "var_samp",
            "width_bucket",
        ]
    );
}

/// One statement of a documentation example and what it should print.
struct Example {
    sql: String,
    /// The expected table lines, or the expected error (without its
    /// "Execution error: " prefix).
    expected: Result<Vec<String>, String>,
}

/// Splits a `sql_example` (a fenced block of `> statement` lines, each
/// followed by its output table or error) into statements.
fn parse_example(text: &str) -> Vec<Example> {
    let mut examples: Vec<Example> = vec![];
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with("```") || trimmed.is_empty() {
            continue;
        }
        if let Some(sql) = trimmed.strip_prefix("> ") {
            examples.push(Example {
                sql: sql.to_string(),
                expected: Ok(vec![]),
            });
            continue;
        }
        let current = examples.last_mut().expect("output before any statement");
        if let Some(error) = trimmed.strip_prefix("Execution error: ") {
            current.expected = Err(error.to_string());
        } else if trimmed.starts_with('+') || trimmed.starts_with('|') {
            if let Ok(lines) = &mut current.expected {
                lines.push(trimmed.to_string());
            }
        } else {
            // A continuation of the statement.
            current.sql.push(' ');
            current.sql.push_str(trimmed);
        }
    }
    examples
}

#[tokio::test]
async fn documentation_examples_are_correct() -> Result<()> {
    let docs: Vec<(String, String)> = scalar_udfs()
        .iter()
        .map(|f| (f.name().to_string(), f.documentation().cloned()))
        .chain(
            aggregate_udfs()
                .iter()
                .map(|f| (f.name().to_string(), f.documentation().cloned())),
        )
        .chain(
            window_udfs()
                .iter()
                .map(|f| (f.name().to_string(), f.documentation().cloned())),
        )
        .map(|(name, doc)| (name, doc.and_then(|d| d.sql_example).unwrap()))
        .collect();
    let mut compared = 0;
    for (name, text) in docs {
        let ctx = context();
        let examples = parse_example(&text);
        assert!(!examples.is_empty(), "{name}");
        for example in examples {
            match &example.expected {
                Ok(lines) => {
                    let actual = run(&ctx, &example.sql).await?;
                    // A statement without output (e.g. SET) is only run.
                    if !lines.is_empty() {
                        assert_eq!(&actual, lines, "{name}: {}", example.sql);
                        compared += 1;
                    }
                }
                Err(error) => {
                    let err = run_err(&ctx, &example.sql).await;
                    assert!(err.contains(error.as_str()), "{name}: {err}");
                    compared += 1;
                }
            }
        }
    }
    // Every function has at least one example with output.
    assert!(compared >= 10, "only {compared} outputs compared");
    Ok(())
}

#[tokio::test]
async fn quoting_format_and_width_bucket_in_sql() -> Result<()> {
    let ctx = context();
    // Each value checked on PostgreSQL 15.
    for (sql, expected) in [
        ("SELECT quote_literal('a\\b')", "E'a\\\\b'"),
        ("SELECT quote_literal(true)", "'true'"),
        ("SELECT quote_nullable(CAST(NULL AS INT))", "NULL"),
        ("SELECT quote_nullable(CAST(1.5 AS DOUBLE))", "'1.5'"),
        (
            "SELECT format('%s|%L|%I', true, NULL, 'Order')",
            "t|NULL|\"Order\"",
        ),
        ("SELECT format('%s', DATE '2024-02-29')", "2024-02-29"),
        ("SELECT format('%s', CAST(1e20 AS DOUBLE))", "1e+20"),
        ("SELECT format('[%*s]', 4, 'ab')", "[  ab]"),
        ("SELECT width_bucket(5.35, 0.024, 10.06, 5)", "3"),
        ("SELECT width_bucket(1.0, 0, 3, 3)", "2"),
        (
            "SELECT width_bucket(CAST(5.35 AS DOUBLE), 0.024, 10.06, 5)",
            "3",
        ),
        ("SELECT width_bucket(11, 10, 0, 5)", "0"),
        ("SELECT arrow_typeof(width_bucket(1, 0, 3, 3))", "Int32"),
    ] {
        assert_eq!(value(&ctx, sql).await, expected, "{sql}");
    }
    assert_eq!(value(&ctx, "SELECT quote_literal(NULL)").await, "");
    assert_eq!(value(&ctx, "SELECT format(NULL, 1)").await, "");

    // Per-row formats and arguments.
    let lines = run(
        &ctx,
        "SELECT format(f, x) AS s, width_bucket(x, 0, 10, 2) AS b FROM (VALUES \
           ('%s!', 3), ('<%-3s>', 7), ('%L', NULL)) AS t(f, x)",
    )
    .await?;
    assert_eq!(
        lines,
        vec![
            "+-------+---+",
            "| s     | b |",
            "+-------+---+",
            "| 3!    | 1 |",
            "| <7  > | 2 |",
            "| NULL  |   |",
            "+-------+---+",
        ]
    );

    for (sql, error) in [
        (
            "SELECT format('%s %s', 1)",
            "too few arguments for format()",
        ),
        (
            "SELECT format('%x', 1)",
            "unrecognized format() type specifier \"x\"",
        ),
        (
            "SELECT format('%I', NULL)",
            "null values cannot be formatted as an SQL identifier",
        ),
        (
            "SELECT format('%s', 5.35)",
            "format() of a Decimal128(3, 2) value",
        ),
        (
            "SELECT quote_literal(2.5)",
            "quote_literal() of a Decimal128(2, 1) value",
        ),
        (
            "SELECT width_bucket(5, 0, 10, 0)",
            "count must be greater than zero",
        ),
        (
            "SELECT width_bucket(5.0, 1, 1, 3)",
            "lower bound cannot equal upper bound",
        ),
    ] {
        let err = run_err(&ctx, sql).await;
        assert!(err.contains(error), "{sql}: {err}");
    }
    Ok(())
}

#[tokio::test]
async fn age_in_sql() -> Result<()> {
    let ctx = context();
    for (sql, expected) in [
        (
            "SELECT age(TIMESTAMP '2026-06-07 00:00:00', TIMESTAMP '2025-01-15 12:00:00')",
            "16 mons 22 days 12 hours",
        ),
        (
            "SELECT age(CAST('2026-06-07 00:00:00+00' AS TIMESTAMP WITH TIME ZONE), \
             CAST('2025-01-15 12:00:00+00' AS TIMESTAMP WITH TIME ZONE))",
            "16 mons 22 days 12 hours",
        ),
        (
            "SELECT age(DATE '2026-02-28', TIMESTAMP '2026-03-31 00:00:00')",
            "-1 mons -3 days",
        ),
        (
            "SELECT age(TIMESTAMP '2026-06-07 10:00:00') = age(current_date, TIMESTAMP '2026-06-07 10:00:00')",
            "true",
        ),
        (
            "SELECT age(DATE '2000-02-29') = age(current_date, DATE '2000-02-29')",
            "true",
        ),
        (
            "SELECT age(NULL, TIMESTAMP '2026-06-07 10:00:00') IS NULL",
            "true",
        ),
        (
            "SELECT arrow_typeof(age(DATE '2026-06-07', DATE '2026-01-01'))",
            "Interval(MonthDayNano)",
        ),
    ] {
        assert_eq!(value(&ctx, sql).await, expected, "{sql}");
    }
    let err = run_err(&ctx, "SELECT age('2026-06-07', 1)").await;
    assert!(err.contains("age takes timestamps or dates"), "{err}");
    Ok(())
}

#[tokio::test]
async fn make_date_timestamp_and_interval_in_sql() -> Result<()> {
    let ctx = context();
    for (sql, expected) in [
        ("SELECT make_date(2026, 6, 7)", "2026-06-07"),
        ("SELECT make_date(-44, 3, 15) = DATE '-0043-03-15'", "true"),
        ("SELECT make_date(NULL, 6, 7) IS NULL", "true"),
        (
            "SELECT make_timestamp(2026, 6, 7, 23, 59, 60)",
            "2026-06-08T00:00:00",
        ),
        (
            "SELECT arrow_typeof(make_timestamp(2026, 6, 7, 10, 30, 45))",
            "Timestamp(µs)",
        ),
        (
            "SELECT make_timestamptz(2026, 6, 7, 10, 30, 45.5)",
            "2026-06-07T10:30:45.500Z",
        ),
        (
            "SELECT make_timestamptz(2026, 3, 8, 2, 30, 0, 'America/New_York')",
            "2026-03-08T07:30:00Z",
        ),
        ("SELECT make_interval()", "0 secs"),
        ("SELECT make_time(10, 30, 45.5)", "10:30:45.500"),
        ("SELECT make_interval(1)", "12 mons"),
        ("SELECT make_interval(years => 1, months => 2)", "14 mons"),
        (
            "SELECT make_interval(0, 0, 0, 0, 0, 0, -1.5)",
            "-1.500000000 secs",
        ),
    ] {
        assert_eq!(value(&ctx, sql).await, expected, "{sql}");
    }
    for (sql, error) in [
        (
            "SELECT make_date(2026, 2, 30)",
            "date field value out of range: 2026-02-30",
        ),
        (
            "SELECT make_date(0, 1, 1)",
            "date field value out of range: 0-01-01",
        ),
        (
            "SELECT make_timestamp(2026, 13, 7, 10, 30, 0)",
            "date field value out of range: 2026-13-07",
        ),
        (
            "SELECT make_timestamp(2026, 6, 7, 23, 60, 0)",
            "time field value out of range: 23:60:00",
        ),
        (
            "SELECT make_timestamptz(2026, 6, 7, 10, 30, 0, 'CET')",
            "time zone \"CET\" is not supported",
        ),
        (
            "SELECT make_interval(0, 0, 0, 0, 0, 0, CAST('NaN' AS DOUBLE))",
            "interval out of range",
        ),
        (
            "SELECT make_interval(days => 10)",
            "Missing required parameter 'years'",
        ),
    ] {
        let err = run_err(&ctx, sql).await;
        assert!(err.contains(error), "{sql}: {err}");
    }
    Ok(())
}
