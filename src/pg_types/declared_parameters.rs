//! The parameter types a client declares in `Parse`.
//!
//! In PostgreSQL a parameter declared with a type (`int4` for `$1`) has that
//! type wherever it is used: `SELECT $1` is an `integer` column, `$1 + $2` of
//! two declared `int4`s is `integer` arithmetic. DataFusion infers a
//! parameter's type from the expression around it and leaves `SELECT $1`
//! untyped. The declared types are therefore given to DataFusion's planner as
//! those of a `PREPARE name(type, …) AS …`, which types its placeholders so.
//!
//! DataFusion takes such types as a list from `$1` on, so the leading
//! parameters up to the first one declared `unspecified` (OID 0) or of a type
//! listed below as not declared are typed so; the rest keep DataFusion's
//! inference. Not declared: the types conversql has no column type for. An
//! array is planned as an array of its element type (`text[]`) and bound by
//! [`super::array_parameters`]. A `numeric` is planned as
//! DataFusion's unconstrained decimal and bound with its own scale
//! ([`super::numeric_parameters`]).

use datafusion::sql::sqlparser::ast::{DataType, ExactNumberInfo, TimezoneInfo};
use pgwire::api::Type;

/// The SQL type a parameter declared as `declared` is planned with, if conversql plans it so.
pub fn planned_type(declared: &Type) -> Option<DataType> {
    Some(match *declared {
        Type::INT2 => DataType::SmallInt(None),
        Type::INT4 => DataType::Integer(None),
        Type::INT8 => DataType::BigInt(None),
        Type::FLOAT4 => DataType::Real,
        Type::FLOAT8 => DataType::DoublePrecision,
        Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME => DataType::Text,
        Type::BOOL => DataType::Boolean,
        Type::NUMERIC => DataType::Numeric(ExactNumberInfo::None),
        Type::DATE => DataType::Date,
        Type::INTERVAL => DataType::Interval {
            fields: None,
            precision: None,
        },
        Type::TIMESTAMP => DataType::Timestamp(None, TimezoneInfo::None),
        Type::TIMESTAMPTZ => DataType::Timestamp(None, TimezoneInfo::WithTimeZone),
        ref array => {
            return super::array_parameters::element_of_array_type(array)?.array_sql_type();
        }
    })
}

/// The planned types of the leading declared parameters (see the module
/// docs): `declared` is the list a client sent in `Parse`, `None` for
/// `unspecified`.
pub fn leading_planned_types(declared: &[Option<Type>]) -> Vec<DataType> {
    declared
        .iter()
        .map_while(|t| t.as_ref().and_then(planned_type))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leading_declared_types_until_an_unspecified_one() {
        assert_eq!(
            leading_planned_types(&[Some(Type::INT4), Some(Type::TEXT), None, Some(Type::INT8)]),
            [DataType::Integer(None), DataType::Text]
        );
        assert_eq!(
            leading_planned_types(&[Some(Type::JSON), Some(Type::INT4)]),
            []
        );
        assert_eq!(
            leading_planned_types(&[Some(Type::TEXT_ARRAY), Some(Type::INT4_ARRAY)])
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>(),
            ["TEXT[]", "INT[]"]
        );
    }
}
