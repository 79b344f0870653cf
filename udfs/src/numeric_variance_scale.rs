//! `numeric_variance_scale(x, places, statistic)`: the display scale
//! PostgreSQL gives [`crate::numeric_variance`]'s answer (`select_div_scale`
//! of `N·Sxx − Sx²` over `N·(N − 1)`, or 0 where the numerator is 0). A
//! `numeric` value carries its display scale in PostgreSQL; an Arrow decimal
//! column has one scale, so conversql computes the places beside it.

use arrow::datatypes::{DataType, FieldRef};
use datafusion::common::Result;
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{
    Accumulator, AggregateUDFImpl, Documentation, Signature, Volatility,
};
use datafusion_macros::user_doc;

use crate::numeric_accum::{NumericAccum, Output, coerce_arguments, state_fields};

/// `numeric_variance_scale(x, places, statistic)`: the places of a numeric variance.
#[user_doc(
    doc_section(label = "Statistical Functions"),
    description = "The number of decimal places PostgreSQL shows in the variance or standard \
deviation `numeric_variance(x, places, statistic)` computes: enough for 16 significant digits and \
no fewer than twice the most `places` of the values; 0 where every value is equal. NULL for too \
few rows.",
    syntax_example = "numeric_variance_scale(x, places, statistic)",
    sql_example = r"```sql
> SELECT numeric_variance_scale(x, 0, 'stddev_pop') AS a, numeric_variance_scale(x, 3, 'var_pop') AS b FROM (VALUES (0.001), (0.002)) AS t(x);
+----+----+
| a  | b  |
+----+----+
| 24 | 24 |
+----+----+
```",
    argument(name = "x", description = "An integer or numeric value."),
    argument(
        name = "places",
        description = "The display scale of `x` in its row (NULL: the type's scale)."
    ),
    argument(
        name = "statistic",
        description = "'var_samp', 'var_pop', 'stddev_samp' or 'stddev_pop', a constant."
    )
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct NumericVarianceScaleFunc {
    signature: Signature,
}

impl Default for NumericVarianceScaleFunc {
    fn default() -> Self {
        Self::new()
    }
}

impl NumericVarianceScaleFunc {
    /// Creates the `numeric_variance_scale` function.
    pub fn new() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

impl AggregateUDFImpl for NumericVarianceScaleFunc {
    fn name(&self) -> &'static str {
        "numeric_variance_scale"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        coerce_arguments(self.name(), arg_types)
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Int32)
    }

    fn accumulator(&self, acc_args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        Ok(Box::new(NumericAccum::new(&acc_args, Output::Places)?))
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        state_fields(&args)
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.doc()
    }
}
