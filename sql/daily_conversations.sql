-- daily_conversations: conversations by local start date, channel and status
-- (only combinations with at least one conversation).
CREATE VIEW daily_conversations AS
SELECT
    account_id,
    started_date AS "date",
    channel,
    status,
    count(*) AS conversations
FROM conversations
GROUP BY account_id, started_date, channel, status;
