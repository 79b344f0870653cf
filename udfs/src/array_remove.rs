//! `array_remove(array, element)` with PostgreSQL's meaning.
//!
//! DataFusion's `array_remove` removes the first element equal to `element`
//! (`array_remove(ARRAY[1, 2, 1], 1)` is `{2,1}`); PostgreSQL's removes every
//! one (`{2}`), and `array_remove(array, NULL)` removes the NULLs where
//! DataFusion's answers NULL. This function replaces DataFusion's under the
//! same name, computing with DataFusion's `array_remove_all`.

use std::sync::Arc;

use arrow::array::{Array, AsArray, ListArray};
use arrow::buffer::OffsetBuffer;
use arrow::compute::filter;
use arrow::datatypes::Field;
use arrow::datatypes::{DataType, FieldRef};
use datafusion::common::{DataFusionError, Result, plan_err};
use datafusion::functions_nested::remove::ArrayRemoveAll;
use datafusion::logical_expr::Volatility;
use datafusion::logical_expr::type_coercion::binary::comparison_coercion;
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDFImpl, Signature,
};
use datafusion_macros::user_doc;

use crate::sql_error::SqlError;

/// `array_remove(array, element)`: the array without every element equal to `element`.
#[user_doc(
    doc_section(label = "Array Functions"),
    description = "Removes every element equal to `element` from a one-dimensional array, as \
PostgreSQL's `array_remove` does; `array_remove(array, NULL)` removes the NULL elements. \
Returns NULL if the array is NULL.",
    syntax_example = "array_remove(array, element)",
    sql_example = r"```sql
> SELECT array_remove(make_array(1, 2, 1), 1) AS a;
+-----+
| a   |
+-----+
| [2] |
+-----+
```",
    argument(name = "array", description = "A one-dimensional array."),
    argument(
        name = "element",
        description = "The value to remove, of the array's element type."
    )
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct ArrayRemoveFunc {
    all: ArrayRemoveAll,
    signature: Signature,
    aliases: Vec<String>,
}

impl Default for ArrayRemoveFunc {
    fn default() -> Self {
        Self::new()
    }
}

impl ArrayRemoveFunc {
    /// Creates the `array_remove` function.
    pub fn new() -> Self {
        Self {
            all: ArrayRemoveAll::new(),
            signature: Signature::user_defined(Volatility::Immutable),
            aliases: vec!["list_remove".to_string()],
        }
    }
}

impl ScalarUDFImpl for ArrayRemoveFunc {
    fn name(&self) -> &'static str {
        "array_remove"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        let [array, element] = arg_types else {
            return plan_err!("array_remove takes an array and an element, got {arg_types:?}");
        };
        let item = match array {
            DataType::List(field) => field.data_type().clone(),
            DataType::Null => element.clone(),
            other => {
                return plan_err!("array_remove: the first argument must be an array, got {other}");
            }
        };
        let common = if element.is_null() {
            item
        } else if item.is_null() {
            element.clone()
        } else {
            comparison_coercion(&item, element).ok_or_else(|| {
                DataFusionError::Plan(format!(
                    "array_remove: cannot compare the array's {item} elements with {element}"
                ))
            })?
        };
        Ok(vec![
            DataType::List(Arc::new(Field::new_list_field(common.clone(), true))),
            common,
        ])
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        if let Some(t) = arg_types.first() {
            Ok(t.clone())
        } else {
            plan_err!("array_remove takes an array and an element")
        }
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        self.all.return_field_from_args(args)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        match &args.args[1] {
            ColumnarValue::Scalar(s) if s.is_null() => {
                let rows = args.number_rows;
                let list = args.args[0].to_array(rows)?;
                Ok(ColumnarValue::Array(without_nulls(&list)?))
            }
            ColumnarValue::Array(a) if a.null_count() > 0 => Err(SqlError::unsupported(
                "array_remove: a column of elements to remove that holds NULLs is not supported",
            )
            .into()),
            _ => self.all.invoke_with_args(args),
        }
    }

    fn aliases(&self) -> &[String] {
        &self.aliases
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.doc()
    }
}

/// Every list of `array` without its NULL elements.
fn without_nulls(array: &Arc<dyn Array>) -> Result<Arc<dyn Array>> {
    let DataType::List(field) = array.data_type() else {
        return Err(SqlError::unsupported(format!(
            "array_remove: arrays of type {} are not supported",
            array.data_type()
        ))
        .into());
    };
    let list = array.as_list::<i32>();
    let values = list.values();
    let keep = arrow::compute::is_not_null(values)?;
    let mut lengths = Vec::with_capacity(list.len());
    for i in 0..list.len() {
        let (start, end) = (list.value_offsets()[i], list.value_offsets()[i + 1]);
        #[allow(clippy::cast_sign_loss)]
        let kept = (start..end).filter(|j| keep.value(*j as usize)).count();
        lengths.push(kept);
    }
    // Values outside every list's range are dropped by slicing first.
    let first = usize::try_from(list.value_offsets()[0]).unwrap_or(0);
    let last = usize::try_from(list.value_offsets()[list.len()]).unwrap_or(0);
    let values = values.slice(first, last - first);
    let keep = keep.slice(first, last - first);
    let kept = filter(&values, &keep)?;
    Ok(Arc::new(ListArray::try_new(
        field.clone(),
        OffsetBuffer::from_lengths(lengths),
        kept,
        list.nulls().cloned(),
    )?))
}

#[cfg(test)]
mod tests {
    use datafusion::logical_expr::ScalarUDF;
    use datafusion::prelude::SessionContext;

    async fn one(sql: &str) -> String {
        let ctx = SessionContext::new();
        ctx.deregister_udf("array_remove");
        ctx.register_udf(ScalarUDF::from(super::ArrayRemoveFunc::new()));
        let batches = ctx.sql(sql).await.unwrap().collect().await.unwrap();
        datafusion::arrow::util::pretty::pretty_format_columns("a", &[batches[0].column(0).clone()])
            .unwrap()
            .to_string()
            .lines()
            .nth(3)
            .unwrap()
            .to_string()
    }

    #[tokio::test]
    async fn removes_every_equal_element_and_nulls() {
        assert_eq!(
            one("SELECT array_remove(make_array(1, 2, 1), 1)").await,
            "| [2] |"
        );
        assert_eq!(
            one("SELECT array_remove(make_array(1, NULL, 3, NULL), NULL)").await,
            "| [1, 3] |"
        );
    }
}
