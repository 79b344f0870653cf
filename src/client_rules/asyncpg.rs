//! asyncpg's type introspection (asyncpg/introspection.py, `INTRO_LOOKUP_TYPES`,
//! asyncpg 0.32), made plannable.
//!
//! asyncpg decodes only a few types without asking the server (the built-in
//! scalars, `oid[]` and `text[]`). For any other type in a result or a
//! parameter (`int8[]`, `float8[]`, …) it sends `INTRO_LOOKUP_TYPES`
//! (asyncpg_intro_lookup_types.sql beside this file, as asyncpg sends it to a
//! server of version 14 or later): a recursive CTE over `pg_type` whose
//! `basetype` and `attrtypoids` columns are correlated subqueries (one of them
//! recursive itself) inside `CASE`, which DataFusion cannot plan.
//! [`IntroLookupTypes`] recognises that statement, token for token, and
//! replaces it with [`EQUIVALENT`]: the same columns, computed with the
//! correlated subqueries turned into joins (the domain chain as its own
//! recursive CTE, the composite attributes grouped by `pg_class.reltype`),
//! and `x::regtype::text` spelled with `format_type`.
//!
//! asyncpg only reads answers of types it has codecs for, so the parameter
//! `$1::oid[]` is described as `oid[]` and the `attrtypoids` column, wrapped in
//! `pg_oid_array(…)` (catalog::asyncpg_introspection), is sent as `oid[]`.

use std::sync::LazyLock;

use datafusion::sql::sqlparser::tokenizer::Token;

use super::ClientRule;
use super::tokens;

/// asyncpg's `INTRO_LOOKUP_TYPES`, as asyncpg 0.32 sends it.
pub const INTRO_LOOKUP_TYPES: &str = include_str!("asyncpg_intro_lookup_types.sql");

static PATTERN: LazyLock<Vec<Token>> = LazyLock::new(|| tokens::pattern(INTRO_LOOKUP_TYPES));

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

/// The rule: asyncpg's `INTRO_LOOKUP_TYPES` becomes [`EQUIVALENT`].
#[derive(Debug)]
pub struct IntroLookupTypes;

impl ClientRule for IntroLookupTypes {
    fn name(&self) -> &'static str {
        "asyncpg: INTRO_LOOKUP_TYPES"
    }

    fn rewrite(&self, sql: &str) -> Option<String> {
        let candidate = sql
            .trim_start()
            .starts_with("WITH RECURSIVE typeinfo_tree(");
        (candidate && tokens::is_statement(sql, &PATTERN)).then(|| EQUIVALENT.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_asyncpgs_query_whatever_the_layout() {
        assert_eq!(
            IntroLookupTypes.rewrite(INTRO_LOOKUP_TYPES).as_deref(),
            Some(EQUIVALENT)
        );
        let flat = INTRO_LOOKUP_TYPES
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        assert_eq!(IntroLookupTypes.rewrite(&flat).as_deref(), Some(EQUIVALENT));
    }

    #[test]
    fn leaves_other_sql_unchanged() {
        for sql in crate::client_rules::tests::OTHER_SQL {
            assert!(IntroLookupTypes.rewrite(sql).is_none(), "{sql}");
        }
        assert!(
            IntroLookupTypes.rewrite(EQUIVALENT).is_none(),
            "the equivalent is not rewritten again"
        );
        // The same query with one condition changed is a different query.
        let changed =
            INTRO_LOOKUP_TYPES.replacen("ti.oid = any($1::oid[])", "ti.oid = any($2::oid[])", 1);
        assert_ne!(changed, INTRO_LOOKUP_TYPES);
        assert!(IntroLookupTypes.rewrite(&changed).is_none());
    }
}
