//! asyncpg's `oid[]`: the Arrow type conversql describes to clients as
//! `oid[]` ([`oid_array_type`], [`is_oid_array`]) and `pg_oid_array(…)`, which
//! marks a list of OIDs as one. The equivalent of asyncpg's type
//! introspection query (client_rules::asyncpg) returns its `attrtypoids`
//! column through it, since asyncpg reads only answers of types it has
//! codecs for.

use std::sync::Arc;

use arrow::datatypes::{DataType, Field};
use datafusion::common::{Result, exec_err};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};
use datafusion::prelude::SessionContext;

/// The Arrow type conversql uses for Postgres `oid[]`: a list of `Int32`
/// whose item carries the catalog's OID-alias metadata.
pub fn oid_array_type() -> DataType {
    let item = Field::new_list_field(DataType::Int32, true).with_metadata(
        [(
            arrow_pg::datatypes::PG_OID_ALIAS_KEY.to_string(),
            "oid".to_string(),
        )]
        .into_iter()
        .collect(),
    );
    DataType::List(Arc::new(item))
}

/// Whether `data_type` is [`oid_array_type`]: described to clients as `oid[]`.
pub fn is_oid_array(data_type: &DataType) -> bool {
    matches!(data_type, DataType::List(item)
        if item.data_type() == &DataType::Int32
            && item.metadata().get(arrow_pg::datatypes::PG_OID_ALIAS_KEY).is_some_and(|k| k == "oid"))
}

/// Registers `pg_oid_array(int[]) -> oid[]`, which marks a list of OIDs as `oid[]`.
pub fn register(ctx: &SessionContext) {
    ctx.register_udf(ScalarUDF::new_from_impl(OidArray {
        signature: Signature::any(1, Volatility::Immutable),
    }));
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct OidArray {
    signature: Signature,
}

impl ScalarUDFImpl for OidArray {
    fn name(&self) -> &'static str {
        "pg_oid_array"
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(oid_array_type())
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let [value] = args.args.as_slice() else {
            return exec_err!("pg_oid_array takes one array");
        };
        let array = value.to_array(args.number_rows)?;
        let plain = DataType::List(Arc::new(Field::new_list_field(DataType::Int32, true)));
        let array = arrow::compute::cast(&array, &plain)?;
        // Same layout; only the item field's metadata differs.
        let data = array
            .to_data()
            .into_builder()
            .data_type(oid_array_type())
            .build()?;
        Ok(ColumnarValue::Array(arrow::array::make_array(data)))
    }
}
