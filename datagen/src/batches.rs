//! Arrow record batches of the four tables, on the schemas of the data
//! contract (`conversql-contract`), with the ids spelt out
//! (`acc_001`, `conv_acc_001_000042`, `msg_…`, `prof_…`, `evt_…`, `sku_…`, `ord_…`).

use std::fmt::Write as _;
use std::sync::Arc;

use arrow::array::{
    ArrayRef, Decimal128Array, Int32Array, ListBuilder, StringBuilder, TimestampMicrosecondArray,
};
use arrow::datatypes::DataType;
use arrow::record_batch::RecordBatch;
use conversql_contract::{ACCOUNTS, ColumnKind, EVENTS, MESSAGES, PROFILES, UTC};

use crate::GenerateError;
use crate::accounts::Account;
use crate::conversation::MsgRow;
use crate::events::EventRow;

fn arrow_error(table: &str, e: arrow::error::ArrowError) -> GenerateError {
    GenerateError::with_source(format!("cannot build the {table} batch"), e)
}

/// The rows of `accounts`.
pub(crate) fn accounts_batch(accounts: &[Account]) -> Result<RecordBatch, GenerateError> {
    let mut id = StringBuilder::new();
    let mut name = StringBuilder::new();
    let mut zone = StringBuilder::new();
    let mut currency = StringBuilder::new();
    let mut click = Vec::new();
    let mut receipt = Vec::new();
    for acc in accounts {
        id.append_value(&acc.id);
        name.append_value(&acc.name);
        zone.append_value(acc.brand.zone);
        currency.append_value(acc.brand.currency);
        click.push(acc.click_window);
        receipt.push(acc.receipt_window);
    }
    let columns: Vec<ArrayRef> = vec![
        Arc::new(id.finish()),
        Arc::new(name.finish()),
        Arc::new(zone.finish()),
        Arc::new(currency.finish()),
        Arc::new(Int32Array::from(click)),
        Arc::new(Int32Array::from(receipt)),
    ];
    RecordBatch::try_new(ACCOUNTS.file_schema(), columns).map_err(|e| arrow_error("accounts", e))
}

/// The rows of `profiles` of the accounts this writer owns, and how many there are.
pub(crate) fn profiles_batch(accounts: &[Account]) -> Result<(RecordBatch, usize), GenerateError> {
    let mut profile_id = StringBuilder::new();
    let mut account_id = StringBuilder::new();
    let mut first = StringBuilder::new();
    let mut last = StringBuilder::new();
    let mut email = StringBuilder::new();
    let mut phone = StringBuilder::new();
    let mut updated = Vec::new();
    for acc in accounts.iter().filter(|a| a.owned) {
        for (i, p) in acc.profiles.iter().enumerate() {
            let pid = acc.profile_id(i as u32);
            if let Some(old) = &p.older {
                profile_id.append_value(&pid);
                account_id.append_value(&acc.id);
                first.append_option(old.first);
                last.append_option(old.last);
                email.append_option(p.email.as_deref());
                phone.append_option(p.phone.as_deref());
                updated.push(old.updated_at);
            }
            profile_id.append_value(&pid);
            account_id.append_value(&acc.id);
            first.append_option(p.first);
            last.append_option(p.last);
            email.append_option(p.email.as_deref());
            phone.append_option(p.phone.as_deref());
            updated.push(Some(p.updated_at));
        }
    }
    let rows = updated.len();
    let columns: Vec<ArrayRef> = vec![
        Arc::new(profile_id.finish()),
        Arc::new(account_id.finish()),
        Arc::new(first.finish()),
        Arc::new(last.finish()),
        Arc::new(email.finish()),
        Arc::new(phone.finish()),
        Arc::new(TimestampMicrosecondArray::from(updated).with_timezone(UTC)),
    ];
    let batch = RecordBatch::try_new(PROFILES.file_schema(), columns)
        .map_err(|e| arrow_error("profiles", e))?;
    Ok((batch, rows))
}

/// A builder of the contract's `list<utf8>` columns.
fn utf8_list_builder() -> ListBuilder<StringBuilder> {
    let DataType::List(item) = ColumnKind::TextList.data_type() else {
        unreachable!("the contract's text lists are lists")
    };
    ListBuilder::new(StringBuilder::new()).with_field(item)
}

/// `rows` as rows of `messages`.
pub(crate) fn messages_batch(
    rows: &[MsgRow],
    accounts: &[Account],
) -> Result<RecordBatch, GenerateError> {
    let n = rows.len();
    let mut account_id = StringBuilder::with_capacity(n, n * 7);
    let mut conversation_id = StringBuilder::with_capacity(n, n * 20);
    let mut message_id = StringBuilder::with_capacity(n, n * 24);
    let mut channel = StringBuilder::with_capacity(n, n * 8);
    let mut sent_at = Vec::with_capacity(n);
    let mut sender = StringBuilder::with_capacity(n, n * 7);
    let mut kind = StringBuilder::with_capacity(n, n * 8);
    let mut body = StringBuilder::with_capacity(n, n * 64);
    let mut profile_id = StringBuilder::with_capacity(n, n * 18);
    let mut skill = StringBuilder::with_capacity(n, n * 8);
    let mut product_ids = utf8_list_builder();
    let mut tags = utf8_list_builder();
    let mut escalation = StringBuilder::new();
    for r in rows {
        let acc = &accounts[r.acc as usize];
        account_id.append_value(&acc.id);
        let _ = write!(conversation_id, "conv_{}_{:06}", acc.id, r.conv + 1);
        conversation_id.append_value("");
        let _ = write!(
            message_id,
            "msg_{}_{:06}_{:03}",
            acc.id,
            r.conv + 1,
            r.seq + 1
        );
        message_id.append_value("");
        channel.append_value(r.channel);
        sent_at.push(r.sent_at);
        sender.append_value(r.sender);
        kind.append_value(r.kind);
        body.append_option(r.body.as_deref());
        match r.profile {
            Some(p) => {
                let _ = write!(profile_id, "prof_{}_{:05}", acc.id, p + 1);
                profile_id.append_value("");
            }
            None => profile_id.append_null(),
        }
        skill.append_option(r.skill);
        match &r.products {
            Some(skus) => {
                for sku in skus {
                    let _ = write!(product_ids.values(), "sku_{sku}");
                    product_ids.values().append_value("");
                }
                product_ids.append(true);
            }
            None => product_ids.append_null(),
        }
        match &r.tags {
            Some(list) => {
                for tag in list {
                    tags.values().append_value(tag);
                }
                tags.append(true);
            }
            None => tags.append_null(),
        }
        escalation.append_option(r.escalation);
    }
    let columns: Vec<ArrayRef> = vec![
        Arc::new(account_id.finish()),
        Arc::new(conversation_id.finish()),
        Arc::new(message_id.finish()),
        Arc::new(channel.finish()),
        Arc::new(TimestampMicrosecondArray::from(sent_at).with_timezone(UTC)),
        Arc::new(sender.finish()),
        Arc::new(kind.finish()),
        Arc::new(body.finish()),
        Arc::new(profile_id.finish()),
        Arc::new(skill.finish()),
        Arc::new(product_ids.finish()),
        Arc::new(tags.finish()),
        Arc::new(escalation.finish()),
    ];
    RecordBatch::try_new(MESSAGES.file_schema(), columns).map_err(|e| arrow_error("messages", e))
}

/// `rows` as rows of `events`.
pub(crate) fn events_batch(
    rows: &[EventRow],
    accounts: &[Account],
) -> Result<RecordBatch, GenerateError> {
    let n = rows.len();
    let mut event_id = StringBuilder::with_capacity(n, n * 10);
    let mut account_id = StringBuilder::with_capacity(n, n * 7);
    let mut profile_id = StringBuilder::with_capacity(n, n * 18);
    let mut metric = StringBuilder::with_capacity(n, n * 14);
    let mut occurred_at = Vec::with_capacity(n);
    let mut conversation_id = StringBuilder::new();
    let mut product_id = StringBuilder::new();
    let mut order_id = StringBuilder::new();
    let mut value = Vec::with_capacity(n);
    for r in rows {
        let acc = &accounts[r.acc as usize];
        let _ = write!(event_id, "evt_{:06}", r.id);
        event_id.append_value("");
        account_id.append_value(&acc.id);
        match r.profile {
            Some(p) => {
                let _ = write!(profile_id, "prof_{}_{:05}", acc.id, p + 1);
                profile_id.append_value("");
            }
            None => profile_id.append_null(),
        }
        metric.append_value(r.metric);
        occurred_at.push(r.at);
        match r.conv {
            Some(c) => {
                let _ = write!(conversation_id, "conv_{}_{:06}", acc.id, c + 1);
                conversation_id.append_value("");
            }
            None => conversation_id.append_null(),
        }
        match r.product {
            Some(sku) => {
                let _ = write!(product_id, "sku_{sku}");
                product_id.append_value("");
            }
            None => product_id.append_null(),
        }
        match r.order {
            Some(o) => {
                let _ = write!(order_id, "ord_{o}");
                order_id.append_value("");
            }
            None => order_id.append_null(),
        }
        value.push(r.value);
    }
    let value = Decimal128Array::from(value)
        .with_precision_and_scale(18, 2)
        .map_err(|e| arrow_error("events", e))?;
    let columns: Vec<ArrayRef> = vec![
        Arc::new(event_id.finish()),
        Arc::new(account_id.finish()),
        Arc::new(profile_id.finish()),
        Arc::new(metric.finish()),
        Arc::new(TimestampMicrosecondArray::from(occurred_at).with_timezone(UTC)),
        Arc::new(conversation_id.finish()),
        Arc::new(product_id.finish()),
        Arc::new(order_id.finish()),
        Arc::new(value),
    ];
    RecordBatch::try_new(EVENTS.file_schema(), columns).map_err(|e| arrow_error("events", e))
}
