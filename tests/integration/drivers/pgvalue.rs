//! A tokio-postgres value of any type, decoded from the binary wire format to
//! text where the type is one catalog queries return (names, text, numbers,
//! booleans, `"char"`, dates), so replayed queries can be compared between
//! conversql and PostgreSQL without knowing their types in advance.

use std::error::Error;

use tokio_postgres::types::{FromSql, Type};

/// One cell: `None` for SQL NULL, else its text (or `<type>` for types not decoded).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct PgValue(pub Option<String>);

impl PgValue {
    /// The cell as text, `NULL` for null.
    pub fn text(&self) -> &str {
        self.0.as_deref().unwrap_or("NULL")
    }
}

fn decode(ty: &Type, raw: &[u8]) -> Result<String, Box<dyn Error + Sync + Send>> {
    Ok(match *ty {
        Type::BOOL => bool::from_sql(ty, raw)?.to_string(),
        Type::INT2 => i16::from_sql(ty, raw)?.to_string(),
        Type::INT4 => i32::from_sql(ty, raw)?.to_string(),
        Type::INT8 => i64::from_sql(ty, raw)?.to_string(),
        Type::OID | Type::REGPROC | Type::REGCLASS | Type::REGTYPE | Type::XID => {
            u32::from_be_bytes(raw.try_into()?).to_string()
        }
        Type::FLOAT4 => f32::from_sql(ty, raw)?.to_string(),
        Type::FLOAT8 => f64::from_sql(ty, raw)?.to_string(),
        Type::CHAR => (raw.first().copied().unwrap_or(0) as char).to_string(),
        Type::DATE => chrono::NaiveDate::from_sql(ty, raw)?.to_string(),
        Type::TEXT | Type::VARCHAR | Type::NAME | Type::BPCHAR | Type::UNKNOWN => {
            String::from_utf8(raw.to_vec())?
        }
        _ => format!("<{}>", ty.name()),
    })
}

/// The text of cells whose binary value does not decode as its declared type starts with this.
pub const UNDECODABLE: &str = "<undecodable ";

impl<'a> FromSql<'a> for PgValue {
    fn from_sql(ty: &Type, raw: &'a [u8]) -> Result<Self, Box<dyn Error + Sync + Send>> {
        // A value that does not decode as its declared type is a wire-format bug of the
        // server; keep it as a marked cell so the replay reports it with its query.
        Ok(PgValue(Some(decode(ty, raw).unwrap_or_else(|e| {
            format!("{UNDECODABLE}{}: {e} ({} bytes)>", ty.name(), raw.len())
        }))))
    }

    fn from_sql_null(_: &Type) -> Result<Self, Box<dyn Error + Sync + Send>> {
        Ok(PgValue(None))
    }

    fn accepts(_: &Type) -> bool {
        true
    }
}

/// Every cell of `row`, decoded.
pub fn row_values(row: &tokio_postgres::Row) -> Vec<PgValue> {
    (0..row.len()).map(|i| row.get::<_, PgValue>(i)).collect()
}
