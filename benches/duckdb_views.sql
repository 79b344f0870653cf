-- The SQL surface of conversql, written for DuckDB from docs/contract.md and the decisions
-- docs/decisions.md records, so that DuckDB answers the benchmark's questions the same way.
-- benches/run.py substitutes {root} (the dataset root) and {as_of} (the instant T).
-- Only the views the benchmark suite needs are defined. Each mirrors the rule of the
-- conversql view of the same name (sql/*.sql); the harness compares the answers.

SET TimeZone = 'UTC';

-- T, the instant every conversation is judged as of.
CREATE OR REPLACE MACRO as_of() AS TIMESTAMPTZ '{as_of}';

-- Local date of an instant in an IANA zone (daylight saving included).
CREATE OR REPLACE MACRO local_date(ts, zone) AS CAST(timezone(zone, ts) AS DATE);

CREATE OR REPLACE VIEW accounts AS
SELECT account_id, name, timezone, currency, sms_click_window_hours, sms_receipt_window_hours
FROM read_parquet('{root}/accounts/*.parquet');

-- The latest updated_at wins (NULL oldest); ties to the later file, then the row's content.
CREATE OR REPLACE VIEW profiles AS
SELECT profile_id, account_id, first_name, last_name, email, phone_number, updated_at
FROM read_parquet('{root}/profiles/*.parquet', filename = true)
QUALIFY row_number() OVER (
    PARTITION BY account_id, profile_id
    ORDER BY updated_at DESC NULLS LAST, filename DESC, first_name, last_name, email, phone_number
) = 1;

-- A repeated message_id is one row: the earliest, then the first file, then the content.
CREATE OR REPLACE VIEW messages AS
SELECT account_id, conversation_id, message_id, channel, sent_at, sender, kind, body,
       profile_id, skill, product_ids, tags, escalation_reason
FROM read_parquet('{root}/messages/*/*.parquet', filename = true, hive_partitioning = false)
QUALIFY row_number() OVER (
    PARTITION BY account_id, message_id
    ORDER BY sent_at, filename, conversation_id, kind, sender, body
) = 1;

-- A repeated event_id is one event; a repeated order_id one order (the earliest, then the smaller event_id).
CREATE OR REPLACE VIEW events AS
WITH delivered AS (
    SELECT event_id, account_id, profile_id, metric, occurred_at, conversation_id,
           product_id, order_id, value
    FROM read_parquet('{root}/events/*/*.parquet', filename = true, hive_partitioning = false)
    QUALIFY row_number() OVER (
        PARTITION BY account_id, event_id
        ORDER BY occurred_at, filename, metric, profile_id, conversation_id, order_id
    ) = 1
)
SELECT *
FROM delivered
QUALIFY CASE
    WHEN metric = 'Placed Order' AND order_id IS NOT NULL THEN
        row_number() OVER (PARTITION BY account_id, metric, order_id ORDER BY occurred_at, event_id)
    ELSE 1
END = 1;

-- The facts of docs/contract.md section 3 that do not depend on T. "First"/"last" are by
-- (sent_at, message_id): arg_min/arg_max over that pair (the *_null variants where the
-- value itself may be NULL and a NULL must win).
CREATE OR REPLACE VIEW conversation_facts AS
SELECT
    account_id,
    conversation_id,
    arg_min(channel, (sent_at, message_id)) AS channel,
    min(sent_at) AS started_at,
    count(*) FILTER (WHERE kind IN ('text', 'product_card', 'handoff_message')) AS message_count,
    coalesce(
        max(sent_at) FILTER (WHERE kind IN ('text', 'product_card', 'handoff_message')),
        min(sent_at)
    ) AS last_updated,
    arg_max(sender, (sent_at, message_id))
        FILTER (WHERE kind IN ('text', 'product_card', 'handoff_message')) AS last_sender,
    arg_min_null(body, (sent_at, message_id))
        FILTER (WHERE kind = 'text' AND sender = 'visitor') AS first_question,
    arg_max(profile_id, (sent_at, message_id)) FILTER (WHERE profile_id IS NOT NULL) AS profile_id,
    coalesce(
        list_sort(list_distinct(flatten(list(tags) FILTER (WHERE tags IS NOT NULL)))),
        CAST([] AS VARCHAR[])
    ) AS tags,
    arg_min(skill, (sent_at, message_id)) FILTER (WHERE sender = 'agent' AND skill IS NOT NULL)
        AS initial_skill,
    arg_max(skill, (sent_at, message_id)) FILTER (WHERE sender = 'agent' AND skill IS NOT NULL)
        AS final_skill,
    min(sent_at) FILTER (WHERE kind IN ('handoff_ticket', 'handoff_message')) AS handoff_at,
    arg_min_null(escalation_reason, (sent_at, message_id))
        FILTER (WHERE kind IN ('handoff_ticket', 'handoff_message')) AS escalation_reason,
    min(sent_at) FILTER (WHERE kind = 'close') AS first_close_at,
    coalesce(bool_or(kind = 'handoff_ticket'), false) AS has_ticket,
    coalesce(bool_or(kind = 'handoff_message'), false) AS has_handoff_message
FROM messages
GROUP BY account_id, conversation_id;

-- closed_at: the first close row, or last_updated + 48 hours once that is at or before T.
-- status: Routed, Closed (hand-off message), Open, Resolved (agent last), Closed.
CREATE OR REPLACE VIEW conversations AS
WITH f AS (
    SELECT
        *,
        least(
            first_close_at,
            CASE WHEN last_updated + INTERVAL 48 HOUR <= as_of() THEN last_updated + INTERVAL 48 HOUR END
        ) AS closed_at
    FROM conversation_facts
)
SELECT
    f.account_id,
    f.conversation_id,
    f.channel,
    CASE
        WHEN f.has_ticket THEN 'Routed'
        WHEN f.has_handoff_message THEN 'Closed'
        WHEN f.closed_at IS NULL THEN 'Open'
        WHEN f.last_sender = 'agent' THEN 'Resolved'
        ELSE 'Closed'
    END AS status,
    f.started_at,
    local_date(f.started_at, a.timezone) AS started_date,
    f.last_updated,
    f.closed_at,
    f.first_question,
    f.profile_id,
    CASE
        WHEN trim(concat_ws(' ', p.first_name, p.last_name)) <> ''
            THEN trim(concat_ws(' ', p.first_name, p.last_name))
        WHEN trim(p.email) <> '' THEN p.email
        WHEN trim(p.phone_number) <> '' THEN p.phone_number
        ELSE 'Anonymous'
    END AS profile,
    f.tags,
    f.message_count,
    f.initial_skill,
    f.final_skill,
    f.handoff_at,
    f.escalation_reason,
    f.last_sender
FROM f
LEFT JOIN accounts AS a ON a.account_id = f.account_id
LEFT JOIN profiles AS p ON p.account_id = f.account_id AND p.profile_id = f.profile_id;

CREATE OR REPLACE VIEW conversation_messages AS
SELECT account_id, conversation_id, message_id, sent_at, sender, kind, body, skill,
       product_ids, tags, escalation_reason, channel, profile_id,
       kind IN ('text', 'product_card', 'handoff_message') AS is_message
FROM messages;

-- Touches (docs/contract.md section 5): clicks naming a known conversation, and agent message
-- rows of sms conversations for the conversation's profile; each with its window in hours.
CREATE OR REPLACE VIEW attribution_touches AS
SELECT
    t.*,
    CASE t.touch
        WHEN 'web_chat_click' THEN 24
        WHEN 'sms_click' THEN coalesce(a.sms_click_window_hours, 120)
        ELSE coalesce(a.sms_receipt_window_hours, 12)
    END AS window_hours
FROM (
    SELECT e.account_id, e.profile_id,
           CASE e.metric WHEN 'Clicked Product Card' THEN 'web_chat_click' ELSE 'sms_click' END AS touch,
           e.occurred_at AS touch_at, e.conversation_id, e.event_id AS touch_id
    FROM events AS e
    JOIN conversation_facts AS c
        ON c.account_id = e.account_id AND c.conversation_id = e.conversation_id
    WHERE e.metric IN ('Clicked Product Card', 'Clicked SMS') AND e.profile_id IS NOT NULL
    UNION ALL
    SELECT m.account_id, c.profile_id, 'sms_receipt', m.sent_at, m.conversation_id, m.message_id
    FROM messages AS m
    JOIN conversation_facts AS c
        ON c.account_id = m.account_id AND c.conversation_id = m.conversation_id
    WHERE c.channel = 'sms' AND c.profile_id IS NOT NULL AND m.sender = 'agent'
      AND m.kind IN ('text', 'product_card', 'handoff_message')
) AS t
JOIN accounts AS a ON a.account_id = t.account_id;

-- Each order credited once, to its last qualifying touch: latest touch_at, a click before
-- a receipt, the smaller conversation_id, then the touch name and id.
CREATE OR REPLACE VIEW attributed_orders AS
SELECT
    o.account_id, o.order_id, o.profile_id, o.occurred_at AS placed_at,
    local_date(o.occurred_at, a.timezone) AS placed_date, o.value,
    CASE WHEN t.touch = 'web_chat_click' THEN 'web_chat' ELSE 'sms' END AS channel,
    t.touch, t.touch_at, t.conversation_id
FROM events AS o
JOIN attribution_touches AS t ON t.account_id = o.account_id AND t.profile_id = o.profile_id
JOIN accounts AS a ON a.account_id = o.account_id
WHERE o.metric = 'Placed Order' AND o.profile_id IS NOT NULL
  AND t.window_hours > 0
  AND t.touch_at < o.occurred_at
  AND o.occurred_at <= t.touch_at + t.window_hours * INTERVAL 1 HOUR
QUALIFY row_number() OVER (
    PARTITION BY o.account_id, o.event_id
    ORDER BY t.touch_at DESC, CASE WHEN t.touch = 'sms_receipt' THEN 1 ELSE 0 END,
             t.conversation_id, t.touch, t.touch_id
) = 1;

-- Profiles that received a product recommendation (a product_card row, at or before T)
-- and placed no order after their latest one (at or before T).
CREATE OR REPLACE VIEW segment_recommended_not_purchased AS
WITH r AS (
    SELECT m.account_id, c.profile_id, max(m.sent_at) AS last_recommended_at
    FROM messages AS m
    JOIN conversation_facts AS c
        ON c.account_id = m.account_id AND c.conversation_id = m.conversation_id
    WHERE m.kind = 'product_card' AND c.profile_id IS NOT NULL AND m.sent_at <= as_of()
    GROUP BY m.account_id, c.profile_id
)
SELECT r.*
FROM r
WHERE NOT EXISTS (
    SELECT 1 FROM events AS o
    WHERE o.metric = 'Placed Order' AND o.account_id = r.account_id AND o.profile_id = r.profile_id
      AND o.occurred_at > r.last_recommended_at AND o.occurred_at <= as_of()
);

-- Profiles with an Escalated event (a conversation's first hand-off row) whose local date
-- is in [today - 6, today], today being the local date of T in the account's zone.
CREATE OR REPLACE VIEW segment_escalated_last_7_days AS
SELECT c.account_id, c.profile_id, max(c.handoff_at) AS last_escalated_at
FROM conversation_facts AS c
JOIN accounts AS a ON a.account_id = c.account_id
WHERE c.handoff_at IS NOT NULL AND c.profile_id IS NOT NULL
  AND local_date(c.handoff_at, a.timezone)
      BETWEEN local_date(as_of(), a.timezone) - 6 AND local_date(as_of(), a.timezone)
GROUP BY c.account_id, c.profile_id;
