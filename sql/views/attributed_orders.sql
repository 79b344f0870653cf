-- @comment One row per credited order: each Placed Order credited once, to its last qualifying touch (docs/contract.md section 5).
-- @column account_id: The account (tenant) the row belongs to.
-- @column order_id: The order.
-- @column profile_id: The ordering profile.
-- @column placed_at: When the order was placed (timestamptz, UTC).
-- @column placed_date: Local date of placed_at in the account's time zone.
-- @column value: Order value in the account currency.
-- @column channel: Channel of the credit: web_chat for web chat clicks, sms for SMS clicks and receipts.
-- @column touch: The credited touch: web_chat_click, sms_click or sms_receipt.
-- @column touch_at: When the credited touch happened.
-- @column conversation_id: The conversation of the credited touch.
-- attributed_orders: one row per credited order. An order (a `Placed Order`
-- event, repeated order_ids removed) qualifies for a touch of the same account
-- and profile when touch_at < placed_at <= touch_at + window; it is credited
-- once, to its last qualifying touch: the latest touch_at, on a tie a click
-- before a receipt, then the smaller conversation_id (then the touch name and
-- its event or message id, so the choice is always deterministic).
CREATE VIEW attributed_orders AS
SELECT
    account_id,
    order_id,
    profile_id,
    placed_at,
    local_date(placed_at, timezone) AS placed_date,
    value,
    CASE WHEN touch = 'web_chat_click' THEN 'web_chat' ELSE 'sms' END AS channel,
    touch,
    touch_at,
    conversation_id
FROM (
    SELECT
        o.account_id,
        o.order_id,
        o.profile_id,
        o.occurred_at AS placed_at,
        o.value,
        a.timezone,
        t.touch,
        t.touch_at,
        t.conversation_id,
        -- occurred_at is the order's own (one per event_id): listed so that a
        -- filter on placed_at is applied before the ranking, not after it.
        row_number() OVER (
            PARTITION BY o.account_id, o.event_id, o.occurred_at
            ORDER BY t.touch_at DESC, touch_priority(t.touch), t.conversation_id, t.touch, t.touch_id
        ) AS touch_rank
    FROM events AS o
    JOIN attribution_touches AS t
        ON t.account_id = o.account_id AND t.profile_id = o.profile_id
    JOIN accounts AS a ON a.account_id = o.account_id
    WHERE o.metric = 'Placed Order'
      AND o.profile_id IS NOT NULL
      AND in_attribution_window(t.touch_at, o.occurred_at, t.window_hours)
) AS credited
WHERE touch_rank = 1;
