-- Tableau: Tableau Desktop/Server connect to PostgreSQL through pgjdbc (the
-- "postgres_jdbc" connector; tableau/connector-plugin-sdk,
-- samples/plugins/postgres_jdbc/manifest.xml, which sets
-- CAP_QUERY_WHERE_FALSE_METADATA and CAP_QUERY_TOP_N). On connect Tableau lists
-- schemas and tables with DatabaseMetaData.getSchemas/getTables, reads a
-- table's columns with a "WHERE 1 = 0" query (CAP_QUERY_WHERE_FALSE_METADATA),
-- previews rows with LIMIT (CAP_QUERY_TOP_N) and wraps Custom SQL in a
-- subquery aliased "Custom SQL Query". The getSchemas/getTables/getTypeInfo
-- statements are pgjdbc 42.5.5's (org/postgresql/jdbc/PgDatabaseMetaData.java,
-- org/postgresql/jdbc/TypeInfoCache.java), captured with log_statement = all
-- from PostgreSQL 15.

SET extra_float_digits = 3;

SET application_name = 'PostgreSQL JDBC Driver';

-- @prefix: PostgreSQL
SELECT version();

-- @shape
-- @same-rows
SELECT nspname AS TABLE_SCHEM, NULL AS TABLE_CATALOG FROM pg_catalog.pg_namespace  WHERE nspname <> 'pg_toast' AND (nspname !~ '^pg_temp_'  OR nspname = (pg_catalog.current_schemas(true))[1]) AND (nspname !~ '^pg_toast_temp_'  OR nspname = replace((pg_catalog.current_schemas(true))[1], 'pg_temp_', 'pg_toast_temp_'))  ORDER BY TABLE_SCHEM;

-- @shape
-- @same-rows
-- @min-rows: 8
-- @contains: conversations
-- @contains: VIEW
SELECT NULL AS TABLE_CAT, n.nspname AS TABLE_SCHEM, c.relname AS TABLE_NAME,  CASE n.nspname ~ '^pg_' OR n.nspname = 'information_schema'  WHEN true THEN CASE  WHEN n.nspname = 'pg_catalog' OR n.nspname = 'information_schema' THEN CASE c.relkind   WHEN 'r' THEN 'SYSTEM TABLE'   WHEN 'v' THEN 'SYSTEM VIEW'   WHEN 'i' THEN 'SYSTEM INDEX'   ELSE NULL   END  WHEN n.nspname = 'pg_toast' THEN CASE c.relkind   WHEN 'r' THEN 'SYSTEM TOAST TABLE'   WHEN 'i' THEN 'SYSTEM TOAST INDEX'   ELSE NULL   END  ELSE CASE c.relkind   WHEN 'r' THEN 'TEMPORARY TABLE'   WHEN 'p' THEN 'TEMPORARY TABLE'   WHEN 'i' THEN 'TEMPORARY INDEX'   WHEN 'S' THEN 'TEMPORARY SEQUENCE'   WHEN 'v' THEN 'TEMPORARY VIEW'   ELSE NULL   END  END  WHEN false THEN CASE c.relkind  WHEN 'r' THEN 'TABLE'  WHEN 'p' THEN 'PARTITIONED TABLE'  WHEN 'i' THEN 'INDEX'  WHEN 'P' then 'PARTITIONED INDEX'  WHEN 'S' THEN 'SEQUENCE'  WHEN 'v' THEN 'VIEW'  WHEN 'c' THEN 'TYPE'  WHEN 'f' THEN 'FOREIGN TABLE'  WHEN 'm' THEN 'MATERIALIZED VIEW'  ELSE NULL  END  ELSE NULL  END  AS TABLE_TYPE, d.description AS REMARKS,  '' as TYPE_CAT, '' as TYPE_SCHEM, '' as TYPE_NAME, '' AS SELF_REFERENCING_COL_NAME, '' AS REF_GENERATION  FROM pg_catalog.pg_namespace n, pg_catalog.pg_class c  LEFT JOIN pg_catalog.pg_description d ON (c.oid = d.objoid AND d.objsubid = 0  and d.classoid = 'pg_class'::regclass)  WHERE c.relnamespace = n.oid  AND n.nspname LIKE 'public' AND c.relname LIKE '%' AND (false  OR ( c.relkind = 'r' AND n.nspname !~ '^pg_' AND n.nspname <> 'information_schema' )  OR ( c.relkind = 'v' AND n.nspname <> 'pg_catalog' AND n.nspname <> 'information_schema' ) )  ORDER BY TABLE_TYPE,TABLE_SCHEM,TABLE_NAME;

-- @shape
-- @min-rows: 20
-- @contains: int8
-- @contains: timestamptz
SELECT t.typname,t.oid FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON (t.typnamespace = n.oid)  WHERE n.nspname  != 'pg_toast' AND  (t.typrelid = 0 OR (SELECT c.relkind = 'c' FROM pg_catalog.pg_class c WHERE c.oid = t.typrelid));

-- @shape
-- @min-rows: 20
-- @contains: text
SELECT typinput='pg_catalog.array_in'::regproc as is_array, typtype, typname, pg_type.oid   FROM pg_catalog.pg_type   LEFT JOIN (select ns.oid as nspoid, ns.nspname, r.r           from pg_namespace as ns           join ( select s.r, (current_schemas(false))[s.r] as nspname                    from generate_series(1, array_upper(current_schemas(false), 1)) as s(r) ) as r          using ( nspname )        ) as sp     ON sp.nspoid = typnamespace  ORDER BY sp.r, pg_type.oid DESC;

-- @shape
SELECT * FROM "public"."conversations" "conversations" WHERE (1 = 0);

-- @shape
-- @contains: acc_001
SELECT "conversations"."account_id" AS "account_id", "conversations"."status" AS "status" FROM "public"."conversations" "conversations" LIMIT 1000;

-- @shape
SELECT * FROM (SELECT account_id, conversation_id, started_date FROM conversations) "Custom SQL Query" LIMIT 0;

-- @shape
SELECT "Custom SQL Query"."started_date" AS "started_date", COUNT(1) AS "cnt:conversations:ok" FROM (SELECT account_id, conversation_id, started_date FROM conversations) "Custom SQL Query" GROUP BY 1;
