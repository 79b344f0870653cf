-- @comment One row per conversation, judged as of the session's instant T (SET conversql.as_of): the conversations table of the overview (CONTRACT.md sections 3 and 9).
-- @column account_id: The account (tenant) the row belongs to.
-- @column conversation_id: The conversation.
-- @column channel: Channel of the first row (web_chat, sms).
-- @column status: Routed, Closed, Open or Resolved by the five-step rule of CONTRACT.md section 3, as of T.
-- @column started_at: Earliest sent_at of any row (timestamptz, UTC).
-- @column started_date: Local date of started_at in the account's time zone.
-- @column last_updated: Latest sent_at of a message row (started_at if none).
-- @column closed_at: The first close row, or last_updated + 48 hours once that is at or before T; NULL if neither.
-- @column first_question: Body of the visitor's first text row (NULL if none).
-- @column profile_id: The last non-NULL profile_id of the conversation.
-- @column profile: The profile's first and last name, else email, else phone number, else Anonymous.
-- @column tags: Sorted distinct union of all rows' tags (text[], empty if none).
-- @column message_count: Number of message rows (text, product_card, handoff_message).
-- @column initial_skill: First non-NULL skill of an agent row.
-- @column final_skill: Last non-NULL skill of an agent row.
-- @column handoff_at: sent_at of the first handoff row.
-- @column escalation_reason: escalation_reason of the first handoff row.
-- @column last_sender: Sender of the last message row (visitor or agent).
-- conversations: one row per conversation, judged as of the session's instant
-- T (`SET conversql.as_of`, else the current time): closed_at applies the
-- 48-hour rule, status the five-step rule of CONTRACT.md section 3.
CREATE VIEW conversations AS
SELECT
    f.account_id,
    f.conversation_id,
    f.channel,
    conversation_status(f.has_ticket, f.has_handoff_message, f.closed_at, f.last_sender) AS status,
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
FROM (
    SELECT
        *,
        conversation_closed_at(first_close_at, last_updated, as_of()) AS closed_at
    FROM conversation_facts
) AS f
LEFT JOIN accounts AS a ON a.account_id = f.account_id
LEFT JOIN profiles AS p ON p.account_id = f.account_id AND p.profile_id = f.profile_id;
