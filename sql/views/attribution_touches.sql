-- @comment One row per attribution touch: a web chat click, an SMS click or an SMS receipt, with its window (docs/contract.md section 5).
-- @column account_id: The account (tenant) the row belongs to.
-- @column profile_id: The profile touched (never NULL).
-- @column touch: web_chat_click, sms_click or sms_receipt.
-- @column touch_at: When the touch happened (timestamptz, UTC).
-- @column conversation_id: The conversation the touch came from.
-- @column touch_id: Identifier of the touch: the click's event_id or the agent message's message_id.
-- @column window_hours: Attribution window of the touch in hours (24 for web chat clicks; the account's SMS windows).
-- attribution_touches: every touch point that can earn credit for an order
-- (docs/contract.md section 5), with its window in hours for the touch's account:
-- 24 for web chat clicks, the account's sms_click_window_hours (default 120)
-- for SMS clicks, its sms_receipt_window_hours (default 12) for SMS receipts.
-- The touches themselves (which events and agent messages count) are
-- `materialized.touches`: the fact store's, or sql/from_log/touches.sql.
CREATE VIEW attribution_touches AS
SELECT
    t.account_id,
    t.profile_id,
    t.touch,
    t.touch_at,
    t.conversation_id,
    t.touch_id,
    attribution_window_hours(t.touch, a.sms_click_window_hours, a.sms_receipt_window_hours)
        AS window_hours
-- accounts first: the join builds its hash table on one row per account, not on the touches.
FROM accounts AS a
JOIN materialized.touches AS t ON t.account_id = a.account_id;
