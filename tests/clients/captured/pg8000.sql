-- pg8000: the SQL it sent to PostgreSQL 15 while its scenario
-- (tests/clients/pg8000_client.py) ran, captured with log_statement = all
-- by scripts/capture-client-sql. Do not edit: capture again.
-- Versions: pg8000 1.31.6
-- @each: shape

-- @simple
begin transaction;

-- @param: 'public'
SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name;

-- @param: 'conversations'
SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1 ORDER BY ordinal_position;

-- @param: 'acc_001'
-- @param: '2026-06-01'
-- @param: '2026-06-07'
SELECT count(*), sum(message_count) FROM conversations WHERE account_id = $1 AND started_date BETWEEN $2 AND $3;

rollback;

-- @param: 'acc_001'
SELECT conversation_id, status, message_count, started_date FROM conversations WHERE account_id = $1 ORDER BY conversation_id LIMIT 10;

