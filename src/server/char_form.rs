//! PostgreSQL's `"char"` in binary format: always one byte, the byte 0 for
//! the empty value (`charsend`, src/backend/utils/adt/char.c). conversql
//! holds a `"char"` column as text, which would send the empty value as no
//! bytes at all, a value binary clients cannot decode; so in binary format an
//! empty `"char"` value travels as `\0`. Text format sends the text as it is
//! (`charout` prints the empty value as the empty string).

use std::sync::Arc;

use arrow::array::{Array, AsArray, RecordBatch, StringArray};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Field, Schema};
use datafusion::error::DataFusionError;
use pgwire::api::Type;
use pgwire::api::results::{FieldFormat, FieldInfo};

/// `batch` with the empty values of its binary-format `"char"` columns as `\0`.
pub fn binary_chars(
    batch: RecordBatch,
    fields: &[FieldInfo],
) -> Result<RecordBatch, DataFusionError> {
    let converts = |i: usize| {
        fields
            .get(i)
            .is_some_and(|f| f.format() == FieldFormat::Binary && *f.datatype() == Type::CHAR)
    };
    if !(0..batch.num_columns()).any(converts) {
        return Ok(batch);
    }
    let schema = batch.schema();
    let mut columns = Vec::with_capacity(batch.num_columns());
    let mut new_fields = Vec::with_capacity(batch.num_columns());
    for (i, (column, field)) in batch.columns().iter().zip(schema.fields()).enumerate() {
        if converts(i) {
            let text = cast(column, &DataType::Utf8)?;
            let chars: StringArray = text
                .as_string::<i32>()
                .iter()
                .map(|v| v.map(|v| if v.is_empty() { "\0" } else { v }))
                .collect();
            columns.push(Arc::new(chars) as Arc<dyn Array>);
            new_fields.push(field.as_ref().clone().with_data_type(DataType::Utf8));
        } else {
            columns.push(column.clone());
            new_fields.push(field.as_ref().clone());
        }
    }
    Ok(RecordBatch::try_new(
        Arc::new(Schema::new_with_metadata(
            new_fields.into_iter().collect::<Vec<Field>>(),
            schema.metadata().clone(),
        )),
        columns,
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;

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
