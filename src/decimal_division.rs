//! Enough digits in a `numeric` division.
//!
//! Decimal literals are `numeric` (`1.5`, `100.0`), as in PostgreSQL. Arrow
//! divides decimals with the dividend's scale plus 4 (`1.0 / 3` is `0.33333`,
//! `125 * 100.0 / 241` is `51.86721`), where PostgreSQL gives a quotient at
//! least 16 significant digits (`51.8672199170124481`). This analyzer rule,
//! run after DataFusion's type coercion, widens the dividend of every decimal
//! division to scale 12 or more, so the quotient has scale 16 or more, and
//! likewise the argument of `avg` (whose result Arrow also gives the
//! argument's scale plus 4; PostgreSQL's `avg(numeric)` has 16 digits). A
//! division is computed to one more place and rounded half away from zero, as
//! PostgreSQL rounds its last digit (`200.0 / 3` is `66.6666666666666667`);
//! `avg` truncates its last place.
//! PostgreSQL picks a division's scale from the operands' values (at least 16
//! significant digits: `1.0 / 3` has 20 places, a quotient over 10000 fewer
//! than 16), which one Arrow type per column cannot: for what a client
//! receives, [`crate::display_scale`] rewrites divisions and averages to
//! PostgreSQL's `numeric_div` first, so this rule only sees the divisions
//! no client sees (in `WHERE`, in `conversql query`).

use datafusion::arrow::datatypes::DataType;
use datafusion::common::Result;
use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::logical_expr::expr_rewriter::NamePreserver;
use datafusion::logical_expr::utils::merge_schema;
use datafusion::logical_expr::{BinaryExpr, Cast, Expr, ExprSchemable, LogicalPlan, Operator};
use datafusion::optimizer::AnalyzerRule;

/// The smallest dividend scale of a division: Arrow adds 4, giving a quotient
/// of scale 17, rounded to 16.
const DIVIDEND_SCALE: i8 = 13;

/// The smallest scale of `avg`'s argument: Arrow adds 4, giving scale 16.
const AVG_SCALE: i8 = 12;

/// Widens the dividend of decimal divisions and the argument of `avg` (see the module docs).
#[derive(Debug, Default)]
pub struct DecimalDivisionScale;

impl AnalyzerRule for DecimalDivisionScale {
    fn analyze(&self, plan: LogicalPlan, _config: &ConfigOptions) -> Result<LogicalPlan> {
        plan.transform_up_with_subqueries(|plan| {
            let schema = merge_schema(&plan.inputs());
            let names = NamePreserver::new(&plan);
            plan.map_expressions(|expr| {
                let saved = names.save(&expr);
                let widened = expr.transform_up(|e| Ok(widen(e, &schema)))?;
                Ok(widened.update_data(|e| saved.restore(e)))
            })
        })
        .map(|t| t.data)
    }

    fn name(&self) -> &'static str {
        "conversql_decimal_division_scale"
    }
}

/// `expr` cast to scale `scale` if it is a decimal of a smaller scale (or,
/// with `integers`, an integer).
fn widened(
    expr: &Expr,
    schema: &datafusion::common::DFSchema,
    scale: i8,
    integers: bool,
) -> Option<Expr> {
    let (p, s) = match expr.get_type(schema) {
        Ok(DataType::Decimal128(p, s)) => (p, s),
        Ok(DataType::Int8 | DataType::Int16 | DataType::Int32 | DataType::Int64) if integers => {
            (38 - scale.unsigned_abs(), 0)
        }
        _ => return None,
    };
    if s >= scale {
        return None;
    }
    #[allow(clippy::cast_sign_loss)]
    let precision = (i16::from(p) - i16::from(s) + i16::from(scale)).min(38) as u8;
    Some(Expr::Cast(Cast::new(
        Box::new(expr.clone()),
        DataType::Decimal128(precision, scale),
    )))
}

fn widen(expr: Expr, schema: &datafusion::common::DFSchema) -> Transformed<Expr> {
    if let Expr::AggregateFunction(aggregate) = &expr
        && aggregate.func.name() == "avg"
        && aggregate.params.args.len() == 1
        && let Some(arg) = widened(&aggregate.params.args[0], schema, AVG_SCALE, false)
    {
        let mut aggregate = aggregate.clone();
        aggregate.params.args = vec![arg];
        return Transformed::yes(Expr::AggregateFunction(aggregate));
    }
    let Expr::BinaryExpr(BinaryExpr {
        left,
        op: Operator::Divide,
        right,
    }) = &expr
    else {
        return Transformed::no(expr);
    };
    let (Ok(DataType::Decimal128(_, _)), Some(left)) = (
        right.get_type(schema),
        widened(left, schema, DIVIDEND_SCALE, false),
    ) else {
        return Transformed::no(expr);
    };
    let quotient = Expr::BinaryExpr(BinaryExpr::new(
        Box::new(left),
        Operator::Divide,
        right.clone(),
    ));
    // One place more than shown, rounded away (Arrow's down-scaling cast rounds half away from zero).
    match quotient.get_type(schema) {
        Ok(DataType::Decimal128(p, s)) if s > 0 => Transformed::yes(Expr::Cast(Cast::new(
            Box::new(quotient),
            DataType::Decimal128(p, s - 1),
        ))),
        _ => Transformed::yes(quotient),
    }
}

#[cfg(test)]
mod tests {
    use datafusion::prelude::SessionContext;

    async fn one(sql: &str) -> (String, String) {
        let ctx = SessionContext::new();
        ctx.add_analyzer_rule(std::sync::Arc::new(super::DecimalDivisionScale));
        let batches = ctx.sql(sql).await.unwrap().collect().await.unwrap();
        let column = batches[0].column(0);
        let formatter = datafusion::arrow::util::display::ArrayFormatter::try_new(
            column.as_ref(),
            &datafusion::arrow::util::display::FormatOptions::default(),
        )
        .unwrap();
        (
            column.data_type().to_string(),
            formatter.value(0).to_string(),
        )
    }

    #[tokio::test]
    async fn decimal_quotients_and_averages_have_sixteen_places() {
        let (_, pct) =
            one("SELECT CAST(12500.0 AS DECIMAL(10,1)) / CAST(241 AS DECIMAL(10,0))").await;
        assert_eq!(pct, "51.8672199170124481");
        let (_, avg) = one(
            "SELECT avg(x) AS a FROM (VALUES (CAST(1.0 AS DECIMAL(5,1))), (CAST(2.0 AS DECIMAL(5,1))), (CAST(4.0 AS DECIMAL(5,1)))) AS t(x)",
        )
        .await;
        assert_eq!(avg, "2.3333333333333333");
        let (_, rounded) =
            one("SELECT CAST(200.0 AS DECIMAL(4,1)) / CAST(3 AS DECIMAL(1,0))").await;
        assert_eq!(rounded, "66.6666666666666667");

        let (float_type, _) = one("SELECT CAST(1 AS DOUBLE) / 3").await;
        assert_eq!(float_type, "Float64");
    }
}
