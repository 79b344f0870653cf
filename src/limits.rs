//! Limits that keep one statement from taking the whole server down.
//!
//! Deep syntax trees: the parser, DataFusion's planner and optimizer, and the
//! derived `Clone`, `Drop` and `Hash` of both crates' syntax trees recurse once
//! per level of nesting. On a thread's default 2 MiB stack, a `WHERE` of 2,000
//! `OR`ed terms or 3,000 `UNION ALL` branches overflowed it, and Rust aborts
//! the process on a stack overflow. So every thread that parses, plans or runs
//! statements gets [`THREAD_STACK_BYTES`] of stack (reserved, touched only as
//! deep as a statement goes), and [`check_statement`] refuses a statement
//! nested deeper than [`MAX_NESTING`] with SQLSTATE 54001, as PostgreSQL's
//! `stack depth limit exceeded` does, before anything recurses over it. The
//! parser's own recursion limit (nested parentheses, subqueries, `CASE`)
//! gives the same SQLSTATE (see [`crate::session::Session::parse`]).

use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::{Expr, Query, SetExpr, Statement, Visit, Visitor};

use crate::error::{Error, Result};

/// The stack of every thread that parses, plans or runs statements.
pub const THREAD_STACK_BYTES: usize = 256 << 20;

/// The deepest nesting of expressions (`a OR b OR …` counts one level per
/// operator) or of set operations (`… UNION ALL …`) a statement may have.
pub const MAX_NESTING: usize = 4_000;

/// The largest value one function may build (a string, a list), as
/// PostgreSQL caps one field at 1 GB.
pub const MAX_VALUE_BYTES: usize = 1 << 30;

/// How deep `sql` nests parentheses, brackets and `CASE … END`, counted on its
/// tokens (no recursion); 0 if it does not tokenize.
pub fn token_nesting(sql: &str) -> usize {
    use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;
    use datafusion::sql::sqlparser::keywords::Keyword;
    use datafusion::sql::sqlparser::tokenizer::{Token, Tokenizer};
    let Ok(tokens) = Tokenizer::new(&PostgreSqlDialect {}, sql).tokenize() else {
        return 0;
    };
    let (mut depth, mut deepest) = (0usize, 0usize);
    for token in tokens {
        match token {
            Token::LParen | Token::LBracket => depth += 1,
            Token::Word(w) if w.keyword == Keyword::CASE => depth += 1,
            Token::RParen | Token::RBracket => depth = depth.saturating_sub(1),
            Token::Word(w) if w.keyword == Keyword::END => depth = depth.saturating_sub(1),
            _ => {}
        }
        deepest = deepest.max(depth);
    }
    deepest
}

/// Nesting (see [`token_nesting`]) past which a statement the parser rejects
/// is reported as too complex rather than as a syntax error: the parser stops
/// at 50 levels of its own recursion, a parenthesis or a `CASE` taking one or
/// two, and inside a `CASE` it reports the stop as an unrelated syntax error.
pub const PARSER_NESTING: usize = 40;

/// The error for `sql` that the parser rejected with `e`: 54001 when the
/// parser ran out of recursion (or stopped inside nesting deeper than
/// [`PARSER_NESTING`]), a syntax error otherwise.
pub fn parse_error(sql: &str, e: datafusion::sql::sqlparser::parser::ParserError) -> Error {
    use datafusion::sql::sqlparser::parser::ParserError;
    if matches!(e, ParserError::RecursionLimitExceeded) {
        return Error::TooComplex(
            "parentheses, subqueries or CASE expressions nest deeper than the parser allows".into(),
        );
    }
    let nesting = token_nesting(sql);
    if nesting > PARSER_NESTING {
        return Error::TooComplex(format!(
            "parentheses, subqueries or CASE expressions nest {nesting} levels deep, more than the parser allows ({e})"
        ));
    }
    Error::Syntax(e.to_string())
}

/// Refuses `statement` with SQLSTATE 54001 if it nests deeper than [`MAX_NESTING`].
pub fn check_statement(statement: &Statement) -> Result<()> {
    let mut depth = Depth::default();
    if let ControlFlow::Break(what) = statement.visit(&mut depth) {
        return Err(Error::TooComplex(format!(
            "{what} nest more than {MAX_NESTING} levels deep; split the statement or use IN (…) lists"
        )));
    }
    Ok(())
}

/// The current and deepest expression nesting of a walk.
#[derive(Default)]
struct Depth {
    expressions: usize,
}

/// How deep a chain of set operations goes, walked without recursion.
fn set_operation_depth(body: &SetExpr) -> usize {
    let mut deepest = 0;
    let mut pending = vec![(body, 1usize)];
    while let Some((node, depth)) = pending.pop() {
        deepest = deepest.max(depth);
        if let SetExpr::SetOperation { left, right, .. } = node {
            pending.push((left, depth + 1));
            pending.push((right, depth + 1));
        }
    }
    deepest
}

impl Visitor for Depth {
    type Break = &'static str;

    fn pre_visit_query(&mut self, query: &Query) -> ControlFlow<Self::Break> {
        if set_operation_depth(&query.body) > MAX_NESTING {
            return ControlFlow::Break("set operations (UNION, INTERSECT, EXCEPT)");
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_expr(&mut self, _expr: &Expr) -> ControlFlow<Self::Break> {
        self.expressions += 1;
        if self.expressions > MAX_NESTING {
            return ControlFlow::Break("expressions");
        }
        ControlFlow::Continue(())
    }

    fn post_visit_expr(&mut self, _expr: &Expr) -> ControlFlow<Self::Break> {
        self.expressions -= 1;
        ControlFlow::Continue(())
    }
}

#[cfg(test)]
mod tests {
    use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;
    use datafusion::sql::sqlparser::parser::Parser;

    use super::*;

    fn check(sql: &str) -> Result<()> {
        let statement = Parser::parse_sql(&PostgreSqlDialect {}, sql)
            .unwrap()
            .pop()
            .unwrap();
        let outcome = check_statement(&statement);
        // Dropped on this (test) thread's big stack, like the server's.
        drop(statement);
        outcome
    }

    fn on_big_stack(f: impl FnOnce() + Send + 'static) {
        std::thread::Builder::new()
            .stack_size(THREAD_STACK_BYTES)
            .spawn(f)
            .unwrap()
            .join()
            .unwrap();
    }

    #[test]
    fn long_or_chains_and_unions_up_to_the_limit_pass_and_beyond_it_are_54001() {
        on_big_stack(|| {
            let ors = |n: usize| {
                format!(
                    "SELECT 1 WHERE {}",
                    (0..n)
                        .map(|i| format!("x = {i}"))
                        .collect::<Vec<_>>()
                        .join(" OR ")
                )
            };
            // n terms nest n - 1 OR operators, each over a comparison (one more level).
            assert!(check(&ors(MAX_NESTING / 2)).is_ok());
            let err = check(&ors(MAX_NESTING + 1)).unwrap_err();
            assert_eq!(err.sqlstate(), "54001", "{err}");
            assert!(
                err.to_string()
                    .contains("expressions nest more than 4000 levels"),
                "{err}"
            );
            let unions = |n: usize| {
                (0..n)
                    .map(|i| format!("SELECT {i}"))
                    .collect::<Vec<_>>()
                    .join(" UNION ALL ")
            };
            assert!(check(&unions(MAX_NESTING / 2)).is_ok());
            let err = check(&unions(MAX_NESTING + 2)).unwrap_err();
            assert!(err.to_string().contains("set operations"), "{err}");
            // Wide is not deep: a long IN list is one level.
            let list = (0..100_000)
                .map(|i| i.to_string())
                .collect::<Vec<_>>()
                .join(",");
            assert!(check(&format!("SELECT 1 WHERE x IN ({list})")).is_ok());
        });
    }
}
