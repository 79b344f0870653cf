//! psql's `\d+` folds a relation's TOAST options into its storage options with
//! `c.reloptions || array(select 'toast.' || x from pg_catalog.unnest(tc.reloptions) x)`,
//! an `ARRAY(subquery)` correlated with the outer row, which DataFusion cannot
//! plan. The rewrite replaces that subquery, of the form
//! `array(select '<prefix>' || x from [pg_catalog.]unnest(<array>) x)`, with
//! `pg_prefix_elements(<array>, '<prefix>')`: the same array of each element
//! with the prefix in front, and `{}` (not NULL) for a NULL array, as
//! `ARRAY(…)` over no rows gives.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, ListBuilder, StringBuilder};
use arrow::datatypes::{DataType, Field};
use datafusion::common::{Result, exec_err};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};
use datafusion::prelude::SessionContext;

/// The rewritten text, or `None` when `sql` has no such subquery.
pub fn rewrite_sql(sql: &str) -> Option<String> {
    let lower = sql.to_ascii_lowercase();
    let start = lower.find("array(select '")?;
    let prefix_start = start + "array(select '".len();
    let prefix_len = lower[prefix_start..].find('\'')?;
    let prefix = &sql[prefix_start..prefix_start + prefix_len];
    let rest = lower[prefix_start + prefix_len + 1..].trim_start();
    let after_concat = rest.strip_prefix("|| x from ")?;
    let after_unnest = after_concat
        .strip_prefix("pg_catalog.unnest(")
        .or_else(|| after_concat.strip_prefix("unnest("))?;
    let array_len = after_unnest.find(')')?;
    let array_expr = after_unnest[..array_len].trim();
    if array_expr.is_empty()
        || !array_expr
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
    {
        return None;
    }
    let tail = after_unnest[array_len + 1..]
        .trim_start()
        .strip_prefix('x')?
        .trim_start()
        .strip_prefix(')')?;
    let end = lower.len() - tail.len();
    Some(format!(
        "{}pg_prefix_elements({array_expr}, '{prefix}'){}",
        &sql[..start],
        &sql[end..]
    ))
}

/// Registers `pg_prefix_elements(text[], text) -> text[]`.
pub fn register(ctx: &SessionContext) {
    ctx.register_udf(ScalarUDF::new_from_impl(PrefixElements::new()));
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct PrefixElements {
    signature: Signature,
}

impl PrefixElements {
    fn new() -> Self {
        PrefixElements {
            signature: Signature::any(2, Volatility::Immutable),
        }
    }
}

impl ScalarUDFImpl for PrefixElements {
    fn name(&self) -> &'static str {
        "pg_prefix_elements"
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::List(Arc::new(Field::new_list_field(
            DataType::Utf8,
            true,
        ))))
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let rows = args.number_rows;
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let [list, prefix] = arrays.as_slice() else {
            return exec_err!("pg_prefix_elements takes an array and a prefix");
        };
        let list = arrow::compute::cast(list, &self.return_type(&[])?)?;
        let prefix = arrow::compute::cast(prefix, &DataType::Utf8)?;
        let (list, prefix) = (list.as_list::<i32>(), prefix.as_string::<i32>());
        let mut out = ListBuilder::new(StringBuilder::new());
        for row in 0..rows {
            if !list.is_null(row) {
                let values = list.value(row);
                let values = values.as_string::<i32>();
                for i in 0..values.len() {
                    if values.is_null(i) || prefix.is_null(row) {
                        out.values().append_null();
                    } else {
                        out.values().append_value(format!(
                            "{}{}",
                            prefix.value(row),
                            values.value(i)
                        ));
                    }
                }
            }
            out.append(true);
        }
        Ok(ColumnarValue::Array(Arc::new(out.finish()) as ArrayRef))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn psql_describe_form_is_rewritten() {
        let sql = "SELECT pg_catalog.array_to_string(c.reloptions || array(select 'toast.' || x from pg_catalog.unnest(tc.reloptions) x), ', ')\n, c.reltablespace";
        assert_eq!(
            rewrite_sql(sql).unwrap(),
            "SELECT pg_catalog.array_to_string(c.reloptions || pg_prefix_elements(tc.reloptions, 'toast.'), ', ')\n, c.reltablespace"
        );
        assert!(rewrite_sql("SELECT array(select 1)").is_none());
        assert!(rewrite_sql("SELECT array(select 'a' || x from unnest(f(y)) x)").is_none());
    }

    #[tokio::test]
    async fn prefixes_each_element_and_gives_an_empty_array_for_null() {
        let ctx = SessionContext::new();
        register(&ctx);
        let sql = "SELECT array_to_string(pg_prefix_elements(make_array('a=1', 'b=2'), 'toast.'), ', ') AS s, \
                   cardinality(pg_prefix_elements(CAST(NULL AS VARCHAR[]), 'toast.')) AS n";
        let batches = ctx.sql(sql).await.unwrap().collect().await.unwrap();
        let text = arrow::util::pretty::pretty_format_batches(&batches)
            .unwrap()
            .to_string();
        assert!(text.contains("toast.a=1, toast.b=2"), "{text}");
        assert!(text.contains("| 0 "), "{text}");
    }
}
