//! `COPY … TO STDOUT`: what PostgreSQL's `COPY (query) TO STDOUT` and
//! `COPY table [(columns)] TO STDOUT` mean, read from the statement. The rows
//! are those of the query (planned as any query, so account scope applies);
//! the server streams them in the format asked for ([`CopyFormat`]). psql's
//! `\copy … TO`, psycopg's `cursor.copy()`, connectorx, ADBC and DuckDB's
//! postgres scanner read results this way.
//!
//! `COPY FROM` changes data (25006, read-only), and a `COPY` to or from a file
//! or a program on the server is refused as PostgreSQL refuses it to a user
//! without the `pg_write_server_files` role (42501).

use datafusion::sql::sqlparser::ast::{
    CopyLegacyCsvOption, CopyLegacyOption, CopyOption, CopySource, CopyTarget, Expr, Ident,
    ObjectName, Query, Select, SelectFlavor, SelectItem, SetExpr, Statement, TableFactor,
    TableWithJoins, WildcardAdditionalOptions,
};

use crate::error::{Error, Result};

/// The format of a `COPY … TO STDOUT`, with its options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CopyFormat {
    /// PostgreSQL's text format: `delimiter` between values, `null` for NULL, backslash escapes.
    Text {
        /// The value separator (tab by default).
        delimiter: char,
        /// The text of NULL (`\N` by default).
        null: String,
        /// Whether the first line names the columns (PostgreSQL 15 and later).
        header: bool,
    },
    /// CSV.
    Csv {
        /// The value separator (`,` by default).
        delimiter: char,
        /// The text of NULL (empty by default).
        null: String,
        /// The quote character.
        quote: char,
        /// The character that escapes a quote inside a quoted value.
        escape: char,
        /// Whether the first line names the columns.
        header: bool,
        /// Columns quoted even where not needed; `None` for none, an empty list for all (`*`).
        force_quote: Option<Vec<String>>,
    },
    /// PostgreSQL's binary format (`PGCOPY` header, binary values).
    Binary,
}

/// A `COPY … TO STDOUT`: the query whose rows are copied and their format.
#[derive(Debug)]
pub struct CopyOut {
    /// The rows, as a query statement.
    pub query: Statement,
    /// The format.
    pub format: CopyFormat,
}

fn refused(sqlstate: &'static str, message: String) -> Error {
    Error::Postgres { sqlstate, message }
}

/// `statement` as a [`CopyOut`] if it is a `COPY`; `None` for any other statement.
///
/// # Errors
/// 25006 for `COPY FROM`, 42501 for a server file or program, 22023 or 0A000
/// for an option PostgreSQL refuses or conversql does not support.
pub fn copy_out(statement: &Statement) -> Option<Result<CopyOut>> {
    let Statement::Copy {
        source,
        to,
        target,
        options,
        legacy_options,
        ..
    } = statement
    else {
        return None;
    };
    Some(read(source, *to, target, options, legacy_options))
}

fn read(
    source: &CopySource,
    to: bool,
    target: &CopyTarget,
    options: &[CopyOption],
    legacy_options: &[CopyLegacyOption],
) -> Result<CopyOut> {
    match (to, target) {
        (true, CopyTarget::Stdout) => {}
        (false, CopyTarget::Stdin) => {
            return Err(Error::ReadOnly(
                "cannot execute COPY FROM in a read-only database: conversql serves queries only"
                    .into(),
            ));
        }
        (_, CopyTarget::File { .. }) => {
            return Err(refused(
                "42501",
                format!(
                    "permission denied to COPY {} a file: conversql reads and writes no server files; use COPY … {} STDOUT (psql's \\copy)",
                    if to { "to" } else { "from" },
                    if to { "TO" } else { "FROM" }
                ),
            ));
        }
        (_, CopyTarget::Program { .. }) => {
            return Err(refused(
                "42501",
                "permission denied to COPY to or from an external program".into(),
            ));
        }
        (true, CopyTarget::Stdin) | (false, CopyTarget::Stdout) => {
            return Err(Error::Syntax(
                "COPY TO takes STDOUT and COPY FROM takes STDIN".into(),
            ));
        }
    }
    let query = match source {
        CopySource::Query(query) => Statement::Query(query.clone()),
        CopySource::Table {
            table_name,
            columns,
        } => Statement::Query(Box::new(select_from(table_name, columns))),
    };
    Ok(CopyOut {
        query,
        format: format(options, legacy_options)?,
    })
}

/// `SELECT columns FROM table` (`*` for no columns).
fn select_from(table: &ObjectName, columns: &[Ident]) -> Query {
    let projection = if columns.is_empty() {
        vec![SelectItem::Wildcard(WildcardAdditionalOptions::default())]
    } else {
        columns
            .iter()
            .map(|c| SelectItem::UnnamedExpr(Expr::Identifier(c.clone())))
            .collect()
    };
    let select = Select {
        projection,
        from: vec![TableWithJoins {
            relation: TableFactor::Table {
                name: table.clone(),
                alias: None,
                args: None,
                with_hints: vec![],
                version: None,
                with_ordinality: false,
                partitions: vec![],
                json_path: None,
                sample: None,
                index_hints: vec![],
            },
            joins: vec![],
        }],
        flavor: SelectFlavor::Standard,
        ..empty_select()
    };
    Query {
        body: Box::new(SetExpr::Select(Box::new(select))),
        ..empty_query()
    }
}

fn empty_query() -> Query {
    match datafusion::sql::sqlparser::parser::Parser::parse_sql(
        &datafusion::sql::sqlparser::dialect::PostgreSqlDialect {},
        "SELECT 1",
    ) {
        Ok(mut statements) => match statements.pop() {
            Some(Statement::Query(query)) => *query,
            _ => unreachable!("SELECT 1 is a query"),
        },
        Err(e) => unreachable!("SELECT 1 parses: {e}"),
    }
}

fn empty_select() -> Select {
    match *empty_query().body {
        SetExpr::Select(select) => *select,
        _ => unreachable!("SELECT 1 is a select"),
    }
}

fn single_char(what: &str, value: char) -> Result<char> {
    if value.is_ascii() {
        Ok(value)
    } else {
        Err(refused(
            "0A000",
            format!("COPY {what} must be a single one-byte character"),
        ))
    }
}

/// The format named by the options, PostgreSQL's defaults for the others.
fn format(options: &[CopyOption], legacy: &[CopyLegacyOption]) -> Result<CopyFormat> {
    let mut name = "text".to_string();
    let mut delimiter = None;
    let mut null = None;
    let mut header = false;
    let mut quote = None;
    let mut escape = None;
    let mut force_quote: Option<Vec<String>> = None;
    for option in options {
        match option {
            CopyOption::Format(f) => name = f.value.to_ascii_lowercase(),
            CopyOption::Delimiter(c) => delimiter = Some(single_char("delimiter", *c)?),
            CopyOption::Null(n) => null = Some(n.clone()),
            CopyOption::Header(h) => header = *h,
            CopyOption::Quote(c) => quote = Some(single_char("quote", *c)?),
            CopyOption::Escape(c) => escape = Some(single_char("escape", *c)?),
            CopyOption::ForceQuote(columns) => {
                force_quote = Some(columns.iter().map(|c| c.value.clone()).collect());
            }
            CopyOption::Encoding(e)
                if e.eq_ignore_ascii_case("utf8") || e.eq_ignore_ascii_case("utf-8") => {}
            other => {
                return Err(refused(
                    "0A000",
                    format!("COPY option {other} is not supported by conversql's COPY TO STDOUT"),
                ));
            }
        }
    }
    for option in legacy {
        match option {
            CopyLegacyOption::Binary => name = "binary".into(),
            CopyLegacyOption::Delimiter(c) => delimiter = Some(single_char("delimiter", *c)?),
            CopyLegacyOption::Null(n) => null = Some(n.clone()),
            CopyLegacyOption::Csv(csv) => {
                name = "csv".into();
                for o in csv {
                    match o {
                        CopyLegacyCsvOption::Header => header = true,
                        CopyLegacyCsvOption::Quote(c) => quote = Some(single_char("quote", *c)?),
                        CopyLegacyCsvOption::Escape(c) => {
                            escape = Some(single_char("escape", *c)?);
                        }
                        CopyLegacyCsvOption::ForceQuote(columns) => {
                            force_quote = Some(columns.iter().map(|c| c.value.clone()).collect());
                        }
                        CopyLegacyCsvOption::ForceNotNull(_) => {
                            return Err(refused(
                                "0A000",
                                "COPY force not null available only in COPY FROM".into(),
                            ));
                        }
                    }
                }
            }
            other => {
                return Err(refused(
                    "0A000",
                    format!("COPY option {other} is not supported by conversql's COPY TO STDOUT"),
                ));
            }
        }
    }
    let csv_only = |what: &str| refused("0A000", format!("COPY {what} requires CSV mode"));
    match name.as_str() {
        "text" => {
            if quote.is_some() {
                return Err(csv_only("quote"));
            }
            if escape.is_some() {
                return Err(csv_only("escape"));
            }
            if force_quote.is_some() {
                return Err(csv_only("force quote"));
            }
            Ok(CopyFormat::Text {
                delimiter: delimiter.unwrap_or('\t'),
                null: null.unwrap_or_else(|| "\\N".into()),
                header,
            })
        }
        "csv" => {
            let quote = quote.unwrap_or('"');
            Ok(CopyFormat::Csv {
                delimiter: delimiter.unwrap_or(','),
                null: null.unwrap_or_default(),
                quote,
                escape: escape.unwrap_or(quote),
                header,
                force_quote,
            })
        }
        "binary" => {
            if delimiter.is_some()
                || null.is_some()
                || header
                || quote.is_some()
                || escape.is_some()
            {
                return Err(refused(
                    "22023",
                    "cannot specify DELIMITER, NULL, HEADER, QUOTE or ESCAPE in BINARY mode".into(),
                ));
            }
            Ok(CopyFormat::Binary)
        }
        other => Err(refused(
            "22023",
            format!("COPY format \"{other}\" not recognized"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(sql: &str) -> Result<CopyOut> {
        let statement = datafusion::sql::sqlparser::parser::Parser::parse_sql(
            &datafusion::sql::sqlparser::dialect::PostgreSqlDialect {},
            sql,
        )
        .unwrap()
        .remove(0);
        copy_out(&statement).expect("a COPY")
    }

    #[test]
    fn reads_the_query_and_the_format() {
        let copy = parsed("COPY (SELECT 1 AS a) TO STDOUT WITH (FORMAT csv, HEADER)").unwrap();
        assert_eq!(copy.query.to_string(), "SELECT 1 AS a");
        assert!(matches!(
            copy.format,
            CopyFormat::Csv {
                header: true,
                delimiter: ',',
                ..
            }
        ));
        let copy = parsed("COPY conversations (conversation_id, status) TO STDOUT (FORMAT binary)")
            .unwrap();
        assert_eq!(
            copy.query.to_string(),
            "SELECT conversation_id, status FROM conversations"
        );
        assert_eq!(copy.format, CopyFormat::Binary);
        let copy = parsed("COPY conversations TO STDOUT").unwrap();
        assert_eq!(copy.query.to_string(), "SELECT * FROM conversations");
        assert_eq!(
            copy.format,
            CopyFormat::Text {
                delimiter: '\t',
                null: "\\N".into(),
                header: false,
            }
        );
    }

    #[test]
    fn refuses_what_postgres_refuses() {
        let code = |sql: &str| parsed(sql).unwrap_err().sqlstate();
        assert_eq!(code("COPY conversations FROM STDIN"), "25006");
        assert_eq!(code("COPY conversations TO '/tmp/x'"), "42501");
        assert_eq!(
            code("COPY (SELECT 1) TO STDOUT (FORMAT text, QUOTE '\"')"),
            "0A000"
        );
        assert_eq!(code("COPY (SELECT 1) TO STDOUT (FORMAT xml)"), "22023");
    }
}
