//! End-to-end tests of the generator: every run is written to a temporary
//! directory and read back — layout, the contract's schemas, bounds, ids, the
//! shapes of conversations and events, determinism, refusals, and `--scale` runs.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use arrow::array::{
    Array, Decimal128Array, Int32Array, ListArray, StringArray, TimestampMicrosecondArray,
};
use arrow::datatypes::{DataType, Schema, SchemaRef};
use arrow::record_batch::RecordBatch;
use chrono::offset::LocalResult;
use chrono::{DateTime, NaiveDate, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;
use conversql_contract::{ACCOUNTS, EVENTS, MESSAGES, PROFILES, TABLES};
use conversql_datagen::{GenerateOptions, generate};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

const HOUR: i64 = 3_600_000_000;

/// The UTC instant (µs) at which `date` starts in `tz`, as the generator computes it
/// (past a daylight-saving gap; the earlier instant when ambiguous).
fn local_midnight(tz: &Tz, date: NaiveDate) -> i64 {
    let mut local = date.and_hms_opt(0, 0, 0).unwrap();
    for _ in 0..4 {
        match tz.from_local_datetime(&local) {
            LocalResult::Single(dt) => return dt.timestamp_micros(),
            LocalResult::Ambiguous(earliest, _) => return earliest.timestamp_micros(),
            LocalResult::None => local += TimeDelta::hours(1),
        }
    }
    local.and_utc().timestamp_micros()
}

/// The UTC date of an instant (µs).
fn utc_date(micros: i64) -> NaiveDate {
    DateTime::<Utc>::from_timestamp_micros(micros)
        .unwrap()
        .date_naive()
}

/// A fresh directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let dir = std::env::temp_dir().join(format!(
            "conversql-generate-{}-{}-{}",
            std::process::id(),
            name,
            n
        ));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn options(out: &Path) -> GenerateOptions {
    GenerateOptions {
        out: out.to_path_buf(),
        ..GenerateOptions::default()
    }
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut entries: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            out.extend(files(&path));
        } else {
            out.push(path);
        }
    }
    out
}

fn read(path: &Path) -> (SchemaRef, Vec<RecordBatch>) {
    let builder = ParquetRecordBatchReaderBuilder::try_new(File::open(path).unwrap()).unwrap();
    let schema = builder.schema().clone();
    let batches = builder.build().unwrap().map(|b| b.unwrap()).collect();
    (schema, batches)
}

fn strings(batch: &RecordBatch, name: &str) -> Vec<Option<String>> {
    let a = batch
        .column_by_name(name)
        .unwrap()
        .as_any()
        .downcast_ref::<StringArray>()
        .unwrap();
    (0..a.len())
        .map(|i| a.is_valid(i).then(|| a.value(i).to_string()))
        .collect()
}

fn times(batch: &RecordBatch, name: &str) -> Vec<Option<i64>> {
    let a = batch
        .column_by_name(name)
        .unwrap()
        .as_any()
        .downcast_ref::<TimestampMicrosecondArray>()
        .unwrap();
    (0..a.len())
        .map(|i| a.is_valid(i).then(|| a.value(i)))
        .collect()
}

fn lists(batch: &RecordBatch, name: &str) -> Vec<Option<Vec<String>>> {
    let a = batch
        .column_by_name(name)
        .unwrap()
        .as_any()
        .downcast_ref::<ListArray>()
        .unwrap();
    (0..a.len())
        .map(|i| {
            a.is_valid(i).then(|| {
                let v = a.value(i);
                let s = v.as_any().downcast_ref::<StringArray>().unwrap();
                (0..s.len()).map(|j| s.value(j).to_string()).collect()
            })
        })
        .collect()
}

fn fields(schema: &Schema) -> Vec<(String, DataType, bool)> {
    schema
        .fields()
        .iter()
        .map(|f| (f.name().clone(), f.data_type().clone(), f.is_nullable()))
        .collect()
}

#[derive(Debug, Clone)]
struct Msg {
    file: PathBuf,
    account: String,
    conversation: String,
    id: String,
    channel: String,
    sent_at: i64,
    sender: String,
    kind: String,
    profile: Option<String>,
    skill: Option<String>,
    products: Option<Vec<String>>,
    tags: Option<Vec<String>>,
    escalation: Option<String>,
}

#[derive(Debug, Clone)]
struct Event {
    id: String,
    account: String,
    profile: Option<String>,
    metric: String,
    at: i64,
    conversation: Option<String>,
    order: Option<String>,
    value: Option<i128>,
}

/// profile_id, last_name, updated_at
type ProfileRow = (String, Option<String>, Option<i64>);

struct Dataset {
    accounts: Vec<(String, String, Option<i32>, Option<i32>)>,
    profiles: Vec<ProfileRow>,
    messages: Vec<Msg>,
    events: Vec<Event>,
}

/// Reads everything back, checking schemas, partitions and ordering on the way.
fn load(root: &Path) -> Dataset {
    let mut top: Vec<String> = fs::read_dir(root)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    top.sort();
    assert_eq!(top, ["accounts", "events", "messages", "profiles"]);

    let (schema, batches) = read(&root.join("accounts").join("accounts.parquet"));
    assert_eq!(fields(&schema), fields(&ACCOUNTS.file_schema()));
    let mut accounts = Vec::new();
    for b in &batches {
        let ids = strings(b, "account_id");
        let zones = strings(b, "timezone");
        let click = b
            .column_by_name("sms_click_window_hours")
            .unwrap()
            .as_any()
            .downcast_ref::<Int32Array>()
            .unwrap();
        let receipt = b
            .column_by_name("sms_receipt_window_hours")
            .unwrap()
            .as_any()
            .downcast_ref::<Int32Array>()
            .unwrap();
        for i in 0..b.num_rows() {
            accounts.push((
                ids[i].clone().unwrap(),
                zones[i].clone().unwrap(),
                click.is_valid(i).then(|| click.value(i)),
                receipt.is_valid(i).then(|| receipt.value(i)),
            ));
        }
    }
    assert_eq!(fs::read_dir(root.join("accounts")).unwrap().count(), 1);

    let (schema, batches) = read(&root.join("profiles").join("profiles.parquet"));
    assert_eq!(fields(&schema), fields(&PROFILES.file_schema()));
    let mut profiles = Vec::new();
    for b in &batches {
        let ids = strings(b, "profile_id");
        let last = strings(b, "last_name");
        let updated = times(b, "updated_at");
        for i in 0..b.num_rows() {
            profiles.push((ids[i].clone().unwrap(), last[i].clone(), updated[i]));
        }
    }

    let check_partition = |table: &str, path: &Path| -> NaiveDate {
        let rel = path.strip_prefix(root.join(table)).unwrap();
        let parts: Vec<String> = rel
            .iter()
            .map(|p| p.to_string_lossy().into_owned())
            .collect();
        assert_eq!(parts.len(), 2, "{}", path.display());
        assert!(
            parts[1].starts_with("part-") && parts[1].ends_with(".parquet"),
            "{}",
            path.display()
        );
        let date = parts[0].strip_prefix("date=").expect("date= partition");
        NaiveDate::parse_from_str(date, "%Y-%m-%d").unwrap()
    };

    let mut messages = Vec::new();
    for path in files(&root.join("messages")) {
        let day = check_partition("messages", &path);
        let (schema, batches) = read(&path);
        assert_eq!(fields(&schema), fields(&MESSAGES.file_schema()));
        let mut previous = i64::MIN;
        for b in &batches {
            let (acc, conv, id, channel) = (
                strings(b, "account_id"),
                strings(b, "conversation_id"),
                strings(b, "message_id"),
                strings(b, "channel"),
            );
            let (sent, sender, kind) = (
                times(b, "sent_at"),
                strings(b, "sender"),
                strings(b, "kind"),
            );
            let (profile, skill, escalation) = (
                strings(b, "profile_id"),
                strings(b, "skill"),
                strings(b, "escalation_reason"),
            );
            let (products, tags) = (lists(b, "product_ids"), lists(b, "tags"));
            for i in 0..b.num_rows() {
                let sent_at = sent[i].unwrap();
                assert!(
                    sent_at >= previous,
                    "rows sorted by sent_at in {}",
                    path.display()
                );
                previous = sent_at;
                assert_eq!(
                    DateTime::<Utc>::from_timestamp_micros(sent_at)
                        .unwrap()
                        .date_naive(),
                    day
                );
                messages.push(Msg {
                    file: path.clone(),
                    account: acc[i].clone().unwrap(),
                    conversation: conv[i].clone().unwrap(),
                    id: id[i].clone().unwrap(),
                    channel: channel[i].clone().unwrap(),
                    sent_at,
                    sender: sender[i].clone().unwrap(),
                    kind: kind[i].clone().unwrap(),
                    profile: profile[i].clone(),
                    skill: skill[i].clone(),
                    products: products[i].clone(),
                    tags: tags[i].clone(),
                    escalation: escalation[i].clone(),
                });
            }
        }
    }

    let mut events = Vec::new();
    for path in files(&root.join("events")) {
        let day = check_partition("events", &path);
        let (schema, batches) = read(&path);
        assert_eq!(fields(&schema), fields(&EVENTS.file_schema()));
        let mut previous = i64::MIN;
        for b in &batches {
            let (id, acc, profile, metric) = (
                strings(b, "event_id"),
                strings(b, "account_id"),
                strings(b, "profile_id"),
                strings(b, "metric"),
            );
            let (at, conv, order) = (
                times(b, "occurred_at"),
                strings(b, "conversation_id"),
                strings(b, "order_id"),
            );
            let value = b
                .column_by_name("value")
                .unwrap()
                .as_any()
                .downcast_ref::<Decimal128Array>()
                .unwrap();
            assert_eq!((value.precision(), value.scale()), (18, 2));
            for i in 0..b.num_rows() {
                let at = at[i].unwrap();
                assert!(
                    at >= previous,
                    "rows sorted by occurred_at in {}",
                    path.display()
                );
                previous = at;
                assert_eq!(
                    DateTime::<Utc>::from_timestamp_micros(at)
                        .unwrap()
                        .date_naive(),
                    day
                );
                events.push(Event {
                    id: id[i].clone().unwrap(),
                    account: acc[i].clone().unwrap(),
                    profile: profile[i].clone(),
                    metric: metric[i].clone().unwrap(),
                    at,
                    conversation: conv[i].clone(),
                    order: order[i].clone(),
                    value: value.is_valid(i).then(|| value.value(i)),
                });
            }
        }
    }
    Dataset {
        accounts,
        profiles,
        messages,
        events,
    }
}

#[test]
fn same_options_give_identical_files() {
    let (a, b, c) = (
        TempDir::new("det-a"),
        TempDir::new("det-b"),
        TempDir::new("det-c"),
    );
    let opts = GenerateOptions {
        conversations: 600,
        days: 12,
        ..options(&a.0)
    };
    let first = generate(&opts).unwrap();
    let second = generate(&GenerateOptions {
        out: b.0.clone(),
        ..opts.clone()
    })
    .unwrap();
    let (fa, fb) = (files(&a.0), files(&b.0));
    assert_eq!(fa.len(), first.files);
    let rel = |root: &Path, f: &Vec<PathBuf>| {
        f.iter()
            .map(|p| p.strip_prefix(root).unwrap().to_path_buf())
            .collect::<Vec<_>>()
    };
    assert_eq!(rel(&a.0, &fa), rel(&b.0, &fb));
    for (x, y) in fa.iter().zip(&fb) {
        assert!(
            fs::read(x).unwrap() == fs::read(y).unwrap(),
            "{} differs",
            x.display()
        );
    }
    assert_eq!(
        (first.messages, first.events, first.profiles, first.bytes),
        (
            second.messages,
            second.events,
            second.profiles,
            second.bytes
        )
    );

    // Another seed gives other data.
    generate(&GenerateOptions {
        out: c.0.clone(),
        seed: 7,
        ..opts
    })
    .unwrap();
    let bytes = |root: &Path| {
        files(&root.join("messages"))
            .iter()
            .map(|p| fs::read(p).unwrap())
            .collect::<Vec<_>>()
    };
    assert_ne!(bytes(&a.0), bytes(&c.0));
}

#[test]
fn layout_schemas_and_bounds() {
    let dir = TempDir::new("layout");
    let opts = options(&dir.0);
    let summary = generate(&opts).unwrap();
    let data = load(&dir.0);

    assert_eq!(summary.accounts, 3);
    assert_eq!(data.accounts.len(), 3);
    assert_eq!(summary.conversations, 2000);
    assert_eq!(summary.profiles, data.profiles.len());
    assert_eq!(summary.messages, data.messages.len());
    assert_eq!(summary.events, data.events.len());
    let all = files(&dir.0);
    assert_eq!(summary.files, all.len());
    assert_eq!(
        summary.bytes,
        all.iter()
            .map(|p| fs::metadata(p).unwrap().len())
            .sum::<u64>()
    );
    assert!(
        summary.bytes < 5 * 1024 * 1024,
        "default dataset is {} bytes",
        summary.bytes
    );

    let conversations: BTreeSet<&str> = data
        .messages
        .iter()
        .map(|m| m.conversation.as_str())
        .collect();
    assert_eq!(conversations.len(), 2000);

    // Nothing before the first day or after end_date 23:59:59 in the account's zone.
    let first_day = opts.end_date - chrono::Days::new(u64::from(opts.days) - 1);
    for (id, zone, _, _) in &data.accounts {
        let tz: Tz = zone.parse().unwrap();
        let limit = local_midnight(&tz, opts.end_date.succ_opt().unwrap());
        let start = local_midnight(&tz, first_day);
        for m in data.messages.iter().filter(|m| &m.account == id) {
            assert!(
                m.sent_at < limit && m.sent_at >= start,
                "{} at {}",
                m.id,
                m.sent_at
            );
        }
        for e in data.events.iter().filter(|e| &e.account == id) {
            assert!(e.at < limit, "{} at {}", e.id, e.at);
        }
        for (p, _, updated) in data.profiles.iter().filter(|p| p.0.contains(id.as_str())) {
            assert!(updated.is_none_or(|u| u < limit), "{p}");
        }
    }

    // Id formats.
    assert!(
        data.accounts
            .iter()
            .all(|a| a.0.len() == 7 && a.0.starts_with("acc_"))
    );
    assert!(
        data.messages
            .iter()
            .all(|m| m.conversation.starts_with(&format!("conv_{}_", m.account)))
    );
    assert!(
        data.messages
            .iter()
            .all(|m| m.id.starts_with(&format!("msg_{}_", m.account)))
    );
    assert!(
        data.profiles
            .iter()
            .all(|p| p.0.starts_with("prof_acc_") && p.0.len() == "prof_acc_001_00042".len())
    );
    assert!(
        data.events
            .iter()
            .all(|e| e.id.starts_with("evt_") && e.id.len() == "evt_000001".len())
    );
    assert!(
        data.events
            .iter()
            .filter_map(|e| e.order.as_ref())
            .all(|o| o.starts_with("ord_1"))
    );
}

#[test]
fn covers_every_value_and_edge_case() {
    let dir = TempDir::new("cover");
    generate(&options(&dir.0)).unwrap();
    let data = load(&dir.0);
    let set = |it: &mut dyn Iterator<Item = String>| it.collect::<BTreeSet<String>>();
    let expect = |got: BTreeSet<String>, want: &[&str]| {
        for w in want {
            assert!(got.contains(*w), "{w} missing from {got:?}");
        }
    };
    let msgs = &data.messages;
    expect(
        set(&mut msgs.iter().map(|m| m.kind.clone())),
        &[
            "text",
            "product_card",
            "handoff_ticket",
            "handoff_message",
            "close",
        ],
    );
    expect(
        set(&mut msgs.iter().map(|m| m.sender.clone())),
        &["visitor", "agent"],
    );
    expect(
        set(&mut msgs.iter().map(|m| m.channel.clone())),
        &["web_chat", "sms", "whatsapp"],
    );
    expect(
        set(&mut msgs.iter().filter_map(|m| m.skill.clone())),
        &["order_tracking", "product_recommendation", "faq", "returns"],
    );
    expect(
        set(&mut msgs.iter().filter_map(|m| m.escalation.clone())),
        &["knowledge_gap", "customer_request", "policy"],
    );
    expect(
        set(&mut msgs.iter().flat_map(|m| m.tags.clone().unwrap_or_default())),
        &["shipping", "sizing", "returns", "discount", "wholesale"],
    );
    expect(
        set(&mut data.events.iter().map(|e| e.metric.clone())),
        &[
            "Clicked Product Card",
            "Clicked SMS",
            "Placed Order",
            "Viewed Product",
            "Added to Cart",
        ],
    );

    for m in msgs {
        match m.kind.as_str() {
            "product_card" => {
                assert_eq!(
                    (m.sender.as_str(), m.skill.as_deref()),
                    ("agent", Some("product_recommendation"))
                );
                let p = m.products.as_ref().unwrap();
                assert!((1..=3).contains(&p.len()) && p.iter().all(|s| s.starts_with("sku_")));
            }
            "handoff_ticket" => assert!(m.sender == "agent" && m.escalation.is_some()),
            "close" => assert_eq!(m.sender, "visitor"),
            _ => assert!(m.products.is_none() && m.escalation.is_none()),
        }
    }
    // Only one conversation uses the unknown channel.
    let unknown: BTreeSet<&str> = msgs
        .iter()
        .filter(|m| m.channel == "whatsapp")
        .map(|m| m.conversation.as_str())
        .collect();
    assert_eq!(unknown.len(), 1);

    // At-least-once delivery: a few identical rows again in another file of the same day.
    let mut by_id: BTreeMap<&str, Vec<&Msg>> = BTreeMap::new();
    for m in msgs {
        by_id.entry(m.id.as_str()).or_default().push(m);
    }
    let repeated: Vec<&Vec<&Msg>> = by_id.values().filter(|v| v.len() > 1).collect();
    assert!(!repeated.is_empty() && repeated.len() < 100);
    for v in &repeated {
        assert_eq!(v.len(), 2);
        assert_ne!(v[0].file, v[1].file);
        assert_eq!(v[0].file.parent(), v[1].file.parent());
        assert_eq!(
            (v[0].sent_at, &v[0].kind, &v[0].profile),
            (v[1].sent_at, &v[1].kind, &v[1].profile)
        );
    }

    // Conversation shapes.
    let mut convs: BTreeMap<&str, Vec<&Msg>> = BTreeMap::new();
    for v in by_id.values() {
        convs
            .entry(v[0].conversation.as_str())
            .or_default()
            .push(v[0]);
    }
    for c in convs.values_mut() {
        c.sort_by_key(|m| (m.sent_at, m.id.clone()));
    }
    let count = |f: &dyn Fn(&Vec<&Msg>) -> bool| convs.values().filter(|c| f(c)).count();
    assert!(
        count(&|c| c[0].sender == "agent" && c[0].channel == "web_chat") > 10,
        "agent greetings"
    );
    assert!(
        count(&|c| c.last().unwrap().sender == "agent") > 100,
        "agent spoke last"
    );
    assert!(
        count(&|c| c.last().unwrap().sender == "visitor") > 100,
        "visitor spoke last"
    );
    assert!(
        count(&|c| c.iter().all(|m| m.profile.is_none())) > 100,
        "anonymous"
    );
    assert!(
        count(&|c| c[0].profile.is_none() && c.iter().any(|m| m.profile.is_some())) > 50,
        "identified midway"
    );
    assert!(
        count(&|c| c
            .iter()
            .position(|m| m.kind == "close")
            .is_some_and(|i| i + 1 < c.len()))
            > 5,
        "continues after close"
    );
    assert!(
        count(&|c| c
            .windows(2)
            .any(|w| w[1].sent_at - w[0].sent_at > 12 * HOUR))
            > 5,
        "gaps of about a day"
    );
    let n = convs.len() as f64;
    let share = |kind: &str| count(&|c| c.iter().any(|m| m.kind == kind)) as f64 / n;
    assert!(
        (0.05..0.12).contains(&share("handoff_ticket")),
        "handoff_ticket {}",
        share("handoff_ticket")
    );
    assert!(
        (0.03..0.08).contains(&share("handoff_message")),
        "handoff_message {}",
        share("handoff_message")
    );
    assert!(
        (0.06..0.14).contains(&share("close")),
        "close {}",
        share("close")
    );
    let web = count(&|c| c[0].channel == "web_chat") as f64 / n;
    assert!((0.62..0.78).contains(&web), "web_chat share {web}");
    let as_of = NaiveDate::from_ymd_opt(2026, 6, 7)
        .unwrap()
        .and_hms_opt(12, 0, 0)
        .unwrap()
        .and_utc()
        .timestamp_micros();
    assert!(
        count(&|c| c[0].sent_at <= as_of
            && c.iter()
                .filter(|m| m.sent_at <= as_of)
                .all(|m| as_of - m.sent_at < 48 * HOUR))
            > 20,
        "open at as_of"
    );

    // Events.
    let mut ids: BTreeMap<&str, usize> = BTreeMap::new();
    for e in &data.events {
        *ids.entry(e.id.as_str()).or_default() += 1;
    }
    assert!(ids.values().any(|&c| c == 2), "repeated event ids");
    let orders: Vec<&Event> = data
        .events
        .iter()
        .filter(|e| e.metric == "Placed Order")
        .collect();
    assert!(
        orders
            .iter()
            .all(|e| e.order.is_some() && e.value.is_some_and(|v| (1500..=40_000).contains(&v)))
    );
    assert!(
        orders.iter().any(|e| e.profile.is_none()),
        "orders without a profile"
    );
    let mut order_events: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for e in &orders {
        order_events
            .entry(e.order.as_deref().unwrap())
            .or_default()
            .insert(e.id.as_str());
    }
    assert!(
        order_events.values().any(|ids| ids.len() == 2),
        "repeated order ids"
    );
    let chatted: BTreeSet<&str> = msgs.iter().filter_map(|m| m.profile.as_deref()).collect();
    assert!(
        orders
            .iter()
            .any(|e| e.profile.as_deref().is_some_and(|p| !chatted.contains(p))),
        "orders from profiles that never chatted"
    );
    let clicks: Vec<&Event> = data
        .events
        .iter()
        .filter(|e| e.metric.starts_with("Clicked"))
        .collect();
    assert!(
        clicks
            .iter()
            .all(|e| e.profile.is_some() && e.conversation.is_some())
    );
    assert!(
        clicks
            .iter()
            .any(|e| !convs.contains_key(e.conversation.as_deref().unwrap())),
        "unknown conversation ids"
    );
    for e in clicks.iter().filter(|e| e.metric == "Clicked SMS") {
        if let Some(c) = convs.get(e.conversation.as_deref().unwrap()) {
            assert_eq!(c[0].channel, "sms");
        }
    }
    for e in clicks.iter().filter(|e| e.metric == "Clicked Product Card") {
        if let Some(c) = convs.get(e.conversation.as_deref().unwrap()) {
            let card = c
                .iter()
                .find(|m| m.kind == "product_card")
                .expect("clicked conversation showed a card");
            assert!(e.at > card.sent_at);
        }
    }

    // Accounts and profiles.
    let windows: Vec<(Option<i32>, Option<i32>)> =
        data.accounts.iter().map(|a| (a.2, a.3)).collect();
    assert_eq!(
        windows,
        [(None, None), (Some(72), Some(6)), (None, Some(0))]
    );
    let zones: Vec<&str> = data.accounts.iter().map(|a| a.1.as_str()).collect();
    assert_eq!(
        zones,
        ["America/New_York", "Australia/Sydney", "Europe/London"]
    );
    let mut rows: BTreeMap<&str, Vec<&ProfileRow>> = BTreeMap::new();
    for p in &data.profiles {
        rows.entry(p.0.as_str()).or_default().push(p);
    }
    assert!(
        rows.values()
            .any(|r| r.len() == 2 && r[0].2.is_none() && r[1].2.is_some()),
        "older row with NULL updated_at"
    );
    assert!(
        rows.values().any(|r| r.len() == 2
            && r[0].2.is_some_and(|a| r[1].2.is_some_and(|b| a < b))
            && r[0].1 != r[1].1),
        "name changed"
    );
}

#[test]
fn refuses_a_non_empty_output_directory() {
    let dir = TempDir::new("refuse");
    fs::create_dir_all(dir.0.join("messages").join("date=2026-06-01")).unwrap();
    fs::write(
        dir.0
            .join("messages")
            .join("date=2026-06-01")
            .join("part-00000.parquet"),
        b"keep me",
    )
    .unwrap();
    let opts = GenerateOptions {
        conversations: 50,
        days: 3,
        ..options(&dir.0)
    };
    let err = generate(&opts).unwrap_err();
    assert!(err.to_string().contains("messages"), "{err}");
    assert!(!dir.0.join("accounts").exists(), "nothing was written");
    assert_eq!(
        fs::read(
            dir.0
                .join("messages")
                .join("date=2026-06-01")
                .join("part-00000.parquet")
        )
        .unwrap(),
        b"keep me"
    );

    // Empty table directories are fine.
    let empty = TempDir::new("empty");
    for table in TABLES {
        fs::create_dir_all(empty.0.join(table.name)).unwrap();
    }
    generate(&GenerateOptions {
        out: empty.0.clone(),
        ..opts.clone()
    })
    .unwrap();
    // ... but a second run into the same directory is refused.
    let err = generate(&GenerateOptions {
        out: empty.0.clone(),
        ..opts
    })
    .unwrap_err();
    assert!(err.to_string().contains("accounts"), "{err}");
}

#[test]
fn rejects_bad_settings() {
    let dir = TempDir::new("bad");
    let err = generate(&GenerateOptions {
        accounts: 0,
        ..options(&dir.0)
    })
    .unwrap_err();
    assert!(err.to_string().contains("accounts"), "{err}");
    let err = generate(&GenerateOptions {
        days: 0,
        ..options(&dir.0)
    })
    .unwrap_err();
    assert!(err.to_string().contains("days"), "{err}");
    assert!(fs::read_dir(&dir.0).unwrap().next().is_none());
}

#[test]
fn small_and_daylight_saving_runs() {
    // Spans the April DST changes in Sydney and across many zones; tiny sizes must work too.
    for (conversations, accounts, days, end) in [
        (0, 1, 1, (2026, 6, 7)),
        (5, 7, 2, (2026, 6, 7)),
        (400, 6, 20, (2026, 4, 10)),
    ] {
        let dir = TempDir::new("small");
        let opts = GenerateOptions {
            conversations,
            accounts,
            days,
            end_date: NaiveDate::from_ymd_opt(end.0, end.1, end.2).unwrap(),
            ..options(&dir.0)
        };
        let summary = generate(&opts).unwrap();
        let data = load(&dir.0);
        assert_eq!(summary.conversations, conversations);
        assert_eq!(data.accounts.len(), accounts);
        let convs: BTreeSet<&str> = data
            .messages
            .iter()
            .map(|m| m.conversation.as_str())
            .collect();
        assert_eq!(convs.len(), conversations);
        for (id, zone, _, _) in &data.accounts {
            let tz: Tz = zone.parse().unwrap();
            let limit = local_midnight(&tz, opts.end_date.succ_opt().unwrap());
            assert!(
                data.messages
                    .iter()
                    .filter(|m| &m.account == id)
                    .all(|m| m.sent_at < limit)
            );
            assert!(
                data.events
                    .iter()
                    .filter(|e| &e.account == id)
                    .all(|e| e.at < limit)
            );
        }
    }
}

#[test]
fn scaled_runs_write_several_files_a_day_deterministically() {
    let (a, b) = (TempDir::new("scale-a"), TempDir::new("scale-b"));
    let opts = GenerateOptions {
        days: 8,
        ..GenerateOptions::scaled(a.0.clone(), 0.003).unwrap()
    };
    let first = generate(&opts).unwrap();
    let second = generate(&GenerateOptions {
        out: b.0.clone(),
        ..opts.clone()
    })
    .unwrap();
    // Parallel writers, same bytes.
    let (fa, fb) = (files(&a.0), files(&b.0));
    assert_eq!(fa.len(), first.files);
    assert_eq!(fa.len(), fb.len());
    for (x, y) in fa.iter().zip(&fb) {
        assert_eq!(x.strip_prefix(&a.0).unwrap(), y.strip_prefix(&b.0).unwrap());
        assert!(
            fs::read(x).unwrap() == fs::read(y).unwrap(),
            "{} differs",
            x.display()
        );
    }
    assert_eq!(
        (first.messages, first.events),
        (second.messages, second.events)
    );

    // Layout: one profiles file per writer; one file per writer and day (plus redeliveries).
    let names = |dir: &Path| -> BTreeSet<String> {
        fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect()
    };
    let writers: BTreeSet<String> = (0..4).map(|w| format!("part-{w:05}.parquet")).collect();
    assert_eq!(names(&a.0.join("profiles")), writers);
    let mut days = 0;
    for table in ["messages", "events"] {
        for day in fs::read_dir(a.0.join(table)).unwrap() {
            let day = day.unwrap().path();
            let files = names(&day);
            let plain: BTreeSet<String> = files
                .iter()
                .filter(|f| !f.contains("redelivered"))
                .cloned()
                .collect();
            assert!(plain.is_subset(&writers), "{}: {files:?}", day.display());
            if table == "messages" && plain.len() == 4 {
                days += 1;
            }
        }
    }
    assert!(days >= 8, "only {days} days with a file from every writer");

    // Counts: every conversation and account, about ten rows per conversation, the
    // UTC partition of every row, re-delivered rows, unique event ids across writers.
    let mut conversations = BTreeMap::<String, usize>::new();
    let mut accounts = BTreeSet::new();
    let (mut rows, mut ids) = (0usize, BTreeSet::new());
    for path in files(&a.0.join("messages")) {
        let dir = path
            .parent()
            .unwrap()
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let (_, batches) = read(&path);
        for batch in &batches {
            let times = times(batch, "sent_at");
            let accs = strings(batch, "account_id");
            let ids_ = strings(batch, "message_id");
            for (i, c) in strings(batch, "conversation_id").into_iter().enumerate() {
                *conversations.entry(c.unwrap()).or_default() += 1;
                accounts.insert(accs[i].clone().unwrap());
                ids.insert(ids_[i].clone().unwrap());
                let day = utc_date(times[i].unwrap());
                assert_eq!(dir, format!("date={}", day.format("%Y-%m-%d")));
                rows += 1;
            }
        }
    }
    assert_eq!(rows, first.messages);
    assert_eq!(conversations.len(), 3000);
    assert_eq!(accounts.len(), 100);
    assert!(ids.len() < rows, "some rows are delivered twice");
    let per_conversation = ids.len() as f64 / 3000.0;
    assert!(
        (8.0..12.0).contains(&per_conversation),
        "{per_conversation} rows per conversation"
    );
    // Uneven accounts: the first is much larger than the last.
    let count = |acc: &str| {
        conversations
            .keys()
            .filter(|c| c.starts_with(&format!("conv_{acc}_")))
            .count()
    };
    assert!(
        count("acc_001") > 10 * count("acc_100"),
        "{} vs {}",
        count("acc_001"),
        count("acc_100")
    );
    let mut events = Vec::new();
    for path in files(&a.0.join("events")) {
        for batch in read(&path).1 {
            events.extend(strings(&batch, "event_id").into_iter().map(Option::unwrap));
        }
    }
    assert_eq!(events.len(), first.events);
    let distinct: BTreeSet<&String> = events.iter().collect();
    assert!(distinct.len() < events.len() && distinct.len() > events.len() * 9 / 10);
}
