//! `pg_get_ruledef(oid [, pretty])`. conversql's rewrite rules (`pg_rewrite`)
//! are the `_RETURN` rules of its views and the two of `pg_settings`, whose
//! definitions PostgreSQL prints as `CREATE RULE … AS ON SELECT TO … DO
//! INSTEAD …`; that text is not produced, so a call on any oid fails with
//! SQLSTATE 0A000 instead of answering something else. A NULL oid is NULL. pgcli's `\d` asks for the rules
//! other than `_RETURN`, so its query plans and, with no such rule, answers
//! PostgreSQL's empty result.

use arrow::array::{Array, new_null_array};
use arrow::datatypes::DataType;
use conversql_udfs::SqlError;
use datafusion::common::{Result, ScalarValue};
use datafusion::error::DataFusionError;
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, TypeSignature,
    Volatility,
};
use datafusion::prelude::SessionContext;

#[derive(Debug, PartialEq, Eq, Hash)]
struct PgGetRuleDef {
    signature: Signature,
}

fn unsupported() -> DataFusionError {
    DataFusionError::External(Box::new(SqlError::unsupported(
        "pg_get_ruledef: the definition of a rule is not supported \
         (a view's query is pg_get_viewdef)",
    )))
}

impl ScalarUDFImpl for PgGetRuleDef {
    fn name(&self) -> &'static str {
        "pg_get_ruledef"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        match &args.args[0] {
            ColumnarValue::Scalar(v) if v.is_null() => {
                Ok(ColumnarValue::Scalar(ScalarValue::Utf8(None)))
            }
            ColumnarValue::Array(a) if a.null_count() == a.len() => Ok(ColumnarValue::Array(
                new_null_array(&DataType::Utf8, a.len()),
            )),
            _ => Err(unsupported()),
        }
    }
}

/// Registers `pg_get_ruledef` in `ctx`.
pub fn register(ctx: &SessionContext) {
    let signature = Signature::one_of(
        vec![TypeSignature::Any(1), TypeSignature::Any(2)],
        Volatility::Stable,
    );
    ctx.register_udf(ScalarUDF::new_from_impl(PgGetRuleDef { signature }));
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn no_rule_no_call_any_rule_an_error() {
        let ctx = datafusion::prelude::SessionContext::new();
        super::register(&ctx);
        let none = ctx
            .sql("SELECT pg_get_ruledef(x, true) AS d FROM (VALUES (1)) t(x) WHERE x > 1")
            .await
            .unwrap()
            .collect()
            .await
            .unwrap();
        assert_eq!(
            none.iter()
                .map(arrow::array::RecordBatch::num_rows)
                .sum::<usize>(),
            0
        );
        let err = ctx
            .sql("SELECT pg_get_ruledef(12003) AS d")
            .await
            .unwrap()
            .collect()
            .await
            .unwrap_err();
        assert!(err.to_string().contains("pg_get_ruledef"), "{err}");
    }
}
