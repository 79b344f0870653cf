//! The Postgres catalog functions clients call that the catalog crate lacks or
//! answers differently: `version()`, `obj_description`, `col_description`,
//! `pg_function_is_visible`, `pg_get_function_result`,
//! `pg_get_function_arguments`, `pg_get_function_identity_arguments`,
//! `pg_get_viewdef`, `pg_get_indexdef` (NULL: no indexes), `current_setting` (the session's `conversql.*` settings, the server's defaults of the others), `set_config` (Postgres settings: no effect), `pg_get_serial_sequence`, `pg_table_is_visible` (true in the search path,
//! `public`), `json_build_object`, `shobj_description`, `pg_size_pretty`, `to_regtype`,
//! and `pg_like_escape`/`pg_ilike_escape` (the target of the `LIKE … ESCAPE` rewrite).

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, BooleanArray, Int32Array, Int64Array, StringArray};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Int64Type};
use datafusion::common::Result;
use datafusion::config::{ConfigOptions, ExtensionOptions};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, TypeSignature,
    Volatility,
};
use datafusion::prelude::SessionContext;

use super::functions::by_oid;
use super::index::{Index, PG_CLASS, PG_NAMESPACE, PG_PROC};
use super::rewrite::like;

/// The body of a catalog function: whole argument arrays to a result array.
type ArrayBody = dyn Fn(&[ArrayRef]) -> Result<ArrayRef> + Send + Sync;
/// The same, also given the session's configuration.
type Body = dyn Fn(&[ArrayRef], &ConfigOptions) -> Result<ArrayRef> + Send + Sync;

/// A scalar function defined by a closure over whole argument arrays.
struct Udf {
    name: &'static str,
    signature: Signature,
    returns: DataType,
    /// The PostgreSQL type of a text result Arrow cannot tell from `text`
    /// (`json`), see [`crate::pg_types::type_identity`].
    pg_type: Option<&'static str>,
    body: Box<Body>,
}

impl std::fmt::Debug for Udf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name)
    }
}

impl PartialEq for Udf {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}
impl Eq for Udf {}
impl std::hash::Hash for Udf {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.name.hash(state);
    }
}

impl ScalarUDFImpl for Udf {
    fn name(&self) -> &str {
        self.name
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(self.returns.clone())
    }
    fn return_field_from_args(
        &self,
        _args: datafusion::logical_expr::ReturnFieldArgs,
    ) -> Result<arrow::datatypes::FieldRef> {
        let field = arrow::datatypes::Field::new(self.name, self.returns.clone(), true);
        Ok(Arc::new(match self.pg_type {
            Some(pg_type) => crate::pg_types::type_identity::tagged(field, pg_type),
            None => field,
        }))
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        if arrays.is_empty() {
            let one = (self.body)(&[], &args.config_options)?;
            return Ok(ColumnarValue::Scalar(
                datafusion::common::ScalarValue::try_from_array(&one, 0)?,
            ));
        }
        Ok(ColumnarValue::Array((self.body)(
            &arrays,
            &args.config_options,
        )?))
    }
}

/// `pg_my_temp_schema()` answering `oid`, the session's temporary schema (0: none yet).
pub fn pg_my_temp_schema(oid: i32) -> ScalarUDF {
    datafusion::logical_expr::create_udf(
        "pg_my_temp_schema",
        vec![],
        DataType::Int32,
        Volatility::Stable,
        Arc::new(move |_args: &[ColumnarValue]| {
            Ok(ColumnarValue::Scalar(
                datafusion::common::ScalarValue::Int32(Some(oid)),
            ))
        }),
    )
}

/// A catalog function of whole argument arrays.
fn udf(
    name: &'static str,
    arities: &[usize],
    returns: DataType,
    body: Box<ArrayBody>,
) -> ScalarUDF {
    udf_with_config(name, arities, returns, Box::new(move |args, _| body(args)))
}

/// A catalog function of whole argument arrays and the session's configuration.
fn udf_with_config(
    name: &'static str,
    arities: &[usize],
    returns: DataType,
    body: Box<Body>,
) -> ScalarUDF {
    let signature = if arities.is_empty() {
        Signature::variadic_any(Volatility::Stable)
    } else {
        Signature::one_of(
            arities
                .iter()
                .map(|n| {
                    if *n == 0 {
                        TypeSignature::Nullary
                    } else {
                        TypeSignature::Any(*n)
                    }
                })
                .collect(),
            Volatility::Stable,
        )
    };
    ScalarUDF::new_from_impl(Udf {
        name,
        signature,
        returns,
        pg_type: None,
        body,
    })
}

/// A catalog function of whole argument arrays returning text of the
/// PostgreSQL type `pg_type` (`json`).
fn typed_udf(
    name: &'static str,
    returns: DataType,
    pg_type: &'static str,
    body: Box<ArrayBody>,
) -> ScalarUDF {
    ScalarUDF::new_from_impl(Udf {
        name,
        signature: Signature::variadic_any(Volatility::Stable),
        returns,
        pg_type: Some(pg_type),
        body: Box::new(move |args, _| body(args)),
    })
}

fn ints(array: &ArrayRef) -> Result<Vec<Option<i64>>> {
    let array = cast(array, &DataType::Int64)?;
    let array = array.as_primitive::<Int64Type>();
    Ok((0..array.len())
        .map(|i| (!array.is_null(i)).then(|| array.value(i)))
        .collect())
}

fn texts(array: &ArrayRef) -> Result<Vec<Option<String>>> {
    let array = cast(array, &DataType::Utf8)?;
    let array = array.as_string::<i32>();
    Ok((0..array.len())
        .map(|i| (!array.is_null(i)).then(|| array.value(i).to_string()))
        .collect())
}

fn class_oid(catalog: &str) -> Option<i32> {
    match catalog.trim_start_matches("pg_catalog.") {
        "pg_class" => Some(PG_CLASS),
        "pg_proc" => Some(PG_PROC),
        "pg_namespace" => Some(PG_NAMESPACE),
        "pg_type" => Some(1247),
        "pg_database" => Some(1262),
        "pg_constraint" => Some(2606),
        _ => None,
    }
}

/// The `version()` string: PostgreSQL-shaped, so clients that parse it
/// (SQLAlchemy, pgjdbc, BI tools) find the advertised server version.
pub fn version_string() -> String {
    format!(
        "PostgreSQL {} (conversql {}, Apache DataFusion) on {}-unknown-{}, 64-bit",
        crate::names::SERVER_VERSION,
        env!("CARGO_PKG_VERSION"),
        std::env::consts::ARCH,
        std::env::consts::OS
    )
}

/// Registers the functions in `ctx`; the descriptions come from `index`.
pub fn register(ctx: &SessionContext, index: Arc<Index>) {
    ctx.register_udf(udf(
        "version",
        &[0],
        DataType::Utf8,
        Box::new(|_| Ok(Arc::new(StringArray::from(vec![version_string()])) as ArrayRef)),
    ));
    let obj_index = index.clone();
    ctx.register_udf(udf(
        "obj_description",
        &[1, 2],
        DataType::Utf8,
        Box::new(move |args| {
            let oids = ints(&args[0])?;
            let catalogs = if args.len() > 1 {
                texts(&args[1])?
            } else {
                vec![None; oids.len()]
            };
            let out: StringArray = oids
                .iter()
                .zip(&catalogs)
                .map(|(oid, catalog)| {
                    let oid = (*oid)? as i32;
                    let classoid = match catalog {
                        Some(c) => Some(class_oid(c)?),
                        None => None,
                    };
                    obj_index.describe(oid, classoid, 0)
                })
                .collect();
            Ok(Arc::new(out) as ArrayRef)
        }),
    ));
    let col_index = index.clone();
    ctx.register_udf(udf(
        "col_description",
        &[2],
        DataType::Utf8,
        Box::new(move |args| {
            let oids = ints(&args[0])?;
            let attnums = ints(&args[1])?;
            let out: StringArray = oids
                .iter()
                .zip(&attnums)
                .map(|(oid, attnum)| match (oid, attnum) {
                    (Some(oid), Some(n)) if *n > 0 => {
                        col_index.describe(*oid as i32, Some(PG_CLASS), *n as i32)
                    }
                    _ => None,
                })
                .collect();
            Ok(Arc::new(out) as ArrayRef)
        }),
    ));
    ctx.register_udf(udf(
        "shobj_description",
        &[2],
        DataType::Utf8,
        Box::new(|args| Ok(Arc::new(StringArray::new_null(args[0].len())) as ArrayRef)),
    ));
    for name in [
        "pg_function_is_visible",
        "pg_type_is_visible",
        "pg_operator_is_visible",
        "pg_opclass_is_visible",
        "pg_collation_is_visible",
        "pg_conversion_is_visible",
        "pg_ts_config_is_visible",
    ] {
        ctx.register_udf(udf(
            name,
            &[1],
            DataType::Boolean,
            Box::new(|args| {
                let out: BooleanArray = ints(&args[0])?.iter().map(|o| o.map(|_| true)).collect();
                Ok(Arc::new(out) as ArrayRef)
            }),
        ));
    }
    type Describe = fn(&'static super::functions::Function) -> &'static str;
    let described: [(&'static str, Describe); 3] = [
        ("pg_get_function_result", |f| &f.result),
        ("pg_get_function_arguments", |f| &f.arguments),
        ("pg_get_function_identity_arguments", |f| &f.arguments),
    ];
    for (name, pick) in described {
        ctx.register_udf(udf(
            name,
            &[1],
            DataType::Utf8,
            Box::new(move |args| {
                let out: StringArray = ints(&args[0])?
                    .iter()
                    .map(|o| o.and_then(|o| by_oid(o as i32)).map(pick))
                    .collect();
                Ok(Arc::new(out) as ArrayRef)
            }),
        ));
    }
    let type_index = index.clone();
    ctx.register_udf(udf(
        "to_regtype",
        &[1],
        DataType::Int32,
        Box::new(move |args| {
            let out: Int32Array = texts(&args[0])?
                .iter()
                .map(|n| n.as_deref().and_then(|n| type_index.type_oid(n)))
                .collect();
            Ok(Arc::new(out) as ArrayRef)
        }),
    ));
    for (name, insensitive) in [("pg_like_escape", false), ("pg_ilike_escape", true)] {
        ctx.register_udf(udf(
            name,
            &[3],
            DataType::Boolean,
            Box::new(move |args| {
                let (values, patterns, escapes) =
                    (texts(&args[0])?, texts(&args[1])?, texts(&args[2])?);
                let out: BooleanArray = (0..values.len())
                    .map(|i| match (&values[i], &patterns[i], &escapes[i]) {
                        (Some(v), Some(p), Some(e)) => {
                            Some(like(v, p, e.chars().next(), insensitive))
                        }
                        _ => None,
                    })
                    .collect();
                Ok(Arc::new(out) as ArrayRef)
            }),
        ));
    }
    ctx.register_udf(udf(
        "pg_table_is_visible",
        &[1],
        DataType::Boolean,
        Box::new({
            let index = index.clone();
            move |args| {
                let snapshot = index.snapshot();
                let out: BooleanArray = ints(&args[0])?
                    .iter()
                    .map(|o| {
                        o.map(|o| {
                            snapshot.relation_schemas.get(&(o as i32)).is_none_or(|s| {
                                s == crate::names::PUBLIC_SCHEMA || s == "pg_catalog"
                            })
                        })
                    })
                    .collect();
                Ok(Arc::new(out) as ArrayRef)
            }
        }),
    ));
    ctx.register_udf(typed_udf(
        "json_build_object",
        DataType::Utf8,
        "json",
        Box::new(|args| {
            let columns: Vec<Vec<Option<String>>> =
                args.iter().map(texts).collect::<Result<_>>()?;
            let rows = args.first().map_or(1, arrow::array::Array::len);
            let out: StringArray = (0..rows)
                .map(|row| {
                    let mut object = serde_json::Map::new();
                    for pair in columns.chunks(2) {
                        let key = pair[0][row].clone().unwrap_or_default();
                        let value = pair.get(1).and_then(|c| c[row].clone());
                        object.insert(
                            key,
                            value.map_or(serde_json::Value::Null, serde_json::Value::String),
                        );
                    }
                    Some(serde_json::Value::Object(object).to_string())
                })
                .collect();
            Ok(Arc::new(out) as ArrayRef)
        }),
    ));
    let view_index = index.clone();
    ctx.register_udf(udf(
        "pg_get_viewdef",
        &[1, 2],
        DataType::Utf8,
        Box::new(move |args| {
            let snapshot = view_index.snapshot();
            let out: StringArray = ints(&args[0])?
                .iter()
                .map(|o| {
                    let relation = snapshot.relations.get(&(o.as_ref().copied()? as i32))?;
                    relation.definition.as_ref().map(|d| format!(" {d};"))
                })
                .collect();
            Ok(Arc::new(out) as ArrayRef)
        }),
    ));
    for name in ["pg_table_size", "pg_indexes_size", "pg_database_size"] {
        // Sizes of relations that live in object storage, not in pages: 0, as for an empty table.
        ctx.register_udf(udf(
            name,
            &[1],
            DataType::Int64,
            Box::new(|args| Ok(Arc::new(Int64Array::from(vec![0; args[0].len()])) as ArrayRef)),
        ));
    }
    // conversql has no indexes, and PostgreSQL answers NULL for an OID that is
    // not an index: `pg_get_indexdef(oid[, column, pretty])` is NULL for every OID.
    ctx.register_udf(udf(
        "pg_get_indexdef",
        &[1, 3],
        DataType::Utf8,
        Box::new(|args| Ok(Arc::new(StringArray::new_null(args[0].len())) as ArrayRef)),
    ));
    // A session has no temporary schema until it creates its first temporary
    // view (the session then registers its own, see `temp_relations`):
    // PostgreSQL answers 0 then. No session sees another's temporary schema,
    // so `pg_is_other_temp_schema` is false for every schema it can name.
    ctx.register_udf(pg_my_temp_schema(0));
    ctx.register_udf(udf(
        "pg_is_other_temp_schema",
        &[1],
        DataType::Boolean,
        Box::new(|args| Ok(Arc::new(BooleanArray::from(vec![false; args[0].len()])) as ArrayRef)),
    ));
    ctx.register_udf(udf(
        "pg_get_function_sqlbody",
        &[1],
        DataType::Utf8,
        Box::new(|args| Ok(Arc::new(StringArray::new_null(args[0].len())) as ArrayRef)),
    ));
    ctx.register_udf(ScalarUDF::new_from_impl(ArrayToString {
        inner: datafusion::functions_nested::string::array_to_string_udf(),
        signature: Signature::user_defined(Volatility::Immutable),
    }));
    ctx.register_udf(udf_with_config(
        "current_setting",
        &[1, 2],
        DataType::Utf8,
        Box::new(|args, config| {
            // conversql's own settings are the session's; Postgres' are the server's defaults.
            let conversql = conversql_udfs::ConversqlOptions::of_options(config).entries();
            let names = texts(&args[0])?;
            let missing_ok = match args.get(1) {
                Some(a) => cast(a, &DataType::Boolean)?.as_boolean().iter().map(|b| b.unwrap_or(false)).collect(),
                None => vec![false; names.len()],
            };
            let out = names
                .iter()
                .zip(missing_ok)
                .map(|(name, missing_ok)| match name {
                    None => Ok(None),
                    Some(name) => match conversql
                        .iter()
                        .find(|e| e.key.eq_ignore_ascii_case(name))
                        .map(|e| e.value.clone().unwrap_or_default())
                        .or_else(|| crate::settings::default_setting(name).map(str::to_string))
                    {
                        Some(value) => Ok(Some(value)),
                        None if missing_ok => Ok(None),
                        None => Err(datafusion::error::DataFusionError::Plan(format!(
                            "unrecognized configuration parameter \"{name}\" (current_setting reports server defaults; use SHOW for this session's value)"
                        ))),
                    },
                })
                .collect::<Result<StringArray>>()?;
            Ok(Arc::new(out) as ArrayRef)
        }),
    ));
    ctx.register_udf(udf(
        "set_config",
        &[3],
        DataType::Utf8,
        Box::new(|args| {
            // Postgres' own settings (jit, work_mem, …) do not steer conversql, so
            // setting them is accepted and has no effect, as SET does; conversql's
            // and DataFusion's settings are changed with SET only.
            let names = texts(&args[0])?;
            let values = texts(&args[1])?;
            for name in names.iter().flatten() {
                let lower = name.to_ascii_lowercase();
                if lower.starts_with("conversql.") || lower.starts_with("datafusion.") {
                    return Err(datafusion::error::DataFusionError::Plan(format!(
                        "set_config cannot change \"{name}\"; use SET {name} = …"
                    )));
                }
            }
            Ok(Arc::new(StringArray::from(values)) as ArrayRef)
        }),
    ));
    ctx.register_udf(udf(
        "pg_get_serial_sequence",
        &[2],
        DataType::Utf8,
        Box::new(|args| Ok(Arc::new(StringArray::new_null(args[0].len())) as ArrayRef)),
    ));
    ctx.register_udf(udf(
        "pg_size_pretty",
        &[1],
        DataType::Utf8,
        Box::new(|args| {
            let out: StringArray = ints(&args[0])?.iter().map(|b| b.map(size_pretty)).collect();
            Ok(Arc::new(out) as ArrayRef)
        }),
    ));
}

/// `array_to_string` that also accepts the text the catalog stores for
/// Postgres arrays such as ACLs (`nspacl`, `proacl`, `datacl`), which psql's
/// `\dn+`, `\df+` and `\l+` pass to it; lists go to DataFusion's own function.
#[derive(Debug, PartialEq, Eq, Hash)]
struct ArrayToString {
    inner: Arc<ScalarUDF>,
    signature: Signature,
}

impl ScalarUDFImpl for ArrayToString {
    fn name(&self) -> &'static str {
        "array_to_string"
    }
    /// The built-in's aliases too: a session state rebuilt from this one
    /// (per-user sessions) must not bring the built-in back under its aliases.
    fn aliases(&self) -> &[String] {
        self.inner.aliases()
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }
    fn coerce_types(&self, args: &[DataType]) -> Result<Vec<DataType>> {
        let list = args.first().is_some_and(|t| {
            matches!(
                t,
                DataType::List(_) | DataType::LargeList(_) | DataType::FixedSizeList(..)
            )
        });
        Ok(args
            .iter()
            .enumerate()
            .map(|(i, t)| {
                if list && i == 0 {
                    t.clone()
                } else {
                    DataType::Utf8
                }
            })
            .collect())
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let is_list = matches!(
            args.args
                .first()
                .map(datafusion::logical_expr::ColumnarValue::data_type),
            Some(DataType::List(_) | DataType::LargeList(_) | DataType::FixedSizeList(..))
        );
        if is_list {
            return self.inner.invoke_with_args(args);
        }
        match args.args.first() {
            Some(value) => Ok(value.cast_to(&DataType::Utf8, None)?),
            None => Ok(ColumnarValue::Scalar(
                datafusion::common::ScalarValue::Utf8(None),
            )),
        }
    }
}

/// Postgres' `pg_size_pretty`: bytes, kB, MB, GB, TB (1024-based, rounded).
fn size_pretty(bytes: i64) -> String {
    let mut value = bytes as f64;
    for unit in ["bytes", "kB", "MB", "GB"] {
        if value.abs() < 10.0 * 1024.0 {
            return format!("{} {unit}", value.round() as i64);
        }
        value /= 1024.0;
    }
    format!("{} TB", value.round() as i64)
}
