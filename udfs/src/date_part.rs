//! `date_part(field, source)` as PostgreSQL computes it: a `double precision`.
//!
//! DataFusion's `date_part` returns `Int32` for most fields, dropping the
//! fraction of seconds (`45` for `45.5`); this function replaces it under the
//! same name. The fields are PostgreSQL's ([`crate::date_fields`]); a date is
//! read as a timestamp at midnight, as PostgreSQL's `date_part` does.

use std::sync::Arc;

use arrow::array::Float64Array;
use arrow::datatypes::DataType;
use datafusion::common::Result;
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};
use datafusion_macros::user_doc;

use crate::common::{Strings, check_arity, coerce_string, to_arrays, to_columnar};
use crate::date_fields::{Field, coerce_source, field_values};

/// `date_part(field, source)`: a field of a date, timestamp or interval as `double precision`.
#[user_doc(
    doc_section(label = "Time and Date Functions"),
    description = "Returns the field `field` (year, month, day, hour, minute, second, \
milliseconds, microseconds, dow, isodow, doy, week, quarter, isoyear, century, decade, \
millennium, epoch) of a date, timestamp or interval as `double precision`, as PostgreSQL does: \
seconds keep their fraction.",
    syntax_example = "date_part(field, source)",
    sql_example = r"```sql
> SELECT date_part('second', TIMESTAMP '2026-06-07 10:30:45.5') AS s;
+------+
| s    |
+------+
| 45.5 |
+------+
```",
    argument(name = "field", description = "The field's name, in any case."),
    argument(
        name = "source",
        description = "A date, timestamp (its fields in its own time zone) or interval."
    )
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct DatePartFunc {
    signature: Signature,
}

impl Default for DatePartFunc {
    fn default() -> Self {
        Self::new()
    }
}

impl DatePartFunc {
    /// Creates the `date_part` function.
    pub fn new() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

impl ScalarUDFImpl for DatePartFunc {
    fn name(&self) -> &'static str {
        "date_part"
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

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Float64)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let (arrays, all_scalar) = to_arrays(&args.args)?;
        let names = Strings::try_new(self.name(), &arrays[0])?;
        let mut fields = std::collections::HashMap::new();
        let mut out = Vec::with_capacity(arrays[1].len());
        for i in 0..arrays[1].len() {
            let Some(name) = names.get(i) else {
                out.push(None);
                continue;
            };
            if !fields.contains_key(name) {
                let field = Field::parse(self.name(), name)?;
                fields.insert(name, field_values(self.name(), field, &arrays[1], false)?);
            }
            #[allow(clippy::cast_precision_loss)]
            out.push(fields[name][i].map(|v| v as f64 / 1e6));
        }
        to_columnar(Arc::new(Float64Array::from(out)), all_scalar)
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.doc()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Array, ArrayRef, AsArray, StringArray, TimestampMicrosecondArray};
    use arrow::datatypes::{Field as ArrowField, Float64Type, TimeUnit};
    use datafusion::config::ConfigOptions;

    #[test]
    fn seconds_are_double_precision_with_their_fraction() {
        let func = DatePartFunc::new();
        let source: ArrayRef = Arc::new(TimestampMicrosecondArray::from(vec![
            1_780_828_245_500_000,
            1_780_828_245_500_000,
        ]));
        let args = ScalarFunctionArgs {
            args: vec![
                ColumnarValue::Array(Arc::new(StringArray::from(vec!["second", "epoch"]))),
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
            number_rows: 2,
            return_field: Arc::new(ArrowField::new("r", DataType::Float64, true)),
            config_options: Arc::new(ConfigOptions::default()),
        };
        let ColumnarValue::Array(out) = func.invoke_with_args(args).unwrap() else {
            panic!("an array");
        };
        let out = out.as_primitive::<Float64Type>();
        assert!(out.is_valid(0));
        assert!((out.value(0) - 45.5).abs() < f64::EPSILON);
        assert!((out.value(1) - 1_780_828_245.5).abs() < 1e-6);
    }
}
