-- dbt: the SQL it sent to PostgreSQL 15 while its scenario
-- (tests/clients/dbt_client.py) ran, captured with log_statement = all
-- by scripts/capture-client-sql. Do not edit: capture again.
-- Versions: dbt-core 1.11.16, dbt-postgres 1.11.0, psycopg2-binary 2.9.13
-- @each: shape

-- @simple
BEGIN;

-- @simple
select 1 as id;

-- @simple
/* {"app": "dbt", "dbt_version": "1.11.16", "profile_name": "conversql", "target_name": "test", "connection_name": "master"} */
select distinct
        dependent_namespace.nspname as dependent_schema,
        dependent_class.relname as dependent_name,
        referenced_namespace.nspname as referenced_schema,
        referenced_class.relname as referenced_name

    -- Query for views: views are entries in pg_class with an entry in pg_rewrite, but we avoid
    -- a seq scan on pg_rewrite by leveraging the fact there is an "internal" row in pg_depend for
    -- the view...
    from pg_class as dependent_class
    join pg_namespace as dependent_namespace on dependent_namespace.oid = dependent_class.relnamespace
    join pg_depend as dependent_depend on dependent_depend.refobjid = dependent_class.oid
        and dependent_depend.classid = 'pg_rewrite'::regclass
        and dependent_depend.refclassid = 'pg_class'::regclass
        and dependent_depend.deptype = 'i'

    -- ... and via pg_depend (that has a row per column, hence the need for "distinct" above, and
    -- making sure to exclude the internal row to avoid a view appearing to depend on itself)...
    join pg_depend as joining_depend on joining_depend.objid = dependent_depend.objid
        and joining_depend.classid = 'pg_rewrite'::regclass
        and joining_depend.refclassid = 'pg_class'::regclass
        and joining_depend.refobjid != dependent_depend.refobjid

    -- ... we can find the tables they query from in pg_class, but excluding system tables. Note we
    -- don't need need to exclude _dependent_ system tables, because they only query from other
    -- system tables, and so are automatically excluded by excluding _referenced_ system tables
    join pg_class as referenced_class on referenced_class.oid = joining_depend.refobjid
    join pg_namespace as referenced_namespace on referenced_namespace.oid = referenced_class.relnamespace
        and referenced_namespace.nspname != 'information_schema'
        and referenced_namespace.nspname not like 'pg\_%'

    order by
        dependent_schema, dependent_name, referenced_schema, referenced_name;

-- @simple
ROLLBACK;

-- @simple
COMMIT;

-- @simple
/* {"app": "dbt", "dbt_version": "1.11.16", "profile_name": "conversql", "target_name": "test", "node_id": "test.conversql_client_test.source_not_null_conversql_conversations_account_id.71f88b7bdb"} */

    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    
    



select account_id
from "conversql"."public"."conversations"
where account_id is null



  
  
      
    ) dbt_internal_test;

-- @simple
/* {"app": "dbt", "dbt_version": "1.11.16", "profile_name": "conversql", "target_name": "test", "node_id": "test.conversql_client_test.source_not_null_conversql_conversations_conversation_id.3cad5a3389"} */

    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    
    



select conversation_id
from "conversql"."public"."conversations"
where conversation_id is null



  
  
      
    ) dbt_internal_test;

-- @simple
/* {"app": "dbt", "dbt_version": "1.11.16", "profile_name": "conversql", "target_name": "test", "node_id": "test.conversql_client_test.source_unique_conversql_conversations_conversation_id.4ac06e9313"} */

    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    
    

select
    conversation_id as unique_field,
    count(*) as n_records

from "conversql"."public"."conversations"
where conversation_id is not null
group by conversation_id
having count(*) > 1



  
  
      
    ) dbt_internal_test;

-- @simple
/* {"app": "dbt", "dbt_version": "1.11.16", "profile_name": "conversql", "target_name": "test", "connection_name": "conversql.information_schema"} */

    
    

    select
        'conversql' as table_database,
        sch.nspname as table_schema,
        tbl.relname as table_name,
        case tbl.relkind
            when 'v' then 'VIEW'
            when 'm' then 'MATERIALIZED VIEW'
            else 'BASE TABLE'
        end as table_type,
        tbl_desc.description as table_comment,
        col.attname as column_name,
        col.attnum as column_index,
        pg_catalog.format_type(col.atttypid, col.atttypmod) as column_type,
        col_desc.description as column_comment,
        pg_get_userbyid(tbl.relowner) as table_owner

    from pg_catalog.pg_namespace sch
    join pg_catalog.pg_class tbl on tbl.relnamespace = sch.oid
    join pg_catalog.pg_attribute col on col.attrelid = tbl.oid
    left outer join pg_catalog.pg_description tbl_desc on (tbl_desc.objoid = tbl.oid and tbl_desc.objsubid = 0)
    left outer join pg_catalog.pg_description col_desc on (col_desc.objoid = tbl.oid and col_desc.objsubid = col.attnum)
    where ((upper(sch.nspname) = upper('public') and
           upper(tbl.relname) = upper('daily_conversations')) or (upper(sch.nspname) = upper('public') and
           upper(tbl.relname) = upper('conversations')))
      and not pg_is_other_temp_schema(sch.oid) -- not a temporary schema belonging to another session
      and tbl.relpersistence in ('p', 'u') -- [p]ermanent table or [u]nlogged table. Exclude [t]emporary tables
      and tbl.relkind in ('r', 'v', 'f', 'p', 'm') -- o[r]dinary table, [v]iew, [f]oreign table, [p]artitioned table, [m]aterialized view. Other values are [i]ndex, [S]equence, [c]omposite type, [t]OAST table
      and col.attnum > 0 -- negative numbers are used for system columns such as oid
      and not col.attisdropped -- column as not been dropped

    order by
        sch.nspname,
        tbl.relname,
        col.attnum;

