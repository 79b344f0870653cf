-- conversation_messages: one row per row of the conversation log, duplicates
-- removed; a conversation's thread is its rows ordered by (sent_at, message_id).
CREATE VIEW conversation_messages AS
SELECT
    account_id, conversation_id, message_id, sent_at, sender, kind, body, skill,
    product_ids, tags, escalation_reason, channel, profile_id,
    kind IN ('text', 'product_card', 'handoff_message') AS is_message
FROM messages;
