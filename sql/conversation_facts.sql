-- @comment One row per conversation: the facts of CONTRACT.md section 3 that do not depend on the instant T (inputs of conversations).
-- @column account_id: The account (tenant) the row belongs to.
-- @column conversation_id: The conversation.
-- @column channel: Channel of the first row.
-- @column started_at: Earliest sent_at of any row.
-- @column message_count: Number of message rows.
-- @column last_updated: Latest sent_at of a message row (started_at if none).
-- @column last_sender: Sender of the last message row.
-- @column first_question: Body of the visitor's first text row (NULL if none).
-- @column profile_id: The last non-NULL profile_id of the conversation.
-- @column tags: Sorted distinct union of all rows' tags (empty list if none).
-- @column initial_skill: First non-NULL skill of an agent row.
-- @column final_skill: Last non-NULL skill of an agent row.
-- @column handoff_at: sent_at of the first handoff row (handoff_ticket or handoff_message).
-- @column escalation_reason: escalation_reason of the first handoff row.
-- @column first_close_at: sent_at of the first close row (NULL if none).
-- @column has_ticket: Whether the conversation has a handoff_ticket row.
-- @column has_handoff_message: Whether the conversation has a handoff_message row.
-- conversation_facts: every conversation fact that does not depend on the
-- instant T (CONTRACT.md section 3). `conversations` derives closed_at and the
-- status from these at query time. Rows are ordered by (sent_at, message_id)
-- wherever "first" or "last" is meant.
CREATE VIEW conversation_facts AS
SELECT
    account_id,
    conversation_id,
    first_value(channel ORDER BY sent_at, message_id) AS channel,
    min(sent_at) AS started_at,
    count(*) FILTER (WHERE kind IN ('text', 'product_card', 'handoff_message')) AS message_count,
    coalesce(
        max(sent_at) FILTER (WHERE kind IN ('text', 'product_card', 'handoff_message')),
        min(sent_at)
    ) AS last_updated,
    last_value(sender ORDER BY sent_at, message_id)
        FILTER (WHERE kind IN ('text', 'product_card', 'handoff_message')) AS last_sender,
    first_value(body ORDER BY sent_at, message_id)
        FILTER (WHERE kind = 'text' AND sender = 'visitor') AS first_question,
    last_value(profile_id ORDER BY sent_at, message_id)
        FILTER (WHERE profile_id IS NOT NULL) AS profile_id,
    tag_union(tags) AS tags,
    first_value(skill ORDER BY sent_at, message_id)
        FILTER (WHERE sender = 'agent' AND skill IS NOT NULL) AS initial_skill,
    last_value(skill ORDER BY sent_at, message_id)
        FILTER (WHERE sender = 'agent' AND skill IS NOT NULL) AS final_skill,
    min(sent_at) FILTER (WHERE kind IN ('handoff_ticket', 'handoff_message')) AS handoff_at,
    first_value(escalation_reason ORDER BY sent_at, message_id)
        FILTER (WHERE kind IN ('handoff_ticket', 'handoff_message')) AS escalation_reason,
    min(sent_at) FILTER (WHERE kind = 'close') AS first_close_at,
    coalesce(bool_or(kind = 'handoff_ticket'), false) AS has_ticket,
    coalesce(bool_or(kind = 'handoff_message'), false) AS has_handoff_message
FROM messages
GROUP BY account_id, conversation_id;
