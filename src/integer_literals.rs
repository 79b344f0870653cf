//! PostgreSQL's type for an integer literal: `integer` when it fits in 32
//! bits, `bigint` past that.
//!
//! DataFusion reads every integer literal as a `bigint` (`SELECT 1` is an
//! `int8` column, `ARRAY[1, 2]` an `int8[]`), so a client's statement gets
//! other type OIDs than PostgreSQL gives it, and `1 + 1` other arithmetic.
//! Each integer literal of a client's query that fits in an `integer` is
//! spelled `CAST(n AS INTEGER)` before planning; the casts fold into `Int32`
//! constants when the plan is simplified.
//!
//! Left as they are, because DataFusion reads them from the syntax itself
//! and not as values: a position in `ORDER BY 1` or `GROUP BY 1`, the counts
//! of `LIMIT`, `OFFSET` and `FETCH`, window frame bounds (`ROWS 1
//! PRECEDING`), the number of `INTERVAL 1 DAY`, and the arguments of table
//! functions in `FROM` (`generate_series(1, 3)`, whose arguments DataFusion
//! takes only as `bigint` constants) other than `unnest`, which takes any
//! expression (`unnest(ARRAY[3, 1])` gives `integer`s). A `generate_series` of `integer`s in
//! `FROM` gives `integer`s, as PostgreSQL's does, through a cast of its
//! column.
//!
//! Only queries are rewritten: a client's `SELECT`, `VALUES`, `EXPLAIN`,
//! `DECLARE … CURSOR FOR`, `COPY (query) TO` and `CREATE [TEMPORARY] VIEW`
//! (a view defined from SQL is kept as rewritten and rewritten again when
//! read back, so an already spelled `CAST(7 AS INTEGER)` is left as it is).
//! The built-in views are planned from their files and keep their declared
//! types; `SET` and the other commands read their numbers
//! themselves.

use std::collections::HashSet;
use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::{
    CastKind, CopySource, DataType, Expr, FunctionArg, FunctionArgExpr, GroupByExpr, LimitClause,
    OrderByKind, Query, Select, Statement, TableFactor, UnaryOperator, Value, ValueWithSpan,
    VisitMut, VisitorMut, WindowFrameBound, WindowType,
};
use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;
use datafusion::sql::sqlparser::parser::Parser;

/// Spells the integer literals of the queries in `statement` as `integer`s where they fit (see the module docs).
pub fn rewrite(statement: &mut Statement) {
    match statement {
        Statement::Query(query) => rewrite_query(query),
        Statement::Explain { statement, .. } => rewrite(statement),
        Statement::Declare { stmts } => stmts
            .iter_mut()
            .filter_map(|d| d.for_query.as_mut())
            .for_each(|q| rewrite_query(q)),
        Statement::Copy {
            source: CopySource::Query(query),
            ..
        } => rewrite_query(query),
        // A view defined from SQL answers as its query does: both kinds are rewritten.
        Statement::CreateView(view) if !view.materialized => rewrite_query(&mut view.query),
        _ => {}
    }
}

fn rewrite_query(query: &mut Query) {
    let mut spelling = Spelling::default();
    let _ = query.visit(&mut spelling);
}

/// The visitor: records the literals DataFusion reads from the syntax (by
/// address; the tree is changed only at literals, which hold nothing) and
/// spells the others on the way up.
#[derive(Default)]
struct Spelling {
    kept: HashSet<*const Expr>,
    /// How many table functions in `FROM` the visitor is inside.
    in_table_function: usize,
}

impl Spelling {
    fn keep(&mut self, expr: &Expr) {
        if is_number(expr) {
            self.kept.insert(std::ptr::from_ref(expr));
        }
    }
}

fn is_number(expr: &Expr) -> bool {
    matches!(
        expr,
        Expr::Value(ValueWithSpan {
            value: Value::Number(_, _),
            ..
        })
    )
}

fn is_table_function(factor: &TableFactor) -> bool {
    matches!(
        factor,
        TableFactor::Table { args: Some(_), .. }
            | TableFactor::Function { .. }
            | TableFactor::TableFunction { .. }
    )
}

/// `generate_series(a, b[, step])` of integers as PostgreSQL's `integer`
/// series: DataFusion's takes and gives `bigint`s only, so it becomes
/// `(SELECT CAST(value AS INTEGER) AS value FROM generate_series(a, b)) AS
/// alias`, keeping the alias and its column names.
fn integer_series(factor: &TableFactor) -> Option<TableFactor> {
    let TableFactor::Table {
        name,
        args: Some(args),
        alias,
        ..
    } = factor
    else {
        return None;
    };
    let function = name.0.last()?.as_ident()?.value.to_ascii_lowercase();
    if function != "generate_series" || !(2..=3).contains(&args.args.len()) {
        return None;
    }
    let integer = |arg: &FunctionArg| {
        let FunctionArg::Unnamed(FunctionArgExpr::Expr(expr)) = arg else {
            return false;
        };
        let number = match expr {
            Expr::UnaryOp {
                op: UnaryOperator::Minus,
                expr,
            } => expr.as_ref(),
            other => other,
        };
        matches!(number, Expr::Value(ValueWithSpan { value: Value::Number(n, false), .. })
            if n.parse::<i32>().is_ok())
    };
    if !args.args.iter().all(integer) {
        return None;
    }
    let arguments: Vec<String> = args.args.iter().map(ToString::to_string).collect();
    let sql = format!(
        "SELECT CAST(value AS INTEGER) AS value FROM generate_series({})",
        arguments.join(", ")
    );
    let Ok(Statement::Query(subquery)) = Parser::new(&PostgreSqlDialect {})
        .try_with_sql(&sql)
        .and_then(|mut p| p.parse_statement())
    else {
        return None;
    };
    Some(TableFactor::Derived {
        lateral: false,
        subquery,
        alias: alias.clone(),
        sample: None,
    })
}

impl VisitorMut for Spelling {
    type Break = ();

    fn pre_visit_query(&mut self, query: &mut Query) -> ControlFlow<()> {
        if let Some(order_by) = &query.order_by
            && let OrderByKind::Expressions(items) = &order_by.kind
        {
            for item in items {
                self.keep(&item.expr);
            }
        }
        match &query.limit_clause {
            Some(LimitClause::LimitOffset {
                limit,
                offset,
                limit_by,
            }) => {
                if let Some(e) = limit {
                    self.keep(e);
                }
                if let Some(o) = offset {
                    self.keep(&o.value);
                }
                for e in limit_by {
                    self.keep(e);
                }
            }
            Some(LimitClause::OffsetCommaLimit { offset, limit }) => {
                self.keep(offset);
                self.keep(limit);
            }
            None => {}
        }
        if let Some(fetch) = &query.fetch
            && let Some(e) = &fetch.quantity
        {
            self.keep(e);
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_select(&mut self, select: &mut Select) -> ControlFlow<()> {
        if let GroupByExpr::Expressions(items, _) = &select.group_by {
            for e in items {
                self.keep(e);
            }
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_table_factor(&mut self, factor: &mut TableFactor) -> ControlFlow<()> {
        if is_table_function(factor) {
            self.in_table_function += 1;
        }
        ControlFlow::Continue(())
    }

    fn post_visit_table_factor(&mut self, factor: &mut TableFactor) -> ControlFlow<()> {
        if is_table_function(factor) {
            self.in_table_function -= 1;
        }
        if let Some(series) = integer_series(factor) {
            *factor = series;
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<()> {
        match expr {
            Expr::Interval(interval) => self.keep(&interval.value),
            // Spelled already (a view's stored query read back).
            Expr::Cast {
                kind: CastKind::Cast,
                expr: inner,
                data_type: DataType::Integer(None),
                ..
            } => self.keep(inner),
            Expr::Function(function) => {
                if let Some(WindowType::WindowSpec(spec)) = &function.over
                    && let Some(frame) = &spec.window_frame
                {
                    for bound in std::iter::once(&frame.start_bound).chain(&frame.end_bound) {
                        if let WindowFrameBound::Preceding(Some(e))
                        | WindowFrameBound::Following(Some(e)) = bound
                        {
                            self.keep(e);
                        }
                    }
                }
            }
            _ => {}
        }
        ControlFlow::Continue(())
    }

    fn post_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<()> {
        if self.in_table_function > 0 || self.kept.contains(&std::ptr::from_ref(expr)) {
            return ControlFlow::Continue(());
        }
        if let Expr::Value(ValueWithSpan {
            value: Value::Number(n, false),
            ..
        }) = expr
            && n.parse::<i32>().is_ok()
        {
            let literal = std::mem::replace(expr, Expr::value(Value::Null));
            *expr = Expr::Cast {
                kind: CastKind::Cast,
                expr: Box::new(literal),
                data_type: DataType::Integer(None),
                array: false,
                format: None,
            };
        }
        ControlFlow::Continue(())
    }
}

#[cfg(test)]
mod tests {
    use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;
    use datafusion::sql::sqlparser::parser::Parser;

    fn rewritten(sql: &str) -> String {
        let mut statement = Parser::parse_sql(&PostgreSqlDialect {}, sql)
            .unwrap()
            .remove(0);
        super::rewrite(&mut statement);
        statement.to_string()
    }

    #[test]
    fn values_become_integers_positions_and_counts_do_not() {
        assert_eq!(
            rewritten(
                "SELECT 1 + x, ARRAY[2, 3000000000], sum(x) OVER (ORDER BY x ROWS 2 PRECEDING) \
                 FROM t WHERE y IN (4) GROUP BY 1 ORDER BY 2 LIMIT 5 OFFSET 6"
            ),
            "SELECT CAST(1 AS INTEGER) + x, ARRAY[CAST(2 AS INTEGER), 3000000000], \
             sum(x) OVER (ORDER BY x ROWS 2 PRECEDING) FROM t WHERE y IN (CAST(4 AS INTEGER)) \
             GROUP BY 1 ORDER BY 2 LIMIT 5 OFFSET 6"
        );
    }

    #[test]
    fn table_function_arguments_and_commands_are_left() {
        assert_eq!(
            rewritten("SELECT * FROM generate_series(1, 3000000000) AS g WHERE g > 1"),
            "SELECT * FROM generate_series(1, 3000000000) AS g WHERE g > CAST(1 AS INTEGER)"
        );
        assert_eq!(
            rewritten("SELECT x FROM generate_series(5, 1, -2) AS g(x)"),
            "SELECT x FROM (SELECT CAST(value AS INTEGER) AS value FROM generate_series(5, 1, -2)) AS g (x)"
        );
        assert_eq!(
            rewritten("SELECT x FROM unnest(ARRAY[3, 1]) AS t(x)"),
            "SELECT x FROM UNNEST(ARRAY[CAST(3 AS INTEGER), CAST(1 AS INTEGER)]) AS t (x)"
        );
        assert_eq!(
            rewritten("SET statement_timeout = 1000"),
            "SET statement_timeout = 1000"
        );
        assert_eq!(
            rewritten("EXPLAIN SELECT 7"),
            "EXPLAIN SELECT CAST(7 AS INTEGER)"
        );
        assert_eq!(
            rewritten("SELECT 1.5, 2e3, -3"),
            "SELECT 1.5, 2e3, -CAST(3 AS INTEGER)"
        );
    }

    #[test]
    fn a_view_read_back_is_rewritten_to_the_same_query() {
        let once = rewritten("CREATE VIEW v AS SELECT 7 AS seven, x + 1 FROM t");
        assert_eq!(
            once,
            "CREATE VIEW v AS SELECT CAST(7 AS INTEGER) AS seven, x + CAST(1 AS INTEGER) FROM t"
        );
        assert_eq!(rewritten(&once), once);
    }
}
