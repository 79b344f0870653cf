-- ibis: the SQL it sent to PostgreSQL 15 while its scenario
-- (tests/clients/ibis_client.py) ran, captured with log_statement = all
-- by scripts/capture-client-sql. Do not edit: capture again.
-- Versions: ibis-framework 12.0.0, psycopg 3.3.9
-- @each: shape

-- @simple
BEGIN;

-- @simple
SET TIMEZONE = UTC;

-- @simple
COMMIT;

-- @simple
SELECT CURRENT_DATABASE();

-- @simple
SELECT CURRENT_SCHEMA;

-- @simple
SELECT DISTINCT table_name FROM information_schema.tables WHERE TRUE AND table_schema = 'public' AND table_catalog = 'conversql' UNION ALL SELECT DISTINCT table_name FROM information_schema.tables WHERE table_type = 'LOCAL TEMPORARY';

-- @simple
SELECT nspname FROM pg_namespace WHERE oid = pg_my_temp_schema();

-- @param: '{public}'
-- @param: 'conversations'
SELECT
  a.attname AS column_name,
  CASE
    WHEN EXISTS(
      SELECT 1
      FROM pg_catalog.pg_type t
      INNER JOIN pg_catalog.pg_enum e
              ON e.enumtypid = t.oid
             AND t.typname = pg_catalog.format_type(a.atttypid, a.atttypmod)
    ) THEN 'enum'
    ELSE pg_catalog.format_type(a.atttypid, a.atttypmod)
  END AS data_type,
  NOT a.attnotnull AS nullable
FROM pg_catalog.pg_attribute a
INNER JOIN pg_catalog.pg_class c
   ON a.attrelid = c.oid
INNER JOIN pg_catalog.pg_namespace n
   ON c.relnamespace = n.oid
WHERE a.attnum > 0
  AND NOT a.attisdropped
  AND n.nspname = ANY($1)
  AND c.relname = $2
ORDER BY a.attnum ASC;

-- @simple
SELECT * FROM (SELECT "t1"."status", COUNT(*) AS "n", SUM("t1"."message_count") AS "messages" FROM (SELECT * FROM "conversations" AS "t0" WHERE "t0"."account_id" = 'acc_001') AS "t1" GROUP BY 1) AS "t2" ORDER BY "t2"."status" ASC;

-- @simple
CREATE TEMPORARY VIEW ibis_postgres_metadata_7l3a6ugnobalnkd7lu6r4t6xzq AS SELECT status, COUNT(*) AS n FROM conversations WHERE account_id = 'acc_001' GROUP BY status;

-- @param: '{public,pg_temp_3}'
-- @param: 'ibis_postgres_metadata_7l3a6ugnobalnkd7lu6r4t6xzq'
SELECT
  a.attname AS column_name,
  CASE
    WHEN EXISTS(
      SELECT 1
      FROM pg_catalog.pg_type t
      INNER JOIN pg_catalog.pg_enum e
              ON e.enumtypid = t.oid
             AND t.typname = pg_catalog.format_type(a.atttypid, a.atttypmod)
    ) THEN 'enum'
    ELSE pg_catalog.format_type(a.atttypid, a.atttypmod)
  END AS data_type,
  NOT a.attnotnull AS nullable
FROM pg_catalog.pg_attribute a
INNER JOIN pg_catalog.pg_class c
   ON a.attrelid = c.oid
INNER JOIN pg_catalog.pg_namespace n
   ON c.relnamespace = n.oid
WHERE a.attnum > 0
  AND NOT a.attisdropped
  AND n.nspname = ANY($1)
  AND c.relname = $2
ORDER BY a.attnum ASC;

-- @simple
DROP VIEW IF EXISTS ibis_postgres_metadata_7l3a6ugnobalnkd7lu6r4t6xzq;

-- @simple
DEALLOCATE ALL;

-- @simple
SELECT status, COUNT(*) AS n FROM conversations WHERE account_id = 'acc_001' GROUP BY status;

