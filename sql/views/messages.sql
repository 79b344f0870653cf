-- @comment One row per row of the conversation log, duplicates (repeated message_id) removed, keeping the first (docs/contract.md section 2).
-- @column account_id: The account (tenant) the row belongs to.
-- @column conversation_id: The conversation.
-- @column message_id: Unique row identifier.
-- @column channel: web_chat or sms; other values are kept as they are.
-- @column sent_at: When the row happened (timestamptz, UTC).
-- @column sender: visitor or agent.
-- @column kind: text, product_card, handoff_message, handoff_ticket or close.
-- @column body: Message text.
-- @column profile_id: The visitor's profile, set once identified.
-- @column skill: Agent rows: the skill used (order_tracking, product_recommendation, faq, returns, ...).
-- @column product_ids: product_card rows: the products shown.
-- @column tags: Topic tags applied at this row.
-- @column escalation_reason: Handoff rows: why the agent handed off (knowledge_gap, customer_request, policy, ...).
-- messages: the conversation log with repeated deliveries removed. A
-- message_id (within an account) is one row: the first one, i.e. the earliest
-- sent_at, then the first file in path order, then the row's content. The rows
-- come from the fact store (src/facts/), which folds new log files in as they
-- arrive, or straight from the log (sql/from_log/messages.sql) when the session
-- says SET conversql.facts = off; both give the same rows.
CREATE VIEW messages AS
SELECT
    account_id, conversation_id, message_id, channel, sent_at, sender, kind, body,
    profile_id, skill, product_ids, tags, escalation_reason
FROM materialized.messages;
