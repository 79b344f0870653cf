//! `EXTRACT(field FROM source)` planned as PostgreSQL's `extract`, which
//! returns `numeric`: DataFusion's own expression planner turns `EXTRACT`
//! into its `date_part`, an `Int32` without the fraction of seconds. This
//! planner comes before DataFusion's and plans it as conversql's `extract`
//! function (`conversql_udfs::ExtractFunc`).

use std::sync::Arc;

use datafusion::common::Result;
use datafusion::logical_expr::expr::ScalarFunction;
use datafusion::logical_expr::planner::{ExprPlanner, PlannerResult};
use datafusion::logical_expr::{Expr, ScalarUDF};

/// Plans `EXTRACT` as `extract(field, source)`.
#[derive(Debug, Default)]
pub struct ExtractPlanner;

impl ExprPlanner for ExtractPlanner {
    fn plan_extract(&self, args: Vec<Expr>) -> Result<PlannerResult<Vec<Expr>>> {
        let extract = Arc::new(ScalarUDF::from(conversql_udfs::ExtractFunc::new()));
        Ok(PlannerResult::Planned(Expr::ScalarFunction(
            ScalarFunction::new_udf(extract, args),
        )))
    }
}
