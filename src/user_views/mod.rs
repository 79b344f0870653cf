//! Views from SQL: the views data engineers define with `CREATE VIEW`,
//! `CREATE OR REPLACE VIEW`, `ALTER VIEW … RENAME TO`, `COMMENT ON` and
//! `DROP VIEW` (and dbt, which sends exactly these), kept as one `.sql` file
//! each in the views location ([`store`]) and shared by every session of
//! every server process that uses that location.
//!
//! A file is what a data engineer would write by hand, and a hand-written
//! file is read the same way:
//!
//! ```sql
//! -- @comment Resolved conversations per day.
//! -- @column n: How many.
//! CREATE VIEW resolved_daily AS SELECT started_date, count(*) AS n FROM conversations …;
//! ```
//!
//! [`UserViews`] holds the committed set. Each statement first calls
//! [`UserViews::sync`], which lists the location at most once per
//! [`REFRESH_INTERVAL`] and re-reads it when a file was added, changed or
//! removed (by this process, another one, or an editor); the session then
//! registers the new set in the catalog (`crate::session`). A change is
//! written by [`UserViews::commit`]: every file whole, then the set re-read.

pub mod store;

use std::collections::{BTreeMap, BTreeSet};
use std::ops::ControlFlow;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use datafusion::sql::sqlparser::ast::{ObjectName, Statement, Visit, Visitor};
use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;
use datafusion::sql::sqlparser::parser::Parser;

use crate::catalog::functions::quote_ident;
use crate::error::{Error, Result};
use store::{Listed, ViewStore};

/// How long a listing of the views location is trusted before it is read again.
pub const REFRESH_INTERVAL: Duration = Duration::from_millis(500);

/// One view defined from SQL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserView {
    /// Its name (folded as PostgreSQL folds identifiers).
    pub name: String,
    /// Its column names when the statement named them (`CREATE VIEW v (a, b)`).
    pub columns: Vec<String>,
    /// Its query, as SQL.
    pub query: String,
    /// `COMMENT ON VIEW`.
    pub comment: Option<String>,
    /// `COMMENT ON COLUMN`, by column name.
    pub column_comments: BTreeMap<String, String>,
}

impl UserView {
    /// The `CREATE VIEW` statement (without comments).
    pub fn create_sql(&self) -> String {
        let columns = if self.columns.is_empty() {
            String::new()
        } else {
            format!(
                " ({})",
                self.columns
                    .iter()
                    .map(|c| quote_ident(c))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        format!(
            "CREATE VIEW {}{columns} AS {}",
            quote_ident(&self.name),
            self.query
        )
    }

    /// The file's text: the comment lines, then the statement.
    pub fn file_text(&self) -> String {
        let mut text = String::new();
        if let Some(comment) = &self.comment {
            for line in comment.split('\n') {
                text.push_str(&format!("-- @comment {line}\n"));
            }
        }
        for (column, comment) in &self.column_comments {
            // One line per column; a line break in a column comment becomes a space.
            text.push_str(&format!(
                "-- @column {column}: {}\n",
                comment.replace(['\n', '\r'], " ")
            ));
        }
        text.push_str(&self.create_sql());
        text.push_str(";\n");
        text
    }

    /// Reads a view file (`file` names it in errors).
    pub fn parse_file(file: &str, text: &str) -> Result<UserView> {
        let bad = |message: String| Error::View {
            file: file.to_string(),
            message,
        };
        let statements =
            Parser::parse_sql(&PostgreSqlDialect {}, text).map_err(|e| bad(e.to_string()))?;
        let [Statement::CreateView(view)] = statements.as_slice() else {
            return Err(bad("a view file holds one CREATE VIEW statement".into()));
        };
        let name = object_name(&view.name).ok_or_else(|| bad("no view name".into()))?;
        let mut comment: Option<String> = None;
        let mut column_comments = BTreeMap::new();
        for line in text.lines() {
            let Some(rest) = line.trim_start().strip_prefix("--") else {
                continue;
            };
            let rest = rest.trim_start();
            if let Some(c) = rest.strip_prefix("@comment") {
                let c = c.strip_prefix(' ').unwrap_or(c);
                comment = Some(match comment {
                    Some(before) => format!("{before}\n{c}"),
                    None => c.to_string(),
                });
            } else if let Some(c) = rest.strip_prefix("@column ")
                && let Some((column, text)) = c.split_once(':')
            {
                column_comments.insert(column.trim().to_string(), text.trim().to_string());
            }
        }
        Ok(UserView {
            name,
            columns: view.columns.iter().map(|c| fold(&c.name)).collect(),
            query: view.query.to_string(),
            comment,
            column_comments,
        })
    }

    /// The relations the query reads, by their last name part.
    pub fn reads(&self) -> BTreeSet<String> {
        let Ok(statements) = Parser::parse_sql(&PostgreSqlDialect {}, &self.create_sql()) else {
            return BTreeSet::new();
        };
        let mut reads = Reads(BTreeSet::new());
        let _ = statements.visit(&mut reads);
        reads.0
    }
}

/// Collects relation names.
struct Reads(BTreeSet<String>);

impl Visitor for Reads {
    type Break = ();
    fn pre_visit_relation(&mut self, relation: &ObjectName) -> ControlFlow<()> {
        if let Some(name) = object_name(relation) {
            self.0.insert(name);
        }
        ControlFlow::Continue(())
    }
}

/// An identifier folded as PostgreSQL folds it.
pub fn fold(ident: &datafusion::sql::sqlparser::ast::Ident) -> String {
    if ident.quote_style.is_some() {
        ident.value.clone()
    } else {
        ident.value.to_lowercase()
    }
}

/// The last part of a name, folded.
pub fn object_name(name: &ObjectName) -> Option<String> {
    name.0.last()?.as_ident().map(fold)
}

/// The committed views, as last read from the location.
#[derive(Debug, Default)]
struct Synced {
    /// The listing they were read from.
    listing: Vec<Listed>,
    /// When the location was last listed.
    checked: Option<Instant>,
}

/// A view that could not be read or planned, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Broken {
    /// The file.
    pub file: String,
    /// Why.
    pub message: String,
}

/// The views defined from SQL (see the module docs).
#[derive(Debug)]
pub struct UserViews {
    store: ViewStore,
    sync: tokio::sync::Mutex<Synced>,
    current: RwLock<(u64, Arc<BTreeMap<String, UserView>>)>,
    unreadable: RwLock<Vec<Broken>>,
    /// The generation registered in the catalog and the names registered,
    /// held while registering one.
    pub apply: tokio::sync::Mutex<(u64, BTreeSet<String>)>,
}

impl UserViews {
    /// The views kept in `store` (none read yet: call [`UserViews::sync`]).
    pub fn new(store: ViewStore) -> Self {
        UserViews {
            store,
            sync: tokio::sync::Mutex::new(Synced::default()),
            current: RwLock::new((0, Arc::new(BTreeMap::new()))),
            unreadable: RwLock::new(vec![]),
            apply: tokio::sync::Mutex::new((0, BTreeSet::new())),
        }
    }

    /// The views location.
    pub fn store(&self) -> &ViewStore {
        &self.store
    }

    /// The committed views and their generation (it grows with every change read).
    pub fn current(&self) -> (u64, Arc<BTreeMap<String, UserView>>) {
        let current = self.current.read().expect("user views lock");
        (current.0, current.1.clone())
    }

    /// The files that could not be read at the last re-read.
    pub fn unreadable(&self) -> Vec<Broken> {
        self.unreadable.read().expect("user views lock").clone()
    }

    /// Re-reads the location if it was last listed over [`REFRESH_INTERVAL`]
    /// ago (or `force`) and a file changed since.
    pub async fn sync(&self, force: bool) -> Result<()> {
        let mut synced = self.sync.lock().await;
        if !force
            && synced
                .checked
                .is_some_and(|c| c.elapsed() < REFRESH_INTERVAL)
        {
            return Ok(());
        }
        let listing = self.store.list().await?;
        let unchanged = synced.checked.is_some() && listing == synced.listing;
        synced.checked = Some(Instant::now());
        if unchanged {
            return Ok(());
        }
        let mut views = BTreeMap::new();
        let mut unreadable = vec![];
        for listed in &listing {
            let file = format!("{}/{}.sql", self.store.display(), listed.name);
            let read = match self.store.read(&listed.name).await {
                Ok(text) => UserView::parse_file(&file, &text),
                // Removed between the listing and the read: the next listing has it gone.
                Err(e) => Err(e),
            };
            match read {
                Ok(view) if view.name == listed.name => {
                    views.insert(view.name.clone(), view);
                }
                Ok(view) => unreadable.push(Broken {
                    file,
                    message: format!(
                        "the file creates view {} but is named {}.sql",
                        view.name, listed.name
                    ),
                }),
                Err(e) => unreadable.push(Broken {
                    file,
                    message: e.to_string(),
                }),
            }
        }
        for broken in &unreadable {
            tracing::warn!("view file {} left out: {}", broken.file, broken.message);
        }
        synced.listing = listing;
        *self.unreadable.write().expect("user views lock") = unreadable;
        let mut current = self.current.write().expect("user views lock");
        *current = (current.0 + 1, Arc::new(views));
        Ok(())
    }

    /// Writes the change from `before` to `after` (every file whole; removed
    /// views' files deleted last) and re-reads the location.
    pub async fn commit(
        &self,
        before: &BTreeMap<String, UserView>,
        after: &BTreeMap<String, UserView>,
    ) -> Result<()> {
        for (name, view) in after {
            if before.get(name) != Some(view) {
                self.store.write(name, &view.file_text()).await?;
            }
        }
        for name in before.keys() {
            if !after.contains_key(name) {
                self.store.remove(name).await?;
            }
        }
        self.sync(true).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view() -> UserView {
        UserView {
            name: "Resolved Daily".into(),
            columns: vec!["day".into(), "n".into()],
            query: "SELECT started_date, count(*) FROM conversations GROUP BY 1".into(),
            comment: Some("Resolved per day.\nSecond line.".into()),
            column_comments: BTreeMap::from([("n".to_string(), "How many.".to_string())]),
        }
    }

    #[test]
    fn a_file_reads_back_as_the_view_it_was_written_from() {
        let v = view();
        let text = v.file_text();
        assert!(
            text.starts_with("-- @comment Resolved per day.\n-- @comment Second line.\n"),
            "{text}"
        );
        assert!(
            text.contains("CREATE VIEW \"Resolved Daily\" (day, n) AS SELECT"),
            "{text}"
        );
        assert_eq!(UserView::parse_file("f.sql", &text).unwrap(), v);
        assert_eq!(v.reads(), BTreeSet::from(["conversations".to_string()]));
    }

    #[test]
    fn a_reserved_word_names_a_view_quoted() {
        let v = UserView {
            name: "group".into(),
            columns: vec!["order".into()],
            ..view()
        };
        let text = v.file_text();
        assert!(
            text.contains("CREATE VIEW \"group\" (\"order\") AS"),
            "{text}"
        );
        assert_eq!(UserView::parse_file("group.sql", &text).unwrap(), v);
    }

    #[test]
    fn a_file_without_one_create_view_is_named_in_the_error() {
        let err = UserView::parse_file("x.sql", "SELECT 1")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("x.sql") && err.contains("CREATE VIEW"),
            "{err}"
        );
    }

    #[tokio::test]
    async fn commits_are_read_back_and_hand_edits_seen() {
        let dir = tempfile::tempdir().unwrap();
        let dataset = crate::dataset::Dataset::in_memory(
            "memory://unused",
            Arc::new(object_store::memory::InMemory::new()),
        );
        let location = dir.path().join("views");
        let store = ViewStore::open(
            Some(location.to_str().unwrap()),
            &dataset,
            &crate::s3::S3Options::default(),
        )
        .unwrap();
        let views = UserViews::new(store);
        views.sync(true).await.unwrap();
        let (first, none) = views.current();
        assert!(none.is_empty());
        let mut after = BTreeMap::new();
        after.insert(
            "v".to_string(),
            UserView {
                name: "v".into(),
                ..view()
            },
        );
        views.commit(&BTreeMap::new(), &after).await.unwrap();
        let (second, read) = views.current();
        assert!(second > first);
        assert_eq!(read.as_ref(), &after);
        // A hand edit and a temporary file: the edit is read, the temporary file is not.
        std::fs::write(
            location.join("w.sql"),
            "-- @comment By hand.\nCREATE VIEW w AS SELECT 1 AS one;\n",
        )
        .unwrap();
        std::fs::write(location.join(".w.sql.swp"), "garbage").unwrap();
        std::fs::write(location.join("w.sql#3"), "garbage").unwrap();
        views.sync(true).await.unwrap();
        let (_, read) = views.current();
        assert_eq!(read.keys().collect::<Vec<_>>(), ["v", "w"]);
        assert_eq!(read["w"].comment.as_deref(), Some("By hand."));
        // A broken file is left out and named.
        std::fs::write(location.join("x.sql"), "CREATE VIEW y AS SELECT 1").unwrap();
        views.sync(true).await.unwrap();
        assert_eq!(views.current().1.len(), 2);
        assert!(views.unreadable()[0].message.contains("named x.sql"));
        views.commit(&read, &BTreeMap::new()).await.unwrap();
        assert!(!location.join("v.sql").exists());
    }
}
