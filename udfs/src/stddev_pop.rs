//! `stddev_pop(x)`: the population standard deviation of `double precision` values, computed as
//! PostgreSQL computes it ([`crate::float8_accum`]), replacing DataFusion's
//! function of the same name.

use arrow::datatypes::{DataType, FieldRef};
use datafusion::common::Result;
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{
    Accumulator, AggregateUDFImpl, Documentation, Signature, Volatility,
};
use datafusion_macros::user_doc;

use crate::float8_accum::{Float8Accum, Statistic, coerce_float, refuse_distinct, state_fields};

/// `stddev_pop(x)`: the population standard deviation of doubles.
#[user_doc(
    doc_section(label = "Statistical Functions"),
    description = "The population standard deviation of the non-NULL values, as PostgreSQL's \
`stddev_pop` of `double precision` computes it (to the last bit). PostgreSQL computes it in \
`numeric` for integers and numerics: conversql plans those as `numeric_variance`, exactly as \
PostgreSQL computes them. Returns NULL for too few rows.",
    syntax_example = "stddev_pop(x)",
    sql_example = r"```sql
> SELECT stddev_pop(CAST(x AS DOUBLE)) AS v FROM (VALUES (1), (2), (4)) AS t(x);
+-------------------+
| v                 |
+-------------------+
| 1.247219128924647 |
+-------------------+
```",
    argument(name = "x", description = "A double precision value.")
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct StddevPopFunc {
    signature: Signature,
    aliases: Vec<String>,
}

impl Default for StddevPopFunc {
    fn default() -> Self {
        Self::new()
    }
}

impl StddevPopFunc {
    /// Creates the `stddev_pop` function.
    pub fn new() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
            aliases: vec![],
        }
    }
}

impl AggregateUDFImpl for StddevPopFunc {
    fn name(&self) -> &'static str {
        "stddev_pop"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        coerce_float(self.name(), arg_types)
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Float64)
    }

    fn accumulator(&self, acc_args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        refuse_distinct(self.name(), &acc_args)?;
        Ok(Box::new(Float8Accum::new(Statistic::StddevPop)))
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        Ok(state_fields(&args))
    }

    fn aliases(&self) -> &[String] {
        &self.aliases
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.doc()
    }
}
