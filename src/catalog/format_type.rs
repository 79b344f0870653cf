//! `format_type(oid, typmod)` for every type PostgreSQL 16 has. The catalog
//! crate's `format_type` names the common types (with their modifiers) and a
//! fixed list of array types; any other oid comes out as `oid(N)`, where
//! PostgreSQL names the type: `name[]` (1003), `"char"[]`, `oid[]`,
//! `interval[]`, `regtype`, `oidvector`, …
//!
//! This function keeps the crate's answer where it names the type and
//! otherwise names it from pgwire's table of PostgreSQL's built-in types: an
//! array type as its element's name with `[]`, any other type by its
//! `typname`. An oid that is no type stays the crate's `oid(N)`.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, Int32Array, StringArray};
use arrow::datatypes::{DataType, Field, Int32Type};
use datafusion::common::Result;
use datafusion::config::ConfigOptions;
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature,
};
use datafusion::prelude::SessionContext;
use pgwire::api::Type;
use postgres_types::Kind;

/// `format_type` over the catalog crate's (see the module docs).
#[derive(Debug, PartialEq, Eq, Hash)]
struct FormatType {
    inner: Arc<ScalarUDF>,
}

impl FormatType {
    /// The crate's answer for one `oid` with no modifier.
    fn inner_name(&self, oid: i32, config: &Arc<ConfigOptions>) -> Result<Option<String>> {
        let args = vec![
            ColumnarValue::Scalar(datafusion::common::ScalarValue::Int32(Some(oid))),
            ColumnarValue::Scalar(datafusion::common::ScalarValue::Int32(None)),
        ];
        let result = self.inner.invoke_with_args(ScalarFunctionArgs {
            args,
            arg_fields: vec![
                Arc::new(Field::new("oid", DataType::Int32, true)),
                Arc::new(Field::new("typmod", DataType::Int32, true)),
            ],
            number_rows: 1,
            return_field: Arc::new(Field::new("format_type", DataType::Utf8, true)),
            config_options: Arc::clone(config),
        })?;
        let array = result.into_array(1)?;
        let text = arrow::compute::cast(&array, &DataType::Utf8)?;
        let text = text.as_string::<i32>();
        Ok((!text.is_null(0)).then(|| text.value(0).to_string()))
    }

    /// PostgreSQL's name of the type `oid`, where the crate has none.
    fn name_of(&self, oid: i32, config: &Arc<ConfigOptions>) -> Result<Option<String>> {
        let Some(pg_type) = u32::try_from(oid).ok().and_then(Type::from_oid) else {
            return Ok(None);
        };
        Ok(match pg_type.kind() {
            // `int2vector` and `oidvector` are arrays to pgwire, types of their own to PostgreSQL.
            Kind::Array(element) if pg_type.name().starts_with('_') => {
                let element_oid = element.oid() as i32;
                let name = match self.inner_name(element_oid, config)? {
                    Some(n) if !is_unnamed(&n) => Some(n),
                    _ => self.name_of(element_oid, config)?,
                };
                name.map(|n| format!("{n}[]"))
            }
            _ => Some(pg_type.name().to_string()),
        })
    }
}

/// Whether the crate's answer is its placeholder for a type it does not know.
fn is_unnamed(name: &str) -> bool {
    name.starts_with("oid(")
}

impl ScalarUDFImpl for FormatType {
    fn name(&self) -> &'static str {
        "format_type"
    }
    fn signature(&self) -> &Signature {
        self.inner.signature()
    }
    fn return_type(&self, args: &[DataType]) -> Result<DataType> {
        self.inner.return_type(args)
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let rows = args.number_rows;
        let oids = args.args[0].clone().into_array(rows)?;
        let config = Arc::clone(&args.config_options);
        let named = self.inner.invoke_with_args(args)?.into_array(rows)?;
        let named = arrow::compute::cast(&named, &DataType::Utf8)?;
        let named = named.as_string::<i32>();
        if !named.iter().flatten().any(is_unnamed) {
            return Ok(ColumnarValue::Array(Arc::new(named.clone())));
        }
        let oids = arrow::compute::cast(&oids, &DataType::Int32)?;
        let oids: &Int32Array = oids.as_primitive::<Int32Type>();
        let mut out = Vec::with_capacity(rows);
        for (i, name) in named.iter().enumerate() {
            out.push(match name {
                Some(n) if is_unnamed(n) && !oids.is_null(i) => Some(
                    self.name_of(oids.value(i), &config)?
                        .unwrap_or_else(|| n.to_string()),
                ),
                other => other.map(str::to_string),
            });
        }
        Ok(ColumnarValue::Array(
            Arc::new(StringArray::from(out)) as ArrayRef
        ))
    }
}

/// Registers `format_type` over the one `ctx` has (the catalog crate's).
pub fn register(ctx: &SessionContext) {
    if let Some(inner) = ctx.state().scalar_functions().get("format_type").cloned() {
        ctx.register_udf(ScalarUDF::new_from_impl(FormatType { inner }));
    }
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn every_built_in_type_has_its_name() {
        let mut session = crate::Engine::open(crate::EngineOptions {
            data: concat!(env!("CARGO_MANIFEST_DIR"), "/data").into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .session();
        let rows = super::super::tests::rows(
            &mut session,
            "SELECT format_type(1003, NULL), format_type(1002, NULL), format_type(1028, NULL), \
             format_type(2206, NULL), format_type(30, NULL), format_type(1009, NULL), \
             format_type(1043, 36), format_type(999999, NULL)",
        )
        .await;
        assert_eq!(
            rows,
            [[
                "name[]",
                "\"char\"[]",
                "oid[]",
                "regtype",
                "oidvector",
                "text[]",
                "character varying(32)",
                "oid(999999)"
            ]]
        );
    }
}
