-- The `messages` view computed straight from the conversation log (the raw
-- path): a message_id (within an account) is one row, the first one, i.e. the
-- earliest sent_at, then the first file in path order, then the row's content.
-- `materialized.messages` plans this query when the session does not use the
-- materialised facts (SET conversql.facts = off, or `--no-facts`); the fact
-- store applies the same rule in Rust when it folds new files in
-- (src/facts/dedup.rs), and tests/integration/facts.rs checks that both agree.
SELECT
    account_id, conversation_id, message_id, channel, sent_at, sender, kind, body,
    profile_id, skill, product_ids, tags, escalation_reason
FROM (
    SELECT
        *,
        row_number() OVER (
            PARTITION BY account_id, message_id
            ORDER BY sent_at, source_file, conversation_id, kind, sender, body
        ) AS delivery_rank
    FROM raw.messages
) AS ranked
WHERE delivery_rank = 1
