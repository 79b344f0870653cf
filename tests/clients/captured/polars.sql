-- polars: the SQL it sent to PostgreSQL 15 while its scenario
-- (tests/clients/polars_client.py) ran, captured with log_statement = all
-- by scripts/capture-client-sql. Do not edit: capture again.
-- Versions: polars 2.1.0, connectorx 0.4.6, adbc-driver-postgresql 1.13.0
-- @each: shape

-- @simple
SELECT version();

-- @simple
SELECT
    attrelid,
    attname,
    atttypid
FROM
    pg_catalog.pg_attribute
ORDER BY
    attrelid, attnum;

-- @simple
SELECT oid, typname, typreceive, typbasetype, typrelid, typarray FROM pg_catalog.pg_type WHERE (typreceive != 0 OR typsend != 0) AND typtype != 'r' AND typreceive::TEXT != 'array_recv';

-- @simple
BEGIN TRANSACTION;

COPY (SELECT conversation_id, status, message_count, started_date FROM conversations WHERE account_id = 'acc_001' ORDER BY conversation_id LIMIT 10) TO STDOUT (FORMAT binary);

COPY (SELECT conversation_id, status, message_count, started_date FROM conversations WHERE account_id = 'acc_001' ORDER BY conversation_id LIMIT 10) TO STDOUT WITH BINARY;

