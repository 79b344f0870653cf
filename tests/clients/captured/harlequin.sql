-- harlequin: the SQL it sent to PostgreSQL 15 while its scenario
-- (tests/clients/harlequin_client.py) ran, captured with log_statement = all
-- by scripts/capture-client-sql. Do not edit: capture again.
-- Versions: harlequin 2.17.0, harlequin-postgres 1.5.2, psycopg 3.3.9
-- @each: shape

-- @simple
BEGIN;

-- @simple
set session characteristics as transaction read only;

-- @simple
COMMIT;

-- @simple
select current_setting('default_transaction_read_only');

-- @simple
BEGIN READ ONLY;

-- @simple
select datname
                from pg_database
                where
                    datistemplate is false
                    and datallowconn is true
                order by datname asc;

-- @simple
select current_database(), current_schemas(false);

-- @param: 'conversql'
select schema_name
                from information_schema.schemata
                where
                    catalog_name = $1
                    and schema_name != 'information_schema'
                    and schema_name not like 'pg\_%' escape '\'
                order by schema_name asc;

-- @param: 'conversql'
-- @param: 'public'
select table_name, table_type
                from information_schema.tables
                where
                    table_catalog = $1
                    and table_schema = $2
                order by table_name asc;

-- @param: 'public'
select matviewname
                from pg_matviews
                where
                    schemaname = $1
                order by matviewname asc;

-- @param: 'conversql'
-- @param: 'public'
-- @param: 'conversations'
select column_name, data_type
                from information_schema.columns
                where
                    table_catalog = $1
                    and table_schema = $2
                    and table_name = $3
                order by ordinal_position asc;

-- @simple
with
    index_columns as (
        select i.indexrelid, c.oid as rel_oid, unnest(i.indkey) as attnum
        from pg_catalog.pg_index i
        join pg_catalog.pg_class c on c.oid = i.indrelid
        where c.relname = 'conversations'
    ),
    index_column_counts as (
        select rel_oid, attnum, count(*) as cnt 
        from index_columns 
        group by 1, 2
    ),
    constraint_columns as (
        select con.oid, c.oid as rel_oid, unnest(con.conkey) as attnum
        from pg_catalog.pg_constraint con
        join pg_catalog.pg_class c on con.conrelid = c.oid
        where c.relname = 'conversations'
    ),
    constraint_column_counts as (
        select rel_oid, attnum, count(*) as cnt
        from constraint_columns
        group by 1, 2
    ),
    fkey_columns as (
        select
            src.relname as src_name,
            src.relnamespace::regnamespace as src_schema,
            c.oid as rel_oid,
            unnest(con.confkey) as attnum
        from pg_catalog.pg_constraint con
        join pg_catalog.pg_class c on con.confrelid = c.oid
        join pg_catalog.pg_class src on con.conrelid = src.oid
        where c.relname = 'conversations'
    ),
    fkey_references as (
        select
            rel_oid, 
            attnum, 
            string_agg(src_schema || '.' || src_name, ', ') as sources
        from fkey_columns
        group by 1, 2
    )
select
    a.attname as "Column",
    pg_catalog.format_type(a.atttypid, a.atttypmod) as "Type",
    coll.collname as "Collation",
    case
        when a.attnotnull is true then 'not null' 
        else '' 
    end as "Nullable",
    pg_catalog.pg_get_expr(d.adbin, d.adrelid, true) as "Default",
    case
        a.attstorage
        when 'p'
        then 'plain'
        when 'x'
        then 'extended'
        when 'e'
        then 'external'
        when 'm'
        then 'main'
        else a.attstorage::text
    end as "Storage",
    case
        a.attcompression
        when 'p'
        then 'pglz'
        when 'l'
        then 'LZ4'
        else a.attcompression::text
    end as "Compression",
    case 
        when a.attstattarget = -1
        then null
        else a.attstattarget
    end as "Stats target",
    case 
        when index_column_counts.cnt > 0 then true else false
    end as "Has Index",
    case
        when constraint_column_counts.cnt > 0 then true else false
    end as "Has Constraint",
    fkey_references.sources as "Referenced by",
    pg_catalog.col_description(a.attrelid, a.attnum) as "Description"
from pg_catalog.pg_attribute a
join pg_catalog.pg_class c on a.attrelid = c.oid
left join pg_catalog.pg_namespace n on n.oid = c.relnamespace
left join pg_catalog.pg_collation coll on coll.oid = a.attcollation
left join
    pg_catalog.pg_type t
    on (t.oid = a.atttypid and t.typcollation <> a.attcollation)
left join
    pg_catalog.pg_attrdef d
    on (a.attrelid = d.adrelid and a.attnum = d.adnum and a.atthasdef)
left join
    index_column_counts
    on a.attnum = index_column_counts.attnum
    and a.attrelid = index_column_counts.rel_oid
left join
    constraint_column_counts
    on a.attnum = constraint_column_counts.attnum
    and a.attrelid = constraint_column_counts.rel_oid
left join
    fkey_references
    on a.attnum = fkey_references.attnum
    and a.attrelid = fkey_references.rel_oid
where
    c.relname = 'conversations'
    and n.nspname = 'public'
    and a.attnum > 0
    and not a.attisdropped
order by a.attnum;

-- @simple
select status, count(*) as n from conversations where account_id = 'acc_001' group by status order by status;

