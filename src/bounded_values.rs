//! Functions that build large values, bounded by the query's memory limit.
//!
//! DataFusion's memory pool counts what operators buffer (sorts, joins,
//! aggregates), not what a scalar function allocates for its result: under
//! `--memory-limit 64MB`, `repeat('x', 500000000)` built 500 MB outside the
//! pool, and `repeat('x', 2000000000)` aborted the process on a failed
//! allocation. So every function that can build a value much larger than its
//! arguments is wrapped, per session, in a [`BoundedFunction`]. Before the
//! function runs, the wrapper computes an upper bound of what it will build
//! from the arguments (lengths and counts) and:
//! - refuses a single value over [`MAX_VALUE_BYTES`] (PostgreSQL caps a field
//!   at 1 GB) with SQLSTATE 54000, like PostgreSQL's `requested length too large`;
//! - reserves the whole result from the session's memory pool, so a result the
//!   limit cannot hold fails the query with 53200 instead of being allocated.
//!
//! The wrappers are volatile, so the planner does not fold a call with constant
//! arguments into one literal that a projection would then copy into every row
//! of a batch outside any check: each call is bounded for the rows it serves.

use std::hash::{Hash, Hasher};
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray};
use arrow::compute::cast;
use arrow::datatypes::{DataType, FieldRef};
use datafusion::common::{DataFusionError, Result, ScalarValue};
use datafusion::execution::memory_pool::{MemoryConsumer, MemoryPool};
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl,
    Signature, Volatility,
};
use datafusion::prelude::SessionContext;

use crate::error::ValueTooLarge;

pub use crate::limits::MAX_VALUE_BYTES;

/// How a function's result grows with its arguments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Growth {
    /// At most the sum of its arguments (`concat`, `make_array`, …).
    Sum,
    /// The first argument times the count in the second (`repeat`).
    Repeat,
    /// The length in the second argument, in characters of up to 4 bytes (`lpad`, `rpad`).
    Pad,
    /// Every character of the first argument replaced by the third (`replace`, `regexp_replace`).
    Replace,
    /// The count in the second argument of the first (or third) argument (`array_repeat`, `array_resize`).
    Elements,
    /// The elements of an integer range (`range`, `generate_series` as an array).
    Range,
}

/// The functions that are bounded, with how their results grow.
const BOUNDED: &[(&str, Growth)] = &[
    ("repeat", Growth::Repeat),
    ("lpad", Growth::Pad),
    ("rpad", Growth::Pad),
    ("concat", Growth::Sum),
    ("concat_ws", Growth::Sum),
    ("overlay", Growth::Sum),
    ("replace", Growth::Replace),
    ("regexp_replace", Growth::Replace),
    ("make_array", Growth::Sum),
    ("array_concat", Growth::Sum),
    ("array_append", Growth::Sum),
    ("array_prepend", Growth::Sum),
    ("array_repeat", Growth::Elements),
    ("array_resize", Growth::Elements),
    ("range", Growth::Range),
    ("generate_series", Growth::Range),
];

/// Wraps the session's value-building functions so that they count against `pool`.
pub fn register(ctx: &SessionContext, pool: Arc<dyn MemoryPool>) {
    let functions = ctx.state().scalar_functions().clone();
    for (name, growth) in BOUNDED {
        if let Some(inner) = functions.get(*name) {
            let bounded = BoundedFunction::new(inner.clone(), *growth, pool.clone());
            ctx.register_udf(ScalarUDF::new_from_impl(bounded));
        }
    }
}

/// A value-building function whose result is bounded before it is built (see the module docs).
#[derive(Debug)]
pub struct BoundedFunction {
    inner: Arc<ScalarUDF>,
    growth: Growth,
    signature: Signature,
    pool: Arc<dyn MemoryPool>,
}

impl BoundedFunction {
    fn new(inner: Arc<ScalarUDF>, growth: Growth, pool: Arc<dyn MemoryPool>) -> Self {
        let signature = Signature {
            volatility: Volatility::Volatile,
            ..inner.signature().clone()
        };
        BoundedFunction {
            inner,
            growth,
            signature,
            pool,
        }
    }

    /// The largest value and the total bytes a call over `args` may build.
    fn bound(&self, args: &ScalarFunctionArgs) -> (u64, u64) {
        let rows = args.number_rows.max(1);
        let sizes: Vec<Sizes> = args.args.iter().map(|a| Sizes::of(a, rows)).collect();
        let counts = |i: usize| -> Sizes {
            match args.args.get(i) {
                Some(arg) => Sizes::counts(arg, rows),
                None => Sizes::Same(0),
            }
        };
        let size = |i: usize| sizes.get(i).cloned().unwrap_or(Sizes::Same(0));
        let per_row: Sizes = match self.growth {
            Growth::Sum => sizes
                .iter()
                .fold(Sizes::Same(0), |acc, s| acc.zip(s, u64::saturating_add)),
            Growth::Repeat => size(0).zip(&counts(1), u64::saturating_mul),
            Growth::Pad => counts(1)
                .map(|n| n.saturating_mul(4))
                .zip(&size(0), u64::saturating_add),
            Growth::Replace => size(0).zip(&size(2), |text, with| {
                text.saturating_add(text.saturating_add(1).saturating_mul(with))
            }),
            Growth::Elements => {
                let element = if args.args.len() > 2 {
                    size(2).map(|s| s.max(16))
                } else {
                    Sizes::Same(16)
                };
                counts(1)
                    .zip(&element, u64::saturating_mul)
                    .zip(&size(0), u64::saturating_add)
            }
            Growth::Range => range_elements(args, rows).map(|n| n.saturating_mul(8)),
        };
        per_row.max_and_total(rows)
    }
}

/// The number of elements `range`/`generate_series` may produce per row (integer arguments;
/// other argument types are left to the function and bounded like a sum).
fn range_elements(args: &ScalarFunctionArgs, rows: usize) -> Sizes {
    let integers = args.args.iter().all(|a| a.data_type().is_integer());
    if !integers || args.args.is_empty() {
        return Sizes::Same(0);
    }
    let (start, stop, step) = match args.args.len() {
        1 => (
            Sizes::Same(0),
            Sizes::counts(&args.args[0], rows),
            Sizes::Same(1),
        ),
        2 => (
            Sizes::counts(&args.args[0], rows),
            Sizes::counts(&args.args[1], rows),
            Sizes::Same(1),
        ),
        _ => (
            Sizes::counts(&args.args[0], rows),
            Sizes::counts(&args.args[1], rows),
            Sizes::counts(&args.args[2], rows).map(|s| s.max(1)),
        ),
    };
    // Counts are clamped at 0, so a negative start or step bounds from above too.
    stop.zip(&start, u64::saturating_sub)
        .zip(&step, |span, step| span / step + 1)
}

/// A per-row quantity: the same for every row (a scalar argument) or one per row.
#[derive(Debug, Clone)]
enum Sizes {
    Same(u64),
    PerRow(Vec<u64>),
}

impl Sizes {
    /// The bytes of each row's value of `arg`.
    fn of(arg: &ColumnarValue, rows: usize) -> Sizes {
        match arg {
            ColumnarValue::Scalar(scalar) => Sizes::Same(scalar_bytes(scalar)),
            ColumnarValue::Array(array) => Sizes::PerRow(array_bytes(array, rows)),
        }
    }

    /// Each row's value of the integer argument `arg`, negative and NULL as 0.
    fn counts(arg: &ColumnarValue, rows: usize) -> Sizes {
        match arg {
            ColumnarValue::Scalar(scalar) => match scalar.cast_to(&DataType::Int64) {
                Ok(ScalarValue::Int64(Some(n))) => Sizes::Same(n.max(0) as u64),
                _ => Sizes::Same(0),
            },
            ColumnarValue::Array(array) => match cast(array, &DataType::Int64) {
                Ok(values) => {
                    let values = values.as_primitive::<arrow::datatypes::Int64Type>();
                    Sizes::PerRow(
                        (0..rows.min(values.len()))
                            .map(|i| {
                                if values.is_null(i) {
                                    0
                                } else {
                                    values.value(i).max(0) as u64
                                }
                            })
                            .collect(),
                    )
                }
                Err(_) => Sizes::Same(0),
            },
        }
    }

    fn map(self, f: impl Fn(u64) -> u64) -> Sizes {
        match self {
            Sizes::Same(v) => Sizes::Same(f(v)),
            Sizes::PerRow(v) => Sizes::PerRow(v.into_iter().map(f).collect()),
        }
    }

    fn zip(&self, other: &Sizes, f: impl Fn(u64, u64) -> u64) -> Sizes {
        match (self, other) {
            (Sizes::Same(a), Sizes::Same(b)) => Sizes::Same(f(*a, *b)),
            (Sizes::Same(a), Sizes::PerRow(b)) => {
                Sizes::PerRow(b.iter().map(|b| f(*a, *b)).collect())
            }
            (Sizes::PerRow(a), Sizes::Same(b)) => {
                Sizes::PerRow(a.iter().map(|a| f(*a, *b)).collect())
            }
            (Sizes::PerRow(a), Sizes::PerRow(b)) => {
                Sizes::PerRow(a.iter().zip(b).map(|(a, b)| f(*a, *b)).collect())
            }
        }
    }

    /// The largest row and the sum over `rows` rows.
    fn max_and_total(&self, rows: usize) -> (u64, u64) {
        match self {
            Sizes::Same(v) => (*v, v.saturating_mul(rows as u64)),
            Sizes::PerRow(v) => (
                v.iter().copied().max().unwrap_or(0),
                v.iter().fold(0u64, |a, b| a.saturating_add(*b)),
            ),
        }
    }
}

/// The bytes of a scalar's value (the characters of a string, the elements of a list).
fn scalar_bytes(scalar: &ScalarValue) -> u64 {
    match scalar {
        ScalarValue::Utf8(Some(s))
        | ScalarValue::LargeUtf8(Some(s))
        | ScalarValue::Utf8View(Some(s)) => s.len() as u64,
        other => other
            .size()
            .saturating_sub(std::mem::size_of::<ScalarValue>())
            .max(16) as u64,
    }
}

/// The bytes of each row's value of an array: exact for strings, the average row for others.
fn array_bytes(array: &ArrayRef, rows: usize) -> Vec<u64> {
    let n = rows.min(array.len());
    match array.data_type() {
        DataType::Utf8 => {
            let a = array.as_string::<i32>();
            (0..n).map(|i| a.value_length(i) as u64).collect()
        }
        DataType::LargeUtf8 => {
            let a = array.as_string::<i64>();
            (0..n).map(|i| a.value_length(i) as u64).collect()
        }
        DataType::Utf8View => {
            let a = array.as_string_view();
            (0..n).map(|i| a.value(i).len() as u64).collect()
        }
        _ => {
            let average = (array.get_array_memory_size() / array.len().max(1)).max(16) as u64;
            vec![average; n]
        }
    }
}

impl PartialEq for BoundedFunction {
    fn eq(&self, other: &Self) -> bool {
        self.inner == other.inner && Arc::ptr_eq(&self.pool, &other.pool)
    }
}

impl Eq for BoundedFunction {}

impl Hash for BoundedFunction {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.inner.hash(state);
    }
}

impl ScalarUDFImpl for BoundedFunction {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn aliases(&self) -> &[String] {
        self.inner.aliases()
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        self.inner.return_type(arg_types)
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        self.inner.return_field_from_args(args)
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        self.inner.coerce_types(arg_types)
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.inner.documentation()
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let name = self.inner.name().to_string();
        let (largest, total) = self.bound(&args);
        if largest > MAX_VALUE_BYTES as u64 {
            return Err(DataFusionError::External(Box::new(ValueTooLarge(format!(
                "{name}(): requested length too large: one value would hold up to {largest} bytes, more than the {MAX_VALUE_BYTES} a value may hold"
            )))));
        }
        let reservation = MemoryConsumer::new(format!("{name}()")).register(&self.pool);
        reservation.try_grow(total as usize).map_err(|e| {
            DataFusionError::ResourcesExhausted(format!(
                "{name}() would build {total} bytes for {} row(s): {}",
                args.number_rows,
                e.find_root()
            ))
        })?;
        let result = self.inner.invoke_with_args(args);
        drop(reservation);
        result
    }
}

#[cfg(test)]
mod tests {
    use datafusion::execution::memory_pool::GreedyMemoryPool;
    use datafusion::prelude::SessionContext;

    use super::*;

    async fn run(ctx: &SessionContext, sql: &str) -> Result<Vec<arrow::array::RecordBatch>> {
        ctx.sql(sql).await?.collect().await
    }

    fn session(limit: usize) -> SessionContext {
        let ctx = SessionContext::new();
        register(&ctx, Arc::new(GreedyMemoryPool::new(limit)));
        ctx
    }

    #[tokio::test]
    async fn results_over_the_pool_are_refused_before_they_are_built() {
        let ctx = session(64 << 20);
        for sql in [
            "SELECT length(repeat('x', 500000000))",
            "SELECT length(lpad('x', 100000000))",
            "SELECT length(rpad('x', 100000000, 'ab'))",
            "SELECT cardinality(array_repeat(1, 50000000))",
            "SELECT cardinality(range(1, 100000000))",
            "SELECT length(concat(v, v)) FROM (SELECT repeat('x', 40000000) AS v) t",
            "SELECT length(repeat('x', 10000)) FROM generate_series(1, 100000)",
        ] {
            let err = run(&ctx, sql).await.unwrap_err();
            assert!(
                matches!(err.find_root(), DataFusionError::ResourcesExhausted(_)),
                "{sql}: {err}"
            );
        }
        // Within the pool the answers are the functions' own.
        let batches = run(
            &ctx,
            "SELECT length(repeat('ab', 1000)) AS n, lpad('7', 3, '0') AS p",
        )
        .await
        .unwrap();
        let text = arrow::util::pretty::pretty_format_batches(&batches)
            .unwrap()
            .to_string();
        assert!(text.contains("2000") && text.contains("007"), "{text}");
    }

    #[tokio::test]
    async fn one_value_over_a_gigabyte_is_54000_whatever_the_pool() {
        let ctx = session(usize::MAX);
        let err = run(&ctx, "SELECT length(repeat('x', 2000000000))")
            .await
            .unwrap_err();
        let DataFusionError::External(inner) = err.find_root() else {
            panic!("{err}")
        };
        assert!(inner.downcast_ref::<ValueTooLarge>().is_some(), "{err}");
        assert!(
            err.to_string().contains("requested length too large"),
            "{err}"
        );
    }
}
