-- Grafana: the PostgreSQL data source's metadata queries, used by the query
-- builder's schema, table and column pickers and the version auto-detection.
-- Source: grafana/grafana,
-- public/app/plugins/datasource/grafana-postgresql-datasource/postgresMetaQuery.ts
-- (getVersion, getTimescaleDBVersion, showSchemas, showTables, getSchema with
-- buildSchemaConstraint), expanded for schema 'public' and table 'conversations'
-- as the editor expands them.

-- @shape
-- @contains: 1600
SELECT current_setting('server_version_num')::int/100 as version;

-- @shape
-- @same-rows
SELECT extversion FROM pg_extension WHERE extname = 'timescaledb';

-- @shape
-- @same-rows
-- @contains: public
SELECT schema_name AS "name"
    FROM information_schema.schemata
    WHERE schema_name NOT IN ('information_schema',
                              'pg_catalog',
                              'pg_toast',
                              '_timescaledb_cache',
                              '_timescaledb_catalog',
                              '_timescaledb_internal',
                              '_timescaledb_config',
                              'timescaledb_information',
                              'timescaledb_experimental')
    ORDER BY schema_name;

-- showTables('public')
-- @shape
-- @same-rows
-- @min-rows: 8
-- @contains: conversations
SELECT quote_ident(table_name) AS "table"
      FROM information_schema.tables
      WHERE quote_ident(table_schema) = 'public'
      ORDER BY 1;

-- showTables() without a schema: tables on the search_path unqualified, others qualified
-- @shape
-- @same-rows
-- @contains: conversations
SELECT
    CASE WHEN
          quote_ident(table_schema) IN (
          SELECT
            CASE WHEN trim(s[i]) = '"$user"' THEN user ELSE trim(s[i]) END
          FROM
            generate_series(
              array_lower(string_to_array(current_setting('search_path'),','),1),
              array_upper(string_to_array(current_setting('search_path'),','),1)
            ) as i,
            string_to_array(current_setting('search_path'),',') s
          )
      THEN quote_ident(table_name)
      ELSE quote_ident(table_schema) || '.' || quote_ident(table_name)
    END AS "table"
    FROM information_schema.tables
    WHERE quote_ident(table_schema) NOT IN ('information_schema',
                             'pg_catalog',
                             '_timescaledb_cache',
                             '_timescaledb_catalog',
                             '_timescaledb_internal',
                             '_timescaledb_config',
                             'timescaledb_information',
                             'timescaledb_experimental')
    ORDER BY CASE WHEN
          quote_ident(table_schema) IN (
          SELECT
            CASE WHEN trim(s[i]) = '"$user"' THEN user ELSE trim(s[i]) END
          FROM
            generate_series(
              array_lower(string_to_array(current_setting('search_path'),','),1),
              array_upper(string_to_array(current_setting('search_path'),','),1)
            ) as i,
            string_to_array(current_setting('search_path'),',') s
          ) THEN 0 ELSE 1 END, 1;

-- getSchema('conversations'): the columns of a table on the search_path
-- @shape
-- @same-rows
-- @contains: started_at
-- @contains: timestamp with time zone
SELECT quote_ident(column_name) AS "column", data_type AS "type"
    FROM information_schema.columns
    WHERE
      CASE WHEN array_length(parse_ident('conversations'),1) = 2
        THEN quote_ident(table_schema) = (parse_ident('conversations'))[1]
          AND quote_ident(table_name) = (parse_ident('conversations'))[2]
        ELSE quote_ident(table_name) = 'conversations'
          AND
          quote_ident(table_schema) IN (
          SELECT
            CASE WHEN trim(s[i]) = '"$user"' THEN user ELSE trim(s[i]) END
          FROM
            generate_series(
              array_lower(string_to_array(current_setting('search_path'),','),1),
              array_upper(string_to_array(current_setting('search_path'),','),1)
            ) as i,
            string_to_array(current_setting('search_path'),',') s
          )
      END;

-- getSchema('public.conversations'): a qualified name
-- @shape
-- @same-rows
-- @contains: message_count
SELECT quote_ident(column_name) AS "column", data_type AS "type"
    FROM information_schema.columns
    WHERE
      CASE WHEN array_length(parse_ident('public.conversations'),1) = 2
        THEN quote_ident(table_schema) = (parse_ident('public.conversations'))[1]
          AND quote_ident(table_name) = (parse_ident('public.conversations'))[2]
        ELSE quote_ident(table_name) = 'public.conversations'
      END;
