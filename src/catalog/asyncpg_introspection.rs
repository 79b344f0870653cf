//! asyncpg's type introspection, made plannable.
//!
//! asyncpg decodes only a few types without asking the server (the built-in
//! scalars, `oid[]` and `text[]`). For any other type in a result or a
//! parameter (`int8[]`, `float8[]`, …) it sends `INTRO_LOOKUP_TYPES`: a
//! recursive CTE over `pg_type` whose `basetype` and `attrtypoids` columns are
//! correlated subqueries (one of them recursive itself) inside `CASE`, which
//! DataFusion cannot plan. [`rewrite_sql`] recognises that query (both the
//! PostgreSQL ≥ 14 form and the older `INTRO_LOOKUP_TYPES_13`) and replaces it
//! with [`EQUIVALENT`]: the same columns, computed with the correlated
//! subqueries turned into joins (the domain chain as its own recursive CTE,
//! the composite attributes grouped by `pg_class.reltype`), and `x::regtype::text`
//! spelled with `format_type`.
//!
//! asyncpg only reads answers of types it has codecs for, so the parameter
//! `$1::oid[]` is described as `oid[]` (see [`is_oid_array`]) and the
//! `attrtypoids` column, wrapped in `pg_oid_array(…)`, is sent as `oid[]`.

use std::sync::Arc;

use arrow::datatypes::{DataType, Field};
use datafusion::common::{Result, exec_err};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};
use datafusion::prelude::SessionContext;

/// The plannable equivalent of asyncpg's `INTRO_LOOKUP_TYPES`.
pub const EQUIVALENT: &str = r"WITH RECURSIVE typebases(oid, base, depth) AS (
    SELECT t.oid, t.typbasetype, 0 FROM pg_catalog.pg_type t WHERE t.typtype = 'd'
    UNION ALL
    SELECT tb.oid, t2.typbasetype, tb.depth + 1
    FROM typebases tb JOIN pg_catalog.pg_type t2 ON t2.oid = tb.base
    WHERE t2.typbasetype <> 0
),
typeinfo AS (
    SELECT
        t.oid AS oid, ns.nspname AS ns, t.typname AS name, t.typtype AS kind,
        CASE WHEN t.typtype = 'd' THEN bases.base END AS basetype,
        t.typelem AS elemtype,
        elem_t.typdelim AS elemdelim,
        COALESCE(range_t.rngsubtype, multirange_t.rngsubtype) AS range_subtype,
        CASE WHEN t.typtype = 'c' THEN attrs.attrtypoids END AS attrtypoids,
        CASE WHEN t.typtype = 'c' THEN attrs.attrnames END AS attrnames
    FROM pg_catalog.pg_type AS t
    INNER JOIN pg_catalog.pg_namespace ns ON ns.oid = t.typnamespace
    LEFT JOIN pg_catalog.pg_type elem_t ON t.typlen = -1 AND t.typelem <> 0 AND t.typelem = elem_t.oid
    LEFT JOIN pg_catalog.pg_range range_t ON t.oid = range_t.rngtypid
    LEFT JOIN pg_catalog.pg_range multirange_t ON t.oid = multirange_t.rngmultitypid
    LEFT JOIN (
        SELECT tb.oid, last_value(tb.base ORDER BY tb.depth) AS base FROM typebases tb GROUP BY tb.oid
    ) bases ON bases.oid = t.oid
    LEFT JOIN (
        SELECT c.reltype,
               array_agg(ia.atttypid ORDER BY ia.attnum) AS attrtypoids,
               array_agg(CAST(ia.attname AS TEXT) ORDER BY ia.attnum) AS attrnames
        FROM pg_catalog.pg_attribute ia INNER JOIN pg_catalog.pg_class c ON ia.attrelid = c.oid
        WHERE ia.attnum > 0 AND NOT ia.attisdropped
        GROUP BY c.reltype
    ) attrs ON attrs.reltype = t.oid
),
typeinfo_tree(oid, ns, name, kind, basetype, elemtype, elemdelim, range_subtype, attrtypoids, attrnames, depth) AS (
    SELECT ti.oid, ti.ns, ti.name, ti.kind, ti.basetype, ti.elemtype, ti.elemdelim, ti.range_subtype,
           ti.attrtypoids, ti.attrnames, 0
    FROM typeinfo AS ti
    WHERE ti.oid = any($1::oid[])
    UNION ALL
    SELECT ti.oid, ti.ns, ti.name, ti.kind, ti.basetype, ti.elemtype, ti.elemdelim, ti.range_subtype,
           ti.attrtypoids, ti.attrnames, tt.depth + 1
    FROM typeinfo ti, typeinfo_tree tt
    WHERE (tt.elemtype IS NOT NULL AND ti.oid = tt.elemtype)
       OR (tt.attrtypoids IS NOT NULL AND array_has(tt.attrtypoids, ti.oid))
       OR (tt.range_subtype IS NOT NULL AND ti.oid = tt.range_subtype)
       OR (tt.basetype IS NOT NULL AND ti.oid = tt.basetype)
)
SELECT DISTINCT
    oid, ns, name, kind, basetype, elemtype, elemdelim, range_subtype,
    pg_oid_array(attrtypoids) AS attrtypoids, attrnames, depth,
    CASE WHEN basetype = 0 THEN '-' ELSE format_type(basetype, NULL) END AS basetype_name,
    CASE WHEN elemtype = 0 THEN '-' ELSE format_type(elemtype, NULL) END AS elemtype_name,
    CASE WHEN range_subtype = 0 THEN '-' ELSE format_type(range_subtype, NULL) END AS range_subtype_name
FROM typeinfo_tree
ORDER BY depth DESC";

/// [`EQUIVALENT`] when `sql` is asyncpg's type introspection query, else `None`.
pub fn rewrite_sql(sql: &str) -> Option<&'static str> {
    let is_introspection = sql
        .trim_start()
        .starts_with("WITH RECURSIVE typeinfo_tree(")
        && sql.contains("WITH RECURSIVE typebases(oid, depth)")
        && sql.contains("ti.oid = any($1::oid[])")
        && sql.contains("ORDER BY\n    depth DESC");
    is_introspection.then_some(EQUIVALENT)
}

/// The Arrow type conversql uses for Postgres `oid[]`: a list of `Int32`
/// whose item carries the catalog's OID-alias metadata.
pub fn oid_array_type() -> DataType {
    let item = Field::new_list_field(DataType::Int32, true).with_metadata(
        [(
            arrow_pg::datatypes::PG_OID_ALIAS_KEY.to_string(),
            "oid".to_string(),
        )]
        .into_iter()
        .collect(),
    );
    DataType::List(Arc::new(item))
}

/// Whether `data_type` is [`oid_array_type`]: described to clients as `oid[]`.
pub fn is_oid_array(data_type: &DataType) -> bool {
    matches!(data_type, DataType::List(item)
        if item.data_type() == &DataType::Int32
            && item.metadata().get(arrow_pg::datatypes::PG_OID_ALIAS_KEY).is_some_and(|k| k == "oid"))
}

/// Registers `pg_oid_array(int[]) -> oid[]`, which marks a list of OIDs as `oid[]`.
pub fn register(ctx: &SessionContext) {
    ctx.register_udf(ScalarUDF::new_from_impl(OidArray {
        signature: Signature::any(1, Volatility::Immutable),
    }));
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct OidArray {
    signature: Signature,
}

impl ScalarUDFImpl for OidArray {
    fn name(&self) -> &'static str {
        "pg_oid_array"
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(oid_array_type())
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let [value] = args.args.as_slice() else {
            return exec_err!("pg_oid_array takes one array");
        };
        let array = value.to_array(args.number_rows)?;
        let plain = DataType::List(Arc::new(Field::new_list_field(DataType::Int32, true)));
        let array = arrow::compute::cast(&array, &plain)?;
        // Same layout; only the item field's metadata differs.
        let data = array
            .to_data()
            .into_builder()
            .data_type(oid_array_type())
            .build()?;
        Ok(ColumnarValue::Array(arrow::array::make_array(data)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_both_asyncpg_queries_only() {
        let asyncpg_16 = include_str!("../../tests/clients/asyncpg_intro_lookup_types.sql");
        assert_eq!(rewrite_sql(asyncpg_16), Some(EQUIVALENT));
        assert!(rewrite_sql("SELECT 1").is_none());
        assert!(
            rewrite_sql(EQUIVALENT).is_none(),
            "the equivalent is not rewritten again"
        );
    }
}
