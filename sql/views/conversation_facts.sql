-- @comment One row per conversation: the facts of docs/contract.md section 3 that do not depend on the instant T (inputs of conversations).
-- @column account_id: The account (tenant) the row belongs to.
-- @column conversation_id: The conversation.
-- @column channel: Channel of the first row.
-- @column started_at: Earliest sent_at of any row.
-- @column started_date: Local date of started_at in the account's time zone.
-- @column message_count: Number of message rows.
-- @column last_updated: Latest sent_at of a message row (started_at if none).
-- @column last_sender: Sender of the last message row.
-- @column first_question: Body of the visitor's first text row (NULL if none).
-- @column profile_id: The last non-NULL profile_id of the conversation.
-- @column profile: The profile's first and last name, else email, else phone number, else Anonymous.
-- @column tags: Sorted distinct union of all rows' tags (empty list if none).
-- @column initial_skill: First non-NULL skill of an agent row.
-- @column final_skill: Last non-NULL skill of an agent row.
-- @column handoff_at: sent_at of the first handoff row (handoff_ticket or handoff_message).
-- @column escalation_reason: escalation_reason of the first handoff row.
-- @column first_close_at: sent_at of the first close row (NULL if none).
-- @column has_ticket: Whether the conversation has a handoff_ticket row.
-- @column has_handoff_message: Whether the conversation has a handoff_message row.
-- @column agent_message_times: sent_at of the agent's message rows, in order (NULL if none): an SMS conversation's receipts.
-- @column agent_message_ids: message_id of the same rows.
-- conversation_facts: every conversation fact that does not depend on the
-- instant T (docs/contract.md section 3). `conversations` derives closed_at and the
-- status from these at query time. The rows come from the fact store
-- (src/facts/: Parquet, maintained as log files arrive) or, with
-- SET conversql.facts = off, from sql/from_log/conversation_facts.sql.
CREATE VIEW conversation_facts AS
SELECT
    account_id, conversation_id, channel, started_at, started_date, message_count,
    last_updated, last_sender, first_question, profile_id, profile, tags,
    initial_skill, final_skill, handoff_at, escalation_reason, first_close_at,
    has_ticket, has_handoff_message, agent_message_times, agent_message_ids
FROM materialized.conversation_facts;
