//! Keeping the first row per key, in Rust: the rule of the `messages` and
//! `profiles` views (a repeated message_id is one row, the first by
//! `(sent_at, source_file, conversation_id, kind, sender, body)`; a repeated
//! profile_id is its latest version), applied when the fact store folds new
//! files in. It is the same rule as the views' `row_number()` windows, computed
//! with a hash map over Arrow's row format instead of a sort, which makes
//! folding in a day of log a matter of milliseconds.

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use arrow::array::{ArrayRef, RecordBatch, UInt32Array};
use arrow::compute::SortOptions;
use arrow::row::{RowConverter, SortField};
use datafusion::common::{Result, exec_datafusion_err};

/// One column of an ordering, as `ORDER BY` would spell it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct OrderColumn {
    /// The column name.
    pub name: &'static str,
    /// `DESC` rather than `ASC`.
    pub descending: bool,
    /// `NULLS FIRST` rather than `NULLS LAST`.
    pub nulls_first: bool,
}

impl OrderColumn {
    /// `name ASC NULLS LAST`, SQL's default for ascending order.
    pub const fn asc(name: &'static str) -> Self {
        OrderColumn {
            name,
            descending: false,
            nulls_first: false,
        }
    }

    /// `name DESC NULLS FIRST`, SQL's default for descending order.
    pub const fn desc(name: &'static str) -> Self {
        OrderColumn {
            name,
            descending: true,
            nulls_first: true,
        }
    }

    /// `name DESC NULLS LAST`.
    pub const fn desc_nulls_last(name: &'static str) -> Self {
        OrderColumn {
            name,
            descending: true,
            nulls_first: false,
        }
    }
}

/// The delivery rule of `messages`: per (account_id, message_id), the first row by this order.
pub(crate) const MESSAGE_KEY: &[&str] = &["account_id", "message_id"];
/// The order that picks a message_id's row (sql/from_log/messages.sql).
pub(crate) const MESSAGE_ORDER: &[OrderColumn] = &[
    OrderColumn::asc("sent_at"),
    OrderColumn::asc("source_file"),
    OrderColumn::asc("conversation_id"),
    OrderColumn::asc("kind"),
    OrderColumn::asc("sender"),
    OrderColumn::asc("body"),
];

/// The delivery rule of `events`: per (account_id, event_id), the first row by this order.
pub(crate) const EVENT_KEY: &[&str] = &["account_id", "event_id"];
/// The order that picks an event_id's row (sql/from_log/events.sql).
pub(crate) const EVENT_ORDER: &[OrderColumn] = &[
    OrderColumn::asc("occurred_at"),
    OrderColumn::asc("source_file"),
    OrderColumn::asc("metric"),
    OrderColumn::asc("profile_id"),
    OrderColumn::asc("conversation_id"),
    OrderColumn::asc("order_id"),
];
/// The order rule of `events`: per (account_id, metric, order_id) of `Placed Order` rows, the first by this order.
pub(crate) const ORDER_KEY: &[&str] = &["account_id", "metric", "order_id"];
/// The order that picks an order_id's event (sql/from_log/events.sql).
pub(crate) const ORDER_ORDER: &[OrderColumn] = &[
    OrderColumn::asc("occurred_at"),
    OrderColumn::asc("event_id"),
];

/// The version rule of `profiles`: per (account_id, profile_id), the first row by this order.
pub(crate) const PROFILE_KEY: &[&str] = &["account_id", "profile_id"];
/// The order that picks a profile's version (sql/views/profiles.sql).
pub(crate) const PROFILE_ORDER: &[OrderColumn] = &[
    OrderColumn::desc_nulls_last("updated_at"),
    OrderColumn::desc("source_file"),
    OrderColumn::asc("first_name"),
    OrderColumn::asc("last_name"),
    OrderColumn::asc("email"),
    OrderColumn::asc("phone_number"),
];

fn columns(batch: &RecordBatch, names: &[&str]) -> Result<Vec<ArrayRef>> {
    names
        .iter()
        .map(|name| {
            batch.column_by_name(name).cloned().ok_or_else(|| {
                exec_datafusion_err!("first_per_key: the rows have no column {name}")
            })
        })
        .collect()
}

/// The indices (ascending) of the rows of `batch` that come first for their
/// key in `order`. Rows equal in every key and order column are the same
/// delivery; the earliest of them in `batch` is kept.
pub(crate) fn first_per_key(
    batch: &RecordBatch,
    key: &[&str],
    order: &[OrderColumn],
) -> Result<UInt32Array> {
    let key_columns = columns(batch, key)?;
    let order_columns = columns(batch, &order.iter().map(|o| o.name).collect::<Vec<_>>())?;
    let key_converter = RowConverter::new(
        key_columns
            .iter()
            .map(|c| SortField::new(c.data_type().clone()))
            .collect(),
    )?;
    let order_converter = RowConverter::new(
        order
            .iter()
            .zip(&order_columns)
            .map(|(o, c)| {
                SortField::new_with_options(
                    c.data_type().clone(),
                    SortOptions {
                        descending: o.descending,
                        nulls_first: o.nulls_first,
                    },
                )
            })
            .collect(),
    )?;
    let keys = key_converter.convert_columns(&key_columns)?;
    let orders = order_converter.convert_columns(&order_columns)?;
    let mut first: HashMap<arrow::row::Row<'_>, usize> = HashMap::with_capacity(batch.num_rows());
    for i in 0..batch.num_rows() {
        match first.entry(keys.row(i)) {
            Entry::Vacant(e) => {
                e.insert(i);
            }
            Entry::Occupied(mut e) => {
                if orders.row(i) < orders.row(*e.get()) {
                    e.insert(i);
                }
            }
        }
    }
    let mut kept: Vec<u32> = first.into_values().map(|i| i as u32).collect();
    kept.sort_unstable();
    Ok(UInt32Array::from(kept))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{StringArray, TimestampMicrosecondArray};
    use arrow::datatypes::{DataType, Field, Schema, TimeUnit};

    use super::*;

    /// account_id, message_id, sent_at, source_file, body.
    type Row<'a> = (&'a str, &'a str, i64, &'a str, Option<&'a str>);

    fn messages(rows: &[Row]) -> RecordBatch {
        let text = |f: &dyn Fn(&Row) -> Option<String>| {
            Arc::new(StringArray::from(rows.iter().map(f).collect::<Vec<_>>())) as ArrayRef
        };
        let schema = Schema::new(vec![
            Field::new("account_id", DataType::Utf8, false),
            Field::new("message_id", DataType::Utf8, false),
            Field::new(
                "sent_at",
                DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
                false,
            ),
            Field::new("source_file", DataType::Utf8, false),
            Field::new("conversation_id", DataType::Utf8, false),
            Field::new("kind", DataType::Utf8, false),
            Field::new("sender", DataType::Utf8, false),
            Field::new("body", DataType::Utf8, true),
        ]);
        RecordBatch::try_new(
            Arc::new(schema),
            vec![
                text(&|r| Some(r.0.to_string())),
                text(&|r| Some(r.1.to_string())),
                Arc::new(
                    TimestampMicrosecondArray::from(rows.iter().map(|r| r.2).collect::<Vec<_>>())
                        .with_timezone("UTC"),
                ),
                text(&|r| Some(r.3.to_string())),
                text(&|_| Some("c1".into())),
                text(&|_| Some("text".into())),
                text(&|_| Some("visitor".into())),
                text(&|r| r.4.map(str::to_string)),
            ],
        )
        .unwrap()
    }

    #[test]
    fn the_earliest_delivery_of_a_message_id_is_kept() {
        let batch = messages(&[
            ("a", "m1", 20, "f2", Some("late")),
            ("a", "m1", 10, "f3", Some("early")),
            ("a", "m2", 5, "f1", None),
            ("b", "m1", 30, "f1", None),
        ]);
        let kept = first_per_key(&batch, MESSAGE_KEY, MESSAGE_ORDER).unwrap();
        assert_eq!(kept.values().to_vec(), vec![1, 2, 3]);
    }

    #[test]
    fn at_the_same_instant_the_first_file_then_the_content_decides() {
        let batch = messages(&[
            ("a", "m1", 10, "f2", Some("x")),
            ("a", "m1", 10, "f1", Some("z")),
            ("a", "m1", 10, "f1", Some("y")),
            ("a", "m1", 10, "f1", None),
        ]);
        // f1 before f2; within f1 the body decides, NULL last (SQL's ASC NULLS LAST).
        let kept = first_per_key(&batch, MESSAGE_KEY, MESSAGE_ORDER).unwrap();
        assert_eq!(kept.values().to_vec(), vec![2]);
    }

    #[test]
    fn a_missing_column_is_an_error_naming_it() {
        let batch = messages(&[("a", "m1", 1, "f", None)]);
        let err = first_per_key(&batch, &["account_id", "nope"], MESSAGE_ORDER).unwrap_err();
        assert!(err.to_string().contains("no column nope"), "{err}");
    }
}
