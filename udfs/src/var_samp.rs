//! `var_samp(x)`: the sample variance of `double precision` values, computed as
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

/// `var_samp(x)`: the sample variance of doubles.
#[user_doc(
    doc_section(label = "Statistical Functions"),
    description = "The sample variance of the non-NULL values, as PostgreSQL's \
`var_samp` of `double precision` computes it (to the last bit). PostgreSQL computes it in \
`numeric` for integers and numerics: conversql plans those as `numeric_variance`, exactly as \
PostgreSQL computes them. Returns NULL for too few rows.",
    syntax_example = "var_samp(x)",
    sql_example = r"```sql
> SELECT var_samp(CAST(x AS DOUBLE)) AS v FROM (VALUES (1), (2), (4)) AS t(x);
+--------------------+
| v                  |
+--------------------+
| 2.3333333333333335 |
+--------------------+
```",
    argument(name = "x", description = "A double precision value.")
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct VarSampFunc {
    signature: Signature,
    aliases: Vec<String>,
}

impl Default for VarSampFunc {
    fn default() -> Self {
        Self::new()
    }
}

impl VarSampFunc {
    /// Creates the `var_samp` function.
    pub fn new() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
            aliases: ["variance", "var", "var_sample"]
                .into_iter()
                .map(String::from)
                .collect(),
        }
    }
}

impl AggregateUDFImpl for VarSampFunc {
    fn name(&self) -> &'static str {
        "var_samp"
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
        Ok(Box::new(Float8Accum::new(Statistic::VarSamp)))
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
