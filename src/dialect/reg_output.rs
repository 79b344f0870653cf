//! The text of an OID-alias value (`regclass`, `regtype`, `regnamespace`,
//! `regproc`): the object's name, as PostgreSQL's output functions print it.
//!
//! datafusion-pg-catalog plans every OID-alias type as a plain `int4`, so
//! `c.oid::regclass::text` would print the oid (`1259`) where PostgreSQL
//! prints `pg_class`, and `SELECT 'pg_class'::regclass` likewise. This
//! rewrite runs on the statement as written, before datafusion-pg-catalog's
//! rules turn `'name'::regclass` into an oid, and replaces
//!
//! - a cast of an OID-alias value to a string type (`x::regclass::text`), and
//! - an OID-alias value that is a result column of the statement
//!   (`SELECT c.oid::regclass FROM pg_class c`)
//!
//! by a lookup of the name in the catalog, following PostgreSQL's
//! `regclassout`, `format_type`-based `regtypeout`, `regnamespaceout` and
//! `regprocout` (src/backend/utils/adt/regproc.c): the name, quoted where an
//! identifier needs quotes and qualified by its schema where the search path
//! (pg_catalog, public) would not find it, or for a function whose name is
//! not unique; `-` for oid 0; the oid's digits for an oid naming nothing.
//! Comparisons (`classoid = 'pg_class'::regclass`) keep the oid.
//!
//! An array of `regclass`, `regtype` or `regnamespace` (`x::regtype[]`, or a
//! `COALESCE` of such) cast to `text[]` or a result column prints each
//! element so ([`reg_array_output`](super::reg_array_output)).
//!
//! `to_regclass(text)` is the relation's oid as a `regclass`, NULL where the
//! name (unquoted names fold to lower case, a qualified name is looked up in
//! its schema, an unqualified one in pg_catalog, then public) names nothing.
//!
//! The other OID-alias types (`regprocedure`, `regoper`, `regoperator`,
//! `regrole`, `regconfig`, `regdictionary`, `regcollation`) have no such
//! lookup: their text is refused (SQLSTATE 0A000) rather than printed as an
//! oid.

use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::{
    ArrayElemTypeDef, CastKind, DataType, Expr, FunctionArg, FunctionArgExpr, FunctionArguments,
    Ident, ObjectNamePart, Query, SelectItem, SetExpr, Statement, visit_expressions_mut,
};
use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;
use datafusion::sql::sqlparser::parser::Parser;

use conversql_udfs::SqlError;

/// A rewrite's result: a refusal carries its SQLSTATE.
type Result<T> = std::result::Result<T, SqlError>;

/// The placeholder of the oid in [`lookup_sql`]'s templates.
const OID: &str = "__conversql_reg_oid__";

/// The OID-alias type `data_type` names, lower case, if it is one.
fn alias_type(data_type: &DataType) -> Option<String> {
    match data_type {
        DataType::Regclass => Some("regclass".into()),
        DataType::Custom(name, args) if args.is_empty() => {
            let ObjectNamePart::Identifier(ident) = name.0.last()? else {
                return None;
            };
            let last = ident.value.to_ascii_lowercase();
            (last.starts_with("reg")
                && datafusion_pg_catalog::pg_catalog::oid_field::OID_ALIAS_TYPE_NAMES
                    .contains(&last.as_str()))
            .then_some(last)
        }
        _ => None,
    }
}

/// Whether `data_type` is one of PostgreSQL's string types.
fn is_string_type(data_type: &DataType) -> bool {
    match data_type {
        DataType::Text
        | DataType::String(_)
        | DataType::Varchar(_)
        | DataType::CharacterVarying(_)
        | DataType::CharVarying(_)
        | DataType::Char(_)
        | DataType::Character(_) => true,
        DataType::Custom(name, args) if args.is_empty() => {
            matches!(name.0.last(), Some(ObjectNamePart::Identifier(i))
                if ["text", "name", "varchar", "bpchar"]
                    .contains(&i.value.to_ascii_lowercase().as_str()))
        }
        _ => false,
    }
}

/// How `alias`'s values print: the name expression, the catalog rows it is
/// read from, and their oid column (regproc's names depend on other rows).
fn catalog_names(alias: &str) -> Option<(&'static str, &'static str, &'static str)> {
    Some(match alias {
        "regclass" => (
            "CASE WHEN reg_n.nspname IN ('pg_catalog', 'public') THEN quote_ident(reg_c.relname) \
             ELSE quote_ident(reg_n.nspname) || '.' || quote_ident(reg_c.relname) END",
            "pg_catalog.pg_class reg_c JOIN pg_catalog.pg_namespace reg_n ON reg_n.oid = reg_c.relnamespace",
            "reg_c.oid",
        ),
        "regtype" => (
            "format_type(reg_t.oid, NULL)",
            "pg_catalog.pg_type reg_t",
            "reg_t.oid",
        ),
        "regnamespace" => (
            "quote_ident(reg_n.nspname)",
            "pg_catalog.pg_namespace reg_n",
            "reg_n.oid",
        ),
        _ => return None,
    })
}

/// The lookup printing an oid of `alias` as PostgreSQL does, `OID` standing for the oid.
fn lookup_sql(alias: &str) -> Option<String> {
    let fallback =
        format!("CASE WHEN {OID} = 0 THEN '-' ELSE CAST(CAST({OID} AS bigint) AS text) END");
    let name = if alias == "regproc" {
        format!(
            "(SELECT CASE WHEN (SELECT count(*) FROM pg_catalog.pg_proc reg_o WHERE reg_o.proname = reg_p.proname) = 1 \
             AND reg_n.nspname IN ('pg_catalog', 'public') THEN quote_ident(reg_p.proname) \
             ELSE quote_ident(reg_n.nspname) || '.' || quote_ident(reg_p.proname) END \
             FROM pg_catalog.pg_proc reg_p JOIN pg_catalog.pg_namespace reg_n ON reg_n.oid = reg_p.pronamespace \
             WHERE reg_p.oid = {OID})"
        )
    } else {
        let (name, from, key) = catalog_names(alias)?;
        format!("(SELECT {name} FROM {from} WHERE {key} = {OID})")
    };
    Some(format!("COALESCE({name}, {fallback})"))
}

/// The expression printing `oids` (an array of `alias`) as an array of text
/// ([`reg_array_output`](super::reg_array_output)).
fn array_lookup(alias: &str, oids: &Expr) -> Result<Expr> {
    let (name, from, key) = catalog_names(alias).ok_or_else(|| {
        SqlError::unsupported(format!(
            "the text of a {alias}[] value is not supported (only regclass[], regtype[] \
             and regnamespace[] print as names)"
        ))
    })?;
    let sql = format!(
        "{}({OID}, (SELECT array_agg({key} ORDER BY {key}) FROM {from}), \
         (SELECT array_agg({name} ORDER BY {key}) FROM {from}))",
        super::reg_array_output::FUNCTION
    );
    substitute(&sql, alias, oids)
}

/// The OID-alias element type of `expr` if it is an array of one: a cast to
/// `alias[]`, or `COALESCE` of such casts to the same type.
fn alias_array(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Cast {
            data_type: DataType::Array(element),
            kind: CastKind::Cast | CastKind::DoubleColon,
            ..
        } => match element {
            ArrayElemTypeDef::SquareBracket(inner, _)
            | ArrayElemTypeDef::AngleBracket(inner)
            | ArrayElemTypeDef::Parenthesis(inner) => alias_type(inner),
            ArrayElemTypeDef::None => None,
        },
        Expr::Nested(inner) => alias_array(inner),
        Expr::Function(f)
            if f.name.0.len() == 1
                && f.name.0[0]
                    .as_ident()
                    .is_some_and(|i| i.value.eq_ignore_ascii_case("coalesce")) =>
        {
            let FunctionArguments::List(list) = &f.args else {
                return None;
            };
            let mut aliases = list.args.iter().map(|arg| match arg {
                FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => alias_array(e),
                _ => None,
            });
            let first = aliases.next()??;
            aliases
                .all(|a| a.as_deref() == Some(first.as_str()))
                .then_some(first)
        }
        _ => None,
    }
}

/// Whether `data_type` is an array of one of PostgreSQL's string types.
fn is_string_array(data_type: &DataType) -> bool {
    match data_type {
        DataType::Array(
            ArrayElemTypeDef::SquareBracket(inner, _)
            | ArrayElemTypeDef::AngleBracket(inner)
            | ArrayElemTypeDef::Parenthesis(inner),
        ) => is_string_type(inner),
        _ => false,
    }
}

/// The expression printing `oid` (an OID-alias cast as written) as `alias`'s text.
fn lookup(alias: &str, oid: &Expr) -> Result<Expr> {
    let sql = lookup_sql(alias).ok_or_else(|| {
        SqlError::unsupported(format!(
            "the text of a {alias} value is not supported (only regclass, regtype, \
             regnamespace and regproc print as names)"
        ))
    })?;
    substitute(&sql, alias, oid)
}

/// The argument of a call `to_regclass(text)` (or `pg_catalog.to_regclass`).
fn to_regclass_argument(expr: &Expr) -> Option<Expr> {
    let Expr::Function(f) = expr else {
        return None;
    };
    let parts = &f.name.0;
    let named = match parts.as_slice() {
        [name] => name,
        [schema, name]
            if schema
                .as_ident()
                .is_some_and(|i| i.value.eq_ignore_ascii_case("pg_catalog")) =>
        {
            name
        }
        _ => return None,
    };
    if !named
        .as_ident()
        .is_some_and(|i| i.value.eq_ignore_ascii_case("to_regclass"))
    {
        return None;
    }
    let FunctionArguments::List(list) = &f.args else {
        return None;
    };
    match list.args.as_slice() {
        [FunctionArg::Unnamed(FunctionArgExpr::Expr(arg))] => Some(arg.clone()),
        _ => None,
    }
}

/// `to_regclass(name)`: the oid of the relation `name` names, as a `regclass`.
fn to_regclass(name: &Expr) -> Result<Expr> {
    let folded = format!(
        "CASE WHEN strpos({OID}, '\"') > 0 THEN replace({OID}, '\"', '') ELSE lower({OID}) END"
    );
    let sql = format!(
        "CAST((SELECT reg_c.oid FROM pg_catalog.pg_class reg_c \
         JOIN pg_catalog.pg_namespace reg_n ON reg_n.oid = reg_c.relnamespace \
         WHERE CASE WHEN strpos({folded}, '.') > 0 \
         THEN reg_n.nspname || '.' || reg_c.relname = {folded} \
         ELSE reg_c.relname = {folded} AND reg_n.nspname IN ('pg_catalog', 'public') END \
         ORDER BY reg_n.nspname <> 'pg_catalog' LIMIT 1) AS regclass)"
    );
    substitute(&sql, "to_regclass", name)
}

/// `sql` parsed as an expression, `OID` replaced by `value`.
fn substitute(sql: &str, what: &str, value: &Expr) -> Result<Expr> {
    let mut expr = Parser::new(&PostgreSqlDialect {})
        .try_with_sql(sql)
        .and_then(|mut parser| parser.parse_expr())
        .map_err(|e| SqlError::new("XX000", format!("the {what} lookup does not parse: {e}")))?;
    let _ = visit_expressions_mut(&mut expr, |e| {
        if matches!(e, Expr::Identifier(Ident { value, .. }) if value == OID) {
            *e = Expr::Nested(Box::new(value.clone()));
        }
        ControlFlow::<()>::Continue(())
    });
    Ok(expr)
}

/// `expr`'s OID-alias type if it is a cast to one.
fn alias_cast(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Cast {
            data_type,
            kind: CastKind::Cast | CastKind::DoubleColon,
            ..
        } => alias_type(data_type),
        Expr::Nested(inner) => alias_cast(inner),
        _ => None,
    }
}

/// Rewrites `statement` as the module docs say.
///
/// # Errors
/// 0A000 for the text of an OID-alias type without a lookup.
pub fn rewrite(statement: &mut Statement) -> Result<()> {
    let mut failure = None;
    let _ = visit_expressions_mut(statement, |expr| {
        if let Some(name) = to_regclass_argument(expr) {
            match to_regclass(&name) {
                Ok(oid) => *expr = oid,
                Err(e) => {
                    failure = Some(e);
                    return ControlFlow::Break(());
                }
            }
        }
        ControlFlow::Continue(())
    });
    if let Some(e) = failure {
        return Err(e);
    }
    if let Statement::Query(query) = statement {
        result_columns(query)?;
    }
    let _ = visit_expressions_mut(statement, |expr| {
        if let Expr::Cast {
            expr: inner,
            data_type,
            ..
        } = expr
            && is_string_type(data_type)
            && let Some(alias) = alias_cast(inner)
        {
            match lookup(&alias, inner) {
                Ok(text) => **inner = text,
                Err(e) => {
                    failure = Some(e);
                    return ControlFlow::Break(());
                }
            }
        } else if let Expr::Cast {
            expr: inner,
            data_type,
            ..
        } = expr
            && is_string_array(data_type)
            && let Some(alias) = alias_array(inner)
        {
            match array_lookup(&alias, inner) {
                Ok(text) => **inner = text,
                Err(e) => {
                    failure = Some(e);
                    return ControlFlow::Break(());
                }
            }
        }
        ControlFlow::Continue(())
    });
    failure.map_or(Ok(()), Err)
}

/// Replaces the OID-alias result columns of `query`'s outermost selects.
fn result_columns(query: &mut Query) -> Result<()> {
    fn body(set: &mut SetExpr) -> Result<()> {
        match set {
            SetExpr::Select(select) => {
                for item in &mut select.projection {
                    let (SelectItem::UnnamedExpr(expr) | SelectItem::ExprWithAlias { expr, .. }) =
                        item
                    else {
                        continue;
                    };
                    if let Some(alias) = alias_cast(expr) {
                        *expr = lookup(&alias, expr)?;
                    } else if let Some(alias) = alias_array(expr) {
                        *expr = array_lookup(&alias, expr)?;
                    }
                }
                Ok(())
            }
            SetExpr::SetOperation { left, right, .. } => {
                body(left)?;
                body(right)
            }
            SetExpr::Query(inner) => body(&mut inner.body),
            _ => Ok(()),
        }
    }
    body(&mut query.body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rewritten(sql: &str) -> Result<String> {
        let mut statements = Parser::parse_sql(&PostgreSqlDialect {}, sql).unwrap();
        rewrite(&mut statements[0])?;
        Ok(statements[0].to_string())
    }

    #[test]
    fn comparisons_keep_the_oid() {
        let sql =
            "SELECT 1 FROM d WHERE d.classoid = 'pg_class'::regclass ORDER BY c.oid::regclass";
        let unchanged = Parser::parse_sql(&PostgreSqlDialect {}, sql).unwrap()[0].to_string();
        assert_eq!(rewritten(sql).unwrap(), unchanged);
    }

    #[test]
    fn text_and_result_columns_become_lookups() {
        let text = rewritten("SELECT relname FROM c WHERE x::regclass::text = 'a'").unwrap();
        assert!(text.contains("FROM pg_catalog.pg_class reg_c"), "{text}");
        assert!(text.contains("reg_c.oid = (x::REGCLASS)"), "{text}");
        let column = rewritten("SELECT t.oid::regtype AS t FROM pg_type t").unwrap();
        assert!(column.contains("format_type(reg_t.oid, NULL)"), "{column}");
        assert!(column.ends_with("AS t FROM pg_type t"), "{column}");
    }

    #[test]
    fn arrays_of_alias_values_print_their_elements() {
        let text =
            rewritten("SELECT COALESCE(a::regtype[], b::regtype[])::text[] FROM pg_proc").unwrap();
        assert!(text.contains("pg_oid_names((COALESCE("), "{text}");
        assert!(
            text.contains("format_type(reg_t.oid, NULL) ORDER BY reg_t.oid"),
            "{text}"
        );
        let column = rewritten("SELECT a::regclass[] AS r FROM t").unwrap();
        assert!(column.contains("pg_oid_names("), "{column}");
        let err = rewritten("SELECT a::regproc[]::text[] FROM t").unwrap_err();
        assert_eq!(err.sqlstate, "0A000");
    }

    #[test]
    fn other_alias_types_refuse_their_text() {
        let err = rewritten("SELECT x::regoperator::text FROM t").unwrap_err();
        assert_eq!(err.sqlstate, "0A000");
        assert!(err.to_string().contains("regoperator"), "{err}");
    }
}
