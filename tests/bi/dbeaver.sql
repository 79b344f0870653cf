-- DBeaver: the connect-time and navigator queries of DBeaver 25.1.5's
-- PostgreSQL plugin (plugins/org.jkiss.dbeaver.ext.postgresql: PostgreDataSource
-- initialization, PostgreDatabase schema/type caches, PostgreSchema TableCache and
-- the table-column cache), as captured from a running DBeaver in
-- datafusion-contrib/datafusion-postgres (datafusion-postgres/tests/dbeaver.rs),
-- with the relation's namespace and oid bound as DBeaver binds them ($1), and the
-- column query as DBeaver 24.2/25.3 send it (seen in pg_stat_activity captures).

SET extra_float_digits = 3;

SET application_name = 'DBeaver 25.1.5 - Main <conversql>';

-- DBeaver reads these by position; conversql names the columns "current_schema()"
-- and "session_user()" (PostgreSQL: current_schema, session_user), so no @shape.
-- @same-rows
SELECT current_schema(),session_user;

-- (n.* includes nspacl, an aclitem[] PostgreSQL cannot send in binary: no comparison)
-- @contains: public
-- @contains: raw
SELECT n.oid,n.*,d.description FROM pg_catalog.pg_namespace n LEFT OUTER JOIN pg_catalog.pg_description d ON d.objoid=n.oid AND d.objsubid=0 AND d.classoid='pg_namespace'::regclass ORDER BY nspname;

-- Read by position (pgjdbc's TypeInfoCache); unnamed expressions are not named "?column?", so no @shape.
-- @same-rows
SELECT n.nspname = ANY(current_schemas(true)), n.nspname, t.typname FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON t.typnamespace = n.oid WHERE t.oid = 1034;

-- @shape
SHOW search_path;

-- @params: 'conversql'
-- @contains: conversql
SELECT db.oid,db.* FROM pg_catalog.pg_database db WHERE datname=$1;

-- @same-rows
SELECT name, setting FROM pg_catalog.pg_settings where name='standard_conforming_strings';

-- @prefix: PostgreSQL
SELECT version();

SELECT * FROM pg_catalog.pg_enum WHERE 1<>1 LIMIT 1;

SELECT reltype FROM pg_catalog.pg_class WHERE 1<>1 LIMIT 1;

-- @min-rows: 20
-- @contains: int8
-- @contains: timestamptz
SELECT t.oid,t.*,c.relkind,format_type(nullif(t.typbasetype, 0), t.typtypmod) as base_type_name, d.description FROM pg_catalog.pg_type t LEFT OUTER JOIN pg_catalog.pg_type et ON et.oid=t.typelem LEFT OUTER JOIN pg_catalog.pg_class c ON c.oid=t.typrelid LEFT OUTER JOIN pg_catalog.pg_description d ON t.oid=d.objoid WHERE t.typname IS NOT NULL AND (c.relkind IS NULL OR c.relkind = 'c') AND (et.typcategory IS NULL OR et.typcategory <> 'C');

-- The tables and views of schema public (PostgreSchema TableCache).
-- @bind: SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = 'public'
-- @min-rows: 8
-- @contains: conversations
-- @contains: v
SELECT c.oid,c.*,d.description,pg_catalog.pg_get_expr(c.relpartbound, c.oid) as partition_expr,  pg_catalog.pg_get_partkeydef(c.oid) as partition_key
FROM pg_catalog.pg_class c
LEFT OUTER JOIN pg_catalog.pg_description d ON d.objoid=c.oid AND d.objsubid=0 AND d.classoid='pg_class'::regclass
WHERE c.relnamespace=$1 AND c.relkind not in ('i','I','c');

-- @bind: SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = 'public'
-- @shape
-- @min-rows: 8
select c.oid,pg_catalog.pg_total_relation_size(c.oid) as total_rel_size,pg_catalog.pg_relation_size(c.oid) as rel_size
FROM pg_class c
WHERE c.relnamespace=$1;

-- The columns of conversations (the table-column cache).
-- @bind: SELECT c.oid FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relname = 'conversations'
-- @min-rows: 10
-- @contains: started_at
-- @contains: message_count
SELECT c.relname,a.*,pg_catalog.pg_get_expr(ad.adbin, ad.adrelid, true) as def_value,dsc.description,dep.objid
FROM pg_catalog.pg_attribute a
INNER JOIN pg_catalog.pg_class c ON (a.attrelid=c.oid)
LEFT OUTER JOIN pg_catalog.pg_attrdef ad ON (a.attrelid=ad.adrelid AND a.attnum = ad.adnum)
LEFT OUTER JOIN pg_catalog.pg_description dsc ON (c.oid=dsc.objoid AND a.attnum = dsc.objsubid)
LEFT OUTER JOIN pg_depend dep on dep.refobjid = a.attrelid AND dep.deptype = 'i' and dep.refobjsubid = a.attnum and dep.classid = dep.refclassid
WHERE NOT a.attisdropped AND c.relkind not in ('i','I','c') AND c.oid=$1
ORDER BY a.attnum;

-- The indexes and constraints of conversations (none: views).
-- @bind: SELECT c.oid FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relname = 'conversations'
SELECT i.*,i.indkey as keys,c.relname,c.relnamespace,c.relam,c.reltablespace,tc.relname as tabrelname,dsc.description,pg_catalog.pg_get_expr(i.indpred, i.indrelid) as pred_expr,pg_catalog.pg_get_expr(i.indexprs, i.indrelid, true) as expr,pg_catalog.pg_relation_size(i.indexrelid) as index_rel_size,pg_catalog.pg_stat_get_numscans(i.indexrelid) as index_num_scans FROM pg_catalog.pg_index i
    INNER JOIN pg_catalog.pg_class c ON c.oid=i.indexrelid
    INNER JOIN pg_catalog.pg_class tc ON tc.oid=i.indrelid
    LEFT OUTER JOIN pg_catalog.pg_description dsc ON i.indexrelid=dsc.objoid
    WHERE  i.indrelid=$1 ORDER BY tabrelname, c.relname;

-- @bind: SELECT c.oid FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relname = 'conversations'
SELECT c.oid,c.*,t.relname as tabrelname,rt.relnamespace as refnamespace,d.description, case when c.contype='c' then "substring"(pg_get_constraintdef(c.oid), 7) else null end consrc_copy
    FROM pg_catalog.pg_constraint c
    INNER JOIN pg_catalog.pg_class t ON t.oid=c.conrelid
    LEFT OUTER JOIN pg_catalog.pg_class rt ON rt.oid=c.confrelid
    LEFT OUTER JOIN pg_catalog.pg_description d ON d.objoid=c.oid AND d.objsubid=0 AND d.classoid='pg_constraint'::regclass
    WHERE c.conrelid=$1
    ORDER BY c.oid;
