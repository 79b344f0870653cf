-- @comment One row per shopper event (clicks, orders), a repeated event_id kept once and a repeated order_id kept once, the earliest (CONTRACT.md section 2).
-- @column event_id: Unique event identifier.
-- @column account_id: The account (tenant) the row belongs to.
-- @column profile_id: The shopper's profile.
-- @column metric: Clicked Product Card, Clicked SMS or Placed Order; other metrics are kept.
-- @column occurred_at: When the event happened (timestamptz, UTC).
-- @column conversation_id: Clicks: the conversation the card or link came from.
-- @column product_id: Product card clicks: the product clicked.
-- @column order_id: Orders: the order identifier.
-- @column value: Order value in the account currency.
-- events: shopper activity with repeated deliveries removed. An event_id
-- (within an account) is one event (the earliest, then the first file); a
-- `Placed Order` order_id (within an account) is one order: the earliest
-- occurred_at, then the smaller event_id.
CREATE VIEW events AS
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
WHERE order_rank = 1;
