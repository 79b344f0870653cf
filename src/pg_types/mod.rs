//! PostgreSQL's types where DataFusion's differ: arrays and untyped literals.
//!
//! - Literals: a cast of text to an array reads PostgreSQL's array input
//!   syntax ([`array_cast`], [`array_literal_tokens`]).
//! - Bound parameters: array values in text and binary format
//!   ([`array_parameters`]), the parameter types PostgreSQL infers for
//!   `$n::type[]` and `x = ANY($n)`, the types a client declares
//!   ([`declared_parameters`]) and `numeric` values with their own scale
//!   ([`numeric_parameters`]).
//! - Operators: `@>`, `<@` and `&&` on arrays compare as PostgreSQL does
//!   ([`array_operators`]); `= ANY`, `<> ALL` and `array_length` answer
//!   PostgreSQL's NULLs ([`function_names`]).
//! - Untyped literals: `bool_col = 'f'` reads the literal as a boolean
//!   ([`boolean_literals`]).
//! - `regproc` catalog columns compared with 0 (`typreceive != 0`)
//!   ([`oid_alias_compare`]).
//! - `integer` results of functions DataFusion answers in `bigint`
//!   (`cardinality`, `gcd` of integers…) ([`integer_results`]).
//! - Numbers of several types in one column: a `numeric` meeting a float
//!   becomes the float, `real` arithmetic with integers is `double
//!   precision` ([`numeric_common_type`]).
//! - Types Arrow cannot tell from `text` (`varchar`, `name`, `"char"`,
//!   `json`) carried as field metadata ([`type_identity`]).
//! - `oidvector` catalog columns held as text cast to arrays of oids
//!   ([`oid_vector`]).

pub mod array_cast;
pub mod array_literal_tokens;
pub mod array_operators;
pub mod array_parameters;
pub mod boolean_literals;
pub mod declared_parameters;
pub mod function_names;
pub mod integer_results;
pub mod numeric_common_type;
pub mod numeric_parameters;
pub mod oid_alias_compare;
pub mod oid_vector;
pub mod type_identity;

use std::sync::Arc;

use datafusion::execution::session_state::SessionState;
use datafusion::logical_expr::planner::ExprPlanner;
use datafusion::optimizer::{Analyzer, AnalyzerRule};

/// The expression planners of this module, to be placed ahead of DataFusion's own.
pub fn planners() -> Vec<Arc<dyn ExprPlanner>> {
    vec![
        Arc::new(array_operators::ArrayOperatorPlanner),
        Arc::new(boolean_literals::BooleanLiteralPlanner),
        Arc::new(oid_alias_compare::OidAliasComparePlanner),
    ]
}

/// DataFusion's analyzer rules with this module's that must see the types
/// as written placed before its type coercion.
pub fn analyzer_rules() -> Vec<Arc<dyn AnalyzerRule + Send + Sync>> {
    let mut rules = Analyzer::new().rules;
    let coercion = rules
        .iter()
        .position(|r| r.name() == "type_coercion")
        .unwrap_or(rules.len());
    rules.insert(coercion, Arc::new(numeric_common_type::NumericCommonType));
    rules.insert(
        coercion + 1,
        Arc::new(crate::display_scale::DisplayScales::new()),
    );
    rules
}

/// Adds the analyzer rules (after DataFusion's type coercion).
pub fn add_rules(state: &mut SessionState) {
    state.add_analyzer_rule(Arc::new(array_cast::ArrayInputCast));
    state.add_analyzer_rule(Arc::new(type_identity::TypedCasts));
}
