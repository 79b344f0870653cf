//! The accounts a report run belongs to, so that the `report_runs` view can
//! show a user bound to accounts only the runs of those accounts.
//!
//! A run belongs to the account of its `account_id` parameter. Without one,
//! to the accounts its SQL names: string literals compared with an
//! `account_id` column (`=`, `IN (…)`) and the first argument of the table
//! functions `overview` and `overview_daily`. A report that names no account
//! either way (a cross-account report, or one rejected before its SQL was
//! read) belongs to no account that can be decided, and a bound user does not
//! see its runs.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::{
    BinaryOperator, Expr, FunctionArg, FunctionArgExpr, TableFactor, Value, Visit, Visitor,
};
use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;
use datafusion::sql::sqlparser::parser::Parser;

use super::config::Report;
use super::params::{run_values, substitute};

/// The parameter that names a report's account.
pub const ACCOUNT_PARAMETER: &str = "account_id";

/// The accounts a run of `report` for the slot `at` belongs to (sorted), or `None` when that
/// cannot be decided.
pub fn run_accounts(report: &Report, at: DateTime<Utc>) -> Option<Vec<String>> {
    if let Some(account) = report.params.get(ACCOUNT_PARAMETER) {
        return Some(vec![account.clone()]);
    }
    let (values, _) = run_values(&report.name, &report.params, report.range, report.zone, at);
    let sql = substitute(&report.sql, &values).ok()?;
    sql_accounts(&sql)
}

/// The accounts `sql` names, or `None` when it names none (or does not parse).
pub fn sql_accounts(sql: &str) -> Option<Vec<String>> {
    let statements = Parser::parse_sql(&PostgreSqlDialect {}, sql).ok()?;
    let mut named = NamedAccounts::default();
    for statement in &statements {
        let _ = statement.visit(&mut named);
    }
    (!named.0.is_empty()).then(|| named.0.into_iter().collect())
}

#[derive(Default)]
struct NamedAccounts(BTreeSet<String>);

fn is_account_column(expr: &Expr) -> bool {
    match expr {
        Expr::Identifier(ident) => ident.value.eq_ignore_ascii_case(ACCOUNT_PARAMETER),
        Expr::CompoundIdentifier(parts) => parts
            .last()
            .is_some_and(|p| p.value.eq_ignore_ascii_case(ACCOUNT_PARAMETER)),
        Expr::Nested(inner) => is_account_column(inner),
        _ => false,
    }
}

fn string_literal(expr: &Expr) -> Option<&str> {
    match expr {
        Expr::Value(v) => match &v.value {
            Value::SingleQuotedString(s) => Some(s),
            _ => None,
        },
        Expr::Nested(inner) => string_literal(inner),
        Expr::Cast { expr, .. } => string_literal(expr),
        _ => None,
    }
}

impl Visitor for NamedAccounts {
    type Break = ();

    fn pre_visit_expr(&mut self, expr: &Expr) -> ControlFlow<()> {
        match expr {
            Expr::BinaryOp {
                left,
                op: BinaryOperator::Eq,
                right,
            } => {
                let literal = if is_account_column(left) {
                    string_literal(right)
                } else if is_account_column(right) {
                    string_literal(left)
                } else {
                    None
                };
                self.0.extend(literal.map(str::to_string));
            }
            Expr::InList {
                expr,
                list,
                negated: false,
            } if is_account_column(expr) => {
                self.0
                    .extend(list.iter().filter_map(string_literal).map(str::to_string));
            }
            _ => {}
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_table_factor(&mut self, factor: &TableFactor) -> ControlFlow<()> {
        if let TableFactor::Table {
            name,
            args: Some(args),
            ..
        } = factor
            && let Some(function) = name.0.last().map(|p| p.to_string().to_ascii_lowercase())
            && (function == "overview" || function == "overview_daily")
            && let Some(FunctionArg::Unnamed(FunctionArgExpr::Expr(first))) = args.args.first()
        {
            self.0.extend(string_literal(first).map(str::to_string));
        }
        ControlFlow::Continue(())
    }
}

#[cfg(test)]
mod tests {
    use super::sql_accounts;

    #[test]
    fn accounts_named_by_comparisons_lists_and_table_functions() {
        let named = |sql: &str| sql_accounts(sql);
        assert_eq!(
            named("SELECT * FROM conversations WHERE account_id = 'acc_002'"),
            Some(vec!["acc_002".into()])
        );
        assert_eq!(
            named("SELECT * FROM conversations c WHERE 'acc_003' = c.account_id"),
            Some(vec!["acc_003".into()])
        );
        assert_eq!(
            named("SELECT * FROM events WHERE account_id IN ('acc_002', 'acc_001')"),
            Some(vec!["acc_001".into(), "acc_002".into()])
        );
        assert_eq!(
            named("SELECT * FROM overview('acc_001', DATE '2026-06-01', DATE '2026-06-07')"),
            Some(vec!["acc_001".into()])
        );
        assert_eq!(
            named("SELECT reason, count(*) FROM conversations GROUP BY 1"),
            None,
            "cross-account: undecided"
        );
        assert_eq!(
            named("SELECT * FROM events WHERE account_id NOT IN ('acc_001')"),
            None
        );
        assert_eq!(named("not sql at all"), None);
    }
}
