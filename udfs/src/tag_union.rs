//! `tag_union(tags)`: the sorted, distinct union of lists of tags (an
//! aggregate function).

use std::collections::BTreeSet;
use std::mem::size_of_val;
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, GenericListArray, ListArray, OffsetSizeTrait, StringArray,
};
use arrow::buffer::OffsetBuffer;
use arrow::compute::kernels::cast::cast;
use arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::common::{Result, ScalarValue, exec_err, plan_err};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::utils::format_state_name;
use datafusion::logical_expr::{
    Accumulator, AggregateUDFImpl, Documentation, Signature, Volatility,
};
use datafusion_macros::user_doc;

use crate::common::{Strings, check_arity};

/// The type `tag_union` returns: `List(Utf8)` with the usual element field
/// named `item`.
pub fn tag_list_type() -> DataType {
    DataType::List(Arc::new(Field::new_list_field(DataType::Utf8, true)))
}

/// `tag_union(tags)`: the aggregate, sorted, distinct union of lists of tags.
#[user_doc(
    doc_section(label = "General Functions"),
    description = "Aggregates lists of tags into their union: the distinct non-NULL elements of \
all non-NULL input lists, sorted in byte order. Returns an empty list (not NULL) when there are \
none. Accepts List, LargeList, ListView, LargeListView and FixedSizeList of Utf8, LargeUtf8 or \
Utf8View; returns a List of Utf8.",
    syntax_example = "tag_union(tags)",
    sql_example = r"```sql
> SELECT account_id, tag_union(tags) AS tags
  FROM (VALUES ('acme', ['vip', 'refund']), ('acme', ['refund', NULL]), ('acme', NULL))
       AS t(account_id, tags)
  GROUP BY account_id;
+------------+---------------+
| account_id | tags          |
+------------+---------------+
| acme       | [refund, vip] |
+------------+---------------+
```",
    argument(
        name = "tags",
        description = "A list of strings, e.g. a conversation's tags."
    )
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct TagUnionFunc {
    signature: Signature,
}

impl Default for TagUnionFunc {
    fn default() -> Self {
        Self::new()
    }
}

impl TagUnionFunc {
    /// Creates the `tag_union` aggregate function.
    pub fn new() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

/// Whether `data_type` can hold the elements of a tag list.
fn is_tag_type(data_type: &DataType) -> bool {
    match data_type {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View | DataType::Null => true,
        DataType::Dictionary(_, value) => is_tag_type(value),
        _ => false,
    }
}

impl AggregateUDFImpl for TagUnionFunc {
    fn name(&self) -> &'static str {
        "tag_union"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        check_arity(self.name(), arg_types, 1)?;
        match &arg_types[0] {
            DataType::List(f)
            | DataType::LargeList(f)
            | DataType::ListView(f)
            | DataType::LargeListView(f)
            | DataType::FixedSizeList(f, _)
                if is_tag_type(f.data_type()) =>
            {
                Ok(vec![arg_types[0].clone()])
            }
            DataType::Null => Ok(vec![tag_list_type()]),
            other => plan_err!("tag_union expects a list of strings, got {other}"),
        }
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(tag_list_type())
    }

    fn is_nullable(&self) -> bool {
        false
    }

    fn accumulator(&self, _acc_args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        Ok(Box::<TagUnionAccumulator>::default())
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        Ok(vec![Arc::new(Field::new(
            format_state_name(args.name, "tags"),
            tag_list_type(),
            true,
        ))])
    }

    fn default_value(&self, _data_type: &DataType) -> Result<ScalarValue> {
        Ok(tags_scalar(&BTreeSet::new()))
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.doc()
    }
}

/// Builds the `List(Utf8)` scalar of a set of tags, in order.
fn tags_scalar(tags: &BTreeSet<String>) -> ScalarValue {
    let values = StringArray::from_iter_values(tags);
    let list = ListArray::new(
        Arc::new(Field::new_list_field(DataType::Utf8, true)),
        OffsetBuffer::from_lengths([tags.len()]),
        Arc::new(values),
        None,
    );
    ScalarValue::List(Arc::new(list))
}

/// Calls `f` on every non-NULL element of every non-NULL list of a list
/// array.
fn for_each_tag(array: &ArrayRef, f: &mut impl FnMut(&str)) -> Result<()> {
    match array.data_type() {
        DataType::Null => Ok(()),
        DataType::List(_) => for_each_in_list(array.as_list::<i32>(), f),
        DataType::LargeList(_) => for_each_in_list(array.as_list::<i64>(), f),
        DataType::ListView(_) | DataType::LargeListView(_) | DataType::FixedSizeList(_, _) => {
            let as_list = cast(
                array,
                &DataType::LargeList(Arc::new(Field::new_list_field(DataType::Utf8View, true))),
            )?;
            for_each_in_list(as_list.as_list::<i64>(), f)
        }
        other => exec_err!("tag_union expects a list of strings, got {other}"),
    }
}

/// [`for_each_tag`] for List and LargeList.
fn for_each_in_list<O: OffsetSizeTrait>(
    list: &GenericListArray<O>,
    f: &mut impl FnMut(&str),
) -> Result<()> {
    let values = match list.values().data_type() {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View | DataType::Null => {
            Arc::clone(list.values())
        }
        // e.g. dictionary-encoded strings
        _ => cast(list.values(), &DataType::Utf8View)?,
    };
    let strings = Strings::try_new("tag_union", &values)?;
    let offsets = list.value_offsets();
    for row in 0..list.len() {
        if list.is_null(row) {
            continue;
        }
        for index in offsets[row].as_usize()..offsets[row + 1].as_usize() {
            if let Some(tag) = strings.get(index) {
                f(tag);
            }
        }
    }
    Ok(())
}

/// The accumulator of `tag_union`: the set of tags seen so far.
#[derive(Debug, Default)]
pub struct TagUnionAccumulator {
    tags: BTreeSet<String>,
}

impl TagUnionAccumulator {
    /// Adds every tag of a list array to the set.
    fn add(&mut self, array: &ArrayRef) -> Result<()> {
        let tags = &mut self.tags;
        for_each_tag(array, &mut |tag| {
            if !tags.contains(tag) {
                tags.insert(tag.to_string());
            }
        })
    }
}

impl Accumulator for TagUnionAccumulator {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let [tags] = values else {
            return exec_err!("tag_union expects 1 argument, got {}", values.len());
        };
        self.add(tags)
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        Ok(tags_scalar(&self.tags))
    }

    fn size(&self) -> usize {
        size_of_val(self)
            + self
                .tags
                .iter()
                .map(|tag| size_of_val(tag) + tag.capacity())
                .sum::<usize>()
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        Ok(vec![tags_scalar(&self.tags)])
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let [tags] = states else {
            return exec_err!("tag_union expects 1 state column, got {}", states.len());
        };
        self.add(tags)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use arrow::array::ListViewArray;
    use arrow::array::{
        FixedSizeListArray, GenericListBuilder, LargeListArray, LargeStringBuilder, ListBuilder,
        StringBuilder, StringViewArray, StringViewBuilder,
    };
    use arrow::buffer::{NullBuffer, ScalarBuffer};

    /// A List(Utf8) array from optional lists of optional strings.
    fn list(rows: &[Option<&[Option<&str>]>]) -> ArrayRef {
        let mut builder = ListBuilder::new(StringBuilder::new());
        for row in rows {
            match row {
                Some(tags) => {
                    for tag in *tags {
                        builder.values().append_option(*tag);
                    }
                    builder.append(true);
                }
                None => builder.append(false),
            }
        }
        Arc::new(builder.finish())
    }

    fn tags_of(value: ScalarValue) -> Vec<Option<String>> {
        let ScalarValue::List(list) = value else {
            panic!("expected a list, got {value:?}");
        };
        assert_eq!(list.len(), 1);
        assert!(list.is_valid(0));
        assert_eq!(list.data_type(), &tag_list_type());
        list.value(0)
            .as_string::<i32>()
            .iter()
            .map(|s| s.map(str::to_string))
            .collect()
    }

    fn strings(tags: &[&str]) -> Vec<Option<String>> {
        tags.iter().map(|t| Some(t.to_string())).collect()
    }

    #[test]
    fn union_is_sorted_distinct_and_skips_nulls() {
        let mut acc = TagUnionAccumulator::default();
        acc.update_batch(&[list(&[
            Some(&[Some("vip"), Some("refund")]),
            None,
            Some(&[Some("refund"), None, Some("Zebra")]),
            Some(&[]),
        ])])
        .unwrap();
        acc.update_batch(&[list(&[Some(&[Some("apple"), Some("vip"), Some("")])])])
            .unwrap();
        // Byte order: "" < "Zebra" < "apple" < "refund" < "vip".
        assert_eq!(
            tags_of(acc.evaluate().unwrap()),
            strings(&["", "Zebra", "apple", "refund", "vip"])
        );
        assert!(acc.size() > size_of_val(&acc));
    }

    #[test]
    fn no_tags_is_an_empty_list() {
        let mut acc = TagUnionAccumulator::default();
        assert_eq!(tags_of(acc.evaluate().unwrap()), strings(&[]));
        acc.update_batch(&[list(&[None, Some(&[None]), Some(&[])])])
            .unwrap();
        assert_eq!(tags_of(acc.evaluate().unwrap()), strings(&[]));
        assert_eq!(
            tags_of(TagUnionFunc::new().default_value(&tag_list_type()).unwrap()),
            strings(&[])
        );
    }

    #[test]
    fn state_and_merge() {
        let mut a = TagUnionAccumulator::default();
        a.update_batch(&[list(&[Some(&[Some("b"), Some("a")])])])
            .unwrap();
        let mut b = TagUnionAccumulator::default();
        b.update_batch(&[list(&[Some(&[Some("c"), Some("a")])])])
            .unwrap();
        let empty = TagUnionAccumulator::default().state().unwrap();

        let states: Vec<ArrayRef> = vec![
            ScalarValue::iter_to_array(
                [a.state().unwrap(), b.state().unwrap(), empty]
                    .into_iter()
                    .map(|mut s| s.remove(0)),
            )
            .unwrap(),
        ];
        let mut merged = TagUnionAccumulator::default();
        merged.merge_batch(&states).unwrap();
        assert_eq!(
            tags_of(merged.evaluate().unwrap()),
            strings(&["a", "b", "c"])
        );

        // A NULL state row is ignored.
        merged.merge_batch(&[list(&[None])]).unwrap();
        assert_eq!(
            tags_of(merged.evaluate().unwrap()),
            strings(&["a", "b", "c"])
        );
    }

    #[test]
    fn other_list_and_string_encodings() {
        let mut acc = TagUnionAccumulator::default();

        // LargeList(LargeUtf8)
        let mut large = GenericListBuilder::<i64, _>::new(LargeStringBuilder::new());
        large.values().append_value("large");
        large.append(true);
        let large: LargeListArray = large.finish();
        acc.update_batch(&[Arc::new(large)]).unwrap();

        // List(Utf8View)
        let mut view = ListBuilder::new(StringViewBuilder::new());
        view.values()
            .append_value("a view longer than twelve bytes");
        view.values().append_null();
        view.append(true);
        acc.update_batch(&[Arc::new(view.finish())]).unwrap();

        // ListView(Utf8View): rows [x, y] and NULL (pointing at "ignored").
        let values = Arc::new(StringViewArray::from(vec!["x", "y", "ignored"]));
        let list_view = ListViewArray::new(
            Arc::new(Field::new_list_field(DataType::Utf8View, true)),
            ScalarBuffer::from(vec![0i32, 2]),
            ScalarBuffer::from(vec![2i32, 1]),
            values,
            Some(NullBuffer::from(vec![true, false])),
        );
        acc.update_batch(&[Arc::new(list_view)]).unwrap();

        // FixedSizeList(Utf8)
        let fixed = FixedSizeListArray::new(
            Arc::new(Field::new_list_field(DataType::Utf8, true)),
            2,
            Arc::new(StringArray::from(vec![
                Some("f1"),
                None,
                Some("f2"),
                Some("f3"),
            ])),
            Some(NullBuffer::from(vec![true, false])),
        );
        acc.update_batch(&[Arc::new(fixed)]).unwrap();

        // An untyped NULL column.
        acc.update_batch(&[Arc::new(arrow::array::NullArray::new(3))])
            .unwrap();

        assert_eq!(
            tags_of(acc.evaluate().unwrap()),
            strings(&["a view longer than twelve bytes", "f1", "large", "x", "y"])
        );
    }

    #[test]
    fn sliced_arrays() {
        let array = list(&[
            Some(&[Some("skipped")]),
            Some(&[Some("kept")]),
            Some(&[Some("also skipped")]),
        ]);
        let mut acc = TagUnionAccumulator::default();
        acc.update_batch(&[array.slice(1, 1)]).unwrap();
        assert_eq!(tags_of(acc.evaluate().unwrap()), strings(&["kept"]));
    }

    #[test]
    fn non_string_lists_are_rejected() {
        let f = TagUnionFunc::new();
        let ints = DataType::List(Arc::new(Field::new_list_field(DataType::Int32, true)));
        assert!(f.coerce_types(&[ints]).is_err());
        assert!(f.coerce_types(&[DataType::Utf8]).is_err());
        assert_eq!(
            f.coerce_types(&[DataType::Null]).unwrap(),
            vec![tag_list_type()]
        );
        let large_view =
            DataType::LargeList(Arc::new(Field::new_list_field(DataType::Utf8View, true)));
        assert_eq!(
            f.coerce_types(std::slice::from_ref(&large_view)).unwrap(),
            vec![large_view]
        );
        let mut acc = TagUnionAccumulator::default();
        assert!(
            acc.update_batch(&[Arc::new(StringArray::from(vec!["x"]))])
                .is_err()
        );
    }
}
