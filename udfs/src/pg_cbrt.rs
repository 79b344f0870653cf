//! `cbrt(x)`: PostgreSQL's cube root, which is the C library's `cbrt`
//! (`float.c`'s `dcbrt`). glibc's `cbrt` is not correctly rounded:
//! `cbrt(27)` is `3.0000000000000004`. Rust's `f64::cbrt`, which
//! DataFusion's `cbrt` uses, is a correctly rounded port and gives `3`, so
//! this function calls the C library's, as PostgreSQL does.

use std::sync::{Arc, OnceLock};

use arrow::array::{Array, AsArray, Float64Array};
use arrow::datatypes::{DataType, Float64Type};
use datafusion::common::{Result, plan_err};
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};
use datafusion_macros::user_doc;

use crate::common::{to_arrays, to_columnar};

/// The C library's `cbrt`, looked up in `libm.so.6` at run time: a static
/// `extern "C"` declaration binds to the Rust toolchain's own `cbrt`
/// (compiler-builtins' port of musl's), not the C library's.
fn c_library_cbrt() -> Option<extern "C" fn(f64) -> f64> {
    static CBRT: OnceLock<Option<extern "C" fn(f64) -> f64>> = OnceLock::new();
    *CBRT.get_or_init(|| {
        // SAFETY: dlopen/dlsym with NUL-terminated names; the handle is kept
        // open for the process, and `cbrt` has the C signature `double(double)`.
        unsafe {
            let libm = libc::dlopen(c"libm.so.6".as_ptr(), libc::RTLD_NOW);
            if libm.is_null() {
                return None;
            }
            let symbol = libc::dlsym(libm, c"cbrt".as_ptr());
            (!symbol.is_null()).then(|| {
                std::mem::transmute::<*mut libc::c_void, extern "C" fn(f64) -> f64>(symbol)
            })
        }
    })
}

/// The cube root of `x` as PostgreSQL computes it: the C library's where
/// there is one (glibc), else Rust's.
fn c_cbrt(x: f64) -> f64 {
    match c_library_cbrt() {
        Some(cbrt) => cbrt(x),
        None => x.cbrt(),
    }
}

/// `cbrt(x)`: the cube root of `x`.
#[user_doc(
    doc_section(label = "Math Functions"),
    description = "The cube root of `x` as a double precision, computed by the C library's `cbrt` \
as PostgreSQL computes it (so `cbrt(27)` is `3.0000000000000004` with glibc, as in PostgreSQL). \
Returns NULL if `x` is NULL.",
    syntax_example = "cbrt(x)",
    sql_example = r"```sql
> SELECT cbrt(-8) AS c;
+------+
| c    |
+------+
| -2.0 |
+------+
```",
    argument(name = "x", description = "A number, read as a double precision.")
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct PgCbrtFunc {
    signature: Signature,
}

impl Default for PgCbrtFunc {
    fn default() -> Self {
        Self::new()
    }
}

impl PgCbrtFunc {
    /// Creates the `cbrt` function.
    pub fn new() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

impl ScalarUDFImpl for PgCbrtFunc {
    fn name(&self) -> &'static str {
        "cbrt"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        match arg_types {
            [t] if t.is_numeric() || t.is_null() => Ok(vec![DataType::Float64]),
            _ => plan_err!("cbrt takes one number, got {arg_types:?}"),
        }
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Float64)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let (arrays, all_scalar) = to_arrays(&args.args)?;
        let values = arrays[0].as_primitive::<Float64Type>();
        let result: Float64Array = values.iter().map(|v| v.map(c_cbrt)).collect();
        to_columnar(Arc::new(result) as Arc<dyn Array>, all_scalar)
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.doc()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::common::test_util::{invoke, to_scalar};
    use datafusion::common::ScalarValue;

    fn cbrt_of(x: Option<f64>) -> ScalarValue {
        to_scalar(
            invoke(
                &PgCbrtFunc::new(),
                vec![ColumnarValue::Scalar(ScalarValue::Float64(x))],
            )
            .unwrap(),
        )
    }

    #[test]
    fn cube_roots_are_the_c_librarys() {
        // glibc's cbrt(27) is one ulp above 3, as PostgreSQL on Debian prints it.
        assert!(c_library_cbrt().is_some(), "libm.so.6 has cbrt");
        assert_eq!(
            cbrt_of(Some(27.0)),
            ScalarValue::Float64(Some(f64::from_bits(0x4008_0000_0000_0001)))
        );
        assert_eq!(cbrt_of(Some(-8.0)), ScalarValue::Float64(Some(-2.0)));
        assert_eq!(cbrt_of(None), ScalarValue::Float64(None));
    }
}
