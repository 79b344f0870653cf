//! `substring(text FROM pattern)`: PostgreSQL's regular-expression
//! substring (`textregexsubstr`). PostgreSQL resolves `substring(s FROM
//! '…')` and `substring(s, '…')` with a string second argument to the
//! pattern form: the part of `s` matched by the pattern's first
//! parenthesised group if it has one, else by the whole pattern; NULL when
//! nothing matches. DataFusion plans every `SUBSTRING … FROM` as the
//! positional `substr`, which fails to read `'[0-9]+'` as a position.
//!
//! [`SubstringPlanner`] plans the syntax with a string-literal `FROM` as
//! this function, and refuses the SQL-regex form `substring(s FROM pattern
//! FOR escape)` (0A000). Patterns are Rust `regex` syntax, which reads
//! PostgreSQL's common POSIX patterns alike but has no back-references or
//! look-around; such a pattern is an error (2201B), never another match.

use std::sync::Arc;

use arrow::array::{Array, StringArray};
use arrow::compute::cast;
use datafusion::common::{Result, ScalarValue, plan_err};
use datafusion::logical_expr::expr::ScalarFunction;
use datafusion::logical_expr::planner::{ExprPlanner, PlannerResult};
use datafusion::logical_expr::{
    ColumnarValue, Documentation, Expr, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature,
    Volatility,
};
use datafusion_macros::user_doc;
use regex::Regex;

use crate::common::{to_arrays, to_columnar};
use crate::sql_error::SqlError;
use arrow::datatypes::DataType;

/// The part of `text` that `pattern` matches: its first group, else the whole match.
fn matched<'a>(pattern: &Regex, text: &'a str) -> Option<&'a str> {
    let captures = pattern.captures(text)?;
    let part = if pattern.captures_len() > 1 {
        captures.get(1)
    } else {
        captures.get(0)
    };
    part.map(|m| m.as_str())
}

/// Compiles `pattern`, or the error PostgreSQL's class for a bad pattern.
fn compile(pattern: &str) -> std::result::Result<Regex, SqlError> {
    Regex::new(pattern).map_err(|e| {
        SqlError::new(
            "2201B",
            format!("invalid regular expression {pattern:?} in substring: {e}"),
        )
    })
}

/// `substring(text FROM pattern)`: the part of `text` the pattern matches.
#[user_doc(
    doc_section(label = "String Functions"),
    description = "The part of `text` matched by `pattern`'s first parenthesised group, or by the \
whole pattern if it has none, as PostgreSQL's `substring(text FROM pattern)`; NULL if nothing \
matches or either argument is NULL. Written `substring(text FROM 'pattern')` or \
`substring(text, 'pattern')` with a string literal; an integer `FROM` is the position form.",
    syntax_example = "substring_pattern(text, pattern), written substring(text FROM pattern)",
    sql_example = r"```sql
> SELECT substring('abc123def' FROM '[0-9]+') AS a, substring('order #42' FROM '#([0-9]+)') AS b;
+-----+----+
| a   | b  |
+-----+----+
| 123 | 42 |
+-----+----+
```",
    argument(name = "text", description = "The text searched."),
    argument(name = "pattern", description = "A regular expression.")
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct SubstringPatternFunc {
    signature: Signature,
}

impl Default for SubstringPatternFunc {
    fn default() -> Self {
        Self::new()
    }
}

impl SubstringPatternFunc {
    /// Creates the `substring` pattern function.
    pub fn new() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

impl ScalarUDFImpl for SubstringPatternFunc {
    fn name(&self) -> &'static str {
        // Not `substring`: that name is DataFusion's `substr` when called as a
        // function (`"substring"(s, 7)`, as DBeaver sends it).
        "substring_pattern"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        match arg_types {
            [a, b] if [a, b].iter().all(|t| t.is_string() || t.is_null()) => {
                Ok(vec![DataType::Utf8, DataType::Utf8])
            }
            _ => plan_err!("substring(text FROM pattern) takes two strings, got {arg_types:?}"),
        }
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let (arrays, all_scalar) = to_arrays(&args.args)?;
        let texts = cast(&arrays[0], &DataType::Utf8)?;
        let patterns = cast(&arrays[1], &DataType::Utf8)?;
        let texts = texts.as_any().downcast_ref::<StringArray>().unwrap();
        let patterns = patterns.as_any().downcast_ref::<StringArray>().unwrap();
        // One pattern for the whole batch in the usual case; compiled once.
        let mut compiled: Option<(String, Regex)> = None;
        let mut out = Vec::with_capacity(texts.len());
        for i in 0..texts.len() {
            if texts.is_null(i) || patterns.is_null(i) {
                out.push(None);
                continue;
            }
            let pattern = patterns.value(i);
            if compiled.as_ref().is_none_or(|(p, _)| p != pattern) {
                compiled = Some((pattern.to_string(), compile(pattern)?));
            }
            let regex = &compiled.as_ref().unwrap().1;
            out.push(matched(regex, texts.value(i)).map(str::to_string));
        }
        to_columnar(
            Arc::new(StringArray::from(out)) as Arc<dyn Array>,
            all_scalar,
        )
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.doc()
    }
}

/// Whether `expr` is a string literal, which PostgreSQL reads as a pattern here.
fn is_string_literal(expr: &Expr) -> bool {
    matches!(
        expr,
        Expr::Literal(
            ScalarValue::Utf8(_) | ScalarValue::LargeUtf8(_) | ScalarValue::Utf8View(_),
            _
        )
    )
}

/// Plans `SUBSTRING(s FROM 'pattern')` as [`SubstringPatternFunc`] and refuses
/// the SQL-regex form with `FOR`; the positional forms go on to DataFusion's `substr`.
#[derive(Debug, Default)]
pub struct SubstringPlanner;

impl ExprPlanner for SubstringPlanner {
    fn plan_substring(&self, args: Vec<Expr>) -> Result<PlannerResult<Vec<Expr>>> {
        match args.as_slice() {
            [_, from] if is_string_literal(from) => {
                let function = Arc::new(ScalarUDF::from(SubstringPatternFunc::new()));
                Ok(PlannerResult::Planned(Expr::ScalarFunction(
                    ScalarFunction::new_udf(function, args),
                )))
            }
            [_, from, _] if is_string_literal(from) => Err(SqlError::unsupported(
                "substring(text FROM pattern FOR escape), the SQL regular-expression form, \
                 is not supported; use substring(text FROM posix_pattern)",
            )
            .into()),
            _ => Ok(PlannerResult::Original(args)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_group_or_the_whole_match() {
        let digits = compile("[0-9]+").unwrap();
        assert_eq!(matched(&digits, "abc123def"), Some("123"));
        let group = compile("#([0-9]+)").unwrap();
        assert_eq!(matched(&group, "order #42"), Some("42"));
        assert_eq!(matched(&group, "no order"), None);
        assert_eq!(compile("(a").unwrap_err().sqlstate, "2201B");
    }
}
