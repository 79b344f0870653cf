-- The `events` view computed straight from the shopper events (the raw path):
-- an event_id (within an account) is one event (the earliest, then the first
-- file); a `Placed Order` order_id (within an account) is one order: the
-- earliest occurred_at, then the smaller event_id. `materialized.events` plans
-- this query when the session does not use the fact store; the store applies
-- the same two rules in Rust (src/facts/dedup.rs).
SELECT
    event_id, account_id, profile_id, metric, occurred_at, conversation_id,
    product_id, order_id, value
FROM (
    SELECT
        *,
        CASE
            WHEN metric = 'Placed Order' AND order_id IS NOT NULL THEN
                row_number() OVER (
                    PARTITION BY account_id, metric, order_id
                    ORDER BY occurred_at, event_id
                )
            ELSE 1
        END AS order_rank
    FROM (
        SELECT
            *,
            row_number() OVER (
                PARTITION BY account_id, event_id
                ORDER BY occurred_at, source_file, metric, profile_id, conversation_id, order_id
            ) AS delivery_rank
        FROM raw.events
    ) AS delivered
    WHERE delivery_rank = 1
) AS ranked
WHERE order_rank = 1
