//! `as_of()`: the session's analysis instant T.

use std::sync::Arc;

use arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::common::config::ConfigOptions;
use datafusion::common::{Result, ScalarValue, exec_err};
use datafusion::logical_expr::simplify::{ExprSimplifyResult, SimplifyContext};
use datafusion::logical_expr::{
    ColumnarValue, Documentation, Expr, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDFImpl,
    Signature, Volatility,
};
use datafusion_macros::user_doc;

use crate::common::{UTC, timestamp_utc_type};
use crate::options::ConversqlOptions;

/// `as_of()`: the analysis instant T, from `conversql.as_of` or the query start time.
#[user_doc(
    doc_section(label = "Time and Date Functions"),
    description = r#"
Returns the analysis instant T as a `Timestamp(Microsecond, "UTC")`: the session option
`conversql.as_of` if it is set, otherwise the start time of the query (like `now()`, truncated to
the microsecond). The value is fixed during planning, so it is the same wherever it appears in a
statement.
"#,
    syntax_example = "as_of()",
    sql_example = r"```sql
> SET conversql.as_of = '2026-06-07T12:00:00Z';
> SELECT as_of() AS t;
+----------------------+
| t                    |
+----------------------+
| 2026-06-07T12:00:00Z |
+----------------------+
```"
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct AsOfFunc {
    signature: Signature,
}

impl Default for AsOfFunc {
    fn default() -> Self {
        Self::new()
    }
}

impl AsOfFunc {
    /// Creates the `as_of` function.
    pub fn new() -> Self {
        Self {
            signature: Signature::nullary(Volatility::Stable),
        }
    }
}

/// The `conversql.as_of` option of a session configuration, if set.
fn configured_as_of(config: &ConfigOptions) -> Option<i64> {
    config
        .extensions
        .get::<ConversqlOptions>()
        .and_then(ConversqlOptions::as_of)
}

/// An instant as the canonical timestamp scalar.
fn instant(micros: i64) -> ScalarValue {
    ScalarValue::TimestampMicrosecond(Some(micros), Some(Arc::from(UTC)))
}

impl ScalarUDFImpl for AsOfFunc {
    fn name(&self) -> &'static str {
        "as_of"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(timestamp_utc_type())
    }

    fn return_field_from_args(&self, _args: ReturnFieldArgs) -> Result<FieldRef> {
        Ok(Arc::new(Field::new(
            self.name(),
            timestamp_utc_type(),
            false,
        )))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        // Normally `simplify` has already replaced the call by a literal. But
        // the optimizer's constant folding calls this *before* `simplify`,
        // once per call site and without the query start time: answering
        // `Utc::now()` here would give each `as_of()` of a statement its own
        // slightly different instant. So, like DataFusion's `now()`, refuse
        // when no instant is configured; the constant folder then leaves the
        // call to `simplify`, which uses the query start time.
        if let Some(micros) = configured_as_of(&args.config_options) {
            Ok(ColumnarValue::Scalar(instant(micros)))
        } else {
            exec_err!(
                "as_of() without conversql.as_of set is replaced by the query start time \
             during planning and cannot be evaluated directly"
            )
        }
    }

    fn simplify(&self, args: Vec<Expr>, info: &SimplifyContext) -> Result<ExprSimplifyResult> {
        let micros = match configured_as_of(info.config_options()) {
            Some(micros) => micros,
            None => match info.query_execution_start_time() {
                Some(start) => start.timestamp_micros(),
                None => return Ok(ExprSimplifyResult::Original(args)),
            },
        };
        Ok(ExprSimplifyResult::Simplified(Expr::Literal(
            instant(micros),
            None,
        )))
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.doc()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use chrono::{DateTime, Utc};
    use datafusion::logical_expr::ScalarUDF;

    use crate::options::parse_instant;

    fn invoke(config: ConfigOptions) -> ScalarValue {
        match invoke_result(config).unwrap() {
            ColumnarValue::Scalar(s) => s,
            ColumnarValue::Array(_) => panic!("expected a scalar"),
        }
    }

    fn config_with(as_of: Option<i64>) -> ConfigOptions {
        let mut config = ConfigOptions::new();
        config
            .extensions
            .insert(ConversqlOptions::default().with_as_of(as_of));
        config
    }

    fn simplify(info: &SimplifyContext) -> ExprSimplifyResult {
        AsOfFunc::new().simplify(vec![], info).unwrap()
    }

    #[test]
    fn invoke_reads_the_configuration() {
        let noon = parse_instant("2026-06-07T12:00:00Z").unwrap();
        assert_eq!(invoke(config_with(Some(noon))), instant(noon));
    }

    fn invoke_result(config: ConfigOptions) -> Result<ColumnarValue> {
        AsOfFunc::new().invoke_with_args(ScalarFunctionArgs {
            args: vec![],
            arg_fields: vec![],
            number_rows: 1,
            return_field: Arc::new(Field::new("as_of", timestamp_utc_type(), false)),
            config_options: Arc::new(config),
        })
    }

    #[test]
    fn invoke_without_configuration_defers_to_simplify() {
        for config in [config_with(None), ConfigOptions::new()] {
            let err = invoke_result(config).unwrap_err().to_string();
            assert!(err.contains("conversql.as_of"), "{err}");
        }
    }

    #[test]
    fn simplify_prefers_the_configuration() {
        let noon = parse_instant("2026-06-07T12:00:00Z").unwrap();
        let info = SimplifyContext::builder()
            .with_config_options(Arc::new(config_with(Some(noon))))
            .with_current_time()
            .build();
        match simplify(&info) {
            ExprSimplifyResult::Simplified(Expr::Literal(value, None)) => {
                assert_eq!(value, instant(noon));
            }
            other => panic!("unexpected {other:?}"),
        }
        // Even without a query start time.
        let info = SimplifyContext::builder()
            .with_config_options(Arc::new(config_with(Some(noon))))
            .build();
        assert!(matches!(simplify(&info), ExprSimplifyResult::Simplified(_)));
    }

    #[test]
    fn simplify_uses_the_query_start_time() {
        let start = DateTime::parse_from_rfc3339("2026-06-07T12:00:00.123456789Z")
            .unwrap()
            .with_timezone(&Utc);
        let info = SimplifyContext::builder()
            .with_config_options(Arc::new(config_with(None)))
            .with_query_execution_start_time(Some(start))
            .build();
        match simplify(&info) {
            ExprSimplifyResult::Simplified(Expr::Literal(value, None)) => assert_eq!(
                value,
                instant(parse_instant("2026-06-07T12:00:00.123456Z").unwrap())
            ),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn simplify_without_anything_keeps_the_call() {
        let info = SimplifyContext::builder().build();
        assert!(matches!(
            simplify(&info),
            ExprSimplifyResult::Original(args) if args.is_empty()
        ));
    }

    #[test]
    fn return_field_is_a_non_null_utc_timestamp() {
        let udf = ScalarUDF::from(AsOfFunc::new());
        let field = udf
            .return_field_from_args(ReturnFieldArgs {
                arg_fields: &[],
                scalar_arguments: &[],
            })
            .unwrap();
        assert_eq!(field.data_type(), &timestamp_utc_type());
        assert!(!field.is_nullable());
    }
}
