//! PostgreSQL types that Arrow cannot tell apart from `text`: `varchar`,
//! `name`, `"char"` and `json` are all Arrow `Utf8`, yet PostgreSQL describes
//! each column by its own type OID (`varchar` 1043, `name` 19, `"char"` 18,
//! `json` 114), and clients read it (SQLAlchemy reflects `json` columns as
//! JSON, drivers decode `"char"` as one byte).
//!
//! The PostgreSQL type travels as Arrow field metadata under [`PG_TYPE_KEY`],
//! set where the type arises and read where columns are described
//! (`crate::server::encode::fields`):
//!
//! - a cast: [`PgTypePlanner`] plans `varchar`, `varchar(n)`, `name`,
//!   `"char"` and `json` as `Utf8` tagged with the type, and the analyzer
//!   rule [`TypedCasts`] plans such a cast as the untagged cast wrapped in
//!   [`PgTyped`], an identity function whose result field carries the tag.
//!   (DataFusion 55 derives a cast's logical field from its target but its
//!   physical field differently in places; a function's result field is the
//!   same in both.)
//! - a `CASE` whose branches are all of one tagged type (or NULL) is of that
//!   type, as PostgreSQL resolves it (`select_common_type`); DataFusion
//!   drops field metadata at `CASE`, so [`TypedCasts`] wraps it too.
//! - catalog columns and functions ([`tagged`]): `pg_class.relname` is
//!   `name`, `json_build_object` returns `json`.
//!
//! - `array_agg` of a tagged column is the array type (`name[]`, as
//!   PostgreSQL's `array_agg(anynonarray)`): DataFusion's `array_agg` drops
//!   its argument's metadata, so [`TypedCasts`] projects the aggregate's
//!   column through [`PgTyped`] right above the `Aggregate`.
//!
//! Field metadata follows a column through projections, aliases, subqueries
//! and views. `char(n)` (`bpchar`) is not tagged: its values are not padded,
//! and a `bpchar` description would claim PostgreSQL's padded values.

use std::collections::HashMap;
use std::sync::Arc;

use arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::common::{DFSchema, Result};
use datafusion::logical_expr::expr::{Case, ScalarFunction};
use datafusion::logical_expr::expr_rewriter::NamePreserver;
use datafusion::logical_expr::planner::TypePlanner;
use datafusion::logical_expr::{
    Cast, ColumnarValue, Expr, ExprSchemable, LogicalPlan, Projection, ReturnFieldArgs,
    ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, TryCast, Union, Volatility,
};
use datafusion::optimizer::AnalyzerRule;
use datafusion::sql::sqlparser::ast::{CharacterLength, DataType as SqlType};
use pgwire::api::Type;

/// The field metadata key holding a column's PostgreSQL type name.
pub const PG_TYPE_KEY: &str = "conversql.pg_type";

/// The PostgreSQL types modelled as tagged `Utf8`, by the name stored under [`PG_TYPE_KEY`].
const TYPES: &[(&str, Type)] = &[
    ("varchar", Type::VARCHAR),
    ("name", Type::NAME),
    ("char", Type::CHAR),
    ("json", Type::JSON),
    ("varchar[]", Type::VARCHAR_ARRAY),
    ("name[]", Type::NAME_ARRAY),
    ("char[]", Type::CHAR_ARRAY),
    ("json[]", Type::JSON_ARRAY),
];

/// The PostgreSQL type a field is tagged with, if any.
pub fn pg_type(field: &Field) -> Option<Type> {
    let name = field.metadata().get(PG_TYPE_KEY)?;
    TYPES
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, t)| t.clone())
}

/// `field` tagged as being of the PostgreSQL type `pg_type` (one of [`TYPES`]).
pub fn tagged(field: Field, pg_type: &str) -> Field {
    debug_assert!(TYPES.iter().any(|(n, _)| *n == pg_type), "{pg_type}");
    let mut metadata = field.metadata().clone();
    metadata.insert(PG_TYPE_KEY.to_string(), pg_type.to_string());
    field.with_metadata(metadata)
}

/// The tag of a field, as stored.
fn tag_of(field: &Field) -> Option<&str> {
    field.metadata().get(PG_TYPE_KEY).map(String::as_str)
}

/// The tagged type a SQL type names, if it is one of [`TYPES`].
fn sql_type_tag(sql_type: &SqlType) -> Option<&'static str> {
    match sql_type {
        SqlType::Varchar(None | Some(CharacterLength::IntegerLength { .. }))
        | SqlType::CharacterVarying(None | Some(CharacterLength::IntegerLength { .. }))
        | SqlType::CharVarying(None | Some(CharacterLength::IntegerLength { .. })) => {
            Some("varchar")
        }
        SqlType::JSON => Some("json"),
        SqlType::Custom(name, args) if args.is_empty() => {
            let parts: Vec<(&str, bool)> = name
                .0
                .iter()
                .filter_map(|p| {
                    p.as_ident()
                        .map(|i| (i.value.as_str(), i.quote_style.is_some()))
                })
                .collect();
            let (last, quoted) = match parts.as_slice() {
                [one] => *one,
                [schema, one] if schema.0.eq_ignore_ascii_case("pg_catalog") => *one,
                _ => return None,
            };
            match (last.to_ascii_lowercase().as_str(), quoted) {
                ("name", _) => Some("name"),
                ("json", _) => Some("json"),
                ("varchar", _) => Some("varchar"),
                // `"char"`, quoted: unquoted `char` is `bpchar`.
                ("char", true) => Some("char"),
                _ => None,
            }
        }
        _ => None,
    }
}

/// Plans the SQL types of [`TYPES`] as tagged `Utf8`, and every other type
/// by the planner it wraps (datafusion-pg-catalog's).
#[derive(Debug)]
pub struct PgTypePlanner {
    inner: Option<Arc<dyn TypePlanner>>,
}

impl PgTypePlanner {
    /// A planner trying the tagged types first, then `inner`.
    pub fn new(inner: Option<Arc<dyn TypePlanner>>) -> Self {
        PgTypePlanner { inner }
    }
}

impl TypePlanner for PgTypePlanner {
    fn plan_type_field(&self, sql_type: &SqlType) -> Result<Option<FieldRef>> {
        if let Some(tag) = sql_type_tag(sql_type) {
            return Ok(Some(Arc::new(tagged(
                Field::new("", DataType::Utf8, true),
                tag,
            ))));
        }
        match &self.inner {
            Some(inner) => inner.plan_type_field(sql_type),
            None => Ok(None),
        }
    }
}

/// The identity on text whose result field is tagged with a PostgreSQL type.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct PgTyped {
    pg_type: String,
    signature: Signature,
}

impl PgTyped {
    /// The function tagging its argument as `pg_type`.
    pub fn new(pg_type: &str) -> Self {
        PgTyped {
            pg_type: pg_type.to_string(),
            signature: Signature::any(1, Volatility::Immutable),
        }
    }

    /// `expr` tagged as `pg_type`.
    pub fn call(pg_type: &str, expr: Expr) -> Expr {
        Expr::ScalarFunction(ScalarFunction::new_udf(
            Arc::new(ScalarUDF::new_from_impl(PgTyped::new(pg_type))),
            vec![expr],
        ))
    }
}

impl ScalarUDFImpl for PgTyped {
    fn name(&self) -> &'static str {
        "pg_typed"
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, args: &[DataType]) -> Result<DataType> {
        Ok(args[0].clone())
    }
    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        let arg = &args.arg_fields[0];
        Ok(Arc::new(tagged(
            Field::new(self.name(), arg.data_type().clone(), arg.is_nullable()),
            &self.pg_type,
        )))
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        Ok(args.args[0].clone())
    }
}

/// Plans tagged casts and uniformly tagged `CASE`s as [`PgTyped`] calls (module docs).
#[derive(Debug, Default)]
pub struct TypedCasts;

/// Whether `expr` is a NULL constant (possibly cast), which takes any branch's type.
fn is_null(expr: &Expr) -> bool {
    match expr {
        Expr::Literal(value, _) => value.is_null(),
        Expr::Cast(Cast { expr, .. }) | Expr::TryCast(TryCast { expr, .. }) => is_null(expr),
        _ => false,
    }
}

/// The one tag of the non-NULL results of a `CASE`, if they all have it.
fn case_tag(case: &Case, field_of: &dyn Fn(&Expr) -> Option<FieldRef>) -> Option<String> {
    let results = case
        .when_then_expr
        .iter()
        .map(|(_, then)| then.as_ref())
        .chain(case.else_expr.as_deref())
        .filter(|e| !is_null(e));
    let mut tag: Option<String> = None;
    for result in results {
        let field = field_of(result)?;
        let this = tag_of(&field)?;
        match &tag {
            Some(t) if t != this => return None,
            Some(_) => {}
            None => tag = Some(this.to_string()),
        }
    }
    tag
}

fn untagged(field: &FieldRef) -> FieldRef {
    let mut metadata: HashMap<String, String> = field.metadata().clone();
    metadata.remove(PG_TYPE_KEY);
    Arc::new(field.as_ref().clone().with_metadata(metadata))
}

/// Rewrites one plan node's expressions (see [`TypedCasts`]).
fn rewrite_node(plan: LogicalPlan) -> Result<Transformed<LogicalPlan>> {
    let schemas: Vec<_> = plan
        .inputs()
        .iter()
        .map(|p| Arc::clone(p.schema()))
        .collect();
    let field_of = move |e: &Expr| -> Option<FieldRef> {
        schemas
            .iter()
            .find_map(|s| e.to_field(s.as_ref()).ok().map(|(_, f)| f))
    };
    let names = NamePreserver::new(&plan);
    plan.map_expressions(|expr| {
        let name = names.save(&expr);
        let rewritten = expr.transform_up(|e| match e {
            Expr::Cast(Cast { expr, field }) if tag_of(&field).is_some() => {
                let tag = tag_of(&field).unwrap_or_default().to_string();
                Ok(Transformed::yes(PgTyped::call(
                    &tag,
                    Expr::Cast(Cast::new_from_field(expr, untagged(&field))),
                )))
            }
            Expr::TryCast(TryCast { expr, field }) if tag_of(&field).is_some() => {
                let tag = tag_of(&field).unwrap_or_default().to_string();
                Ok(Transformed::yes(PgTyped::call(
                    &tag,
                    Expr::TryCast(TryCast::new_from_field(expr, untagged(&field))),
                )))
            }
            Expr::Case(case) => match case_tag(&case, &field_of) {
                Some(tag) => Ok(Transformed::yes(PgTyped::call(&tag, Expr::Case(case)))),
                None => Ok(Transformed::no(Expr::Case(case))),
            },
            other => Ok(Transformed::no(other)),
        })?;
        Ok(rewritten.update_data(|e| name.restore(e)))
    })
}

/// The array type of an `array_agg` over a tagged argument (`name` → `name[]`).
fn array_agg_tag(expr: &Expr, input: &DFSchema) -> Option<String> {
    let Expr::AggregateFunction(aggregate) = unalias(expr) else {
        return None;
    };
    if aggregate.func.name() != "array_agg" {
        return None;
    }
    let (_, field) = aggregate.params.args.first()?.to_field(input).ok()?;
    let tag = tag_of(&field)?;
    (!tag.ends_with("[]")).then(|| format!("{tag}[]"))
}

/// `expr` without its aliases.
fn unalias(expr: &Expr) -> &Expr {
    match expr {
        Expr::Alias(alias) => unalias(&alias.expr),
        other => other,
    }
}

/// An `Aggregate` with `array_agg`s of tagged columns, under a projection
/// tagging those columns with the array type.
fn tag_array_aggregates(plan: LogicalPlan) -> Result<Transformed<LogicalPlan>> {
    let LogicalPlan::Aggregate(aggregate) = &plan else {
        return Ok(Transformed::no(plan));
    };
    let tags: Vec<Option<String>> = aggregate
        .aggr_expr
        .iter()
        .map(|e| array_agg_tag(e, aggregate.input.schema()))
        .collect();
    if tags.iter().all(Option::is_none) {
        return Ok(Transformed::no(plan));
    }
    // The aggregates' columns are the schema's last ones.
    let columns = plan.schema().columns();
    let first_aggregate = columns.len() - tags.len();
    let exprs = columns
        .into_iter()
        .enumerate()
        .map(|(i, column)| {
            match i
                .checked_sub(first_aggregate)
                .and_then(|k| tags[k].as_ref())
            {
                Some(tag) => {
                    let (relation, name) = (column.relation.clone(), column.name.clone());
                    PgTyped::call(tag, Expr::Column(column)).alias_qualified(relation, name)
                }
                None => Expr::Column(column),
            }
        })
        .collect();
    Projection::try_new(exprs, Arc::new(plan)).map(|p| Transformed::yes(LogicalPlan::Projection(p)))
}

/// `plan` with its schema derived again from its inputs'. DataFusion keeps a
/// `Union`'s schema as built; it is derived again here (by position, the
/// first input's types, as the SQL planner builds it) so that a tag both
/// branches carry reaches the union's column.
fn recompute_schema(plan: LogicalPlan) -> Result<LogicalPlan> {
    match plan {
        LogicalPlan::Union(union) => {
            let rebuilt = Union::try_new_with_loose_types(union.inputs)?;
            Ok(LogicalPlan::Union(rebuilt))
        }
        other => other.recompute_schema(),
    }
}

impl AnalyzerRule for TypedCasts {
    fn analyze(&self, plan: LogicalPlan, _config: &ConfigOptions) -> Result<LogicalPlan> {
        let rewritten = plan
            .transform_up_with_subqueries(rewrite_node)?
            .transform_data(|p| p.transform_up_with_subqueries(tag_array_aggregates))?;
        if !rewritten.transformed {
            return Ok(rewritten.data);
        }
        // A rewritten cast's field is the one it had; a `CASE` gains the tag,
        // and so do the schemas derived from it.
        rewritten
            .data
            .transform_up_with_subqueries(|p| recompute_schema(p).map(Transformed::yes))
            .map(|t| t.data)
    }

    fn name(&self) -> &'static str {
        "postgres_type_identity"
    }
}

/// Puts [`PgTypePlanner`] in front of the type planner `ctx` has (run after
/// datafusion-pg-catalog installs its own).
pub fn install_type_planner(ctx: &datafusion::prelude::SessionContext) {
    let state = ctx.state_ref();
    let existing = state.read().clone();
    let mut builder = datafusion::execution::SessionStateBuilder::new_from_existing(existing);
    let inner = builder.type_planner().take();
    let planner = Arc::new(PgTypePlanner::new(inner));
    *state.write() = builder.with_type_planner(planner).build();
}

#[cfg(test)]
mod tests {
    use arrow::array::{Array, AsArray};

    use super::*;

    async fn session() -> crate::Session {
        crate::Engine::open(crate::EngineOptions {
            data: concat!(env!("CARGO_MANIFEST_DIR"), "/data").into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .session()
    }

    /// Each column's PostgreSQL type name (`None`: untagged) and text value.
    async fn typed(session: &mut crate::Session, sql: &str) -> Vec<(Option<String>, String)> {
        let df = session.query(sql).await.unwrap();
        // As described: after the analyzer (`Session::describe`).
        let schema = df
            .clone()
            .into_optimized_plan()
            .unwrap()
            .schema()
            .as_arrow()
            .clone();
        let physical_plan = df.clone().create_physical_plan().await.unwrap();
        let shown = datafusion::physical_plan::displayable(physical_plan.as_ref())
            .indent(true)
            .to_string();
        let stream = df.execute_stream().await.unwrap();
        let physical = stream.schema();
        let batches: Vec<_> = futures::TryStreamExt::try_collect(stream).await.unwrap();
        let batch = &batches[0];
        schema
            .fields()
            .iter()
            .zip(physical.fields())
            .zip(batch.columns())
            .map(|((field, streamed), column)| {
                assert_eq!(
                    streamed.metadata(),
                    field.metadata(),
                    "{sql}: the logical and the physical plan's fields {} agree\n{shown}",
                    field.name()
                );
                let text = arrow::compute::cast(column, &DataType::Utf8).unwrap();
                let text = text.as_string::<i32>();
                let value = if text.is_null(0) {
                    "NULL".to_string()
                } else {
                    text.value(0).to_string()
                };
                (tag_of(field).map(str::to_string), value)
            })
            .collect()
    }

    fn tags(found: &[(Option<String>, String)]) -> Vec<Option<&str>> {
        found.iter().map(|(t, _)| t.as_deref()).collect()
    }

    #[tokio::test]
    async fn casts_carry_their_type_and_postgres_values() {
        let mut session = session().await;
        let found = typed(
            &mut session,
            "SELECT 'abc'::varchar(2) AS s, CAST('abc' AS VARCHAR) AS t, 'x'::name AS n, \
             '{\"a\": 1}'::json AS j, 'a'::\"char\" AS c, 'abc' AS plain, 'abc'::text AS txt",
        )
        .await;
        assert_eq!(
            tags(&found),
            [
                Some("varchar"),
                Some("varchar"),
                Some("name"),
                Some("json"),
                Some("char"),
                None,
                None
            ]
        );
        let values: Vec<&str> = found.iter().map(|(_, v)| v.as_str()).collect();
        assert_eq!(values, ["ab", "abc", "x", "{\"a\": 1}", "a", "abc", "abc"]);
    }

    #[tokio::test]
    async fn the_type_follows_subqueries_case_and_functions() {
        let mut session = session().await;
        let found = typed(
            &mut session,
            "SELECT s, CASE WHEN s = 'ab' THEN s ELSE NULL END AS c, \
             CASE WHEN s = 'ab' THEN s ELSE 'x' END AS mixed, \
             json_build_object('k', s) AS j, s || '!' AS concatenated \
             FROM (SELECT 'abc'::varchar(2) AS s) t",
        )
        .await;
        assert_eq!(
            tags(&found),
            [Some("varchar"), Some("varchar"), None, Some("json"), None]
        );
        assert_eq!(found[3].1, "{\"k\":\"ab\"}");
    }

    #[tokio::test]
    async fn a_catalog_column_is_of_its_postgres_type() {
        let mut session = session().await;
        let found = typed(
            &mut session,
            "SELECT c.relname, c.relkind, n.nspname, a.attname FROM pg_catalog.pg_class c \
             JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
             JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid \
             WHERE c.relname = 'conversations' AND a.attnum = 1",
        )
        .await;
        assert_eq!(
            tags(&found),
            [Some("name"), Some("char"), Some("name"), Some("name")]
        );
        assert_eq!(found[1].1, "v");
    }

    #[tokio::test]
    async fn array_agg_of_a_name_is_a_name_array() {
        let mut session = session().await;
        let found = typed(
            &mut session,
            "SELECT c.relkind, array_agg(c.relname ORDER BY c.relname) AS names, count(*) AS n \
             FROM pg_catalog.pg_class c WHERE c.relname IN ('conversations', 'conversation_messages') \
             GROUP BY c.relkind",
        )
        .await;
        assert_eq!(tags(&found), [Some("char"), Some("name[]"), None]);
        assert_eq!(found[1].1, "[conversation_messages, conversations]");
    }

    #[test]
    fn sql_types() {
        use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;
        use datafusion::sql::sqlparser::parser::Parser;
        let of = |t: &str| {
            let mut parser = Parser::new(&PostgreSqlDialect {}).try_with_sql(t).unwrap();
            sql_type_tag(&parser.parse_data_type().unwrap())
        };
        assert_eq!(of("varchar(3)"), Some("varchar"));
        assert_eq!(of("character varying"), Some("varchar"));
        assert_eq!(of("pg_catalog.name"), Some("name"));
        assert_eq!(of("\"char\""), Some("char"));
        assert_eq!(of("char"), None, "bpchar");
        assert_eq!(of("char(5)"), None);
        assert_eq!(of("json"), Some("json"));
        assert_eq!(of("text"), None);
    }
}
