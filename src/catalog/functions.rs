//! conversql's own functions as the Postgres catalog lists them (`pg_proc`,
//! `pg_description`, `pg_get_function_arguments`/`_result`, psql's `\df`),
//! derived from the functions themselves rather than written down again:
//!
//! - the scalar and aggregate functions of `conversql-udfs`: name,
//!   description and argument names from their `#[user_doc]` documentation
//!   (`documentation()`); argument types from their signature, or for a
//!   user-defined signature what the function's own coercion makes of untyped
//!   arguments (`coerce_types` of NULLs: the type a NULL argument takes);
//!   the result type from `return_type` of those; the volatility from the
//!   signature;
//! - the table functions: their declarations
//!   ([`crate::table_functions::declarations`]), which also check their
//!   arguments and type the parameters of prepared statements.
//!
//! Oids are [`OID_BASE`] + the function's position in that order (table
//! functions, then scalar functions, then aggregates, each in the order of
//! its list), so a new function added at the end of its list keeps the
//! others' oids.

use std::sync::LazyLock;

use arrow::datatypes::DataType;
use datafusion::logical_expr::{
    AggregateUDF, Documentation, ScalarUDF, Signature, TypeSignature, Volatility,
};

use crate::declaration::Declaration;
use crate::table_functions::declarations;

/// One catalogued function.
#[derive(Debug, Clone)]
pub struct Function {
    /// Its oid in `pg_proc`.
    pub oid: i32,
    /// SQL name.
    pub name: String,
    /// `pg_get_function_arguments`: the arguments with their names and types.
    pub arguments: String,
    /// Argument type oids (`proargtypes`).
    pub argument_types: Vec<i32>,
    /// How many trailing arguments have defaults (`pronargdefaults`).
    pub argument_defaults: usize,
    /// `pg_get_function_result`.
    pub result: String,
    /// Result type oid (`prorettype`).
    pub result_type: i32,
    /// Whether it returns rows (a table function).
    pub returns_set: bool,
    /// `f` (function) or `a` (aggregate).
    pub kind: &'static str,
    /// `provolatile`: `i` (immutable), `s` (stable) or `v` (volatile).
    pub volatility: &'static str,
    /// Its comment (`obj_description(oid, 'pg_proc')`).
    pub description: String,
}

/// The oids of conversql's functions are above this one, far from the
/// relation oids the catalog hands out (from 16384, one per relation).
pub const OID_BASE: i32 = 90000;

/// `record`, the result type of a function returning `TABLE(…)`.
const RECORD: i32 = 2249;

static FUNCTIONS: LazyLock<Result<Vec<Function>, String>> = LazyLock::new(catalogue);

/// Every catalogued function, or what keeps one from being catalogued (a
/// function without documentation, or whose documented arguments its
/// signature does not accept).
pub fn functions() -> Result<&'static [Function], &'static str> {
    FUNCTIONS.as_deref().map_err(String::as_str)
}

/// The function with this oid.
pub fn by_oid(oid: i32) -> Option<&'static Function> {
    functions().ok()?.iter().find(|f| f.oid == oid)
}

/// The functions in oid order.
fn catalogue() -> Result<Vec<Function>, String> {
    let mut functions: Vec<Function> = declarations().iter().map(table_function).collect();
    for udf in conversql_udfs::scalar_udfs() {
        functions.push(scalar(&udf)?);
    }
    for udaf in conversql_udfs::aggregate_udfs() {
        functions.push(aggregate(&udaf)?);
    }
    for (position, function) in (1..).zip(functions.iter_mut()) {
        function.oid = OID_BASE + position;
    }
    Ok(functions)
}

fn scalar(udf: &ScalarUDF) -> Result<Function, String> {
    documented(
        udf.name(),
        udf.documentation(),
        udf.signature(),
        |types| udf.coerce_types(types),
        |types| udf.return_type(types),
        "f",
    )
}

fn aggregate(udaf: &AggregateUDF) -> Result<Function, String> {
    documented(
        udaf.name(),
        udaf.documentation(),
        udaf.signature(),
        |types| udaf.coerce_types(types),
        |types| udaf.return_type(types),
        "a",
    )
}

/// The catalogue entry of a documented scalar or aggregate function.
fn documented(
    name: &str,
    doc: Option<&Documentation>,
    signature: &Signature,
    coerce: impl Fn(&[DataType]) -> datafusion::error::Result<Vec<DataType>>,
    return_type: impl Fn(&[DataType]) -> datafusion::error::Result<DataType>,
    kind: &'static str,
) -> Result<Function, String> {
    let doc = doc.ok_or_else(|| format!("function {name} has no documentation"))?;
    let names: Vec<&str> = doc
        .arguments
        .iter()
        .flatten()
        .map(|(argument, _)| argument.as_str())
        .collect();
    let types = match &signature.type_signature {
        TypeSignature::Nullary => vec![],
        TypeSignature::Exact(types) => types.clone(),
        _ => coerce(&vec![DataType::Null; names.len()]).map_err(|e| {
            format!(
                "function {name}: its documented arguments ({}) are not accepted: {e}",
                names.join(", ")
            )
        })?,
    };
    if types.len() != names.len() {
        return Err(format!(
            "function {name} documents {} arguments but takes {}",
            names.len(),
            types.len()
        ));
    }
    let result = return_type(&types).map_err(|e| format!("function {name}: {e}"))?;
    Ok(Function {
        oid: 0,
        name: name.to_string(),
        arguments: names
            .iter()
            .zip(&types)
            .map(|(argument, t)| format!("{argument} {}", type_name(t)))
            .collect::<Vec<_>>()
            .join(", "),
        argument_types: types.iter().map(type_oid).collect(),
        argument_defaults: 0,
        result: type_name(&result),
        result_type: type_oid(&result),
        returns_set: false,
        kind,
        volatility: match signature.volatility {
            Volatility::Immutable => "i",
            Volatility::Stable => "s",
            Volatility::Volatile => "v",
        },
        description: doc
            .description
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" "),
    })
}

/// The catalogue entry of a table function.
fn table_function(declaration: &Declaration) -> Function {
    let arguments = declaration
        .parameters
        .iter()
        .map(|p| {
            let mut text = format!("{} {}", quote_ident(p.name), type_name(&p.data_type));
            if let Some(default) = &p.default {
                text.push_str(&format!(" DEFAULT {}", literal(default)));
            }
            text
        })
        .collect::<Vec<_>>()
        .join(", ");
    let columns = declaration
        .columns
        .fields()
        .iter()
        .map(|f| format!("{} {}", quote_ident(f.name()), type_name(f.data_type())))
        .collect::<Vec<_>>()
        .join(", ");
    Function {
        oid: 0,
        name: declaration.name.to_string(),
        arguments,
        argument_types: declaration
            .parameters
            .iter()
            .map(|p| type_oid(&p.data_type))
            .collect(),
        argument_defaults: declaration
            .parameters
            .iter()
            .filter(|p| p.default.is_some())
            .count(),
        result: format!("TABLE({columns})"),
        result_type: RECORD,
        returns_set: true,
        kind: "f",
        volatility: "s",
        description: declaration.description.to_string(),
    }
}

/// A type as PostgreSQL's `format_type` writes it (`timestamp with time zone`, `text[]`).
fn type_name(t: &DataType) -> String {
    match t {
        DataType::List(f)
        | DataType::LargeList(f)
        | DataType::ListView(f)
        | DataType::LargeListView(f)
        | DataType::FixedSizeList(f, _) => format!("{}[]", type_name(f.data_type())),
        other => super::information_schema::postgres_column_type(other)
            .0
            .to_string(),
    }
}

/// The oid of the Postgres type a value of `t` is sent as.
fn type_oid(t: &DataType) -> i32 {
    arrow_pg::datatypes::into_pg_type(t).map_or(25, |t| t.oid() as i32)
}

/// A default value as SQL (`'channel'::text`).
fn literal(value: &datafusion::common::ScalarValue) -> String {
    let text = value.to_string().replace('\'', "''");
    format!("'{text}'::{}", type_name(&value.data_type()))
}

/// A name as PostgreSQL's `quote_ident` writes it (the SQL function's rule).
pub fn quote_ident(name: &str) -> String {
    conversql_udfs::quote_ident(name)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use arrow::array::{Array, AsArray};
    use datafusion::execution::SessionStateBuilder;

    use super::*;

    #[test]
    fn every_function_is_catalogued_with_unique_oids() {
        let functions = functions().unwrap();
        let oids: BTreeSet<i32> = functions.iter().map(|f| f.oid).collect();
        assert_eq!(oids.len(), functions.len());
        for f in functions {
            assert!(!f.description.is_empty(), "{} has a description", f.name);
            assert_eq!(
                f.argument_types.len(),
                f.arguments.split(", ").filter(|a| !a.is_empty()).count(),
                "{}",
                f.name
            );
        }
    }

    /// The entries clients show (psql's `\df`), derived from the functions.
    #[test]
    fn arguments_and_results_read_like_postgres() {
        let by_name = |name: &str| {
            functions()
                .unwrap()
                .iter()
                .find(|f| f.name == name)
                .unwrap_or_else(|| panic!("{name} is catalogued"))
        };
        let overview = by_name("overview");
        assert_eq!(
            overview.arguments,
            "account_id text, start_date date, end_date date"
        );
        assert_eq!(
            overview.result,
            "TABLE(total_volume bigint, resolved_by_ai bigint, percent_resolved_by_ai double precision, ai_generated_sales numeric)"
        );
        assert_eq!(overview.oid, OID_BASE + 1);
        assert_eq!(
            by_name("overview_daily").result,
            "TABLE(date date, \"group\" text, conversations bigint)"
        );
        let local_date = by_name("local_date");
        assert_eq!(
            local_date.arguments,
            "ts timestamp with time zone, zone text"
        );
        assert_eq!(
            (local_date.result.as_str(), local_date.result_type),
            ("date", 1082)
        );
        assert_eq!(local_date.argument_types, [1184, 25]);
        assert_eq!(local_date.volatility, "i");
        assert!(
            local_date
                .description
                .starts_with("Returns the calendar date")
        );
        let as_of = by_name("as_of");
        assert_eq!(
            (as_of.arguments.as_str(), as_of.result.as_str()),
            ("", "timestamp with time zone")
        );
        assert_eq!(as_of.volatility, "s");
        let tag_union = by_name("tag_union");
        assert_eq!(
            (
                tag_union.arguments.as_str(),
                tag_union.result.as_str(),
                tag_union.kind
            ),
            ("tags text[]", "text[]", "a")
        );
        assert_eq!(tag_union.argument_types, [1009]);
    }

    #[test]
    fn names_are_quoted_like_quote_ident() {
        assert_eq!(quote_ident("group"), "\"group\"");
        assert_eq!(quote_ident("date"), "date");
        assert_eq!(quote_ident("rows"), "rows");
        assert_eq!(quote_ident("time"), "\"time\"");
        assert_eq!(quote_ident("Mixed"), "\"Mixed\"");
        assert_eq!(quote_ident("a\"b"), "\"a\"\"b\"");
        assert_eq!(
            literal(&datafusion::common::ScalarValue::Utf8(Some("it's".into()))),
            "'it''s'::text"
        );
    }

    /// `pg_proc` lists exactly the functions the engine registers from
    /// conversql-udfs and its own table functions: a function registered
    /// without a row, or a row without a registered function, fails here.
    #[tokio::test]
    async fn pg_proc_matches_the_registered_functions() {
        let engine = crate::Engine::open(crate::EngineOptions {
            data: concat!(env!("CARGO_MANIFEST_DIR"), "/data").into(),
            ..Default::default()
        })
        .await
        .unwrap();
        let mut session = engine.session();
        let state = session.context().state();

        let mut registered = BTreeSet::new();
        for udf in conversql_udfs::scalar_udfs() {
            assert!(
                state.scalar_functions().contains_key(udf.name()),
                "the engine registers {}",
                udf.name()
            );
            registered.insert(udf.name().to_string());
        }
        for udaf in conversql_udfs::aggregate_udfs() {
            assert!(
                state.aggregate_functions().contains_key(udaf.name()),
                "the engine registers {}",
                udaf.name()
            );
            registered.insert(udaf.name().to_string());
        }
        // The engine's table functions beyond DataFusion's own and the
        // Postgres catalog's (`pg_get_keywords`, in pg_catalog).
        let builtin = SessionStateBuilder::new().with_default_features().build();
        let table_functions: BTreeSet<String> = state
            .table_functions()
            .keys()
            .filter(|name| !builtin.table_functions().contains_key(*name))
            .filter(|name| !name.starts_with("pg_"))
            .cloned()
            .collect();
        let declared: BTreeSet<String> =
            declarations().iter().map(|d| d.name.to_string()).collect();
        assert_eq!(
            table_functions, declared,
            "every table function the engine registers is declared, and only those"
        );
        registered.extend(declared);

        let df = session
            .query(
                "SELECT p.proname, pg_get_function_arguments(p.oid) AS arguments, \
                 obj_description(p.oid, 'pg_proc') AS description \
                 FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON p.pronamespace = n.oid \
                 WHERE n.nspname = 'public' ORDER BY p.oid",
            )
            .await
            .unwrap();
        let mut listed = BTreeSet::new();
        for batch in df.collect().await.unwrap() {
            let names = arrow::compute::cast(batch.column(0), &DataType::Utf8).unwrap();
            let arguments = arrow::compute::cast(batch.column(1), &DataType::Utf8).unwrap();
            let descriptions = arrow::compute::cast(batch.column(2), &DataType::Utf8).unwrap();
            for i in 0..batch.num_rows() {
                let name = names.as_string::<i32>().value(i).to_string();
                assert!(!arguments.is_null(i), "{name} has its arguments");
                assert!(
                    !descriptions.is_null(i)
                        && !descriptions.as_string::<i32>().value(i).is_empty(),
                    "{name} has a description"
                );
                listed.insert(name);
            }
        }
        assert_eq!(
            listed, registered,
            "pg_proc rows (left) against registered functions (right)"
        );
    }
}
