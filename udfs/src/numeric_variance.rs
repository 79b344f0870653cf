//! `numeric_variance(x, places, statistic)`: PostgreSQL's `var_samp`,
//! `var_pop`, `stddev_samp` or `stddev_pop` of integers and `numeric`s,
//! computed exactly in `numeric` as PostgreSQL does ([`crate::numeric_accum`]).
//! conversql plans those aggregates of integers and numerics as this call;
//! [`crate::numeric_variance_scale`] gives the answer's display scale.

use arrow::datatypes::{DataType, FieldRef};
use datafusion::common::Result;
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{
    Accumulator, AggregateUDFImpl, Documentation, Signature, Volatility,
};
use datafusion_macros::user_doc;

use crate::numeric_accum::{NumericAccum, Output, VALUE_TYPE, coerce_arguments, state_fields};

/// `numeric_variance(x, places, statistic)`: a variance or standard deviation in `numeric`.
#[user_doc(
    doc_section(label = "Statistical Functions"),
    description = "The variance or standard deviation of the non-NULL integers or numerics `x`, \
as PostgreSQL computes it in numeric: `(N·Sxx − Sx²) / (N·(N − 1))` (or `N·N` for the \
population) rounded half away from zero to `select_div_scale`'s places, where Sx shows the most \
`places` of its values (the type's scale where NULL), and its square root at the same places for \
a standard deviation. conversql plans `var_samp`/`variance`, `var_pop`, `stddev_samp`/`stddev` \
and `stddev_pop` of integers and numerics as this call. NULL for too few rows.",
    syntax_example = "numeric_variance(x, places, statistic)",
    sql_example = r"```sql
> SELECT numeric_variance(x, 1, 'var_samp') AS v, numeric_variance_scale(x, 1, 'var_samp') AS places FROM (VALUES (1.0), (2.0), (4.0)) AS t(x);
+----------------------------+--------+
| v                          | places |
+----------------------------+--------+
| 2.333333333333333300000000 | 16     |
+----------------------------+--------+
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
pub struct NumericVarianceFunc {
    signature: Signature,
}

impl Default for NumericVarianceFunc {
    fn default() -> Self {
        Self::new()
    }
}

impl NumericVarianceFunc {
    /// Creates the `numeric_variance` function.
    pub fn new() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

impl AggregateUDFImpl for NumericVarianceFunc {
    fn name(&self) -> &'static str {
        "numeric_variance"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        coerce_arguments(self.name(), arg_types)
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(VALUE_TYPE)
    }

    fn accumulator(&self, acc_args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        Ok(Box::new(NumericAccum::new(&acc_args, Output::Value)?))
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        state_fields(&args)
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.doc()
    }
}
