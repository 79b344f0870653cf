//! `oidvector` columns held as their text (`pg_proc.proargtypes`, `16 25`).
//!
//! PostgreSQL's `oidvector` prints as its oids separated by spaces, and casts
//! to `oid[]` (and so to `regtype[]`) without conversion: pgcli's function
//! completion reads `proargtypes::regtype[]`. The catalog holds such a
//! column as the text PostgreSQL prints, so its values read as PostgreSQL's,
//! and marks its field (metadata [`PG_TYPE`] = `oidvector`). A cast of a
//! marked column to an array reads the text as the vector's elements
//! ([`PgVectorIn`]) where a cast of other text reads PostgreSQL's array
//! syntax (`'16 25'::oid[]` is an error there, as in PostgreSQL).

use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::{Array, AsArray, ListArray};
use arrow::datatypes::{DataType, Field, Int64Type};
use datafusion::common::{Result, exec_err};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};

/// The field metadata naming the PostgreSQL type a text column holds.
pub const PG_TYPE: &str = "conversql.pg_type";

/// `field` marked as holding an `oidvector`'s text.
#[must_use]
pub fn mark_oidvector(field: Field) -> Field {
    let mut metadata = field.metadata().clone();
    metadata.insert(PG_TYPE.to_string(), "oidvector".to_string());
    field.with_metadata(metadata)
}

/// Whether `metadata` marks a field as an `oidvector`'s text.
pub fn is_oidvector<S: std::hash::BuildHasher>(metadata: &HashMap<String, String, S>) -> bool {
    metadata.get(PG_TYPE).is_some_and(|t| t == "oidvector")
}

/// The oids of `text`, an `oidvector`'s text form (`16 25`; empty for none).
///
/// # Errors
/// PostgreSQL's message for an element that is not an oid.
pub fn parse(text: &str) -> Result<Vec<i64>> {
    text.split_ascii_whitespace()
        .map(|item| {
            item.parse::<u32>()
                .map(i64::from)
                .or_else(|_| exec_err!("invalid input syntax for type oid: \"{item}\""))
        })
        .collect()
}

/// `pg_vector_in(text)`: an `oidvector`'s text as its array of oids (`bigint[]`).
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct PgVectorIn {
    signature: Signature,
}

impl Default for PgVectorIn {
    fn default() -> Self {
        PgVectorIn {
            signature: Signature::any(1, Volatility::Immutable),
        }
    }
}

impl ScalarUDFImpl for PgVectorIn {
    fn name(&self) -> &'static str {
        "pg_vector_in"
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(DataType::List(Arc::new(Field::new_list_field(
            DataType::Int64,
            true,
        ))))
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let text =
            arrow::compute::cast(&args.args[0].to_array(args.number_rows)?, &DataType::Utf8)?;
        let lists = text
            .as_string::<i32>()
            .iter()
            .map(|value| {
                value
                    .map(|v| parse(v).map(|oids| oids.into_iter().map(Some).collect::<Vec<_>>()))
                    .transpose()
            })
            .collect::<Result<Vec<_>>>()?;
        let array = ListArray::from_iter_primitive::<Int64Type, _, _>(lists);
        Ok(ColumnarValue::Array(Arc::new(array) as Arc<dyn Array>))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_text_is_the_oids_separated_by_spaces() {
        assert_eq!(parse("16 25").unwrap(), vec![16, 25]);
        assert_eq!(parse("").unwrap(), Vec::<i64>::new());
        let err = parse("16,25").unwrap_err().to_string();
        assert!(err.contains("invalid input syntax for type oid"), "{err}");
    }

    #[test]
    fn only_marked_fields_are_vectors() {
        let marked = mark_oidvector(Field::new("proargtypes", DataType::Utf8, true));
        assert!(is_oidvector(marked.metadata()));
        assert!(!is_oidvector(
            Field::new("t", DataType::Utf8, true).metadata()
        ));
    }
}
