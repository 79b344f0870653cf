-- @comment One row per shopper event (clicks, orders), a repeated event_id kept once and a repeated order_id kept once, the earliest (docs/contract.md section 2).
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
-- occurred_at, then the smaller event_id. The rows come from the fact store
-- (src/facts/) or, with SET conversql.facts = off, from sql/from_log/events.sql.
CREATE VIEW events AS
SELECT
    event_id, account_id, profile_id, metric, occurred_at, conversation_id,
    product_id, order_id, value
FROM materialized.events;
