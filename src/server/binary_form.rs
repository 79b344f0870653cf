//! PostgreSQL's binary form of an empty array: no dimensions.
//!
//! arrow-pg encodes a list through postgres-types, which writes every array
//! with one dimension, an empty one as one dimension of length 0 (20
//! bytes). PostgreSQL's `array_send` writes an empty array with zero
//! dimensions (12 bytes: the dimension count, the has-null flag and the
//! element type). Clients read both as empty, but a client that checks the
//! dimension count, or compares bytes, sees a difference; so the empty
//! arrays of binary-format array columns are rewritten in each encoded row.

use bytes::{Buf, BufMut, BytesMut};
use pgwire::api::Type;
use pgwire::api::results::{FieldFormat, FieldInfo};
use pgwire::messages::data::DataRow;
use postgres_types::Kind;

/// Which fields of a row are binary-format arrays, if any is.
pub fn binary_arrays(fields: &[FieldInfo]) -> Option<Vec<bool>> {
    let arrays: Vec<bool> = fields
        .iter()
        .map(|f| f.format() == FieldFormat::Binary && is_array(f.datatype()))
        .collect();
    arrays.contains(&true).then_some(arrays)
}

fn is_array(t: &Type) -> bool {
    matches!(t.kind(), Kind::Array(_))
}

/// The binary form of an empty array with one dimension of length 0, as
/// postgres-types writes it, and as PostgreSQL's zero-dimension form.
fn as_postgres(value: &[u8]) -> Option<[u8; 12]> {
    if value.len() != 20 {
        return None;
    }
    let mut v = value;
    let (dimensions, flags, element) = (v.get_i32(), v.get_i32(), v.get_u32());
    let (length, _lower_bound) = (v.get_i32(), v.get_i32());
    if dimensions != 1 || length != 0 {
        return None;
    }
    let mut out = [0u8; 12];
    let mut w = &mut out[..];
    w.put_i32(0);
    w.put_i32(flags);
    w.put_u32(element);
    Some(out)
}

/// `row` with its empty arrays in the fields marked in `arrays` written as PostgreSQL writes them.
pub fn empty_arrays(row: DataRow, arrays: &[bool]) -> DataRow {
    let mut rest = &row.data[..];
    let mut out = BytesMut::with_capacity(row.data.len());
    let mut changed = false;
    for &array in arrays {
        if rest.len() < 4 {
            // Not a row of these fields: left as encoded.
            return row;
        }
        let length = rest.get_i32();
        let Ok(size) = usize::try_from(length) else {
            out.put_i32(length);
            continue;
        };
        if rest.len() < size {
            return row;
        }
        let (value, tail) = rest.split_at(size);
        rest = tail;
        if let Some(empty) = as_postgres(value).filter(|_| array) {
            out.put_i32(12);
            out.put_slice(&empty);
            changed = true;
        } else {
            out.put_i32(length);
            out.put_slice(value);
        }
    }
    if !changed {
        return row;
    }
    DataRow::new(out, row.field_count)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(fields: &[Option<&[u8]>]) -> DataRow {
        let mut data = BytesMut::new();
        for f in fields {
            match f {
                Some(v) => {
                    data.put_i32(i32::try_from(v.len()).unwrap());
                    data.put_slice(v);
                }
                None => data.put_i32(-1),
            }
        }
        DataRow::new(data, i16::try_from(fields.len()).unwrap())
    }

    #[test]
    fn an_empty_array_has_no_dimensions() {
        let empty_one_dimension: [u8; 20] =
            [0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 25, 0, 0, 0, 0, 0, 0, 0, 1];
        let one_element: [u8; 28] = [
            0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 23, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 4, 0, 0, 0, 7,
        ];
        let rewritten = empty_arrays(
            row(&[Some(&empty_one_dimension), None, Some(&one_element)]),
            &[true, true, true],
        );
        let expected = row(&[
            Some(&[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 25]),
            None,
            Some(&one_element),
        ]);
        assert_eq!(rewritten.data, expected.data);
        // A field that is not an array keeps its bytes, whatever they are.
        let kept = empty_arrays(row(&[Some(&empty_one_dimension)]), &[false]);
        assert_eq!(kept.data, row(&[Some(&empty_one_dimension)]).data);
    }
}
