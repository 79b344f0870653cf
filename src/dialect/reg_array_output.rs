//! The text of an array of OID-alias values (`proargtypes::regtype[]::text[]`):
//! each element printed as [`reg_output`](super::reg_output) prints one value.
//!
//! PostgreSQL's `array_out` calls the element type's output function, so
//! `'{16,25}'::regtype[]::text[]` is `{boolean,text}` (pgcli's function
//! completion reads argument types so). [`reg_output`](super::reg_output)
//! plans the text of such an array as `pg_oid_names(array, oids, names)`,
//! `oids` and `names` being the catalog's objects and their printed names
//! in the same order (two uncorrelated subqueries): each element is its
//! name, `-` for oid 0 and its digits for an oid naming nothing, as for one
//! value.

use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, ListBuilder, StringBuilder};
use arrow::datatypes::{DataType, Field};
use datafusion::common::{Result, exec_err};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};
use datafusion::prelude::SessionContext;

/// The name of the function [`reg_output`](super::reg_output) calls.
pub const FUNCTION: &str = "pg_oid_names";

/// Registers `pg_oid_names(oid[], oid[], text[]) -> text[]` (module docs).
pub fn register(ctx: &SessionContext) {
    ctx.register_udf(ScalarUDF::new_from_impl(OidNames {
        signature: Signature::any(3, Volatility::Stable),
    }));
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct OidNames {
    signature: Signature,
}

/// `list` (a list of integers) as its elements in `bigint`.
fn oids(list: &ArrayRef) -> Result<Vec<Option<i64>>> {
    let values = arrow::compute::cast(list, &DataType::Int64)?;
    Ok(values
        .as_primitive::<arrow::datatypes::Int64Type>()
        .iter()
        .collect())
}

/// The oid → name pairs of row `row` of `keys` and `names`.
fn pairs(keys: &ArrayRef, names: &ArrayRef, row: usize) -> Result<HashMap<i64, String>> {
    let (keys, names) = (keys.as_list::<i32>(), names.as_list::<i32>());
    if keys.is_null(row) || names.is_null(row) {
        return Ok(HashMap::new());
    }
    let oids = oids(&keys.value(row))?;
    let names = arrow::compute::cast(&names.value(row), &DataType::Utf8)?;
    let names = names.as_string::<i32>();
    if oids.len() != names.len() {
        return exec_err!("{FUNCTION}: {} oids and {} names", oids.len(), names.len());
    }
    Ok(oids
        .into_iter()
        .zip(names.iter())
        .filter_map(|(oid, name)| Some((oid?, name?.to_string())))
        .collect())
}

/// An oid's text: its name, `-` for 0, else its digits.
fn text(oid: i64, names: &HashMap<i64, String>) -> String {
    match names.get(&oid) {
        Some(name) => name.clone(),
        None if oid == 0 => "-".to_string(),
        None => oid.to_string(),
    }
}

impl ScalarUDFImpl for OidNames {
    fn name(&self) -> &'static str {
        FUNCTION
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(DataType::List(Arc::new(Field::new_list_field(
            DataType::Utf8,
            true,
        ))))
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let rows = args.number_rows;
        let arrays = args.args[0].to_array(rows)?;
        let Some(lists) = arrays.as_list_opt::<i32>() else {
            return exec_err!("{FUNCTION} of {}", arrays.data_type());
        };
        // The catalog's pairs are usually one value for every row: read once.
        let constant = match (&args.args[1], &args.args[2]) {
            (ColumnarValue::Scalar(k), ColumnarValue::Scalar(n)) => {
                let (k, n) = (k.to_array()?, n.to_array()?);
                Some(pairs(&k, &n, 0)?)
            }
            _ => None,
        };
        let keys = args.args[1].to_array(rows)?;
        let names = args.args[2].to_array(rows)?;
        let mut out = ListBuilder::new(StringBuilder::new());
        for row in 0..lists.len() {
            if lists.is_null(row) {
                out.append_null();
                continue;
            }
            let own;
            let map = if let Some(map) = &constant {
                map
            } else {
                own = pairs(&keys, &names, row)?;
                &own
            };
            for oid in oids(&lists.value(row))? {
                out.values().append_option(oid.map(|oid| text(oid, map)));
            }
            out.append(true);
        }
        Ok(ColumnarValue::Array(Arc::new(out.finish())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn elements_print_as_names_dash_or_digits() {
        let ctx = SessionContext::new();
        register(&ctx);
        let batches = ctx
            .sql(
                "SELECT pg_oid_names([16, 0, 99999, NULL], [16, 25], ['boolean', 'text'])::text AS t",
            )
            .await
            .unwrap()
            .collect()
            .await
            .unwrap();
        let text = arrow::util::pretty::pretty_format_batches(&batches)
            .unwrap()
            .to_string();
        assert!(text.contains("[boolean, -, 99999, ]"), "{text}");
    }
}
