-- @comment One row per conversation, judged as of the session's instant T (SET conversql.as_of): the conversations table of the overview (docs/contract.md sections 3 and 9).
-- @column account_id: The account (tenant) the row belongs to.
-- @column conversation_id: The conversation.
-- @column channel: Channel of the first row (web_chat, sms).
-- @column status: Routed, Closed, Open or Resolved by the five-step rule of docs/contract.md section 3, as of T.
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
-- 48-hour rule, status the five-step rule of docs/contract.md section 3.
CREATE VIEW conversations AS
SELECT
    account_id,
    conversation_id,
    channel,
    conversation_status(has_ticket, has_handoff_message, closed_at, last_sender) AS status,
    started_at,
    started_date,
    last_updated,
    closed_at,
    first_question,
    profile_id,
    profile,
    tags,
    message_count,
    initial_skill,
    final_skill,
    handoff_at,
    escalation_reason,
    last_sender
FROM (
    SELECT
        *,
        conversation_closed_at(first_close_at, last_updated, as_of()) AS closed_at
    FROM conversation_facts
) AS f;
