-- @comment One row per Customer Agent event of docs/contract.md section 4: Started, Resolved, Escalated and Received Product Recommendation, as of T.
-- @column account_id: The account (tenant) the row belongs to.
-- @column metric: The event name of docs/contract.md section 4.
-- @column occurred_at: When it happened (timestamptz, UTC).
-- @column occurred_date: Local date of occurred_at in the account's time zone.
-- @column profile_id: The conversation's profile.
-- @column conversation_id: The conversation.
-- @column channel: The conversation's channel.
-- @column skill: Initial skill for Started, final skill for Resolved and Escalated, NULL for recommendations.
-- @column tags: The conversation's tags (Resolved, Escalated).
-- @column escalation_reason: Escalated: why the agent handed off.
-- @column product_ids: Recommendations: the products shown.
-- @column first_question: Started: the visitor's first question.
-- @column resolution_seconds: Resolved: closed_at minus started_at, in seconds.
-- customer_agent_events: the four Customer Agent events of docs/contract.md section 4,
-- one row per occurrence. skill is the initial skill for Started, the final
-- skill for Resolved and Escalated, NULL for recommendations.
CREATE VIEW customer_agent_events AS
SELECT
    c.account_id,
    'Started Conversation with Customer Agent' AS metric,
    c.started_at AS occurred_at,
    c.started_date AS occurred_date,
    c.profile_id,
    c.conversation_id,
    c.channel,
    c.initial_skill AS skill,
    CAST(NULL AS VARCHAR[]) AS tags,
    CAST(NULL AS VARCHAR) AS escalation_reason,
    CAST(NULL AS VARCHAR[]) AS product_ids,
    c.first_question,
    CAST(NULL AS DOUBLE) AS resolution_seconds
FROM conversations AS c
UNION ALL
SELECT
    c.account_id,
    'Conversation with Customer Agent Resolved',
    c.closed_at,
    local_date(c.closed_at, a.timezone),
    c.profile_id,
    c.conversation_id,
    c.channel,
    c.final_skill,
    c.tags,
    CAST(NULL AS VARCHAR),
    CAST(NULL AS VARCHAR[]),
    CAST(NULL AS VARCHAR),
    CAST(date_part('epoch', c.closed_at) - date_part('epoch', c.started_at) AS DOUBLE)
FROM conversations AS c
JOIN accounts AS a ON a.account_id = c.account_id
WHERE c.status = 'Resolved'
UNION ALL
SELECT
    c.account_id,
    'Conversation with Customer Agent Escalated',
    c.handoff_at,
    local_date(c.handoff_at, a.timezone),
    c.profile_id,
    c.conversation_id,
    c.channel,
    c.final_skill,
    c.tags,
    c.escalation_reason,
    CAST(NULL AS VARCHAR[]),
    CAST(NULL AS VARCHAR),
    CAST(NULL AS DOUBLE)
FROM conversations AS c
JOIN accounts AS a ON a.account_id = c.account_id
WHERE c.handoff_at IS NOT NULL
UNION ALL
SELECT
    m.account_id,
    'Received Product Recommendation from Customer Agent',
    m.sent_at,
    local_date(m.sent_at, a.timezone),
    c.profile_id,
    m.conversation_id,
    c.channel,
    CAST(NULL AS VARCHAR),
    CAST(NULL AS VARCHAR[]),
    CAST(NULL AS VARCHAR),
    m.product_ids,
    CAST(NULL AS VARCHAR),
    CAST(NULL AS DOUBLE)
FROM messages AS m
JOIN conversation_facts AS c
    ON c.account_id = m.account_id AND c.conversation_id = m.conversation_id
JOIN accounts AS a ON a.account_id = m.account_id
WHERE m.kind = 'product_card';
