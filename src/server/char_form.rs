//! PostgreSQL's `"char"` in binary format: always one byte, the byte 0 for
//! the empty value (`charsend`, src/backend/utils/adt/char.c). conversql
//! holds a `"char"` column as text, which would send the empty value as no
//! bytes at all, a value binary clients cannot decode; so in binary format an
//! empty `"char"` value travels as `\0`. Text format sends the text as it is
//! (`charout` prints the empty value as the empty string).

use std::sync::Arc;

use arrow::array::{ArrayRef, AsArray, RecordBatch, StringArray};
use arrow::compute::cast;
use arrow::datatypes::DataType;
use datafusion::error::DataFusionError;
use pgwire::api::Type;
use pgwire::api::results::{FieldFormat, FieldInfo};

/// `batch` with the empty values of its binary-format `"char"` columns as `\0`.
pub fn binary_chars(
    batch: RecordBatch,
    fields: &[FieldInfo],
) -> Result<RecordBatch, DataFusionError> {
    super::column_forms::replace_columns(batch, |i, _, column| {
        let binary_char = fields
            .get(i)
            .is_some_and(|f| f.format() == FieldFormat::Binary && *f.datatype() == Type::CHAR);
        if !binary_char {
            return Ok(None);
        }
        let text = cast(column, &DataType::Utf8)?;
        let chars: StringArray = text
            .as_string::<i32>()
            .iter()
            .map(|v| v.map(|v| if v.is_empty() { "\0" } else { v }))
            .collect();
        Ok(Some(Arc::new(chars) as ArrayRef))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::datatypes::{Field, Schema};

    #[test]
    fn empty_char_is_the_zero_byte_in_binary_only() {
        let schema = Arc::new(Schema::new(vec![
            Field::new("c", DataType::Utf8, true),
            Field::new("t", DataType::Utf8, true),
        ]));
        let batch = RecordBatch::try_new(
            schema,
            vec![
                Arc::new(StringArray::from(vec![Some(""), Some("v"), None])),
                Arc::new(StringArray::from(vec![Some(""), Some("v"), None])),
            ],
        )
        .unwrap();
        let info = |format| FieldInfo::new("c".into(), None, None, Type::CHAR, format);
        let out = binary_chars(
            batch.clone(),
            &[info(FieldFormat::Binary), info(FieldFormat::Text)],
        )
        .unwrap();
        let values = |i: usize| -> Vec<Option<String>> {
            out.column(i)
                .as_string::<i32>()
                .iter()
                .map(|v| v.map(str::to_string))
                .collect()
        };
        assert_eq!(values(0), [Some("\0".into()), Some("v".into()), None]);
        assert_eq!(values(1), [Some(String::new()), Some("v".into()), None]);
    }
}
