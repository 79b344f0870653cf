//! The declaration of a table function, written once: its name, parameters
//! (types and defaults), description and result columns. The functions check
//! their arguments by it, a session types the `$n` parameters of a prepared
//! call by it, and the catalog lists it; every declaration is listed by
//! [`crate::table_functions::declarations`].

use arrow::datatypes::{DataType, SchemaRef};
use datafusion::common::{Result, ScalarValue, plan_err};
use datafusion::logical_expr::Expr;

/// One parameter of a table function.
#[derive(Debug, Clone)]
pub struct Parameter {
    /// Its name, in error messages and the catalog.
    pub name: &'static str,
    /// Its type: what the catalog lists and what a `$n` passed for it is described as.
    pub data_type: DataType,
    /// The value it takes when the call leaves it out; `None`: it is required.
    /// Parameters with a default come after those without.
    pub default: Option<ScalarValue>,
}

impl Parameter {
    /// A required parameter.
    pub fn required(name: &'static str, data_type: DataType) -> Self {
        Parameter {
            name,
            data_type,
            default: None,
        }
    }
}

/// A table function as written once: name, parameters, description and
/// result columns.
#[derive(Debug, Clone)]
pub struct Declaration {
    /// SQL name.
    pub name: &'static str,
    /// Its parameters, in order.
    pub parameters: Vec<Parameter>,
    /// What it returns (`obj_description(oid, 'pg_proc')`).
    pub description: &'static str,
    /// Its result columns.
    pub columns: SchemaRef,
}

impl Declaration {
    /// How it is called: `name(a, b)`.
    pub fn usage(&self) -> String {
        let names: Vec<&str> = self.parameters.iter().map(|p| p.name).collect();
        format!("{}({})", self.name, names.join(", "))
    }

    /// The arguments of a call, left-out ones replaced by their defaults; an
    /// error when there are too few or too many.
    pub fn arguments(&self, exprs: &[Expr]) -> Result<Vec<Expr>> {
        let all = self.parameters.len();
        let required = self
            .parameters
            .iter()
            .filter(|p| p.default.is_none())
            .count();
        if all == 0 && !exprs.is_empty() {
            return plan_err!("{}() takes no arguments", self.name);
        }
        if exprs.len() < required || exprs.len() > all {
            let expected = if required == all {
                all.to_string()
            } else {
                format!("{required} to {all}")
            };
            return plan_err!(
                "{} takes {expected} arguments, got {}: {}",
                self.name,
                exprs.len(),
                self.usage()
            );
        }
        let defaults = self.parameters[exprs.len()..]
            .iter()
            .map(|p| Expr::Literal(p.default.clone().unwrap_or(ScalarValue::Null), None));
        Ok(exprs.iter().cloned().chain(defaults).collect())
    }
}
