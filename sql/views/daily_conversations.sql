-- @comment One row per account, local date, channel and status with at least one conversation started that day, as of T (docs/contract.md section 9).
-- @column account_id: The account (tenant) the row belongs to.
-- @column date: Local date (started_date) in the account's time zone.
-- @column channel: The conversations' channel.
-- @column status: The conversations' status as of T.
-- @column conversations: Number of conversations started that day with this channel and status.
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
