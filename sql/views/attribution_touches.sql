-- @comment One row per attribution touch: a web chat click, an SMS click or an SMS receipt, with its window (docs/contract.md section 5).
-- @column account_id: The account (tenant) the row belongs to.
-- @column profile_id: The profile touched (never NULL).
-- @column touch: web_chat_click, sms_click or sms_receipt.
-- @column touch_at: When the touch happened (timestamptz, UTC).
-- @column conversation_id: The conversation the touch came from.
-- @column touch_id: Identifier of the touch: the click's event_id or the agent message's message_id.
-- @column window_hours: Attribution window of the touch in hours (24 for web chat clicks; the account's SMS windows).
-- attribution_touches: every touch point that can earn credit for an order
-- (docs/contract.md section 5), with its window in hours for the touch's account.
--   web_chat_click: a `Clicked Product Card` event, 24 hours;
--   sms_click: a `Clicked SMS` event, the account's sms_click_window_hours (default 120);
--   sms_receipt: an agent message row of an sms conversation, for the
--   conversation's profile, the account's sms_receipt_window_hours (default 12)
--   (the conversation's agent_message_times and agent_message_ids, a fact).
-- A touch needs a profile; a click needs a known conversation of its account.
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
FROM (
    SELECT
        e.account_id,
        e.profile_id,
        CASE e.metric WHEN 'Clicked Product Card' THEN 'web_chat_click' ELSE 'sms_click' END AS touch,
        e.occurred_at AS touch_at,
        e.conversation_id,
        e.event_id AS touch_id
    FROM events AS e
    JOIN conversation_facts AS c
        ON c.account_id = e.account_id AND c.conversation_id = e.conversation_id
    WHERE e.metric IN ('Clicked Product Card', 'Clicked SMS') AND e.profile_id IS NOT NULL
    UNION ALL
    SELECT
        c.account_id,
        c.profile_id,
        'sms_receipt' AS touch,
        unnest(c.agent_message_times) AS touch_at,
        c.conversation_id,
        unnest(c.agent_message_ids) AS touch_id
    FROM conversation_facts AS c
    WHERE c.channel = 'sms'
      AND c.profile_id IS NOT NULL
      AND c.agent_message_times IS NOT NULL
) AS t
JOIN accounts AS a ON a.account_id = t.account_id;
