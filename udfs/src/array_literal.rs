//! PostgreSQL's array input syntax (`array_in`): `{a,"b c",NULL,\,}`.
//!
//! The grammar is PostgreSQL's (src/backend/utils/adt/arrayfuncs.c,
//! `ReadArrayStr`): braces around the elements, a comma between them,
//! whitespace around elements ignored, an element either double-quoted (a
//! backslash escapes any character) or unquoted (a backslash escapes any
//! character, unescaped leading and trailing whitespace is dropped, and the
//! unquoted, case-insensitive word `NULL` is the null element). Sub-arrays
//! (`{{1,2},{3,4}}`) must all have the same length. Anything else is
//! [`ArrayLiteralError::Malformed`] (SQLSTATE 22P02, `malformed array
//! literal`), as in PostgreSQL.
//!
//! What PostgreSQL accepts but conversql cannot represent is
//! [`ArrayLiteralError::Unsupported`] (SQLSTATE 0A000), never a different
//! value: explicit bounds (`[0:1]={a,b}`, Arrow lists always start at 1).

use std::fmt;

use crate::sql_error::SqlError;

/// A parsed array literal: its dimensions and its elements in row-major order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArrayLiteral {
    /// The length of each dimension; empty for the empty array `{}`.
    pub dims: Vec<usize>,
    /// The elements, `None` for `NULL`.
    pub elements: Vec<Option<String>>,
}

/// Why a text is not an array literal conversql can read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArrayLiteralError {
    /// Not PostgreSQL array syntax (SQLSTATE 22P02).
    Malformed(String),
    /// Valid PostgreSQL, not supported by conversql (SQLSTATE 0A000).
    Unsupported(String),
}

impl fmt::Display for ArrayLiteralError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ArrayLiteralError::Malformed(m) | ArrayLiteralError::Unsupported(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for ArrayLiteralError {}

impl ArrayLiteralError {
    /// The SQLSTATE of this error.
    pub fn sqlstate(&self) -> &'static str {
        match self {
            ArrayLiteralError::Malformed(_) => "22P02",
            ArrayLiteralError::Unsupported(_) => "0A000",
        }
    }

    /// This error as a SQL error with its SQLSTATE, the message prefixed by `context`.
    pub fn into_sql_error(self, context: &str) -> SqlError {
        SqlError::new(self.sqlstate(), format!("{context}: {self}"))
    }
}

fn malformed(input: &str, detail: &str) -> ArrayLiteralError {
    ArrayLiteralError::Malformed(format!("malformed array literal: \"{input}\" ({detail})"))
}

/// Parses `input` as PostgreSQL parses an array's text form.
///
/// # Errors
/// [`ArrayLiteralError`] when the text is not an array literal or uses explicit bounds.
pub fn parse(input: &str) -> Result<ArrayLiteral, ArrayLiteralError> {
    let trimmed = input.trim_start_matches(is_space);
    if trimmed.starts_with('[') {
        return Err(ArrayLiteralError::Unsupported(format!(
            "array literal \"{input}\": explicit array bounds are not supported"
        )));
    }
    if !trimmed.starts_with('{') {
        return Err(malformed(
            input,
            "Array value must start with \"{\" or dimension information.",
        ));
    }
    let chars: Vec<char> = trimmed.chars().collect();
    let mut reader = Reader {
        input,
        chars: &chars,
        pos: 0,
        elements: vec![],
    };
    let shape = reader.array()?;
    if chars[reader.pos..].iter().any(|c| !is_space(*c)) {
        return Err(malformed(input, "Junk after closing right brace."));
    }
    let dims = match shape {
        Shape::Empty => vec![],
        Shape::Elements(n) => vec![n],
        Shape::Nested(dims) => dims,
    };
    Ok(ArrayLiteral {
        dims,
        elements: reader.elements,
    })
}

/// PostgreSQL's `scanner_isspace`.
fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r' | '\x0b' | '\x0c')
}

/// The shape of one brace level.
enum Shape {
    Empty,
    Elements(usize),
    Nested(Vec<usize>),
}

struct Reader<'a> {
    input: &'a str,
    chars: &'a [char],
    pos: usize,
    elements: Vec<Option<String>>,
}

impl Reader<'_> {
    fn skip_space(&mut self) {
        while self.pos < self.chars.len() && is_space(self.chars[self.pos]) {
            self.pos += 1;
        }
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    /// Reads `{ … }` starting at the opening brace.
    fn array(&mut self) -> Result<Shape, ArrayLiteralError> {
        self.pos += 1; // '{'
        self.skip_space();
        if self.peek() == Some('}') {
            self.pos += 1;
            return Ok(Shape::Empty);
        }
        let mut subs: Vec<Vec<usize>> = vec![];
        let mut scalars = 0usize;
        loop {
            self.skip_space();
            match self.peek() {
                None => return Err(malformed(self.input, "Unexpected end of input.")),
                Some('{') => {
                    if scalars > 0 {
                        return Err(malformed(self.input, "Unexpected \"{\" character."));
                    }
                    match self.array()? {
                        Shape::Empty => {
                            return Err(malformed(
                                self.input,
                                "Multidimensional arrays must have sub-arrays with matching dimensions.",
                            ));
                        }
                        Shape::Elements(n) => subs.push(vec![n]),
                        Shape::Nested(d) => subs.push(d),
                    }
                }
                Some(_) => {
                    if !subs.is_empty() {
                        return Err(malformed(
                            self.input,
                            "Multidimensional arrays must have sub-arrays with matching dimensions.",
                        ));
                    }
                    let element = self.element()?;
                    self.elements.push(element);
                    scalars += 1;
                }
            }
            self.skip_space();
            match self.peek() {
                Some(',') => self.pos += 1,
                Some('}') => {
                    self.pos += 1;
                    break;
                }
                None => return Err(malformed(self.input, "Unexpected end of input.")),
                Some(c) => {
                    return Err(malformed(
                        self.input,
                        &format!("Unexpected \"{c}\" character."),
                    ));
                }
            }
        }
        if subs.is_empty() {
            return Ok(Shape::Elements(scalars));
        }
        let first = subs[0].clone();
        if subs.iter().any(|d| *d != first) {
            return Err(malformed(
                self.input,
                "Multidimensional arrays must have sub-arrays with matching dimensions.",
            ));
        }
        let mut dims = vec![subs.len()];
        dims.extend(first);
        Ok(Shape::Nested(dims))
    }

    /// Reads one element (quoted or not), stopping before the `,` or `}` after it.
    fn element(&mut self) -> Result<Option<String>, ArrayLiteralError> {
        let mut value = String::new();
        let mut quoted_or_escaped = false;
        // Length of `value` up to the last character that must be kept (escaped or quoted).
        let mut kept = 0usize;
        let mut in_quotes = false;
        let mut any_quotes = false;
        loop {
            let Some(c) = self.peek() else {
                return Err(malformed(self.input, "Unexpected end of input."));
            };
            match c {
                '\\' => {
                    self.pos += 1;
                    let Some(escaped) = self.peek() else {
                        return Err(malformed(self.input, "Unexpected end of input."));
                    };
                    value.push(escaped);
                    kept = value.len();
                    quoted_or_escaped = true;
                    self.pos += 1;
                }
                '"' => {
                    if !in_quotes && (any_quotes || !value.is_empty()) {
                        return Err(malformed(self.input, "Unexpected array element."));
                    }
                    if in_quotes {
                        in_quotes = false;
                        self.pos += 1;
                        // Only whitespace may follow a quoted element.
                        self.skip_space();
                        match self.peek() {
                            Some(',' | '}') | None => {}
                            Some(_) => {
                                return Err(malformed(self.input, "Unexpected array element."));
                            }
                        }
                        continue;
                    }
                    in_quotes = true;
                    any_quotes = true;
                    quoted_or_escaped = true;
                    self.pos += 1;
                }
                _ if in_quotes => {
                    value.push(c);
                    kept = value.len();
                    self.pos += 1;
                }
                ',' | '}' => break,
                '{' => return Err(malformed(self.input, "Unexpected \"{\" character.")),
                _ => {
                    value.push(c);
                    if !is_space(c) {
                        kept = value.len();
                    }
                    self.pos += 1;
                }
            }
        }
        if in_quotes {
            return Err(malformed(self.input, "Unexpected end of input."));
        }
        value.truncate(kept);
        if !quoted_or_escaped && value.is_empty() {
            return Err(malformed(
                self.input,
                &format!("Unexpected \"{}\" character.", self.peek().unwrap_or('}')),
            ));
        }
        if !quoted_or_escaped && value.eq_ignore_ascii_case("NULL") {
            return Ok(None);
        }
        Ok(Some(value))
    }
}

/// Writes one element as PostgreSQL's `array_out` does: quoted when empty, `NULL`
/// (any case) or containing `{}",\` or whitespace, with `"` and `\` escaped.
pub fn quote_element(element: &str) -> String {
    let needs_quotes = element.is_empty()
        || element.eq_ignore_ascii_case("NULL")
        || element
            .chars()
            .any(|c| matches!(c, '{' | '}' | ',' | '"' | '\\') || is_space(c));
    if !needs_quotes {
        return element.to_string();
    }
    let mut out = String::with_capacity(element.len() + 2);
    out.push('"');
    for c in element.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(input: &str) -> (Vec<usize>, Vec<Option<&'static str>>) {
        let parsed = parse(input).unwrap();
        let elements = parsed
            .elements
            .into_iter()
            .map(|e| e.map(|s| &*Box::leak(s.into_boxed_str())))
            .collect();
        (parsed.dims, elements)
    }

    #[test]
    fn reads_postgres_array_syntax() {
        assert_eq!(ok("{}"), (vec![], vec![]));
        assert_eq!(ok(" { } "), (vec![], vec![]));
        assert_eq!(ok("{v,m}"), (vec![2], vec![Some("v"), Some("m")]));
        assert_eq!(
            ok("{ a b , \"c,d\" , NULL, null, \"NULL\", \\NULL}"),
            (
                vec![6],
                vec![
                    Some("a b"),
                    Some("c,d"),
                    None,
                    None,
                    Some("NULL"),
                    Some("NULL")
                ]
            )
        );
        assert_eq!(
            ok(r#"{"a\"b","c\\d",e\,f,"",\ }"#),
            (
                vec![5],
                vec![Some("a\"b"), Some("c\\d"), Some("e,f"), Some(""), Some(" ")]
            )
        );
        assert_eq!(
            ok("{{1,2},{3,4},{5,6}}"),
            (
                vec![3, 2],
                vec![
                    Some("1"),
                    Some("2"),
                    Some("3"),
                    Some("4"),
                    Some("5"),
                    Some("6")
                ]
            )
        );
    }

    #[test]
    fn malformed_literals_are_22p02() {
        for input in [
            "",
            "a,b",
            "{a",
            "{a,}",
            "{,a}",
            "{a,,b}",
            "{a}b",
            "{\"a\"b}",
            "{a\"b\"}",
            "{{1},{1,2}}",
            "{{1},2}",
            "{1,{2}}",
            "{{}}",
            "{\"a}",
            "{a\\",
        ] {
            let err = parse(input).unwrap_err();
            assert_eq!(err.sqlstate(), "22P02", "{input:?}: {err}");
            assert!(err.to_string().contains("malformed array literal"), "{err}");
        }
    }

    #[test]
    fn explicit_bounds_are_unsupported_not_misread() {
        let err = parse("[0:1]={a,b}").unwrap_err();
        assert_eq!(err.sqlstate(), "0A000");
    }

    #[test]
    fn quotes_elements_as_array_out_does() {
        assert_eq!(quote_element("abc"), "abc");
        assert_eq!(quote_element(""), "\"\"");
        assert_eq!(quote_element("null"), "\"null\"");
        assert_eq!(quote_element("a b"), "\"a b\"");
        assert_eq!(quote_element("a\"b\\"), r#""a\"b\\""#);
        for element in ["x,y", "{}", " lead", "NULL", "plain"] {
            let text = format!("{{{}}}", quote_element(element));
            assert_eq!(parse(&text).unwrap().elements, vec![Some(element.into())]);
        }
    }
}
