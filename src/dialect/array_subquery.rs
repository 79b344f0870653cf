//! `ARRAY(subquery)`: the array of the subquery's single column over its rows
//! (in the subquery's order), `{}` when it has none.
//!
//! DataFusion has no such expression. [`rewrite`] plans it as a scalar
//! subquery of `array_agg`, which DataFusion decorrelates like any aggregated
//! scalar subquery: `ARRAY(SELECT e FROM f WHERE w ORDER BY o)` becomes
//! `pg_array_or_empty((SELECT array_agg(e ORDER BY o) FROM f WHERE w))`, and
//! a subquery of any other shape (grouping, `DISTINCT`, `LIMIT`, set
//! operations…) is aggregated from outside:
//! `(SELECT array_agg(s.c) FROM (subquery) AS s(c))`. `pg_array_or_empty`
//! turns the NULL of `array_agg` over no rows into the empty array.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, ListArray, new_empty_array};
use arrow::buffer::OffsetBuffer;
use arrow::datatypes::DataType;
use datafusion::common::{Result, exec_err};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};
use datafusion::prelude::SessionContext;
use datafusion::sql::sqlparser::ast::{
    Expr, Function, FunctionArg, FunctionArgExpr, FunctionArgumentClause, FunctionArgumentList,
    FunctionArguments, GroupByExpr, Ident, ObjectName, ObjectNamePart, OrderByKind, Query,
    SelectItem, SetExpr, Statement, TableFactor, TableWithJoins,
};

/// The planned form of `expr` if it is `ARRAY(subquery)`.
pub fn rewrite(expr: &Expr) -> Option<Expr> {
    let Expr::Function(function) = expr else {
        return None;
    };
    let is_array = matches!(function.name.0.as_slice(), [ObjectNamePart::Identifier(i)] if i.value.eq_ignore_ascii_case("array") && i.quote_style.is_none());
    let FunctionArguments::Subquery(query) = &function.args else {
        return None;
    };
    if !is_array {
        return None;
    }
    let aggregated = direct(query).unwrap_or_else(|| outside(query));
    Some(call(
        "pg_array_or_empty",
        vec![Expr::Subquery(Box::new(aggregated))],
        vec![],
    ))
}

fn call(name: &str, args: Vec<Expr>, clauses: Vec<FunctionArgumentClause>) -> Expr {
    Expr::Function(Function {
        name: ObjectName::from(vec![Ident::new(name)]),
        uses_odbc_syntax: false,
        parameters: FunctionArguments::None,
        args: FunctionArguments::List(FunctionArgumentList {
            duplicate_treatment: None,
            args: args
                .into_iter()
                .map(|e| FunctionArg::Unnamed(FunctionArgExpr::Expr(e)))
                .collect(),
            clauses,
        }),
        filter: None,
        null_treatment: None,
        over: None,
        within_group: vec![],
    })
}

/// `SELECT array_agg(e ORDER BY o) FROM f WHERE w` for a plain one-column select.
fn direct(query: &Query) -> Option<Query> {
    let SetExpr::Select(select) = query.body.as_ref() else {
        return None;
    };
    let plain = query.with.is_none()
        && query.limit_clause.is_none()
        && query.fetch.is_none()
        && select.distinct.is_none()
        && select.having.is_none()
        && select.named_window.is_empty()
        && matches!(&select.group_by, GroupByExpr::Expressions(e, m) if e.is_empty() && m.is_empty())
        && select.projection.len() == 1;
    if !plain {
        return None;
    }
    let (SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. }) =
        &select.projection[0]
    else {
        return None;
    };
    if contains_aggregate_or_window(e) {
        return None;
    }
    let mut clauses = vec![];
    if let Some(order_by) = &query.order_by {
        let OrderByKind::Expressions(order) = &order_by.kind else {
            return None;
        };
        clauses.push(FunctionArgumentClause::OrderBy(order.clone()));
    }
    let mut select = select.as_ref().clone();
    select.projection = vec![SelectItem::ExprWithAlias {
        expr: call("array_agg", vec![e.clone()], clauses),
        alias: Ident::with_quote('"', "array"),
    }];
    let mut aggregated = query.clone();
    aggregated.order_by = None;
    aggregated.body = Box::new(SetExpr::Select(Box::new(select)));
    Some(aggregated)
}

/// Whether `expr` calls a function with `OVER` or one of the common aggregates
/// (then the subquery is aggregated from outside instead).
fn contains_aggregate_or_window(expr: &Expr) -> bool {
    let mut found = false;
    let _ = datafusion::sql::sqlparser::ast::visit_expressions(expr, |e| {
        if let Expr::Function(f) = e {
            let name = f.name.to_string().to_ascii_lowercase();
            let name = name.rsplit('.').next().unwrap_or_default();
            if f.over.is_some()
                || f.filter.is_some()
                || !f.within_group.is_empty()
                || matches!(
                    name,
                    "count"
                        | "sum"
                        | "min"
                        | "max"
                        | "avg"
                        | "array_agg"
                        | "string_agg"
                        | "bool_and"
                        | "bool_or"
                        | "every"
                        | "json_agg"
                        | "jsonb_agg"
                        | "json_object_agg"
                        | "jsonb_object_agg"
                        | "stddev"
                        | "variance"
                        | "percentile_cont"
                        | "percentile_disc"
                        | "mode"
                )
            {
                found = true;
            }
        }
        std::ops::ControlFlow::<()>::Continue(())
    });
    found
}

/// `SELECT array_agg(s.c) FROM (query) AS s(c)`.
fn outside(query: &Query) -> Query {
    let template = "SELECT array_agg(pg_array_rows.pg_array_value) AS \"array\" \
                    FROM (SELECT 1) AS pg_array_rows(pg_array_value)";
    let parsed = datafusion::sql::sqlparser::parser::Parser::parse_sql(
        &datafusion::sql::sqlparser::dialect::PostgreSqlDialect {},
        template,
    );
    let Ok(mut statements) = parsed else {
        unreachable!("the template parses")
    };
    let Some(Statement::Query(mut outer)) = statements.pop() else {
        unreachable!("the template is a query")
    };
    if let SetExpr::Select(select) = outer.body.as_mut()
        && let Some(TableWithJoins {
            relation: TableFactor::Derived { subquery, .. },
            ..
        }) = select.from.first_mut()
    {
        **subquery = query.clone();
    }
    *outer
}

/// Registers `pg_array_or_empty(list) -> list`: the list, or an empty list for NULL.
pub fn register(ctx: &SessionContext) {
    ctx.register_udf(ScalarUDF::new_from_impl(ArrayOrEmpty {
        signature: Signature::any(1, Volatility::Immutable),
    }));
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct ArrayOrEmpty {
    signature: Signature,
}

impl ScalarUDFImpl for ArrayOrEmpty {
    fn name(&self) -> &'static str {
        "pg_array_or_empty"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        Ok(arg_types[0].clone())
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let lists = args.args[0].to_array(args.number_rows)?;
        let DataType::List(element) = lists.data_type() else {
            return exec_err!("pg_array_or_empty of {}", lists.data_type());
        };
        if lists.null_count() == 0 {
            return Ok(ColumnarValue::Array(lists));
        }
        let empty: ArrayRef = Arc::new(ListArray::try_new(
            element.clone(),
            OffsetBuffer::new_zeroed(lists.len()),
            new_empty_array(element.data_type()),
            None,
        )?);
        let present = arrow::compute::is_not_null(lists.as_ref())?;
        let _ = lists.as_list::<i32>();
        Ok(ColumnarValue::Array(arrow::compute::kernels::zip::zip(
            &present, &lists, &empty,
        )?))
    }
}
