//! The object index behind `obj_description`, `col_description`,
//! `pg_description` and the `pg_proc` rows of conversql's functions: which
//! oid names which relation, column and namespace. The oids are those the
//! Postgres catalog (`datafusion-pg-catalog`) hands out; the index is
//! refreshed from its `pg_class` and `pg_namespace` whenever a query reads
//! the catalog, so it always agrees with what the client was shown.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Int32Type};
use datafusion::catalog::{SchemaProvider, Session};
use datafusion::common::Result;
use datafusion::execution::context::SessionState;
use datafusion::physical_plan::collect;

use super::docs::Docs;

/// `pg_class`'s oid in `pg_description.classoid`.
pub const PG_CLASS: i32 = 1259;
/// `pg_proc`'s oid.
pub const PG_PROC: i32 = 1255;
/// `pg_namespace`'s oid.
pub const PG_NAMESPACE: i32 = 2615;

/// Descriptions by (objoid, classoid, objsubid).
pub type Descriptions = HashMap<(i32, i32, i32), String>;

/// One documented relation as the catalog shows it.
#[derive(Debug, Clone)]
pub struct Relation {
    /// Its comment.
    pub comment: Option<String>,
    /// Column comments by attnum − 1 (the column's position).
    pub columns: Vec<Option<String>>,
    /// The view's `SELECT` (`pg_get_viewdef`).
    pub definition: Option<String>,
}

/// The current oids of namespaces and documented relations.
#[derive(Debug, Default)]
pub struct Snapshot {
    /// Namespace oid by schema name.
    pub namespaces: HashMap<String, i32>,
    /// Documented relations (those of `public` and `raw`) by oid.
    pub relations: HashMap<i32, Relation>,
    /// The schema of every relation, by oid.
    pub relation_schemas: HashMap<i32, String>,
    /// The oids of `pg_catalog.pg_class`, `pg_proc` and `pg_namespace` as
    /// relations (what `'pg_class'::regclass` gives, so `pg_description.classoid`
    /// joins as clients expect), by name.
    pub catalog_oids: HashMap<String, i32>,
}

impl Snapshot {
    /// The classoid to report for the catalog `name` (`pg_class`, …), falling back to Postgres' fixed oid.
    pub fn class_oid(&self, name: &str, fixed: i32) -> i32 {
        self.catalog_oids.get(name).copied().unwrap_or(fixed)
    }
}

/// The index: the documentation, the catalog, and the latest snapshot of oids.
#[derive(Debug)]
pub struct Index {
    /// The documentation of the built-in views and the raw tables.
    base: Docs,
    /// `base` with the views defined from SQL (see [`Index::set_view_docs`]).
    docs: RwLock<Arc<Docs>>,
    inner: Arc<dyn SchemaProvider>,
    snapshot: RwLock<Arc<Snapshot>>,
    /// `pg_description` of the catalog dump (built-in objects), by (objoid, classoid, objsubid).
    builtin: RwLock<Option<Arc<Descriptions>>>,
    /// Type oids by `pg_type.typname` (loaded on the first refresh).
    types: RwLock<Option<Arc<HashMap<String, i32>>>>,
}

impl Index {
    /// An index over the original `pg_catalog` schema `inner`.
    pub fn new(docs: Docs, inner: Arc<dyn SchemaProvider>) -> Self {
        Index {
            docs: RwLock::new(Arc::new(docs.clone())),
            base: docs,
            inner,
            snapshot: RwLock::new(Arc::new(Snapshot::default())),
            builtin: RwLock::new(None),
            types: RwLock::new(None),
        }
    }

    /// The original `pg_catalog` schema.
    pub fn inner(&self) -> &Arc<dyn SchemaProvider> {
        &self.inner
    }

    /// The documentation: the built-in files' and the views defined from SQL.
    pub fn docs(&self) -> Arc<Docs> {
        self.docs.read().expect("index lock").clone()
    }

    /// Replaces the documentation of the views defined from SQL (schema `public`).
    pub fn set_view_docs(&self, views: Vec<(String, super::docs::RelationDoc)>) {
        let mut docs = self.base.clone();
        for (name, doc) in views {
            docs.insert((crate::names::PUBLIC_SCHEMA.to_string(), name), doc);
        }
        *self.docs.write().expect("index lock") = Arc::new(docs);
    }

    /// The latest snapshot.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.snapshot.read().expect("index lock").clone()
    }

    /// The built-in descriptions (empty until the first refresh).
    pub fn builtin(&self) -> Arc<Descriptions> {
        self.builtin
            .read()
            .expect("index lock")
            .clone()
            .unwrap_or_default()
    }

    /// The oid of a type name as `to_regtype` resolves it (SQL spellings and `[]` arrays included).
    pub fn type_oid(&self, name: &str) -> Option<i32> {
        let types = self.types.read().expect("index lock").clone()?;
        let name = name
            .trim()
            .trim_start_matches("pg_catalog.")
            .trim_matches('"')
            .to_ascii_lowercase();
        let (base, array) = match name.strip_suffix("[]") {
            Some(base) => (base.trim().to_string(), true),
            None => (name, false),
        };
        let base = match base.as_str() {
            "integer" | "int" => "int4",
            "bigint" => "int8",
            "smallint" => "int2",
            "boolean" => "bool",
            "double precision" => "float8",
            "real" => "float4",
            "timestamp with time zone" => "timestamptz",
            "timestamp without time zone" => "timestamp",
            "time with time zone" => "timetz",
            "time without time zone" => "time",
            "character varying" => "varchar",
            "character" => "bpchar",
            "decimal" => "numeric",
            other => other,
        };
        let key = if array {
            format!("_{base}")
        } else {
            base.to_string()
        };
        types.get(&key).copied()
    }

    /// The description of an object, as `obj_description`/`col_description` report it.
    pub fn describe(&self, objoid: i32, classoid: Option<i32>, objsubid: i32) -> Option<String> {
        if classoid.is_none_or(|c| c == PG_CLASS)
            && let Some(relation) = self.snapshot().relations.get(&objoid)
        {
            return if objsubid == 0 {
                relation.comment.clone()
            } else {
                relation
                    .columns
                    .get(objsubid as usize - 1)
                    .cloned()
                    .flatten()
            };
        }
        if classoid.is_none_or(|c| c == PG_PROC)
            && objsubid == 0
            && let Some(function) = super::functions::by_oid(objoid)
        {
            return Some(function.description.clone());
        }
        if classoid.is_none_or(|c| c == PG_NAMESPACE) && objsubid == 0 {
            let snapshot = self.snapshot();
            if let Some((name, _)) = snapshot.namespaces.iter().find(|(_, oid)| **oid == objoid)
                && let Some(comment) = super::schema_comment(name)
            {
                return Some(comment.to_string());
            }
        }
        let builtin = self.builtin();
        match classoid {
            Some(c) => builtin.get(&(objoid, c, objsubid)).cloned(),
            None => builtin
                .iter()
                .find(|((o, _, s), _)| *o == objoid && *s == objsubid)
                .map(|(_, d)| d.clone()),
        }
    }

    /// Re-reads the oids from `pg_class` and `pg_namespace`.
    pub async fn refresh(&self, session: &dyn Session) -> Result<()> {
        let Some(state) = session.as_any().downcast_ref::<SessionState>() else {
            return Ok(());
        };
        if self.builtin.read().expect("index lock").is_none() {
            let rows = self.scan(state, "pg_description", &[0, 1, 2, 3]).await?;
            let mut builtin = HashMap::new();
            for batch in rows {
                let (o, c, s) = (
                    int_column(&batch, 0)?,
                    int_column(&batch, 1)?,
                    int_column(&batch, 2)?,
                );
                let d = cast(batch.column(3), &DataType::Utf8)?;
                let d = d.as_string::<i32>();
                for i in 0..batch.num_rows() {
                    if !d.is_null(i) {
                        builtin.insert((o[i], c[i], s[i]), d.value(i).to_string());
                    }
                }
            }
            *self.builtin.write().expect("index lock") = Some(Arc::new(builtin));
        }
        if self.types.read().expect("index lock").is_none() {
            let mut types = HashMap::new();
            for batch in self.scan(state, "pg_type", &[0, 1]).await? {
                let oids = int_column(&batch, 0)?;
                let names = cast(batch.column(1), &DataType::Utf8)?;
                let names = names.as_string::<i32>();
                for (i, oid) in oids.iter().enumerate() {
                    types.insert(names.value(i).to_string(), *oid);
                }
            }
            *self.types.write().expect("index lock") = Some(Arc::new(types));
        }
        let mut snapshot = Snapshot::default();
        let mut namespace_names = HashMap::new();
        for batch in self.scan(state, "pg_namespace", &[0, 1]).await? {
            let oids = int_column(&batch, 0)?;
            let names = cast(batch.column(1), &DataType::Utf8)?;
            let names = names.as_string::<i32>();
            for (i, oid) in oids.iter().enumerate() {
                snapshot.namespaces.insert(names.value(i).to_string(), *oid);
                namespace_names.insert(*oid, names.value(i).to_string());
            }
        }
        let catalog = state.catalog_list().catalog(crate::names::DATABASE);
        let docs = self.docs();
        for batch in self.scan(state, "pg_class", &[0, 1, 2]).await? {
            let oids = int_column(&batch, 0)?;
            let names = cast(batch.column(1), &DataType::Utf8)?;
            let names = names.as_string::<i32>();
            let namespaces = int_column(&batch, 2)?;
            for (i, oid) in oids.iter().enumerate() {
                let Some(schema) = namespace_names.get(&namespaces[i]) else {
                    continue;
                };
                snapshot.relation_schemas.insert(*oid, schema.clone());
                let name = names.value(i).to_string();
                if schema == "pg_catalog"
                    && matches!(name.as_str(), "pg_class" | "pg_proc" | "pg_namespace")
                {
                    snapshot.catalog_oids.insert(name.clone(), *oid);
                }
                let Some(doc) = docs.get(&(schema.clone(), name.clone())) else {
                    continue;
                };
                let Some(provider) = catalog.as_ref().and_then(|c| c.schema(schema)) else {
                    continue;
                };
                let Some(table) = provider.table(&name).await? else {
                    continue;
                };
                let columns = table
                    .schema()
                    .fields()
                    .iter()
                    .map(|f| doc.columns.get(f.name()).cloned())
                    .collect();
                snapshot.relations.insert(
                    *oid,
                    Relation {
                        comment: doc.comment.clone(),
                        columns,
                        definition: doc.definition.clone(),
                    },
                );
            }
        }
        *self.snapshot.write().expect("index lock") = Arc::new(snapshot);
        Ok(())
    }

    async fn scan(
        &self,
        state: &SessionState,
        table: &str,
        projection: &[usize],
    ) -> Result<Vec<RecordBatch>> {
        let Some(provider) = self.inner.table(table).await? else {
            return Ok(vec![]);
        };
        let plan = provider
            .scan(state, Some(&projection.to_vec()), &[], None)
            .await?;
        collect(plan, state.task_ctx()).await
    }
}

fn int_column(batch: &RecordBatch, index: usize) -> Result<Vec<i32>> {
    let array = cast(batch.column(index), &DataType::Int32)?;
    let array = array.as_primitive::<Int32Type>();
    Ok((0..array.len())
        .map(|i| if array.is_null(i) { 0 } else { array.value(i) })
        .collect())
}
