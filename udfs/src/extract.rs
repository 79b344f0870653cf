//! `extract(field FROM source)` as PostgreSQL 14 and later compute it: a
//! `numeric` (`EXTRACT(SECOND FROM TIMESTAMP '… 10:30:45.5')` is `45.500000`).
//!
//! DataFusion plans `EXTRACT` as its `date_part`, which returns `Int32`
//! (dropping the fraction of seconds) or `Float64` for the epoch; conversql's
//! expression planner plans `EXTRACT` as this function instead. The fields are
//! PostgreSQL's ([`crate::date_fields`]); the scale is PostgreSQL's (6 for
//! seconds and the epoch, 3 for milliseconds, 0 otherwise); the time fields of
//! a date are refused, as PostgreSQL refuses them.

use std::sync::Arc;

use arrow::array::{ArrayRef, Decimal128Array};
use arrow::datatypes::{DataType, Field as ArrowField, FieldRef};
use datafusion::common::{Result, plan_err};
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDFImpl, Signature,
    Volatility,
};
use datafusion_macros::user_doc;

use crate::common::{Strings, check_arity, coerce_string, to_arrays, to_columnar};
use crate::date_fields::{Field, coerce_source, field_values};

/// Precision of `extract`'s `numeric` results: room for an epoch in microseconds.
const PRECISION: u8 = 26;

/// `extract(field FROM source)`: a field of a date, timestamp or interval as `numeric`.
#[user_doc(
    doc_section(label = "Time and Date Functions"),
    description = "Returns the field `field` (year, month, day, hour, minute, second, \
milliseconds, microseconds, dow, isodow, doy, week, quarter, isoyear, century, decade, \
millennium, epoch) of a date, timestamp or interval as `numeric`, as PostgreSQL does: \
seconds keep their fraction. Written `EXTRACT(field FROM source)` or `extract('field', source)`.",
    syntax_example = "extract(field FROM source)",
    sql_example = r"```sql
> SELECT extract(SECOND FROM TIMESTAMP '2026-06-07 10:30:45.5') AS s;
+-----------+
| s         |
+-----------+
| 45.500000 |
+-----------+
```",
    argument(name = "field", description = "The field's name, in any case."),
    argument(
        name = "source",
        description = "A date, timestamp (its fields in its own time zone) or interval."
    )
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct ExtractFunc {
    signature: Signature,
}

impl Default for ExtractFunc {
    fn default() -> Self {
        Self::new()
    }
}

impl ExtractFunc {
    /// Creates the `extract` function.
    pub fn new() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

/// The field named by a constant first argument.
fn constant_field(function: &str, args: &ReturnFieldArgs) -> Result<Field> {
    let Some(value) = args.scalar_arguments.first().copied().flatten() else {
        return plan_err!("{function}: the field must be a constant");
    };
    let Some(name) = value.try_as_str().flatten() else {
        return plan_err!("{function}: the field must be a string");
    };
    Field::parse(function, name)
}

impl ScalarUDFImpl for ExtractFunc {
    fn name(&self) -> &'static str {
        "extract"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        check_arity(self.name(), arg_types, 2)?;
        Ok(vec![
            coerce_string(self.name(), "field", &arg_types[0])?,
            coerce_source(self.name(), &arg_types[1])?,
        ])
    }

    /// `numeric`, as the catalog lists it; the scale of a call's result
    /// depends on its field (`return_field_from_args`).
    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Decimal128(PRECISION, 6))
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        let field = constant_field(self.name(), &args)?;
        let scale = field.scale(args.arg_fields[1].data_type());
        Ok(Arc::new(ArrowField::new(
            self.name(),
            DataType::Decimal128(PRECISION, scale),
            true,
        )))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let (arrays, all_scalar) = to_arrays(&args.args)?;
        let names = Strings::try_new(self.name(), &arrays[0])?;
        let Some(name) = (0..arrays[0].len()).find_map(|i| names.get(i)) else {
            let nulls = Decimal128Array::new_null(arrays[1].len());
            return to_columnar(Arc::new(nulls), all_scalar);
        };
        let field = Field::parse(self.name(), name)?;
        let scale = field.scale(arrays[1].data_type());
        let divisor = 10_i128.pow(6 - u32::from(scale.unsigned_abs()));
        let values = field_values(self.name(), field, &arrays[1], true)?;
        let result: ArrayRef = Arc::new(
            values
                .into_iter()
                .map(|v| v.map(|v| v / divisor))
                .collect::<Decimal128Array>()
                .with_precision_and_scale(PRECISION, scale)?,
        );
        to_columnar(result, all_scalar)
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.doc()
    }
}

/// Plans `EXTRACT(field FROM source)` as [`ExtractFunc`]: DataFusion's own
/// expression planner turns `EXTRACT` into its `date_part`, an `Int32`
/// without the fraction of seconds. Place it before DataFusion's planners
/// ([`crate::expr_planners`]).
#[derive(Debug, Default)]
pub struct ExtractPlanner;

impl datafusion::logical_expr::planner::ExprPlanner for ExtractPlanner {
    fn plan_extract(
        &self,
        args: Vec<datafusion::logical_expr::Expr>,
    ) -> datafusion::common::Result<
        datafusion::logical_expr::planner::PlannerResult<Vec<datafusion::logical_expr::Expr>>,
    > {
        let extract =
            std::sync::Arc::new(datafusion::logical_expr::ScalarUDF::from(ExtractFunc::new()));
        Ok(datafusion::logical_expr::planner::PlannerResult::Planned(
            datafusion::logical_expr::Expr::ScalarFunction(
                datafusion::logical_expr::expr::ScalarFunction::new_udf(extract, args),
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Array, AsArray, StringArray, TimestampMicrosecondArray};
    use arrow::datatypes::{Decimal128Type, TimeUnit};
    use datafusion::config::ConfigOptions;

    #[test]
    fn seconds_are_numeric_with_their_fraction() {
        let func = ExtractFunc::new();
        let source: ArrayRef =
            Arc::new(TimestampMicrosecondArray::from(vec![1_780_828_245_500_000]));
        let args = ScalarFunctionArgs {
            args: vec![
                ColumnarValue::Array(Arc::new(StringArray::from(vec!["second"]))),
                ColumnarValue::Array(source),
            ],
            arg_fields: vec![
                Arc::new(ArrowField::new("f", DataType::Utf8, true)),
                Arc::new(ArrowField::new(
                    "s",
                    DataType::Timestamp(TimeUnit::Microsecond, None),
                    true,
                )),
            ],
            number_rows: 1,
            return_field: Arc::new(ArrowField::new("r", DataType::Decimal128(26, 6), true)),
            config_options: Arc::new(ConfigOptions::default()),
        };
        let ColumnarValue::Array(out) = func.invoke_with_args(args).unwrap() else {
            panic!("an array");
        };
        let out = out.as_primitive::<Decimal128Type>();
        assert_eq!(out.value_as_string(0), "45.500000");
        assert!(out.is_valid(0));
    }
}
