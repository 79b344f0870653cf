//! Re-encoding some columns of a batch before pgwire encodes it: the
//! PostgreSQL forms of `text_form`, `char_form`, `numeric_form` and
//! `interval_form` each
//! replace the columns they convert and keep the others.

use std::sync::Arc;

use arrow::array::{ArrayRef, RecordBatch};
use arrow::datatypes::{DataType, Field, Schema};
use datafusion::error::DataFusionError;

/// `batch` with each column `convert` gives a new array for (with its new
/// type; the field keeps its name and metadata), the others as they are;
/// the batch itself when `convert` replaces none.
pub fn replace_columns(
    batch: RecordBatch,
    mut convert: impl FnMut(usize, &Field, &ArrayRef) -> Result<Option<ArrayRef>, DataFusionError>,
) -> Result<RecordBatch, DataFusionError> {
    let schema = batch.schema();
    let mut replaced = false;
    let mut columns = Vec::with_capacity(batch.num_columns());
    let mut fields: Vec<Field> = Vec::with_capacity(batch.num_columns());
    for (i, (column, field)) in batch.columns().iter().zip(schema.fields()).enumerate() {
        if let Some(new) = convert(i, field, column)? {
            replaced = true;
            let data_type: DataType = new.data_type().clone();
            fields.push(field.as_ref().clone().with_data_type(data_type));
            columns.push(new);
        } else {
            fields.push(field.as_ref().clone());
            columns.push(column.clone());
        }
    }
    if !replaced {
        return Ok(batch);
    }
    Ok(RecordBatch::try_new(
        Arc::new(Schema::new_with_metadata(fields, schema.metadata().clone())),
        columns,
    )?)
}
