//! Rewrites of client SQL that DataFusion cannot plan as sent:
//! an unquoted table function name folds to lower case, as every unquoted
//! identifier does in PostgreSQL (DataFusion looks table functions up as
//! written, so Superset's upper-cased `OVERVIEW(…)` would not be found);
//! `x [NOT] LIKE p ESCAPE 'c'` with an escape character other than the
//! backslash (SQLAlchemy's `ESCAPE '/'`) becomes `[NOT] pg_like_escape(x, p, 'c')`.

use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::{
    BinaryOperator, Expr, Function, FunctionArg, FunctionArgExpr, FunctionArgumentList,
    FunctionArguments, Ident, ObjectName, ObjectNamePart, Query, Statement, TableFactor,
    UnaryOperator, Value, VisitMut, VisitorMut, visit_expressions_mut,
};

/// Applies the rewrites to `statement` in place.
pub fn rewrite(statement: &mut Statement) {
    fold_table_function_names(statement);
    let _ = visit_expressions_mut(statement, |expr| {
        let insensitive = matches!(expr, Expr::ILike { .. });
        let replacement = match expr {
            Expr::Like {
                negated,
                any: false,
                expr: value,
                pattern,
                escape_char: Some(escape),
            }
            | Expr::ILike {
                negated,
                any: false,
                expr: value,
                pattern,
                escape_char: Some(escape),
            } if !matches!(&escape.value, Value::SingleQuotedString(s) if s == "\\") => {
                let call = call(
                    if insensitive {
                        "pg_ilike_escape"
                    } else {
                        "pg_like_escape"
                    },
                    vec![
                        (**value).clone(),
                        (**pattern).clone(),
                        Expr::Value(escape.clone()),
                    ],
                );
                Some(if *negated {
                    Expr::UnaryOp {
                        op: UnaryOperator::Not,
                        expr: Box::new(call),
                    }
                } else {
                    call
                })
            }
            _ => None,
        };
        if let Some(new) = replacement {
            *expr = new;
        }
        if let Some(new) = generate_subscripts(expr) {
            *expr = new;
        }
        if let Some(new) = crate::dialect::array_subquery::rewrite(expr) {
            *expr = new;
        }
        // Unquoted `user` is Postgres's keyword for `current_user` (a quoted "user" stays a column).
        // sqlparser reads it as a call without parentheses.
        if matches!(expr, Expr::Function(f) if matches!(f.args, FunctionArguments::None) && f.name.to_string().eq_ignore_ascii_case("user"))
        {
            *expr = call("session_user", vec![]);
        }
        if let Expr::Subquery(query) = expr {
            search_pg_catalog_for_regclass(query);
        }
        ControlFlow::<()>::Continue(())
    });
}

/// Folds the unquoted parts of table function names (`FROM OVERVIEW(…)`) to lower case.
fn fold_table_function_names(statement: &mut Statement) {
    let _ = visit_relations_mut_factors(statement);
}

fn visit_relations_mut_factors(statement: &mut Statement) -> ControlFlow<()> {
    struct Folder;
    impl VisitorMut for Folder {
        type Break = ();
        fn pre_visit_table_factor(&mut self, factor: &mut TableFactor) -> ControlFlow<()> {
            if let TableFactor::Table {
                name,
                args: Some(_),
                ..
            } = factor
            {
                for part in &mut name.0 {
                    if let ObjectNamePart::Identifier(ident) = part
                        && ident.quote_style.is_none()
                    {
                        ident.value = ident.value.to_lowercase();
                    }
                }
            }
            ControlFlow::Continue(())
        }
    }
    statement.visit(&mut Folder)
}

/// `'pg_class'::regclass` is rewritten by `datafusion-pg-catalog` into a lookup
/// in `current_schema()` only; Postgres searches `pg_catalog` first (implicitly
/// on every search path), and clients rely on it (pgjdbc's
/// `d.classoid = 'pg_class'::regclass`). Widen that lookup to `pg_catalog`.
fn search_pg_catalog_for_regclass(query: &mut Query) {
    let text = query.to_string();
    if !(text.contains("parse_ident(")
        && text.contains("AS parts")
        && text.contains("pg_catalog.pg_class c"))
    {
        return;
    }
    let _ = visit_expressions_mut(query, |e| {
        if let Expr::BinaryOp {
            left,
            op: BinaryOperator::Eq,
            right,
        } = e
            && matches!(left.as_ref(), Expr::CompoundIdentifier(parts) if parts.len() == 2 && parts[1].value == "nspname")
            && matches!(right.as_ref(), Expr::Function(f) if f.name.to_string().eq_ignore_ascii_case("current_schema"))
        {
            let in_catalog = Expr::BinaryOp {
                left: left.clone(),
                op: BinaryOperator::Eq,
                right: Box::new(Expr::Value(
                    Value::SingleQuotedString("pg_catalog".into()).into(),
                )),
            };
            *e = Expr::Nested(Box::new(Expr::BinaryOp {
                left: Box::new(in_catalog),
                op: BinaryOperator::Or,
                right: Box::new(e.clone()),
            }));
        }
        ControlFlow::<()>::Continue(())
    });
}

/// `generate_subscripts(a, d)`, the set of `a`'s subscripts in dimension `d`
/// (SQLAlchemy's index reflection), becomes
/// `unnest(CASE WHEN d = 1 THEN generate_series(1, cardinality(a)) END)`:
/// DataFusion's arrays are one-dimensional and start at 1, so dimension 1 has
/// subscripts `1..=cardinality(a)` and any other dimension none.
fn generate_subscripts(expr: &Expr) -> Option<Expr> {
    let Expr::Function(f) = expr else { return None };
    let name = f.name.0.last()?.as_ident()?.value.to_ascii_lowercase();
    if name != "generate_subscripts" || f.over.is_some() {
        return None;
    }
    let FunctionArguments::List(list) = &f.args else {
        return None;
    };
    let [
        FunctionArg::Unnamed(FunctionArgExpr::Expr(array)),
        FunctionArg::Unnamed(FunctionArgExpr::Expr(dimension)),
    ] = list.args.as_slice()
    else {
        return None;
    };
    let length = Expr::Cast {
        kind: datafusion::sql::sqlparser::ast::CastKind::Cast,
        expr: Box::new(call("cardinality", vec![array.clone()])),
        data_type: datafusion::sql::sqlparser::ast::DataType::BigInt(None),
        array: false,
        format: None,
    };
    let first = Expr::Value(Value::Number("1".into(), false).into());
    let series = call("generate_series", vec![first.clone(), length]);
    let when = Expr::BinaryOp {
        left: Box::new(dimension.clone()),
        op: BinaryOperator::Eq,
        right: Box::new(first),
    };
    let case = Expr::Case {
        case_token: datafusion::sql::sqlparser::ast::helpers::attached_token::AttachedToken::empty(
        ),
        end_token: datafusion::sql::sqlparser::ast::helpers::attached_token::AttachedToken::empty(),
        operand: None,
        conditions: vec![datafusion::sql::sqlparser::ast::CaseWhen {
            condition: when,
            result: series,
        }],
        else_result: None,
    };
    Some(call("unnest", vec![case]))
}

fn call(name: &str, args: Vec<Expr>) -> Expr {
    Expr::Function(Function {
        name: ObjectName::from(vec![Ident::new(name)]),
        uses_odbc_syntax: false,
        parameters: FunctionArguments::None,
        args: FunctionArguments::List(FunctionArgumentList {
            duplicate_treatment: None,
            args: args
                .into_iter()
                .map(|e| FunctionArg::Unnamed(FunctionArgExpr::Expr(e)))
                .collect(),
            clauses: vec![],
        }),
        filter: None,
        null_treatment: None,
        over: None,
        within_group: vec![],
    })
}

/// SQL `LIKE` matching with `escape` as the escape character (`%` any run, `_` one character).
pub fn like(value: &str, pattern: &str, escape: Option<char>, insensitive: bool) -> bool {
    #[derive(Clone, Copy, PartialEq)]
    enum Token {
        Any,
        One,
        Char(char),
    }
    let fold = |c: char| {
        if insensitive {
            c.to_lowercase().next().unwrap_or(c)
        } else {
            c
        }
    };
    let mut tokens = vec![];
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        if Some(c) == escape {
            if let Some(next) = chars.next() {
                tokens.push(Token::Char(fold(next)));
            }
        } else if c == '%' {
            tokens.push(Token::Any);
        } else if c == '_' {
            tokens.push(Token::One);
        } else {
            tokens.push(Token::Char(fold(c)));
        }
    }
    let text: Vec<char> = value.chars().map(fold).collect();
    // matches[j]: the pattern prefix seen so far matches text[..j].
    let mut matches = vec![false; text.len() + 1];
    matches[0] = true;
    for token in tokens {
        let mut next = vec![false; text.len() + 1];
        for j in 0..=text.len() {
            match token {
                Token::Any => next[j] = matches[j] || (j > 0 && next[j - 1]),
                Token::One => next[j] = j > 0 && matches[j - 1],
                Token::Char(c) => next[j] = j > 0 && matches[j - 1] && text[j - 1] == c,
            }
        }
        matches = next;
    }
    matches[text.len()]
}

#[cfg(test)]
mod tests {
    use super::{like, rewrite};
    use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;
    use datafusion::sql::sqlparser::parser::Parser;

    fn rewritten(sql: &str) -> String {
        let mut statements = Parser::parse_sql(&PostgreSqlDialect {}, sql).unwrap();
        rewrite(&mut statements[0]);
        statements[0].to_string()
    }

    /// `generate_subscripts` zips with `unnest` of the same array, as in
    /// Postgres: one row per element with its subscript.
    #[tokio::test]
    async fn generate_subscripts_lists_the_subscripts_of_dimension_one() {
        let ctx = datafusion::prelude::SessionContext::new();
        let run = |sql: &str| {
            let sql = rewritten(sql);
            let ctx = ctx.clone();
            async move {
                let batches = ctx.sql(&sql).await.unwrap().collect().await.unwrap();
                arrow::util::pretty::pretty_format_batches(&batches)
                    .unwrap()
                    .to_string()
            }
        };
        let out = run("SELECT unnest(a) AS k, generate_subscripts(a, 1) AS ord FROM (SELECT make_array(10, 20, 30) AS a) t").await;
        for row in ["| 10 | 1   |", "| 20 | 2   |", "| 30 | 3   |"] {
            assert!(out.contains(row), "{out}");
        }
        let out =
            run("SELECT generate_subscripts(a, 2) AS ord FROM (SELECT make_array(10, 20) AS a) t")
                .await;
        assert_eq!(
            out.lines()
                .filter(|l| l.starts_with("| ") && !l.contains("ord"))
                .count(),
            0,
            "{out}"
        );
    }

    #[test]
    fn like_escape_becomes_a_function() {
        assert_eq!(
            rewritten("SELECT 1 FROM t WHERE a NOT LIKE 'pg/_%' ESCAPE '/'"),
            "SELECT 1 FROM t WHERE NOT pg_like_escape(a, 'pg/_%', '/')"
        );
        assert_eq!(
            rewritten("SELECT 1 FROM t WHERE a LIKE 'x%'"),
            "SELECT 1 FROM t WHERE a LIKE 'x%'"
        );
    }

    #[test]
    fn regclass_lookups_search_pg_catalog() {
        let parser = datafusion_pg_catalog::sql::PostgresCompatibilityParser::new();
        let mut statements = parser
            .parse("SELECT 1 FROM t WHERE d.classoid = 'pg_class'::regclass")
            .unwrap();
        rewrite(&mut statements[0]);
        assert!(
            statements[0]
                .to_string()
                .contains("(n.nspname = 'pg_catalog' OR n.nspname = current_schema())"),
            "{}",
            statements[0]
        );
    }

    #[test]
    fn table_function_names_fold_unless_quoted() {
        assert_eq!(
            rewritten("SELECT * FROM OVERVIEW('a', 'b', 'c'), \"Daily\"('x') AS d"),
            "SELECT * FROM overview('a', 'b', 'c'), \"Daily\"('x') AS d"
        );
    }

    #[test]
    fn like_with_other_escapes() {
        assert!(like("pg_catalog", "pg/_%", Some('/'), false));
        assert!(!like("pgxcatalog", "pg/_%", Some('/'), false));
        assert!(like("public", "p_bl%", Some('/'), false));
        assert!(like("PUBLIC", "pub%", None, true));
        assert!(!like("public", "pub", None, false));
        assert!(like("", "%", None, false));
    }
}
