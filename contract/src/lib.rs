//! The tables of the data contract (`docs/contract.md`, section 2): their
//! names, columns, the types conversql normalises every file to, and which
//! columns are NOT NULL.
//!
//! Shared by the server (as `conversql::contract`) and the data generator
//! (`conversql-datagen`), which writes its files on these schemas.

#![warn(missing_docs)]

use std::sync::Arc;

use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};

/// The time zone every instant is normalised to.
pub const UTC: &str = "UTC";

/// What kind of values a contract column holds; decides which file types are accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    /// `utf8`
    Text,
    /// an instant, normalised to `timestamp(µs, UTC)`
    Instant,
    /// `int32`
    Int32,
    /// `decimal(18,2)`
    Money,
    /// `list<utf8>`
    TextList,
}

/// One column of a contract table.
#[derive(Debug, Clone, Copy)]
pub struct ContractColumn {
    /// Column name.
    pub name: &'static str,
    /// Kind of values.
    pub kind: ColumnKind,
    /// Whether the contract says NOT NULL.
    pub not_null: bool,
}

/// One table of the contract, stored under `<root>/<name>/`.
#[derive(Debug, Clone, Copy)]
pub struct ContractTable {
    /// Table name, also the folder name under the dataset root.
    pub name: &'static str,
    /// The columns, in contract order.
    pub columns: &'static [ContractColumn],
}

const fn col(name: &'static str, kind: ColumnKind, not_null: bool) -> ContractColumn {
    ContractColumn {
        name,
        kind,
        not_null,
    }
}

use ColumnKind::{Instant, Int32, Money, Text, TextList};

/// `accounts`
pub const ACCOUNTS: ContractTable = ContractTable {
    name: "accounts",
    columns: &[
        col("account_id", Text, true),
        col("name", Text, false),
        col("timezone", Text, true),
        col("currency", Text, false),
        col("sms_click_window_hours", Int32, false),
        col("sms_receipt_window_hours", Int32, false),
    ],
};

/// `profiles`
pub const PROFILES: ContractTable = ContractTable {
    name: "profiles",
    columns: &[
        col("profile_id", Text, true),
        col("account_id", Text, true),
        col("first_name", Text, false),
        col("last_name", Text, false),
        col("email", Text, false),
        col("phone_number", Text, false),
        col("updated_at", Instant, false),
    ],
};

/// `messages`, the conversation log.
pub const MESSAGES: ContractTable = ContractTable {
    name: "messages",
    columns: &[
        col("account_id", Text, true),
        col("conversation_id", Text, true),
        col("message_id", Text, true),
        col("channel", Text, true),
        col("sent_at", Instant, true),
        col("sender", Text, true),
        col("kind", Text, true),
        col("body", Text, false),
        col("profile_id", Text, false),
        col("skill", Text, false),
        col("product_ids", TextList, false),
        col("tags", TextList, false),
        col("escalation_reason", Text, false),
    ],
};

/// `events`, shopper activity.
pub const EVENTS: ContractTable = ContractTable {
    name: "events",
    columns: &[
        col("event_id", Text, true),
        col("account_id", Text, true),
        col("profile_id", Text, false),
        col("metric", Text, true),
        col("occurred_at", Instant, true),
        col("conversation_id", Text, false),
        col("product_id", Text, false),
        col("order_id", Text, false),
        col("value", Money, false),
    ],
};

/// Every table of the contract.
pub const TABLES: [ContractTable; 4] = [ACCOUNTS, PROFILES, MESSAGES, EVENTS];

/// The hidden column that carries the path of the file a row came from.
pub const SOURCE_FILE_COLUMN: &str = "source_file";

impl ColumnKind {
    /// The Arrow type every file's column is normalised to.
    pub fn data_type(self) -> DataType {
        match self {
            Text => DataType::Utf8,
            Instant => DataType::Timestamp(TimeUnit::Microsecond, Some(UTC.into())),
            Int32 => DataType::Int32,
            Money => DataType::Decimal128(18, 2),
            TextList => DataType::List(Arc::new(Field::new_list_field(DataType::Utf8, true))),
        }
    }

    /// Whether a file column of type `found` can be read as this kind without
    /// changing any value; otherwise what was expected.
    pub fn accepts(self, found: &DataType) -> Result<(), &'static str> {
        let ok = match self {
            Text => is_text(found),
            Instant => matches!(found, DataType::Timestamp(_, _)),
            Int32 => matches!(
                found,
                DataType::Int8
                    | DataType::Int16
                    | DataType::Int32
                    | DataType::Int64
                    | DataType::UInt8
                    | DataType::UInt16
                    | DataType::UInt32
            ),
            Money => match found {
                DataType::Decimal32(_, s)
                | DataType::Decimal64(_, s)
                | DataType::Decimal128(_, s)
                | DataType::Decimal256(_, s) => (0..=2).contains(s),
                DataType::Int8 | DataType::Int16 | DataType::Int32 | DataType::Int64 => true,
                _ => false,
            },
            TextList => match found {
                DataType::List(f) | DataType::LargeList(f) | DataType::ListView(f) => {
                    is_text(f.data_type())
                }
                _ => false,
            },
        };
        if ok { Ok(()) } else { Err(self.expected()) }
    }

    /// Human description of the accepted file types, for error messages.
    pub fn expected(self) -> &'static str {
        match self {
            Text => "a string (utf8)",
            Instant => "a timestamp (ms, µs or ns, with or without a time zone)",
            Int32 => "an integer that fits int32",
            Money => "a decimal with at most 2 fractional digits (decimal(18,2))",
            TextList => "a list of strings (list<utf8>)",
        }
    }
}

fn is_text(t: &DataType) -> bool {
    match t {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => true,
        DataType::Dictionary(_, v) => is_text(v),
        _ => false,
    }
}

impl ContractTable {
    /// The normalised Arrow schema of the table's file columns (without `source_file`).
    pub fn file_schema(&self) -> SchemaRef {
        Arc::new(Schema::new(
            self.columns
                .iter()
                .map(|c| Field::new(c.name, c.kind.data_type(), !c.not_null))
                .collect::<Vec<_>>(),
        ))
    }

    /// Looks a table up by name.
    pub fn by_name(name: &str) -> Option<ContractTable> {
        TABLES.iter().find(|t| t.name == name).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instant_accepts_every_unit_and_zone() {
        for unit in [
            TimeUnit::Millisecond,
            TimeUnit::Microsecond,
            TimeUnit::Nanosecond,
        ] {
            assert!(Instant.accepts(&DataType::Timestamp(unit, None)).is_ok());
            assert!(
                Instant
                    .accepts(&DataType::Timestamp(unit, Some("+02:00".into())))
                    .is_ok()
            );
        }
        assert!(Instant.accepts(&DataType::Utf8).is_err());
        assert!(Instant.accepts(&DataType::Int64).is_err());
    }

    #[test]
    fn money_refuses_lossy_types() {
        assert!(Money.accepts(&DataType::Decimal128(18, 2)).is_ok());
        assert!(Money.accepts(&DataType::Decimal128(10, 0)).is_ok());
        assert!(Money.accepts(&DataType::Decimal128(18, 3)).is_err());
        assert!(Money.accepts(&DataType::Float64).is_err());
    }

    #[test]
    fn text_list_accepts_any_string_list() {
        let large = DataType::LargeList(Arc::new(Field::new("element", DataType::LargeUtf8, true)));
        assert!(TextList.accepts(&large).is_ok());
        let ints = DataType::List(Arc::new(Field::new("item", DataType::Int32, true)));
        assert!(TextList.accepts(&ints).is_err());
    }
}
