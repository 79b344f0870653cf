-- The attribution touches (docs/contract.md section 5) without their windows,
-- from the `events` and `conversation_facts` relations:
--   web_chat_click: a `Clicked Product Card` event;
--   sms_click: a `Clicked SMS` event;
--   sms_receipt: an agent message row of an sms conversation, for the
--   conversation's profile (the conversation's agent_message_times and
--   agent_message_ids, a fact).
-- A touch needs a profile; a click needs a known conversation of its account.
-- `materialized.touches` plans this query over the views when the session does
-- not use the fact store; the store runs it over each account's stored events
-- and facts whenever they change, and keeps the rows sorted by (profile_id, touch_at).
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
