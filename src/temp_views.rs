//! A session's temporary views (`CREATE TEMP[ORARY] VIEW name [(cols)] AS
//! query`, `DROP VIEW`, gone at `DISCARD ALL|TEMP` and at disconnect).
//!
//! PostgreSQL keeps them in the session's own schema `pg_temp_N`, searched
//! before every other schema. conversql keeps them in the session only: a
//! reference to one (unqualified, or qualified by `pg_temp`) is replaced by
//! its query as a derived table of the same name before planning, so another
//! session never sees them, nothing is persisted, and the query sees what its
//! session may see (an account-scoped user's views are scoped inside it too).
//! The session's own catalog lists them, as PostgreSQL does, in its
//! temporary schema ([`crate::catalog::temp_relations`]): each view has an
//! OID and its columns' names and types, from its plan at creation.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::ControlFlow;

use arrow::datatypes::Field;

use datafusion::sql::sqlparser::ast::{
    Ident, ObjectName, ObjectNamePart, Query, TableAlias, TableAliasColumnDef, TableFactor, Visit,
    VisitMut, Visitor, VisitorMut,
};

/// The schema name that qualifies a temporary view in SQL (`pg_temp.v`).
pub const TEMP_SCHEMA: &str = "pg_temp";

/// One temporary view: its query (temporary views it reads already
/// replaced) and the temporary views it reads.
#[derive(Debug, Clone)]
struct TempView {
    query: Query,
    columns: Vec<Ident>,
    reads: BTreeSet<String>,
    /// Its OID in the session's catalog.
    oid: i32,
    /// Its columns as the catalog lists them (names and types).
    fields: Vec<Field>,
}

/// The temporary views of one session, by name.
#[derive(Debug, Default)]
pub struct TempViews {
    views: BTreeMap<String, TempView>,
    /// The OIDs given so far (the next view's is the one after).
    oids: i32,
}

/// Why a temporary view command failed.
#[derive(Debug)]
pub enum TempViewError {
    /// The name is taken (42P07).
    Exists(String),
    /// No such view (42P01).
    Missing(String),
    /// Another temporary view reads it (2BP01).
    Depended(String, String),
}

impl std::fmt::Display for TempViewError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TempViewError::Exists(name) => write!(f, "relation \"{name}\" already exists"),
            TempViewError::Missing(name) => write!(f, "view \"{name}\" does not exist"),
            TempViewError::Depended(name, by) => write!(
                f,
                "cannot drop view {name} because other objects depend on it: view {by} depends on view {name}"
            ),
        }
    }
}

impl TempViewError {
    /// The SQLSTATE PostgreSQL gives.
    pub fn sqlstate(&self) -> &'static str {
        match self {
            TempViewError::Exists(_) => "42P07",
            TempViewError::Missing(_) => "42P01",
            TempViewError::Depended(..) => "2BP01",
        }
    }
}

/// The view name `name` refers to, if it can name a temporary view
/// (`v`, `pg_temp.v`), folded as PostgreSQL folds identifiers.
pub fn view_name(name: &ObjectName) -> Option<String> {
    let fold = |part: &ObjectNamePart| {
        part.as_ident().map(|i| {
            if i.quote_style.is_some() {
                i.value.clone()
            } else {
                i.value.to_lowercase()
            }
        })
    };
    match name.0.as_slice() {
        [view] => fold(view),
        [schema, view]
            if fold(schema).is_some_and(|s| s == TEMP_SCHEMA || s.starts_with("pg_temp_")) =>
        {
            fold(view)
        }
        _ => None,
    }
}

impl TempViews {
    /// Whether the session has temporary views.
    pub fn is_empty(&self) -> bool {
        self.views.is_empty()
    }

    /// Adds (or with `replace`, replaces, keeping its OID) view `name`;
    /// `query` has this session's temporary views already expanded, `fields`
    /// are its columns as the catalog lists them.
    pub fn create(
        &mut self,
        name: String,
        columns: Vec<Ident>,
        query: Query,
        reads: BTreeSet<String>,
        fields: Vec<Field>,
        replace: bool,
    ) -> Result<(), TempViewError> {
        let oid = match self.views.get(&name) {
            Some(_) if !replace => return Err(TempViewError::Exists(name)),
            Some(existing) => existing.oid,
            None => {
                self.oids += 1;
                crate::catalog::temp_relations::relation_oid(self.oids)
            }
        };
        self.views.insert(
            name,
            TempView {
                query,
                columns,
                reads,
                oid,
                fields,
            },
        );
        Ok(())
    }

    /// The views as the session's catalog lists them.
    pub fn relations(&self) -> Vec<crate::catalog::temp_relations::TempRelation> {
        self.views
            .iter()
            .map(
                |(name, view)| crate::catalog::temp_relations::TempRelation {
                    oid: view.oid,
                    name: name.clone(),
                    fields: view.fields.clone(),
                },
            )
            .collect()
    }

    /// Drops view `name` (not found is an error unless `if_exists`).
    pub fn drop_view(
        &mut self,
        name: &str,
        if_exists: bool,
        cascade: bool,
    ) -> Result<(), TempViewError> {
        if !self.views.contains_key(name) {
            return if if_exists {
                Ok(())
            } else {
                Err(TempViewError::Missing(name.to_string()))
            };
        }
        let readers: Vec<String> = self
            .views
            .iter()
            .filter(|(_, v)| v.reads.contains(name))
            .map(|(n, _)| n.clone())
            .collect();
        if let Some(reader) = readers.first() {
            if !cascade {
                return Err(TempViewError::Depended(name.to_string(), reader.clone()));
            }
            for reader in &readers {
                self.drop_view(reader, true, true)?;
            }
        }
        self.views.remove(name);
        Ok(())
    }

    /// Whether `name` is one of the session's temporary views.
    pub fn contains(&self, name: &str) -> bool {
        self.views.contains_key(name)
    }

    /// Drops them all (`DISCARD ALL|TEMP`).
    pub fn clear(&mut self) {
        self.views.clear();
    }

    /// Replaces every reference to a temporary view in `statement` by its
    /// query; returns the names replaced. A name a `WITH` clause of the
    /// statement defines is the CTE, as in PostgreSQL.
    pub fn expand<V: VisitMut + Visit>(&self, statement: &mut V) -> BTreeSet<String> {
        self.resolve(statement, &|_| false)
    }

    /// [`Self::expand`], and an unqualified name of no temporary view for
    /// which `in_pg_catalog` holds is qualified as `pg_catalog.name`:
    /// PostgreSQL searches the temporary schema, then `pg_catalog`, before
    /// the search path.
    pub fn resolve<V: VisitMut + Visit>(
        &self,
        statement: &mut V,
        in_pg_catalog: &dyn Fn(&str) -> bool,
    ) -> BTreeSet<String> {
        let mut ctes = Ctes::default();
        let _ = Visit::visit(&*statement, &mut ctes);
        let mut expander = Expander {
            views: self,
            ctes: ctes.0,
            replaced: BTreeSet::new(),
            in_pg_catalog,
        };
        let _ = VisitMut::visit(statement, &mut expander);
        expander.replaced
    }
}

#[derive(Default)]
struct Ctes(BTreeSet<String>);

impl Visitor for Ctes {
    type Break = ();
    fn pre_visit_query(&mut self, query: &Query) -> ControlFlow<()> {
        if let Some(with) = &query.with {
            for cte in &with.cte_tables {
                let name = &cte.alias.name;
                self.0.insert(if name.quote_style.is_some() {
                    name.value.clone()
                } else {
                    name.value.to_lowercase()
                });
            }
        }
        ControlFlow::Continue(())
    }
}

struct Expander<'a> {
    views: &'a TempViews,
    ctes: BTreeSet<String>,
    replaced: BTreeSet<String>,
    in_pg_catalog: &'a dyn Fn(&str) -> bool,
}

impl VisitorMut for Expander<'_> {
    type Break = ();

    fn pre_visit_table_factor(&mut self, factor: &mut TableFactor) -> ControlFlow<()> {
        let TableFactor::Table {
            name,
            alias,
            args: None,
            ..
        } = factor
        else {
            return ControlFlow::Continue(());
        };
        let qualified = name.0.len() > 1;
        let Some(view_name) = view_name(name) else {
            return ControlFlow::Continue(());
        };
        if !qualified && self.ctes.contains(&view_name) {
            return ControlFlow::Continue(());
        }
        let Some(view) = self.views.views.get(&view_name) else {
            if !qualified && (self.in_pg_catalog)(&view_name) {
                name.0
                    .insert(0, ObjectNamePart::Identifier(Ident::new("pg_catalog")));
            }
            return ControlFlow::Continue(());
        };
        let alias = alias.take().unwrap_or_else(|| TableAlias {
            explicit: true,
            name: Ident::with_quote('"', view_name.clone()),
            columns: vec![],
            at: None,
        });
        let alias = if alias.columns.is_empty() && !view.columns.is_empty() {
            TableAlias {
                columns: view
                    .columns
                    .iter()
                    .map(|c| TableAliasColumnDef {
                        name: c.clone(),
                        data_type: None,
                    })
                    .collect(),
                ..alias
            }
        } else {
            alias
        };
        self.replaced.insert(view_name);
        *factor = TableFactor::Derived {
            lateral: false,
            subquery: Box::new(view.query.clone()),
            alias: Some(alias),
            sample: None,
        };
        ControlFlow::Continue(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;
    use datafusion::sql::sqlparser::parser::Parser;

    fn query(sql: &str) -> Query {
        match Parser::parse_sql(&PostgreSqlDialect {}, sql)
            .unwrap()
            .remove(0)
        {
            datafusion::sql::sqlparser::ast::Statement::Query(q) => *q,
            _ => unreachable!(),
        }
    }

    #[test]
    fn references_become_the_query_unless_a_cte_takes_the_name() {
        let mut views = TempViews::default();
        views
            .create(
                "v".into(),
                vec![],
                query("SELECT 1 AS a"),
                BTreeSet::new(),
                vec![],
                false,
            )
            .unwrap();
        let mut q = query("SELECT * FROM V JOIN pg_temp.v w ON true");
        assert_eq!(views.expand(&mut q).len(), 1);
        assert_eq!(
            q.to_string(),
            "SELECT * FROM (SELECT 1 AS a) AS \"v\" JOIN (SELECT 1 AS a) w ON true"
        );
        let mut q = query("WITH v AS (SELECT 2 AS a) SELECT * FROM v");
        assert!(views.expand(&mut q).is_empty());
        assert_eq!(
            views
                .create(
                    "v".into(),
                    vec![],
                    query("SELECT 1"),
                    BTreeSet::new(),
                    vec![],
                    false
                )
                .unwrap_err()
                .sqlstate(),
            "42P07"
        );
        views
            .create(
                "w".into(),
                vec![],
                query("SELECT 1"),
                ["v".to_string()].into(),
                vec![],
                false,
            )
            .unwrap();
        assert_eq!(
            views.drop_view("v", false, false).unwrap_err().sqlstate(),
            "2BP01"
        );
        views.drop_view("v", false, true).unwrap();
        assert!(views.is_empty());
        assert_eq!(
            views.drop_view("v", false, false).unwrap_err().sqlstate(),
            "42P01"
        );
    }
}
