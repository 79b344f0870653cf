//! `current_setting(name [, missing_ok])`, which Grafana (server version
//! detection, `search_path` for unqualified table names) and other tools call.
//! It answers the server's settings as `SHOW` reports them before any `SET`
//! (the fixed Postgres settings and `conversql.as_of`); a setting a client
//! changed with `SET` in its session is not seen here.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, StringBuilder};
use arrow::compute::cast;
use arrow::datatypes::DataType;
use datafusion::common::{Result, ScalarValue, plan_err};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, TypeSignature, Volatility,
};
use datafusion::prelude::SessionContext;

use crate::session::{AS_OF, FIXED_SETTINGS};

/// `current_setting`.
#[derive(Debug, PartialEq, Eq, Hash)]
struct CurrentSetting {
    signature: Signature,
}

/// The value of setting `name` (case-insensitive), as the server starts with it.
pub fn setting(name: &str, as_of: Option<&str>) -> Option<String> {
    let name = name.to_ascii_lowercase();
    if name == AS_OF {
        return Some(as_of.unwrap_or_default().to_string());
    }
    FIXED_SETTINGS.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string())
}

impl ScalarUDFImpl for CurrentSetting {
    fn name(&self) -> &str {
        "current_setting"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let missing_ok = match args.args.get(1) {
            Some(ColumnarValue::Scalar(ScalarValue::Boolean(Some(b)))) => *b,
            Some(ColumnarValue::Scalar(_)) | None => false,
            Some(ColumnarValue::Array(_)) => return plan_err!("current_setting: missing_ok must be a constant"),
        };
        let as_of = args
            .config_options
            .extensions
            .get::<conversql_udfs::ConversqlOptions>()
            .and_then(|o| o.as_of().map(conversql_udfs::format_instant));
        let names = match &args.args[0] {
            ColumnarValue::Scalar(s) => s.to_array_of_size(1)?,
            ColumnarValue::Array(a) => a.clone(),
        };
        let names = cast(&names, &DataType::Utf8)?;
        let names = names.as_string::<i32>();
        let mut out = StringBuilder::new();
        for i in 0..names.len() {
            if names.is_null(i) {
                out.append_null();
                continue;
            }
            match setting(names.value(i), as_of.as_deref()) {
                Some(v) => out.append_value(v),
                None if missing_ok => out.append_null(),
                None => return plan_err!("unrecognized configuration parameter \"{}\"", names.value(i)),
            }
        }
        let array: ArrayRef = Arc::new(out.finish());
        Ok(match &args.args[0] {
            ColumnarValue::Scalar(_) => ColumnarValue::Scalar(ScalarValue::try_from_array(&array, 0)?),
            ColumnarValue::Array(_) => ColumnarValue::Array(array),
        })
    }
}

/// Registers `current_setting` in `ctx`.
pub fn register(ctx: &SessionContext) {
    let signature = Signature::one_of(
        vec![
            TypeSignature::Exact(vec![DataType::Utf8]),
            TypeSignature::Exact(vec![DataType::Utf8, DataType::Boolean]),
        ],
        Volatility::Stable,
    );
    ctx.register_udf(ScalarUDF::new_from_impl(CurrentSetting { signature }));
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn current_setting_answers_the_server_settings() {
        let ctx = datafusion::prelude::SessionContext::new();
        super::register(&ctx);
        let sql = "SELECT current_setting('server_version_num')::int / 100, current_setting('search_path'), \
                   current_setting('no_such', true) IS NULL";
        let rows = ctx.sql(sql).await.unwrap().collect().await.unwrap();
        let text = arrow::util::pretty::pretty_format_batches(&rows).unwrap().to_string();
        assert!(text.contains("| 1600 "), "{text}");
        assert!(text.contains("| public "), "{text}");
        assert!(text.contains("| true "), "{text}");
        assert!(ctx.sql("SELECT current_setting('no_such')").await.unwrap().collect().await.is_err());
    }
}
