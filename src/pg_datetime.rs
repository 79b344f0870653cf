//! PostgreSQL's date and time arithmetic where DataFusion's answers another type.
//!
//! - `date + interval` and `date - interval` are a `timestamp` in PostgreSQL
//!   (`DATE '2026-06-07' + INTERVAL '1 day'` is `2026-06-08 00:00:00`);
//!   DataFusion keeps a `date`, dropping the interval's time. The date is
//!   read as a timestamp first.
//! - `timestamp - timestamp` is an interval of days and time in PostgreSQL
//!   (`6 days 02:30:00`, its `justify_hours`); DataFusion's has hours only
//!   (`146:30:00`). The difference is planned through `justify_hours`.
//! - `date - date` is an `integer` number of days in PostgreSQL; DataFusion's
//!   is a `bigint`.
//! - `interval * number`, `number * interval` and `interval / number` are
//!   PostgreSQL's `interval_mul` and `interval_div` (DataFusion cannot
//!   multiply a month-day-nanosecond interval).
//!
//! This expression planner sees the operators before DataFusion's type
//! coercion, so the rest of the expression is typed around PostgreSQL's types.

use std::sync::Arc;

use arrow::datatypes::{DataType, TimeUnit};
use conversql_udfs::{IntervalDivFunc, IntervalMulFunc, JustifyHoursFunc};
use datafusion::common::{DFSchema, Result};
use datafusion::logical_expr::expr::ScalarFunction;
use datafusion::logical_expr::planner::{ExprPlanner, PlannerResult, RawBinaryExpr};
use datafusion::logical_expr::{BinaryExpr, Cast, Expr, ExprSchemable, Operator, ScalarUDF};
use datafusion::sql::sqlparser::ast::BinaryOperator;

/// Plans `date ± interval`, `date - date`, `timestamp - timestamp` and `interval * number` with PostgreSQL's types.
#[derive(Debug, Default)]
pub struct DateTimeArithmeticPlanner;

fn is_date(t: &DataType) -> bool {
    matches!(t, DataType::Date32 | DataType::Date64)
}

fn as_timestamp(e: Expr) -> Expr {
    Expr::Cast(Cast::new(
        Box::new(e),
        DataType::Timestamp(TimeUnit::Microsecond, None),
    ))
}

impl ExprPlanner for DateTimeArithmeticPlanner {
    fn plan_binary_op(
        &self,
        expr: RawBinaryExpr,
        schema: &DFSchema,
    ) -> Result<PlannerResult<RawBinaryExpr>> {
        let op = match expr.op {
            BinaryOperator::Plus => Operator::Plus,
            BinaryOperator::Minus => Operator::Minus,
            BinaryOperator::Multiply => Operator::Multiply,
            BinaryOperator::Divide => Operator::Divide,
            _ => return Ok(PlannerResult::Original(expr)),
        };
        let (Ok(left_type), Ok(right_type)) =
            (expr.left.get_type(schema), expr.right.get_type(schema))
        else {
            return Ok(PlannerResult::Original(expr));
        };
        let interval = |t: &DataType| matches!(t, DataType::Interval(_));
        let call = |udf: ScalarUDF, args: Vec<Expr>| {
            Expr::ScalarFunction(ScalarFunction::new_udf(Arc::new(udf), args))
        };
        let number = |t: &DataType| t.is_numeric();
        let planned = match (&left_type, &right_type) {
            (l, r) if interval(l) && number(r) && op == Operator::Multiply => {
                call(IntervalMulFunc::new().into(), vec![expr.left, expr.right])
            }
            (l, r) if number(l) && interval(r) && op == Operator::Multiply => {
                call(IntervalMulFunc::new().into(), vec![expr.right, expr.left])
            }
            (l, r) if interval(l) && number(r) && op == Operator::Divide => {
                call(IntervalDivFunc::new().into(), vec![expr.left, expr.right])
            }
            _ if matches!(op, Operator::Multiply | Operator::Divide) => {
                return Ok(PlannerResult::Original(expr));
            }
            (l, r) if is_date(l) && interval(r) => Expr::BinaryExpr(BinaryExpr::new(
                Box::new(as_timestamp(expr.left)),
                op,
                Box::new(expr.right),
            )),
            (l, r) if interval(l) && is_date(r) && op == Operator::Plus => Expr::BinaryExpr(
                BinaryExpr::new(Box::new(expr.left), op, Box::new(as_timestamp(expr.right))),
            ),
            (DataType::Timestamp(_, _), DataType::Timestamp(_, _)) if op == Operator::Minus => {
                let difference = Expr::BinaryExpr(BinaryExpr::new(
                    Box::new(expr.left),
                    op,
                    Box::new(expr.right),
                ));
                Expr::ScalarFunction(ScalarFunction::new_udf(
                    Arc::new(ScalarUDF::from(JustifyHoursFunc::new())),
                    vec![difference],
                ))
            }
            (l, r) if is_date(l) && is_date(r) && op == Operator::Minus => Expr::Cast(Cast::new(
                Box::new(Expr::BinaryExpr(BinaryExpr::new(
                    Box::new(expr.left),
                    op,
                    Box::new(expr.right),
                ))),
                DataType::Int32,
            )),
            _ => return Ok(PlannerResult::Original(expr)),
        };
        Ok(PlannerResult::Planned(planned))
    }
}
