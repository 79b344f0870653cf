//! `sum(x)` with PostgreSQL's result type for `bigint`.
//!
//! PostgreSQL's `sum` of `smallint` and `integer` is a `bigint`, and of
//! `bigint` a `numeric`, so that it cannot overflow; DataFusion's `sum` of
//! every integer is a `bigint`, which wraps around past
//! 9223372036854775807. This function replaces DataFusion's under the same
//! name: `bigint`s are summed as decimals of 20 digits (DataFusion's decimal
//! sum gives 30, a `numeric` of scale 0); every other type as before.

use std::fmt::Debug;

use arrow::array::{ArrayRef, BooleanArray};
use arrow::compute::cast;
use arrow::datatypes::{DataType, FieldRef};
use datafusion::common::{Result, ScalarValue, plan_err};
use datafusion::functions_aggregate::sum::Sum;
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::utils::AggregateOrderSensitivity;
use datafusion::logical_expr::{
    Accumulator, AggregateUDFImpl, Documentation, EmitTo, GroupsAccumulator, ReversedUDAF,
    SetMonotonicity, Signature, Volatility,
};
use datafusion_macros::user_doc;

/// The decimal a `bigint` is summed as: every `bigint` fits.
const BIGINT_AS: DataType = DataType::Decimal128(20, 0);

/// `sum(x)`: the sum of the non-NULL values, `numeric` for `bigint`.
#[user_doc(
    doc_section(label = "General Functions"),
    description = "The sum of the non-NULL values, as PostgreSQL's `sum`: a `bigint` for \
`smallint` and `integer`, a `numeric` for `bigint` and `numeric` (it cannot overflow), a \
`double precision` for floats, an interval for intervals. Returns NULL for no rows.",
    syntax_example = "sum(x)",
    sql_example = r"```sql
> SELECT sum(x) AS s FROM (VALUES (CAST(9223372036854775807 AS BIGINT)), (1)) AS t(x);
+---------------------+
| s                   |
+---------------------+
| 9223372036854775808 |
+---------------------+
```",
    argument(name = "x", description = "A number or an interval.")
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct PgSumFunc {
    inner: Sum,
    signature: Signature,
}

impl Default for PgSumFunc {
    fn default() -> Self {
        Self::new()
    }
}

impl PgSumFunc {
    /// Creates the `sum` function.
    pub fn new() -> Self {
        Self {
            inner: Sum::new(),
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

impl AggregateUDFImpl for PgSumFunc {
    fn name(&self) -> &'static str {
        "sum"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        let [x] = arg_types else {
            return plan_err!("sum takes one argument, got {}", arg_types.len());
        };
        // Coercion must be a fixed point (the analyzer may coerce a coerced
        // call again): smaller integers are kept and widened by the
        // accumulators ([`Widened`]), so that only a `bigint` becomes a decimal.
        Ok(vec![match x {
            DataType::Int8
            | DataType::Int16
            | DataType::Int32
            | DataType::UInt8
            | DataType::UInt16
            | DataType::UInt32 => x.clone(),
            DataType::Null => DataType::Int32,
            DataType::Int64 | DataType::UInt64 => BIGINT_AS,
            DataType::Decimal32(_, _)
            | DataType::Decimal64(_, _)
            | DataType::Decimal128(_, _)
            | DataType::Decimal256(_, _)
            | DataType::Duration(_)
            | DataType::Interval(_)
            | DataType::Float64 => x.clone(),
            DataType::Float16 | DataType::Float32 => DataType::Float64,
            DataType::Dictionary(_, value) => return self.coerce_types(&[value.as_ref().clone()]),
            other => return plan_err!("sum: cannot sum values of type {other}"),
        }])
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        match arg_types {
            [x] if is_small_integer(x) => Ok(DataType::Int64),
            _ => self.inner.return_type(arg_types),
        }
    }

    fn accumulator(&self, acc_args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        let widen = widens(&acc_args);
        let inner = self.inner.accumulator(acc_args)?;
        Ok(if widen {
            Box::new(Widened(inner))
        } else {
            inner
        })
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
        let widen = widens(&args);
        let inner = self.inner.create_groups_accumulator(args)?;
        Ok(if widen {
            Box::new(Widened(inner))
        } else {
            inner
        })
    }

    fn create_sliding_accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        let widen = widens(&args);
        let inner = self.inner.create_sliding_accumulator(args)?;
        Ok(if widen {
            Box::new(Widened(inner))
        } else {
            inner
        })
    }

    fn reverse_expr(&self) -> ReversedUDAF {
        ReversedUDAF::Identical
    }

    fn order_sensitivity(&self) -> AggregateOrderSensitivity {
        AggregateOrderSensitivity::Insensitive
    }

    fn set_monotonicity(&self, data_type: &DataType) -> SetMonotonicity {
        self.inner.set_monotonicity(data_type)
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.doc()
    }
}

fn is_small_integer(t: &DataType) -> bool {
    matches!(
        t,
        DataType::Int8
            | DataType::Int16
            | DataType::Int32
            | DataType::UInt8
            | DataType::UInt16
            | DataType::UInt32
    )
}

/// Whether the argument is a smaller integer, summed as a `bigint`.
fn widens(args: &AccumulatorArgs) -> bool {
    args.expr_fields
        .first()
        .is_some_and(|f| is_small_integer(f.data_type()))
}

/// DataFusion's `bigint` sum, fed smaller integers cast to `bigint`.
struct Widened<A: ?Sized>(Box<A>);

fn widened(values: &[ArrayRef]) -> Result<Vec<ArrayRef>> {
    values
        .iter()
        .map(|v| Ok(cast(v, &DataType::Int64)?))
        .collect()
}

impl Debug for Widened<dyn Accumulator> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Widened({:?})", self.0)
    }
}

impl Accumulator for Widened<dyn Accumulator> {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        self.0.update_batch(&widened(values)?)
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        self.0.evaluate()
    }

    fn size(&self) -> usize {
        self.0.size()
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        self.0.state()
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        self.0.merge_batch(states)
    }

    fn retract_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        self.0.retract_batch(&widened(values)?)
    }

    fn supports_retract_batch(&self) -> bool {
        self.0.supports_retract_batch()
    }
}

impl GroupsAccumulator for Widened<dyn GroupsAccumulator> {
    fn update_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        opt_filter: Option<&BooleanArray>,
        total_num_groups: usize,
    ) -> Result<()> {
        self.0.update_batch(
            &widened(values)?,
            group_indices,
            opt_filter,
            total_num_groups,
        )
    }

    fn evaluate(&mut self, emit_to: EmitTo) -> Result<ArrayRef> {
        self.0.evaluate(emit_to)
    }

    fn state(&mut self, emit_to: EmitTo) -> Result<Vec<ArrayRef>> {
        self.0.state(emit_to)
    }

    fn merge_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        total_num_groups: usize,
    ) -> Result<()> {
        self.0.merge_batch(values, group_indices, total_num_groups)
    }

    fn convert_to_state(
        &self,
        values: &[ArrayRef],
        opt_filter: Option<&BooleanArray>,
    ) -> Result<Vec<ArrayRef>> {
        self.0.convert_to_state(&widened(values)?, opt_filter)
    }

    fn size(&self) -> usize {
        self.0.size()
    }
}

#[cfg(test)]
mod tests {
    use arrow::datatypes::DataType;
    use datafusion::logical_expr::AggregateUDF;
    use datafusion::prelude::SessionContext;

    async fn run(sql: &str) -> (String, Vec<DataType>) {
        let ctx = SessionContext::new();
        ctx.register_udaf(AggregateUDF::from(super::PgSumFunc::new()));
        let batches = ctx.sql(sql).await.unwrap().collect().await.unwrap();
        let types = batches[0]
            .schema()
            .fields()
            .iter()
            .map(|f| f.data_type().clone())
            .collect();
        let text = datafusion::arrow::util::pretty::pretty_format_batches(&batches)
            .unwrap()
            .to_string();
        (text, types)
    }

    #[tokio::test]
    async fn bigints_sum_as_numeric_smaller_integers_as_bigint() {
        let (text, types) = run("SELECT sum(b) AS b, sum(i) AS i, sum(f) AS f FROM (VALUES \
             (CAST(9223372036854775807 AS BIGINT), CAST(2147483647 AS INT), 0.5e0), \
             (CAST(9223372036854775807 AS BIGINT), CAST(2147483647 AS INT), 0.25e0)) AS t(b, i, f)")
        .await;
        assert!(
            text.contains("| 18446744073709551614 | 4294967294 | 0.75 |"),
            "{text}"
        );
        assert_eq!(
            types,
            [
                DataType::Decimal128(30, 0),
                DataType::Int64,
                DataType::Float64
            ]
        );
    }

    #[tokio::test]
    async fn integer_sums_compare_and_divide_as_bigints() {
        let (text, types) = run(
            "SELECT g, sum(x) AS s, x2 * 100.0 / sum(x) OVER () AS share FROM (SELECT g, x, x AS x2 \
             FROM (VALUES ('a', CAST(1 AS INT)), ('b', CAST(3 AS INT))) AS t(g, x)) AS u \
             GROUP BY g, x, x2 HAVING sum(x) > 0 ORDER BY g",
        )
        .await;
        assert!(text.contains("| a | 1 | 25"), "{text}");
        assert_eq!(types[1], DataType::Int64);
    }

    #[tokio::test]
    async fn grouped_distinct_and_windowed_sums_agree() {
        let (text, _) = run(
            "SELECT g, sum(x) AS s, sum(DISTINCT x) AS d, \
             max(w) AS w FROM (SELECT g, x, sum(x) OVER (PARTITION BY g ORDER BY x \
             ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) AS w FROM (VALUES (1, CAST(2 AS BIGINT)), \
             (1, CAST(2 AS BIGINT)), (1, CAST(5 AS BIGINT)), (2, CAST(7 AS BIGINT))) AS t(g, x)) AS u \
             GROUP BY g ORDER BY g",
        )
        .await;
        assert!(text.contains("| 1 | 9 | 7 | 7 |"), "{text}");
        assert!(text.contains("| 2 | 7 | 7 | 7 |"), "{text}");
    }
}
