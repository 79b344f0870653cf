//! `pg_array_in(text)`: a text in PostgreSQL's array syntax as a list of text.
//!
//! PostgreSQL reads `'{a,b}'::text[]` with `array_in`; DataFusion's cast of a
//! string to a list makes a one-element list of the whole string
//! (`['{a,b}']`). conversql plans every cast of a string to a list as this
//! function followed by a cast of the elements, so the literal means what it
//! means in PostgreSQL. The grammar is in [`crate::array_literal`].

use std::sync::Arc;

use arrow::array::{ArrayRef, ListBuilder, StringBuilder};
use arrow::datatypes::{DataType, Field};
use datafusion::common::Result;
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};
use datafusion_macros::user_doc;

use crate::array_literal::{ArrayLiteralError, parse};
use crate::common::{Strings, check_args, check_arity, coerce_string, to_arrays, to_columnar};
use crate::sql_error::SqlError;

/// The type `pg_array_in` returns: a list of nullable text.
pub fn text_list_type() -> DataType {
    DataType::List(Arc::new(Field::new_list_field(DataType::Utf8, true)))
}

/// `pg_array_in(text)`: reads PostgreSQL's array syntax into a list of text.
#[user_doc(
    doc_section(label = "Array Functions"),
    description = "Reads a text in PostgreSQL's array input syntax (braces, commas, double \
quotes, backslash escapes, unquoted NULL) into a list of text, as PostgreSQL's array_in does; \
a cast of text to an array type is planned as this function followed by a cast of the \
elements. A malformed literal fails with SQLSTATE 22P02; multidimensional arrays and explicit \
bounds fail with 0A000. Returns NULL for NULL.",
    syntax_example = "pg_array_in(text)",
    sql_example = r#"```sql
> SELECT pg_array_in('{a,"b c",NULL}') AS a, array_length(pg_array_in('{a,"b c",NULL}'), 1) AS n;
+------------+---+
| a          | n |
+------------+---+
| [a, b c, ] | 3 |
+------------+---+
```"#,
    argument(name = "text", description = "An array in PostgreSQL's text form.")
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct PgArrayInFunc {
    signature: Signature,
}

impl Default for PgArrayInFunc {
    fn default() -> Self {
        Self::new()
    }
}

impl PgArrayInFunc {
    /// Creates the `pg_array_in` function.
    pub fn new() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

impl ScalarUDFImpl for PgArrayInFunc {
    fn name(&self) -> &'static str {
        "pg_array_in"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        check_arity(self.name(), arg_types, 1)?;
        Ok(vec![coerce_string(self.name(), "text", &arg_types[0])?])
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(text_list_type())
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let (arrays, all_scalar) = to_arrays(&args.args)?;
        let result = pg_array_in(&arrays)?;
        to_columnar(result, all_scalar)
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.doc()
    }
}

/// Reads one text as a one-dimensional array: its elements.
///
/// # Errors
/// 22P02 for a malformed literal, 0A000 for a multidimensional one or explicit bounds.
pub fn parse_one_dimension(
    text: &str,
) -> std::result::Result<Vec<Option<String>>, ArrayLiteralError> {
    let literal = parse(text)?;
    if literal.dims.len() > 1 {
        return Err(ArrayLiteralError::Unsupported(format!(
            "array literal \"{text}\": multidimensional arrays are not supported"
        )));
    }
    Ok(literal.elements)
}

/// Computes `pg_array_in` over an array.
fn pg_array_in(args: &[ArrayRef]) -> Result<ArrayRef> {
    const NAME: &str = "pg_array_in";
    check_args(NAME, args, 1)?;
    let texts = Strings::try_new(NAME, &args[0])?;
    let mut builder = ListBuilder::new(StringBuilder::new());
    for i in 0..args[0].len() {
        let Some(text) = texts.get(i) else {
            builder.append_null();
            continue;
        };
        let elements =
            parse_one_dimension(text).map_err(|e| SqlError::new(e.sqlstate(), e.to_string()))?;
        for element in elements {
            builder.values().append_option(element);
        }
        builder.append(true);
    }
    Ok(Arc::new(builder.finish()))
}

#[cfg(test)]
mod tests {
    use super::*;

    use arrow::array::{Array, AsArray, StringArray};
    use datafusion::common::ScalarValue;
    use datafusion::error::DataFusionError;

    use crate::common::test_util::invoke;

    fn call(text: Option<&str>) -> Result<ColumnarValue> {
        invoke(
            &PgArrayInFunc::new(),
            vec![ColumnarValue::Scalar(ScalarValue::Utf8(
                text.map(str::to_string),
            ))],
        )
    }

    fn elements(text: &str) -> Vec<Option<String>> {
        let ColumnarValue::Scalar(ScalarValue::List(list)) = call(Some(text)).unwrap() else {
            panic!("expected a list scalar");
        };
        let values = list.value(0);
        let values = values.as_string::<i32>();
        values.iter().map(|v| v.map(str::to_string)).collect()
    }

    fn sqlstate(e: &DataFusionError) -> &'static str {
        match e.find_root() {
            DataFusionError::External(inner) => inner.downcast_ref::<SqlError>().unwrap().sqlstate,
            other => panic!("not a SqlError: {other}"),
        }
    }

    #[test]
    fn reads_elements_and_nulls() {
        assert_eq!(
            elements(r#"{v,"m n",NULL,"NULL"}"#),
            vec![
                Some("v".into()),
                Some("m n".into()),
                None,
                Some("NULL".into())
            ]
        );
        assert_eq!(elements("{}"), Vec::<Option<String>>::new());
    }

    #[test]
    fn null_text_is_a_null_array() {
        let ColumnarValue::Scalar(ScalarValue::List(list)) = call(None).unwrap() else {
            panic!("expected a list scalar");
        };
        assert!(list.is_null(0));
    }

    #[test]
    fn malformed_is_22p02_and_multidimensional_is_0a000() {
        assert_eq!(sqlstate(&call(Some("{a,")).unwrap_err()), "22P02");
        assert_eq!(sqlstate(&call(Some("a,b")).unwrap_err()), "22P02");
        assert_eq!(sqlstate(&call(Some("{{a},{b}}")).unwrap_err()), "0A000");
    }

    #[test]
    fn arrays_of_texts() {
        let texts: ArrayRef = Arc::new(StringArray::from(vec![Some("{a}"), None, Some("{b,c}")]));
        let result = pg_array_in(&[texts]).unwrap();
        let list = result.as_list::<i32>();
        assert_eq!(list.len(), 3);
        assert!(list.is_null(1));
        assert_eq!(list.value(2).len(), 2);
    }
}
