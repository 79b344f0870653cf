//! `parse_ident(text [, strict])`: splits a qualified SQL identifier into its
//! parts (`'public."My Table"'` → `{public,My Table}`), lower-casing unquoted
//! parts, as Grafana's column picker calls it to tell `schema.table` from `table`.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, ListBuilder, StringBuilder};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Field};
use datafusion::common::{Result, ScalarValue, plan_err};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, TypeSignature,
    Volatility,
};
use datafusion::prelude::SessionContext;

/// The parts of `ident`, or an error naming what is malformed.
pub fn parse(ident: &str) -> std::result::Result<Vec<String>, String> {
    let mut parts = vec![];
    let mut chars = ident.trim().chars().peekable();
    loop {
        let mut part = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next() {
                    Some('"') if chars.peek() == Some(&'"') => {
                        chars.next();
                        part.push('"');
                    }
                    Some('"') => break,
                    Some(c) => part.push(c),
                    None => {
                        return Err(format!(
                            "string is not a valid identifier: \"{ident}\" (unclosed double quote)"
                        ));
                    }
                }
            }
        } else {
            while let Some(c) = chars.peek().copied().filter(|c| *c != '.') {
                chars.next();
                part.push(c.to_ascii_lowercase());
            }
            part = part.trim().to_string();
            if part.is_empty() {
                return Err(format!("string is not a valid identifier: \"{ident}\""));
            }
        }
        parts.push(part);
        match chars.next() {
            None => return Ok(parts),
            Some('.') => {}
            Some(c) => {
                return Err(format!(
                    "string is not a valid identifier: \"{ident}\" (unexpected {c:?})"
                ));
            }
        }
    }
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct ParseIdent {
    signature: Signature,
}

impl ScalarUDFImpl for ParseIdent {
    fn name(&self) -> &'static str {
        "parse_ident"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(DataType::List(Arc::new(Field::new(
            "item",
            DataType::Utf8,
            true,
        ))))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let input = match &args.args[0] {
            ColumnarValue::Scalar(s) => s.to_array_of_size(1)?,
            ColumnarValue::Array(a) => a.clone(),
        };
        let input = cast(&input, &DataType::Utf8)?;
        let input = input.as_string::<i32>();
        let mut out = ListBuilder::new(StringBuilder::new());
        for i in 0..input.len() {
            if input.is_null(i) {
                out.append_null();
                continue;
            }
            match parse(input.value(i)) {
                Ok(parts) => {
                    for p in parts {
                        out.values().append_value(p);
                    }
                    out.append(true);
                }
                Err(e) => return plan_err!("{e}"),
            }
        }
        let array: ArrayRef = Arc::new(out.finish());
        Ok(match &args.args[0] {
            ColumnarValue::Scalar(_) => {
                ColumnarValue::Scalar(ScalarValue::try_from_array(&array, 0)?)
            }
            ColumnarValue::Array(_) => ColumnarValue::Array(array),
        })
    }
}

/// Registers `parse_ident` in `ctx`.
pub fn register(ctx: &SessionContext) {
    let signature = Signature::one_of(
        vec![
            TypeSignature::Exact(vec![DataType::Utf8]),
            TypeSignature::Exact(vec![DataType::Utf8, DataType::Boolean]),
        ],
        Volatility::Immutable,
    );
    ctx.register_udf(ScalarUDF::new_from_impl(ParseIdent { signature }));
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn splits_quoted_and_unquoted_parts() {
        assert_eq!(
            parse("public.conversations").unwrap(),
            ["public", "conversations"]
        );
        assert_eq!(
            parse("Public.\"My \"\"T\"\"\"").unwrap(),
            ["public", "My \"T\""]
        );
        assert_eq!(parse("conversations").unwrap(), ["conversations"]);
        assert!(parse("a..b").is_err());
        assert!(parse("\"open").is_err());
    }

    #[tokio::test]
    async fn grafana_reads_the_parts() {
        let ctx = datafusion::prelude::SessionContext::new();
        super::register(&ctx);
        let rows = ctx
            .sql("SELECT array_length(parse_ident('public.conversations'), 1), (parse_ident('public.conversations'))[2]")
            .await
            .unwrap()
            .collect()
            .await
            .unwrap();
        let text = arrow::util::pretty::pretty_format_batches(&rows)
            .unwrap()
            .to_string();
        assert!(
            text.contains("| 2 ") && text.contains("conversations"),
            "{text}"
        );
    }
}
