//! `pg_get_constraintdef(oid [, pretty])` with `pretty` of any type.
//! SQLAlchemy (Superset's foreign-key and unique-constraint reflection) binds
//! `pretty` as a parameter, which reaches conversql as text (`'t'`), and the
//! catalog crate's version accepts only a boolean there. conversql has no
//! constraints (`pg_constraint` is empty), so the definition of any oid is
//! NULL, as PostgreSQL answers for an oid that is not a constraint.

use arrow::array::new_null_array;
use arrow::datatypes::DataType;
use datafusion::common::{Result, ScalarValue};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, TypeSignature,
    Volatility,
};
use datafusion::prelude::SessionContext;

#[derive(Debug, PartialEq, Eq, Hash)]
struct PgGetConstraintDef {
    signature: Signature,
}

impl ScalarUDFImpl for PgGetConstraintDef {
    fn name(&self) -> &'static str {
        "pg_get_constraintdef"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        Ok(match &args.args[0] {
            ColumnarValue::Scalar(_) => ColumnarValue::Scalar(ScalarValue::Utf8(None)),
            ColumnarValue::Array(a) => {
                ColumnarValue::Array(new_null_array(&DataType::Utf8, a.len()))
            }
        })
    }
}

/// Registers `pg_get_constraintdef` in `ctx`, replacing the catalog crate's.
pub fn register(ctx: &SessionContext) {
    let signature = Signature::one_of(
        vec![TypeSignature::Any(1), TypeSignature::Any(2)],
        Volatility::Stable,
    );
    ctx.register_udf(ScalarUDF::new_from_impl(PgGetConstraintDef { signature }));
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn any_pretty_argument_and_no_definition() {
        let ctx = datafusion::prelude::SessionContext::new();
        super::register(&ctx);
        let rows = ctx
            .sql("SELECT pg_get_constraintdef(1, 't') IS NULL AS a, pg_get_constraintdef(2, true) IS NULL AS b, pg_get_constraintdef(3) IS NULL AS c")
            .await
            .unwrap()
            .collect()
            .await
            .unwrap();
        let text = arrow::util::pretty::pretty_format_batches(&rows)
            .unwrap()
            .to_string();
        assert!(text.contains("| true | true | true |"), "{text}");
    }
}
