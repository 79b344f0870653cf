//! `numeric` values with their own display scales: a query planned for a
//! client has, after its columns, companion fields holding each row's places
//! of a numeric column ([`crate::display_scale`]). Here each such value is
//! written with its places, as text (`1`, `2.5`) or as PostgreSQL's binary
//! `numeric` with that display scale, and the companions are dropped before
//! the row description and the rows are sent.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, BinaryBuilder, RecordBatch, StringBuilder};
use arrow::datatypes::{DataType, Decimal128Type, Int32Type, Schema, SchemaRef};
use datafusion::error::DataFusionError;
use pgwire::api::results::{FieldFormat, FieldInfo};

use crate::display_scale::companion_of;

/// The companion fields of an output schema.
#[derive(Debug, Clone, Default)]
pub struct Companions {
    /// (value column, companion column) pairs, as indices of the output.
    scaled: Vec<(usize, usize)>,
    /// Whether each output field is a companion.
    dropped: Vec<bool>,
}

impl Companions {
    /// The companions of `schema` (none for most queries).
    pub fn of(schema: &Schema) -> Self {
        let mut scaled = vec![];
        let mut dropped = vec![false; schema.fields().len()];
        for (k, field) in schema.fields().iter().enumerate() {
            if let Some(column) = companion_of(field.name()) {
                scaled.push((column, k));
                dropped[k] = true;
            }
        }
        Self { scaled, dropped }
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        !self.dropped.iter().any(|d| *d)
    }

    /// `schema` without its companions: what the client is told.
    pub fn client_schema(&self, schema: &SchemaRef) -> SchemaRef {
        if self.is_empty() {
            return schema.clone();
        }
        let fields: Vec<_> = schema
            .fields()
            .iter()
            .zip(&self.dropped)
            .filter(|(_, d)| !**d)
            .map(|(f, _)| f.clone())
            .collect();
        Arc::new(Schema::new_with_metadata(fields, schema.metadata().clone()))
    }

    /// `batch` with each scaled numeric written with its row's places, in
    /// the format of its field in `fields`, and without the companions.
    pub fn apply(
        &self,
        batch: RecordBatch,
        fields: &[FieldInfo],
    ) -> Result<RecordBatch, DataFusionError> {
        if self.is_empty() {
            return Ok(batch);
        }
        let schema = batch.schema();
        let mut columns: Vec<ArrayRef> = batch.columns().to_vec();
        let mut types: Vec<DataType> = schema
            .fields()
            .iter()
            .map(|f| f.data_type().clone())
            .collect();
        for (column, companion) in &self.scaled {
            let (Some(values), Some(places)) = (columns.get(*column), columns.get(*companion))
            else {
                continue;
            };
            let DataType::Decimal128(_, scale) = values.data_type() else {
                continue;
            };
            let places = arrow::compute::cast(places, &DataType::Int32)?;
            let binary = fields
                .get(*column)
                .is_some_and(|f| f.format() == FieldFormat::Binary);
            let written = write(
                values.as_primitive::<Decimal128Type>(),
                *scale,
                places.as_primitive::<Int32Type>(),
                binary,
            );
            types[*column] = written.data_type().clone();
            columns[*column] = written;
        }
        let kept: Vec<usize> = (0..columns.len()).filter(|i| !self.dropped[*i]).collect();
        let fields: Vec<_> = kept
            .iter()
            .map(|i| schema.field(*i).clone().with_data_type(types[*i].clone()))
            .collect();
        Ok(RecordBatch::try_new(
            Arc::new(Schema::new_with_metadata(fields, schema.metadata().clone())),
            kept.iter().map(|i| columns[*i].clone()).collect(),
        )?)
    }
}

/// The values of a decimal column of scale `scale`, each with its row's
/// `places` (the column's scale where NULL), as text or binary `numeric`.
fn write(
    values: &arrow::array::Decimal128Array,
    scale: i8,
    places: &arrow::array::Int32Array,
    binary: bool,
) -> ArrayRef {
    let places_of = |i: usize| {
        if places.is_null(i) {
            i32::from(scale)
        } else {
            places.value(i)
        }
    };
    if binary {
        let mut out = BinaryBuilder::with_capacity(values.len(), values.len() * 12);
        for i in 0..values.len() {
            if values.is_null(i) {
                out.append_null();
                continue;
            }
            let (unscaled, shown) = rescaled(values.value(i), scale, places_of(i));
            out.append_value(super::numeric_form::numeric_send(unscaled, shown));
        }
        Arc::new(out.finish())
    } else {
        let mut out = StringBuilder::with_capacity(values.len(), values.len() * 8);
        for i in 0..values.len() {
            if values.is_null(i) {
                out.append_null();
                continue;
            }
            let (unscaled, shown) = rescaled(values.value(i), scale, places_of(i));
            out.append_value(numeric_text(unscaled, shown));
        }
        Arc::new(out.finish())
    }
}

/// `unscaled × 10^-scale` as an unscaled value with `places` places (the
/// places beyond the value's digits are zeros; where more places than 38
/// digits hold are asked for, the value keeps its own scale).
fn rescaled(unscaled: i128, scale: i8, places: i32) -> (i128, i8) {
    let places = places.clamp(0, 38);
    let scale_i32 = i32::from(scale);
    match places.cmp(&scale_i32) {
        std::cmp::Ordering::Less => {
            let divisor = 10i128.pow((scale_i32 - places) as u32);
            let (q, r) = (unscaled / divisor, unscaled % divisor);
            // The dropped places are zeros; round half away from zero were they not.
            let q = if r.unsigned_abs() * 2 >= divisor.unsigned_abs() {
                q + unscaled.signum()
            } else {
                q
            };
            (q, places as i8)
        }
        std::cmp::Ordering::Greater => {
            match unscaled.checked_mul(10i128.pow((places - scale_i32) as u32)) {
                Some(v) => (v, places as i8),
                None => (unscaled, scale),
            }
        }
        std::cmp::Ordering::Equal => (unscaled, scale),
    }
}

/// PostgreSQL's text of `unscaled × 10^-scale` (`-0.50`, `12`).
fn numeric_text(unscaled: i128, scale: i8) -> String {
    let digits = unscaled.unsigned_abs().to_string();
    let sign = if unscaled < 0 { "-" } else { "" };
    if scale <= 0 {
        let zeros = "0".repeat(usize::from(scale.unsigned_abs()));
        return if unscaled == 0 {
            "0".into()
        } else {
            format!("{sign}{digits}{zeros}")
        };
    }
    let scale = usize::from(scale.unsigned_abs());
    let padded = format!("{digits:0>width$}", width = scale + 1);
    let (whole, fraction) = padded.split_at(padded.len() - scale);
    format!("{sign}{whole}.{fraction}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_show_their_places() {
        assert_eq!(numeric_text(10, 1), "1.0");
        assert_eq!(numeric_text(-5, 1), "-0.5");
        assert_eq!(numeric_text(0, 2), "0.00");
        assert_eq!(numeric_text(7, 0), "7");
        // 1.0 held at scale 1, shown with 0 places; 0.333… held at 24, shown with 20.
        assert_eq!(rescaled(10, 1, 0), (1, 0));
        assert_eq!(
            rescaled(333_333_333_333_333_333_330_000, 24, 20),
            (33_333_333_333_333_333_333, 20)
        );
        assert_eq!(rescaled(25, 1, 3), (2500, 3));
    }
}
