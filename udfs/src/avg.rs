//! `avg(x)` with PostgreSQL's result type for integers.
//!
//! PostgreSQL's `avg` of `smallint`, `integer` and `bigint` is a `numeric`
//! (`avg` of 1, 2 and 4 is `2.3333333333333333`); DataFusion's is a
//! `double precision` (`2.3333333333333335`). This function replaces
//! DataFusion's under the same name: integers are averaged as decimals of
//! scale 12, which DataFusion's average gives 16 places, PostgreSQL's
//! `numeric` average (places beyond the 16th are cut, where PostgreSQL rounds
//! its last place); floats, decimals and durations are averaged as before.

use arrow::datatypes::{DataType, FieldRef};
use datafusion::common::{Result, plan_err};
use datafusion::functions_aggregate::average::Avg;
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{
    Accumulator, AggregateUDFImpl, Documentation, GroupsAccumulator, ReversedUDAF, Signature,
    Volatility,
};
use datafusion_macros::user_doc;

/// The decimal integers are averaged as.
const INTEGER_AS: DataType = DataType::Decimal128(38, 12);

/// `avg(x)`: the mean of the non-NULL values, `numeric` for integers.
#[user_doc(
    doc_section(label = "General Functions"),
    description = "The arithmetic mean of the non-NULL values, as PostgreSQL's `avg`: a `numeric` \
with 16 places for integers and numerics, a `double precision` for floats. Returns NULL for no rows.",
    syntax_example = "avg(x)",
    sql_example = r"```sql
> SELECT avg(x) AS a FROM (VALUES (1), (2), (4)) AS t(x);
+--------------------+
| a                  |
+--------------------+
| 2.3333333333333333 |
+--------------------+
```",
    argument(name = "x", description = "A number or an interval-free duration.")
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct PgAvgFunc {
    inner: Avg,
    signature: Signature,
}

impl Default for PgAvgFunc {
    fn default() -> Self {
        Self::new()
    }
}

impl PgAvgFunc {
    /// Creates the `avg` function.
    pub fn new() -> Self {
        Self {
            inner: Avg::new(),
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

impl AggregateUDFImpl for PgAvgFunc {
    fn name(&self) -> &'static str {
        "avg"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        let [x] = arg_types else {
            return plan_err!("avg takes one argument, got {}", arg_types.len());
        };
        Ok(vec![match x {
            DataType::Int8
            | DataType::Int16
            | DataType::Int32
            | DataType::Int64
            | DataType::UInt8
            | DataType::UInt16
            | DataType::UInt32
            | DataType::UInt64 => INTEGER_AS,
            DataType::Decimal32(_, _)
            | DataType::Decimal64(_, _)
            | DataType::Decimal128(_, _)
            | DataType::Decimal256(_, _)
            | DataType::Duration(_)
            | DataType::Float64 => x.clone(),
            DataType::Float16 | DataType::Float32 | DataType::Null => DataType::Float64,
            DataType::Dictionary(_, value) => return self.coerce_types(&[value.as_ref().clone()]),
            other => return plan_err!("avg: cannot average values of type {other}"),
        }])
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        self.inner.return_type(arg_types)
    }

    fn accumulator(&self, acc_args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        self.inner.accumulator(acc_args)
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        self.inner.state_fields(args)
    }

    fn groups_accumulator_supported(&self, args: AccumulatorArgs) -> bool {
        self.inner.groups_accumulator_supported(args)
    }

    fn create_groups_accumulator(
        &self,
        args: AccumulatorArgs,
    ) -> Result<Box<dyn GroupsAccumulator>> {
        self.inner.create_groups_accumulator(args)
    }

    fn aliases(&self) -> &[String] {
        self.inner.aliases()
    }

    fn reverse_expr(&self) -> ReversedUDAF {
        ReversedUDAF::Identical
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.doc()
    }
}

#[cfg(test)]
mod tests {
    use datafusion::logical_expr::AggregateUDF;
    use datafusion::prelude::SessionContext;

    #[tokio::test]
    async fn integers_average_as_numeric() {
        let ctx = SessionContext::new();
        ctx.register_udaf(AggregateUDF::from(super::PgAvgFunc::new()));
        let batches = ctx
            .sql("SELECT avg(x) AS a, avg(y) AS f FROM (VALUES (1, 1.0e0), (2, 2.0e0), (4, 4.0e0)) AS t(x, y)")
            .await
            .unwrap()
            .collect()
            .await
            .unwrap();
        let text = datafusion::arrow::util::pretty::pretty_format_batches(&batches)
            .unwrap()
            .to_string();
        assert!(
            text.contains("| 2.3333333333333333 | 2.3333333333333335 |"),
            "{text}"
        );
        assert_eq!(
            batches[0].schema().field(0).data_type(),
            &arrow::datatypes::DataType::Decimal128(38, 16)
        );
    }
}
