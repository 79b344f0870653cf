-- @comment One row per row of the conversation log, duplicates removed; a conversation's thread in (sent_at, message_id) order (docs/contract.md section 9).
-- @column account_id: The account (tenant) the row belongs to.
-- @column conversation_id: The conversation.
-- @column message_id: Unique row identifier.
-- @column sent_at: When the row happened (timestamptz, UTC).
-- @column sender: visitor or agent.
-- @column kind: text, product_card, handoff_message, handoff_ticket or close.
-- @column body: Message text.
-- @column skill: Agent rows: the skill used.
-- @column product_ids: product_card rows: the products shown.
-- @column tags: Topic tags applied at this row.
-- @column escalation_reason: Handoff rows: why the agent handed off.
-- @column channel: web_chat or sms.
-- @column profile_id: The visitor's profile at this row, if identified.
-- @column is_message: True for message rows (text, product_card, handoff_message); false for the actions handoff_ticket and close.
-- conversation_messages: one row per row of the conversation log, duplicates
-- removed; a conversation's thread is its rows ordered by (sent_at, message_id).
CREATE VIEW conversation_messages AS
SELECT
    account_id, conversation_id, message_id, sent_at, sender, kind, body, skill,
    product_ids, tags, escalation_reason, channel, profile_id,
    kind IN ('text', 'product_card', 'handoff_message') AS is_message
FROM messages;
