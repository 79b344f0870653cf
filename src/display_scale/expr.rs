//! The display scale of an expression, and the expression with PostgreSQL's
//! division of numerics (see the module docs of [`super`]).

use datafusion::arrow::datatypes::DataType;
use datafusion::common::tree_node::TreeNode;
use datafusion::common::{Column, DFSchema, Result, ScalarValue};
use datafusion::logical_expr::expr::{Case, ScalarFunction};
use datafusion::logical_expr::{BinaryExpr, Expr, ExprSchemable, Operator, ScalarUDF, lit};

use super::Slot;

/// The display scale of an expression's values.
#[derive(Debug, Clone)]
pub enum Scale {
    /// Every value shows this many places.
    Const(i32),
    /// Each row's value shows the places this `Int32` expression gives.
    Row(Expr),
    /// A NULL literal: any scale.
    Null,
}

impl Scale {
    /// The scale as an expression.
    pub fn expr(&self) -> Expr {
        match self {
            Scale::Const(c) => lit(*c),
            Scale::Row(e) => e.clone(),
            Scale::Null => lit(ScalarValue::Int32(None)),
        }
    }

    /// The constant scale, if it is one.
    fn constant(&self) -> Option<i32> {
        match self {
            Scale::Const(c) => Some(*c),
            _ => None,
        }
    }
}

/// The scale every value of a type shows (a decimal's scale, 0 for an integer).
pub fn natural(data_type: &DataType) -> Option<Scale> {
    match data_type {
        DataType::Decimal128(_, s) | DataType::Decimal256(_, s) => {
            Some(Scale::Const(i32::from(*s).max(0)))
        }
        t if t.is_integer() => Some(Scale::Const(0)),
        _ => None,
    }
}

/// An expression under the casts the planner wraps around literals
/// (`CAST(Int64(1) AS Int32)`).
fn peel_casts(expr: &Expr) -> &Expr {
    match expr {
        Expr::Cast(c) => peel_casts(&c.expr),
        Expr::TryCast(c) => peel_casts(&c.expr),
        other => other,
    }
}

/// Whether a type takes part in `numeric` arithmetic (an integer or a decimal).
fn is_exact(data_type: &DataType) -> bool {
    data_type.is_integer() || matches!(data_type, DataType::Decimal128(_, _) | DataType::Null)
}

/// The expressions of one plan node, over its input's schema and slots.
pub struct Scope<'a> {
    /// The input's schema.
    pub schema: &'a DFSchema,
    /// The input's display scales, one per field.
    pub slots: &'a [Option<Slot>],
    /// `numeric_div` and `numeric_div_scale`.
    pub functions: &'a Functions,
}

/// The functions the rewrite calls.
pub struct Functions {
    /// `numeric_div(a, a_scale, b, b_scale)`.
    pub div: std::sync::Arc<ScalarUDF>,
    /// `numeric_div_scale(a, a_scale, b, b_scale)`.
    pub div_scale: std::sync::Arc<ScalarUDF>,
    /// `numeric_cast_scale(x)`: the places `x::numeric` shows.
    pub cast_scale: std::sync::Arc<ScalarUDF>,
    /// `sum(x)`, PostgreSQL's (`numeric` for `bigint`).
    pub sum: std::sync::Arc<datafusion::logical_expr::AggregateUDF>,
    /// `numeric_variance_scale(x, places, statistic)`: the places of a numeric variance.
    pub variance_scale: std::sync::Arc<datafusion::logical_expr::AggregateUDF>,
}

impl Scope<'_> {
    fn type_of(&self, expr: &Expr) -> Option<DataType> {
        expr.get_type(self.schema).ok()
    }

    fn column(&self, column: &Column) -> Option<Scale> {
        let index = self.schema.maybe_index_of_column(column)?;
        match self.slots.get(index)? {
            Some(Slot::Const(c)) => Some(Scale::Const(*c)),
            Some(Slot::Companion(k)) => Some(Scale::Row(Expr::Column(Column::from(
                self.schema.qualified_field(*k),
            )))),
            None => natural(self.schema.field(index).data_type()),
        }
    }

    /// `expr` with PostgreSQL's division of numerics, and its display scale
    /// (`None` where it is not a number of known places).
    pub fn scaled(&self, expr: Expr) -> Result<(Expr, Option<Scale>)> {
        let original_type = self.type_of(&expr);
        match expr {
            Expr::Alias(alias) => {
                let (inner, scale) = self.scaled(*alias.expr)?;
                Ok((
                    Expr::Alias(datafusion::logical_expr::expr::Alias {
                        expr: Box::new(inner),
                        ..alias
                    }),
                    scale,
                ))
            }
            Expr::Column(ref c) => {
                let scale = self.column(c);
                Ok((expr, scale))
            }
            Expr::Literal(ref v, _) => {
                let scale = if v.is_null() {
                    Some(Scale::Null)
                } else {
                    natural(&v.data_type())
                };
                Ok((expr, scale))
            }
            Expr::Negative(inner) => {
                let (inner, scale) = self.scaled(*inner)?;
                Ok((Expr::Negative(Box::new(inner)), scale))
            }
            Expr::Cast(mut cast) => {
                let (inner, _) = self.scaled(*cast.expr)?;
                cast.expr = Box::new(inner);
                let scale = natural(cast.field.data_type());
                Ok((Expr::Cast(cast), scale))
            }
            Expr::TryCast(mut cast) => {
                let (inner, _) = self.scaled(*cast.expr)?;
                cast.expr = Box::new(inner);
                let scale = natural(cast.field.data_type());
                Ok((Expr::TryCast(cast), scale))
            }
            Expr::BinaryExpr(binary) => self.binary(binary, original_type),
            Expr::Case(case) => self.case(case),
            Expr::ScalarFunction(function) => self.function(function, original_type),
            other => {
                let rewritten = other.map_children(|child| {
                    let (child, _) = self.scaled(child)?;
                    Ok(datafusion::common::tree_node::Transformed::yes(child))
                })?;
                Ok((rewritten.data, original_type.as_ref().and_then(natural)))
            }
        }
    }

    fn binary(
        &self,
        binary: BinaryExpr,
        original_type: Option<DataType>,
    ) -> Result<(Expr, Option<Scale>)> {
        let left_type = self.type_of(&binary.left);
        let right_type = self.type_of(&binary.right);
        let (left, left_scale) = self.scaled(*binary.left)?;
        let (right, right_scale) = self.scaled(*binary.right)?;
        let exact =
            matches!((&left_type, &right_type), (Some(l), Some(r)) if is_exact(l) && is_exact(r));
        let decimal = [&left_type, &right_type]
            .iter()
            .any(|t| matches!(t, Some(DataType::Decimal128(_, _))));
        let rebuilt = |left: Expr, right: Expr| {
            Expr::BinaryExpr(BinaryExpr::new(Box::new(left), binary.op, Box::new(right)))
        };
        let (Some(ls), Some(rs)) = (left_scale, right_scale) else {
            return Ok((
                rebuilt(left, right),
                original_type.as_ref().and_then(natural),
            ));
        };
        if !exact || !decimal {
            return Ok((
                rebuilt(left, right),
                original_type.as_ref().and_then(natural),
            ));
        }
        let scale = match binary.op {
            Operator::Plus | Operator::Minus | Operator::Modulo => combine(&ls, &rs, Combine::Max),
            Operator::Multiply => combine(&ls, &rs, Combine::Sum),
            Operator::Divide => {
                let args = vec![left, ls.expr(), right, rs.expr()];
                let quotient = self.functions.div.call(args.clone());
                let places = self.functions.div_scale.call(args);
                return Ok((quotient, Some(Scale::Row(places))));
            }
            _ => {
                return Ok((
                    rebuilt(left, right),
                    original_type.as_ref().and_then(natural),
                ));
            }
        };
        Ok((rebuilt(left, right), Some(scale)))
    }

    fn case(&self, case: Case) -> Result<(Expr, Option<Scale>)> {
        let mut branches = vec![];
        let mut scales = vec![];
        for (when, then) in case.when_then_expr {
            let (then, scale) = self.scaled(*then)?;
            scales.push(scale);
            branches.push((when, Box::new(then)));
        }
        let otherwise = if let Some(e) = case.else_expr {
            let (e, scale) = self.scaled(*e)?;
            scales.push(scale);
            Some(Box::new(e))
        } else {
            scales.push(Some(Scale::Null));
            None
        };
        let value = Expr::Case(Case {
            expr: case.expr.clone(),
            when_then_expr: branches.clone(),
            else_expr: otherwise,
        });
        let Some(scales) = scales.into_iter().collect::<Option<Vec<_>>>() else {
            return Ok((value, None));
        };
        if let Some(c) = same_constant(&scales) {
            return Ok((value, Some(c)));
        }
        let (else_scale, then_scales) = scales.split_last().expect("an else scale");
        let scale = Expr::Case(Case {
            expr: case.expr,
            when_then_expr: branches
                .into_iter()
                .zip(then_scales)
                .map(|((when, _), s)| (when, Box::new(s.expr())))
                .collect(),
            else_expr: Some(Box::new(else_scale.expr())),
        });
        Ok((value, Some(Scale::Row(scale))))
    }

    fn function(
        &self,
        function: ScalarFunction,
        original_type: Option<DataType>,
    ) -> Result<(Expr, Option<Scale>)> {
        let name = function.func.name().to_string();
        let written = name == "numeric"
            && function
                .args
                .first()
                .and_then(|a| self.type_of(a))
                .is_some_and(|t| {
                    t.is_floating()
                        || matches!(t, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View)
                });
        let mut args = vec![];
        let mut scales = vec![];
        for arg in function.args {
            let (arg, scale) = self.scaled(arg)?;
            args.push(arg);
            scales.push(scale);
        }
        let value = Expr::ScalarFunction(ScalarFunction::new_udf(function.func, args.clone()));
        let natural_scale = original_type.as_ref().and_then(natural);
        let scale = match name.as_str() {
            // Text or a float cast to `numeric` shows the places written.
            "numeric" if written => Some(Scale::Row(self.functions.cast_scale.call(args.clone()))),
            "numeric" | "abs" | "nullif" => scales.into_iter().next().flatten(),
            "round" | "trunc" => match args.get(1).map(peel_casts) {
                None => Some(Scale::Const(0)),
                Some(Expr::Literal(v, _)) => match v.cast_to(&DataType::Int64) {
                    Ok(ScalarValue::Int64(Some(n))) => {
                        Some(Scale::Const(i32::try_from(n.max(0)).unwrap_or(i32::MAX)))
                    }
                    _ => natural_scale,
                },
                Some(_) => natural_scale,
            },
            "ceil" | "ceiling" | "floor" | "sign" => Some(Scale::Const(0)),
            "coalesce" | "greatest" | "least" => {
                match scales.into_iter().collect::<Option<Vec<_>>>() {
                    None => natural_scale,
                    Some(scales) => {
                        if let Some(c) = same_constant(&scales) {
                            Some(c)
                        } else {
                            // The scale of the argument the function returns: the
                            // first non-NULL one, or the first equal to the result.
                            let chosen = |arg: &Expr| match name.as_str() {
                                "coalesce" => arg.clone().is_not_null(),
                                _ => value.clone().eq(arg.clone()),
                            };
                            let when_then_expr = args
                                .iter()
                                .zip(&scales)
                                .map(|(arg, s)| (Box::new(chosen(arg)), Box::new(s.expr())))
                                .collect();
                            Some(Scale::Row(Expr::Case(Case {
                                expr: None,
                                when_then_expr,
                                else_expr: None,
                            })))
                        }
                    }
                }
            }
            _ => natural_scale,
        };
        Ok((value, scale))
    }
}

/// How two operands' scales make the result's.
enum Combine {
    Max,
    Sum,
}

fn combine(a: &Scale, b: &Scale, how: Combine) -> Scale {
    match (a, b, how) {
        (Scale::Null, other, _) | (other, Scale::Null, _) => other.clone(),
        (Scale::Const(x), Scale::Const(y), Combine::Max) => Scale::Const(*x.max(y)),
        (Scale::Const(x), Scale::Const(y), Combine::Sum) => Scale::Const(x + y),
        (a, b, Combine::Max) => Scale::Row(Expr::ScalarFunction(ScalarFunction::new_udf(
            datafusion::functions::core::greatest(),
            vec![a.expr(), b.expr()],
        ))),
        (a, b, Combine::Sum) => Scale::Row(a.expr() + b.expr()),
    }
}

/// The one constant scale of these (NULLs aside), if they have one.
fn same_constant(scales: &[Scale]) -> Option<Scale> {
    let mut constant = None;
    for s in scales {
        match s {
            Scale::Null => {}
            Scale::Row(_) => return None,
            Scale::Const(c) => match constant {
                None => constant = Some(*c),
                Some(d) if d == *c => {}
                Some(_) => return None,
            },
        }
    }
    Some(constant.map_or(Scale::Null, Scale::Const))
}

impl Scale {
    /// Whether the constant is `c`.
    pub fn is_const(&self, c: i32) -> bool {
        self.constant() == Some(c)
    }
}
