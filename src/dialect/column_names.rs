//! Result column names as PostgreSQL gives them.
//!
//! PostgreSQL names an unaliased select item by `FigureColname`
//! (src/backend/parser/parse_target.c): a column reference by the column, a
//! function call by the function (`count`, `date_trunc`), a cast by its
//! argument's name if that has one, else by the type (`'1'::int` → `int4`),
//! `CASE` by its `ELSE` branch's name or `case`, `ARRAY[…]` and
//! `ARRAY(subquery)` `array`, `ROW(…)` `row`, `EXISTS` `exists`, a scalar
//! subquery by its column, and everything else (operators, literals,
//! `IS NULL`…) `?column?`. DataFusion would name them after the whole
//! expression (`Int64(1)`, `count(*)`). [`name_columns`] gives every such
//! item of every `SELECT` PostgreSQL's name as an alias, so derived tables,
//! CTEs and scalar subqueries see the names PostgreSQL gives too.
//!
//! PostgreSQL also allows two result columns of one name (`SELECT NULL, NULL`,
//! `SELECT 1 AS a, 2 AS a`); DataFusion refuses them in a projection. The
//! second and later columns of a name are planned under an internal name,
//! the client name followed by [`SEPARATOR`] and a number, and
//! [`client_name`] gives the name back where columns reach a client (the
//! server's RowDescription, the CLI's headers).

use std::collections::HashMap;
use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::{
    ArrayElemTypeDef, DataType, ExactNumberInfo, Expr, Ident, ObjectNamePart, Query, Select,
    SelectItem, SetExpr, Statement, TimezoneInfo, TrimWhereField, Value, VisitMut, VisitorMut,
};

/// The character between a client name and the number that makes it unique inside a plan.
pub const SEPARATOR: char = '\u{1f}';

/// PostgreSQL's name for an item it cannot name otherwise.
pub const UNNAMED: &str = "?column?";

/// The name a client sees for a column planned as `name`.
pub fn client_name(name: &str) -> &str {
    name.split(SEPARATOR).next().unwrap_or(name)
}

/// Whether `name` is an internal name that [`client_name`] shortens.
pub fn is_internal(name: &str) -> bool {
    name.contains(SEPARATOR)
}

/// Names the result columns of every `SELECT` of `statement` as PostgreSQL
/// does (inner queries first, so a scalar subquery's name is known).
pub fn name_columns(statement: &mut Statement) {
    let _ = statement.visit(&mut Namer);
}

struct Namer;

impl VisitorMut for Namer {
    type Break = ();

    fn post_visit_query(&mut self, query: &mut Query) -> ControlFlow<()> {
        name_set_expr(&mut query.body);
        ControlFlow::Continue(())
    }
}

fn name_set_expr(body: &mut SetExpr) {
    match body {
        SetExpr::Select(select) => name_select(select),
        SetExpr::SetOperation { left, right, .. } => {
            name_set_expr(left);
            name_set_expr(right);
        }
        _ => {}
    }
}

/// Words PostgreSQL reads as functions without parentheses (`SQLValueFunction`).
const SQL_VALUE_KEYWORDS: &[&str] = &[
    "current_schema",
    "current_catalog",
    "current_user",
    "current_role",
    "session_user",
    "user",
    "current_date",
    "current_time",
    "current_timestamp",
    "localtime",
    "localtimestamp",
];

/// An identifier as PostgreSQL reads it: unquoted folds to lower case.
fn fold(ident: &Ident) -> String {
    if ident.quote_style.is_some() {
        ident.value.clone()
    } else {
        ident.value.to_lowercase()
    }
}

fn name_select(select: &mut Select) {
    let has_wildcard = select.projection.iter().any(|item| {
        matches!(
            item,
            SelectItem::Wildcard(_) | SelectItem::QualifiedWildcard(..)
        )
    });
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (position, item) in select.projection.iter_mut().enumerate() {
        let (name, plain_column, aliased) = match item {
            SelectItem::UnnamedExpr(expr) => (
                figure_colname(expr),
                match expr {
                    // `current_schema` and friends are calls, not columns, once planned.
                    Expr::Identifier(i) => {
                        i.quote_style.is_some() || !SQL_VALUE_KEYWORDS.contains(&fold(i).as_str())
                    }
                    Expr::CompoundIdentifier(_) => true,
                    _ => false,
                },
                false,
            ),
            SelectItem::ExprWithAlias { alias, .. } => (fold(alias), false, true),
            _ => continue,
        };
        let count = seen.entry(name.clone()).or_insert(0);
        *count += 1;
        // A column reference beside a wildcard may be the wildcard's column too (`n.oid, n.*`).
        let internal = *count > 1 || (plain_column && has_wildcard);
        let planned = if internal {
            format!("{name}{SEPARATOR}{position}")
        } else if plain_column || aliased {
            continue;
        } else {
            name
        };
        let alias = Ident::with_quote('"', planned);
        *item = match std::mem::replace(item, SelectItem::UnnamedExpr(Expr::value(Value::Null))) {
            SelectItem::UnnamedExpr(expr) | SelectItem::ExprWithAlias { expr, .. } => {
                SelectItem::ExprWithAlias { expr, alias }
            }
            other => other,
        };
    }
}

/// PostgreSQL's `FigureColname` of an unaliased select item.
pub fn figure_colname(expr: &Expr) -> String {
    figure(expr).map_or_else(|| UNNAMED.to_string(), |(name, _)| name)
}

/// The name and its strength (2: a real name, 1: a fallback such as a type
/// name that a stronger inner name overrides), as in `FigureColnameInternal`.
fn figure(expr: &Expr) -> Option<(String, u8)> {
    let named = |name: &str| Some((name.to_string(), 2));
    match expr {
        Expr::Identifier(ident) => Some((fold(ident), 2)),
        Expr::CompoundIdentifier(parts) => parts.last().map(|p| (fold(p), 2)),
        Expr::CompoundFieldAccess { root, access_chain } => access_chain
            .iter()
            .rev()
            .find_map(|access| match access {
                datafusion::sql::sqlparser::ast::AccessExpr::Dot(Expr::Identifier(i)) => {
                    Some((fold(i), 2))
                }
                _ => None,
            })
            .or_else(|| figure(root)),
        Expr::Function(function) => match function.name.0.last() {
            Some(ObjectNamePart::Identifier(ident)) => Some((fold(ident), 2)),
            _ => None,
        },
        Expr::Cast {
            expr, data_type, ..
        } => match figure(expr) {
            Some(inner) if inner.1 >= 2 => Some(inner),
            _ => Some((type_name(data_type), 1)),
        },
        Expr::Nested(inner) | Expr::Collate { expr: inner, .. } => figure(inner),
        Expr::TypedString(typed) => Some((type_name(&typed.data_type), 1)),
        Expr::Interval(_) => Some(("interval".into(), 1)),
        Expr::Case { else_result, .. } => match else_result.as_deref().and_then(figure) {
            Some(inner) if inner.1 >= 2 => Some(inner),
            _ => Some(("case".into(), 1)),
        },
        Expr::Exists { .. } => named("exists"),
        Expr::Subquery(query) => first_column_name(&query.body).map(|n| (n, 2)),
        Expr::Array(_) => named("array"),
        Expr::Tuple(_) => named("row"),
        Expr::Extract { .. } => named("extract"),
        Expr::Ceil { .. } => named("ceil"),
        Expr::Floor { .. } => named("floor"),
        Expr::Position { .. } => named("position"),
        Expr::Substring { .. } => named("substring"),
        Expr::Overlay { .. } => named("overlay"),
        Expr::AtTimeZone { .. } => named("timezone"),
        Expr::Trim { trim_where, .. } => named(match trim_where {
            Some(TrimWhereField::Leading) => "ltrim",
            Some(TrimWhereField::Trailing) => "rtrim",
            _ => "btrim",
        }),
        _ => None,
    }
}

/// The client name of the first column of a (named) query body.
fn first_column_name(body: &SetExpr) -> Option<String> {
    match body {
        SetExpr::Select(select) => match select.projection.first()? {
            SelectItem::ExprWithAlias { alias, .. } => Some(client_name(&fold(alias)).to_string()),
            SelectItem::UnnamedExpr(expr) => figure(expr).map(|(n, _)| n),
            _ => None,
        },
        SetExpr::SetOperation { left, .. } => first_column_name(left),
        SetExpr::Query(query) => first_column_name(&query.body),
        _ => None,
    }
}

/// The last part of a type's name as PostgreSQL's grammar writes it
/// (`int` → `int4`, `double precision` → `float8`, `text[]` → `text`).
pub fn type_name(data_type: &DataType) -> String {
    let name = match data_type {
        DataType::Int(_) | DataType::Integer(_) | DataType::Int4(_) => "int4",
        DataType::SmallInt(_) | DataType::Int2(_) => "int2",
        DataType::BigInt(_) | DataType::Int8(_) => "int8",
        DataType::Real | DataType::Float4 => "float4",
        DataType::DoublePrecision | DataType::Double(_) | DataType::Float8 => "float8",
        DataType::Float(
            ExactNumberInfo::Precision(p) | ExactNumberInfo::PrecisionAndScale(p, _),
        ) if *p <= 24 => "float4",
        DataType::Float(_) => "float8",
        DataType::Numeric(_) | DataType::Decimal(_) | DataType::Dec(_) => "numeric",
        DataType::Bool | DataType::Boolean => "bool",
        DataType::Char(_) | DataType::Character(_) => "bpchar",
        DataType::Varchar(_) | DataType::CharacterVarying(_) | DataType::CharVarying(_) => {
            "varchar"
        }
        DataType::Text => "text",
        DataType::Bytea => "bytea",
        DataType::Uuid => "uuid",
        DataType::JSON => "json",
        DataType::JSONB => "jsonb",
        DataType::Regclass => "regclass",
        DataType::Date => "date",
        DataType::Timestamp(_, TimezoneInfo::WithTimeZone | TimezoneInfo::Tz) => "timestamptz",
        DataType::Timestamp(..) => "timestamp",
        DataType::Time(_, TimezoneInfo::WithTimeZone | TimezoneInfo::Tz) => "timetz",
        DataType::Time(..) => "time",
        DataType::Interval { .. } => "interval",
        DataType::Bit(_) => "bit",
        DataType::BitVarying(_) | DataType::VarBit(_) => "varbit",
        DataType::Array(
            ArrayElemTypeDef::SquareBracket(inner, _)
            | ArrayElemTypeDef::AngleBracket(inner)
            | ArrayElemTypeDef::Parenthesis(inner),
        ) => return type_name(inner),
        DataType::Custom(name, _) => {
            return match name.0.last() {
                Some(ObjectNamePart::Identifier(ident)) => fold(ident),
                _ => name.to_string().to_lowercase(),
            };
        }
        other => {
            let text = other.to_string().to_lowercase();
            return text
                .split(['(', '['])
                .next()
                .unwrap_or_default()
                .trim()
                .to_string();
        }
    };
    name.to_string()
}

#[cfg(test)]
mod tests {
    use super::{client_name, name_columns};
    use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;
    use datafusion::sql::sqlparser::parser::Parser;

    fn named(sql: &str) -> String {
        let mut statements = Parser::parse_sql(&PostgreSqlDialect {}, sql).unwrap();
        name_columns(&mut statements[0]);
        statements[0].to_string()
    }

    #[test]
    fn items_are_named_as_postgres_names_them() {
        assert_eq!(
            named("SELECT 1, count(*), pg_catalog.version(), '1'::int, a::date, a FROM t"),
            "SELECT 1 AS \"?column?\", count(*) AS \"count\", pg_catalog.version() AS \"version\", \
             '1'::INT AS \"int4\", a::DATE AS \"a\", a AS \"a\u{1f}5\" FROM t"
        );
        assert_eq!(
            named(
                "SELECT CASE WHEN a THEN 1 END, CASE WHEN a THEN 1 ELSE b END, x IS NULL, ARRAY[1], ROW(1, 2), EXISTS (SELECT 1), true, DATE '2026-01-01', TRIM(' a ')"
            ),
            "SELECT CASE WHEN a THEN 1 END AS \"case\", CASE WHEN a THEN 1 ELSE b END AS \"b\", \
             x IS NULL AS \"?column?\", ARRAY[1] AS \"array\", ROW(1, 2) AS \"row\", \
             EXISTS (SELECT 1 AS \"?column?\") AS \"exists\", true AS \"?column?\u{1f}6\", \
             DATE '2026-01-01' AS \"date\", TRIM(' a ') AS \"btrim\""
        );
    }

    #[test]
    fn a_scalar_subquery_takes_its_columns_name() {
        assert_eq!(
            named("SELECT (SELECT max(b) FROM u), (SELECT b FROM u LIMIT 1) FROM t"),
            "SELECT (SELECT max(b) AS \"max\" FROM u) AS \"max\", (SELECT b FROM u LIMIT 1) AS \"b\" FROM t"
        );
    }

    #[test]
    fn duplicates_are_planned_under_internal_names() {
        let text = named("SELECT NULL, NULL, 1 AS a, 2 AS a");
        assert_eq!(
            text,
            "SELECT NULL AS \"?column?\", NULL AS \"?column?\u{1f}1\", 1 AS a, 2 AS \"a\u{1f}3\""
        );
        assert_eq!(client_name("?column?\u{1f}1"), "?column?");
        assert_eq!(client_name("count"), "count");
    }
}
