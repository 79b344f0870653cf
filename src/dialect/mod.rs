//! PostgreSQL's SQL as DataFusion plans it: the parser that turns client
//! text into statements DataFusion can plan with PostgreSQL's meaning
//! ([`Parser`]), PostgreSQL's result column names ([`column_names`]) and
//! PostgreSQL's scalar subqueries ([`scalar_subquery`]) and the names
//! OID-alias values print as ([`reg_output`]).

pub mod array_subquery;
pub mod column_names;
mod exists_subquery;
pub mod lateral_unnest;
pub mod reg_array_output;
pub mod reg_output;
pub mod scalar_subquery;
mod subquery_join;
pub mod unnest;

use std::sync::Arc;

use datafusion::error::DataFusionError;
use datafusion::sql::sqlparser::ast::Statement;
use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;
use datafusion_pg_catalog::sql::PostgresCompatibilityParser;
use datafusion_pg_catalog::sql::rules::{
    AliasDuplicatedProjectionRewrite, CurrentUserVariableToSessionUserFunctionCall,
    FixArrayLiteral, PrependUnqualifiedPgTableName, ResolveUnqualifiedIdentifier,
    RewriteArrayAnyAllOperation, RewritePgCatalogOperator, RewriteRegCastToSubquery,
    SqlStatementRewriteRule, StripCallableQualifier, StripCollate,
};

/// Parses PostgreSQL text: names the result columns as PostgreSQL does
/// (before any rewrite changes the expressions they are named after), then
/// applies `datafusion-pg-catalog`'s syntax rules.
///
/// Of those rules, `RemoveSubqueryFromProjection` is left out: it replaces a
/// correlated scalar subquery in a select list by NULL and stamps `LIMIT 1` on
/// the others, a different answer where PostgreSQL gives the subquery's value
/// or error 21000 ([`scalar_subquery`] plans them instead), and
/// `FixVersionColumnName`, which [`column_names`] covers. The crate's
/// whole-query substitutions of a few psql/pgcli catalog queries (its
/// "blacklist") still apply: a statement they change is taken as that crate
/// parses it.
#[derive(Debug)]
pub struct Parser {
    compatibility: PostgresCompatibilityParser,
    rules: Vec<Arc<dyn SqlStatementRewriteRule>>,
}

impl Default for Parser {
    fn default() -> Self {
        Parser {
            compatibility: PostgresCompatibilityParser::new(),
            rules: vec![
                Arc::new(AliasDuplicatedProjectionRewrite),
                Arc::new(ResolveUnqualifiedIdentifier),
                Arc::new(RewriteArrayAnyAllOperation),
                Arc::new(PrependUnqualifiedPgTableName),
                Arc::new(StripCallableQualifier),
                Arc::new(FixArrayLiteral),
                Arc::new(CurrentUserVariableToSessionUserFunctionCall),
                Arc::new(StripCollate),
                Arc::new(RewritePgCatalogOperator),
                Arc::new(RewriteRegCastToSubquery::new()),
            ],
        }
    }
}

impl Parser {
    /// The statements of `sql`, named and rewritten (type docs).
    ///
    /// # Errors
    /// `DataFusionError::SQL` for text that does not parse; an external
    /// `SqlError` (0A000) for what [`reg_output`] refuses.
    pub fn parse(&self, sql: &str) -> datafusion::error::Result<Vec<Statement>> {
        let compatible = self
            .compatibility
            .parse(sql)
            .map_err(|e| DataFusionError::SQL(Box::new(e), None))?;
        let plain =
            datafusion::sql::sqlparser::parser::Parser::parse_sql(&PostgreSqlDialect {}, sql);
        let substituted = |plain: &[Statement]| {
            plain.len() != compatible.len()
                || plain.iter().zip(&compatible).any(|(p, c)| {
                    self.compatibility.rewrite(p.clone()).to_string() != c.to_string()
                })
        };
        match plain {
            Ok(plain) if !substituted(&plain) => plain
                .into_iter()
                .map(|mut statement| {
                    column_names::name_columns(&mut statement);
                    unnest::rewrite(&mut statement);
                    reg_output::rewrite(&mut statement)
                        .map_err(|e| DataFusionError::External(Box::new(e)))?;
                    Ok(self
                        .rules
                        .iter()
                        .fold(statement, |statement, rule| rule.rewrite(statement)))
                })
                .collect(),
            _ => Ok(compatible
                .into_iter()
                .map(|mut statement| {
                    column_names::name_columns(&mut statement);
                    statement
                })
                .collect()),
        }
    }
}
