//! Documentation of relations and columns, read from structured comment
//! lines at the top of each view's SQL file, so that data engineers who add
//! views (`CREATE VIEW`, files in the views location) document theirs the same way:
//!
//! ```sql
//! -- @comment One row per conversation, judged as of the session's instant T.
//! -- @column account_id: The account (tenant) the conversation belongs to.
//! CREATE VIEW conversations AS ...
//! ```
//!
//! The raw contract tables are documented in `sql/docs/raw_tables.sql` with the
//! same lines, each table introduced by `-- @table <name>: <comment>`.

use std::collections::BTreeMap;

use crate::views::ViewSource;

/// The documentation of one relation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RelationDoc {
    /// What one row is and what the relation is for.
    pub comment: Option<String>,
    /// Column comments by column name.
    pub columns: BTreeMap<String, String>,
    /// The view's `SELECT` (for `pg_views.definition`), when the relation is a view.
    pub definition: Option<String>,
}

/// Documentation of every relation, by (schema, relation name).
pub type Docs = BTreeMap<(String, String), RelationDoc>;

/// The raw tables' documentation (built in).
pub const RAW_TABLES_DOC: &str = include_str!("../../sql/docs/raw_tables.sql");

/// Reads the documentation of the views in `sources` (schema `public`) and
/// of the raw tables (schema `raw`).
pub fn collect(sources: &[ViewSource]) -> Docs {
    let mut docs = Docs::new();
    for source in sources {
        if let Some((name, doc)) = view_doc(&source.sql) {
            docs.insert((crate::names::PUBLIC_SCHEMA.to_string(), name), doc);
        }
    }
    for (name, doc) in tables_doc(RAW_TABLES_DOC) {
        docs.insert((crate::names::RAW_SCHEMA.to_string(), name), doc);
    }
    docs
}

/// The view name and documentation of one `CREATE VIEW` file.
pub fn view_doc(sql: &str) -> Option<(String, RelationDoc)> {
    let upper = sql.to_ascii_uppercase();
    let start = upper.find("CREATE VIEW")?;
    let rest = &sql[start + "CREATE VIEW".len()..];
    let name = rest
        .split_whitespace()
        .next()?
        .trim_matches('"')
        .to_string();
    let as_at = rest.to_ascii_uppercase().find(" AS")?;
    let definition = rest[as_at + 3..]
        .trim()
        .trim_end_matches(';')
        .trim()
        .to_string();
    let mut doc = RelationDoc {
        definition: Some(definition),
        ..Default::default()
    };
    for line in sql[..start].lines() {
        match directive(line) {
            Some(("comment", text)) => doc.comment = Some(text.to_string()),
            Some(("column", text)) => {
                if let Some((column, comment)) = text.split_once(':') {
                    doc.columns
                        .insert(column.trim().to_string(), comment.trim().to_string());
                }
            }
            _ => {}
        }
    }
    Some((name, doc))
}

/// The documentation of several tables in one text (`-- @table name: comment` starts each).
pub fn tables_doc(text: &str) -> Vec<(String, RelationDoc)> {
    let mut tables: Vec<(String, RelationDoc)> = vec![];
    for line in text.lines() {
        match directive(line) {
            Some(("table", text)) => {
                if let Some((name, comment)) = text.split_once(':') {
                    let doc = RelationDoc {
                        comment: Some(comment.trim().to_string()),
                        ..Default::default()
                    };
                    tables.push((name.trim().to_string(), doc));
                }
            }
            Some(("column", text)) => {
                if let (Some((_, doc)), Some((column, comment))) =
                    (tables.last_mut(), text.split_once(':'))
                {
                    doc.columns
                        .insert(column.trim().to_string(), comment.trim().to_string());
                }
            }
            _ => {}
        }
    }
    tables
}

/// `-- @word text` → `(word, text)`.
fn directive(line: &str) -> Option<(&str, &str)> {
    let rest = line
        .trim_start()
        .strip_prefix("--")?
        .trim_start()
        .strip_prefix('@')?;
    let (word, text) = rest.split_once(char::is_whitespace)?;
    Some((word, text.trim()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_view_comments_and_definition() {
        let sql = "-- free text\n-- @comment One row per x.\n-- @column a: The a.\n--   @column b:  The b: really.\nCREATE VIEW v AS\nSELECT 1 AS a, 2 AS b;\n";
        let (name, doc) = view_doc(sql).unwrap();
        assert_eq!(name, "v");
        assert_eq!(doc.comment.as_deref(), Some("One row per x."));
        assert_eq!(doc.columns["a"], "The a.");
        assert_eq!(doc.columns["b"], "The b: really.");
        assert_eq!(doc.definition.as_deref(), Some("SELECT 1 AS a, 2 AS b"));
    }

    #[test]
    fn reads_table_sections() {
        let tables = tables_doc(
            "-- @table t: A table.\n-- @column x: X.\n-- @table u: U.\n-- @column y: Y.\n",
        );
        assert_eq!(tables.len(), 2);
        assert_eq!(tables[1].0, "u");
        assert_eq!(tables[1].1.columns["y"], "Y.");
    }
}
