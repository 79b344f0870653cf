-- The daily overview of one account, as the product's dashboard shows it.
-- Parameters: :'account_id', and :'start_date' / :'end_date' from the report's range.
-- The html format renders each statement as a section: the four metrics,
-- the daily conversations stacked by channel, the latest conversations.
SELECT * FROM overview(:'account_id', DATE :'start_date', DATE :'end_date');

SELECT * FROM overview_daily(:'account_id', DATE :'start_date', DATE :'end_date', 'channel');

SELECT conversation_id, started_at, channel, status, message_count, first_question
FROM conversations
WHERE account_id = :'account_id'
  AND started_date BETWEEN DATE :'start_date' AND DATE :'end_date'
ORDER BY started_at DESC, conversation_id
LIMIT 10;
