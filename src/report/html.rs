//! The `html` format: one self-contained page like the product's dashboard.
//! No script and nothing fetched: inline CSS and inline SVG only.
//!
//! Each result of the report's SQL becomes a section, by its shape:
//! - one row of numbers only: metric cards (`overview(…)`: the four metrics);
//! - a date column, a text column and an integer column (`overview_daily(…)`):
//!   a daily bar chart, one bar per date stacked by the text column;
//! - anything else: a table (e.g. the latest conversations).

use std::collections::BTreeMap;
use std::fmt::Write;

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Date32Type, Int64Type};
use arrow::util::display::{ArrayFormatter, FormatOptions};
use chrono::{Duration, NaiveDate};

use super::render::{PageInfo, ResultSet};

/// Bar colours, in the order of the groups (largest total first).
const PALETTE: [&str; 8] = [
    "#4f46e5", "#0ea5e9", "#10b981", "#f59e0b", "#ef4444", "#8b5cf6", "#14b8a6", "#64748b",
];
/// At most this many rows of a table are shown.
const MAX_TABLE_ROWS: usize = 500;

/// Chart geometry (SVG user units; the SVG is drawn at this size).
const WIDTH: f64 = 760.0;
const HEIGHT: f64 = 300.0;
const LEFT: f64 = 48.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 20.0;
const BOTTOM: f64 = 40.0;

const STYLE: &str = "\
body{font-family:-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;margin:0;background:#f5f6fa;color:#1f2937}\
main{max-width:1000px;margin:0 auto;padding:24px}\
h1{font-size:22px;margin:0 0 4px}h2{font-size:16px;margin:0 0 12px}\
.sub{color:#6b7280;margin:0 0 20px;font-size:13px}\
section{background:#fff;border:1px solid #e5e7eb;border-radius:10px;padding:16px 20px;margin:0 0 16px}\
.metrics{display:flex;gap:12px;flex-wrap:wrap}\
.metric{flex:1 1 180px;background:#fff;border:1px solid #e5e7eb;border-radius:10px;padding:14px 16px}\
.metric .label{color:#6b7280;font-size:12px;text-transform:uppercase;letter-spacing:.04em}\
.metric .value{font-size:28px;font-weight:600;margin-top:6px}\
.legend{display:flex;gap:16px;flex-wrap:wrap;font-size:12px;color:#374151;margin-top:8px}\
.legend span.swatch{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:6px;vertical-align:-1px}\
svg text{font-size:11px;fill:#6b7280}svg .grid{stroke:#e5e7eb}svg .axis{stroke:#9ca3af}\
table{border-collapse:collapse;width:100%;font-size:13px}\
th{text-align:left;color:#6b7280;font-weight:500;border-bottom:1px solid #e5e7eb;padding:6px 8px}\
td{border-bottom:1px solid #f3f4f6;padding:6px 8px;vertical-align:top}td:not(:last-child){white-space:nowrap}\
.note{color:#6b7280;font-size:12px}";

/// Escapes text for HTML text and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The whole page.
pub fn page(results: &[ResultSet], info: &PageInfo) -> String {
    let mut html = String::new();
    let _ = write!(
        html,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title>\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><style>{STYLE}</style></head>\
         <body><main><h1>{title}</h1><p class=\"sub\">{sub}</p>\n",
        title = escape(&info.title),
        sub = escape(&info.subtitle)
    );
    for (i, result) in results.iter().enumerate() {
        let title = info.sections.get(i).cloned();
        if is_metrics(result) {
            html.push_str(&metrics(result, title.as_deref()));
        } else if let Some(series) = Series::of(result) {
            html.push_str(&chart(&series, title.as_deref().unwrap_or("Per day"), info));
        } else {
            html.push_str(&table(result, title.as_deref().unwrap_or("Rows")));
        }
        html.push('\n');
    }
    html.push_str("</main></body></html>\n");
    html
}

fn is_numeric(t: &DataType) -> bool {
    t.is_integer()
        || t.is_floating()
        || matches!(t, DataType::Decimal128(..) | DataType::Decimal256(..))
}

fn is_metrics(result: &ResultSet) -> bool {
    result.rows() == 1
        && result
            .schema
            .fields()
            .iter()
            .all(|f| is_numeric(f.data_type()))
}

/// `percent_resolved_by_ai` → `Percent resolved by AI`.
fn label(column: &str) -> String {
    let words: Vec<String> = column
        .split('_')
        .filter(|w| !w.is_empty())
        .map(|w| {
            if w.eq_ignore_ascii_case("ai") {
                "AI".to_string()
            } else {
                w.to_string()
            }
        })
        .collect();
    let text = words.join(" ");
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => text,
    }
}

/// `2175.13` → `2,175.13`; `241` → `241`.
fn group_thousands(number: &str) -> String {
    let (sign, rest) = number.strip_prefix('-').map_or(("", number), |r| ("-", r));
    let (int, frac) = rest
        .split_once('.')
        .map_or((rest, None), |(i, f)| (i, Some(f)));
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    match frac {
        Some(f) => format!("{sign}{grouped}.{f}"),
        None => format!("{sign}{grouped}"),
    }
}

fn cell(batch: &RecordBatch, column: usize, row: usize) -> String {
    let options = FormatOptions::default();
    ArrayFormatter::try_new(batch.column(column).as_ref(), &options)
        .map(|f| f.value(row).to_string())
        .unwrap_or_default()
}

fn metrics(result: &ResultSet, title: Option<&str>) -> String {
    let Some(batch) = result.batches.iter().find(|b| b.num_rows() == 1) else {
        return String::new();
    };
    let mut html = String::from("<section class=\"metrics-section\">");
    if let Some(title) = title {
        let _ = write!(html, "<h2>{}</h2>", escape(title));
    }
    html.push_str("<div class=\"metrics\">");
    for (i, field) in result.schema.fields().iter().enumerate() {
        let raw = if batch.column(i).is_null(0) {
            String::new()
        } else {
            cell(batch, i, 0)
        };
        let shown = if raw.is_empty() {
            "–".to_string()
        } else if field.name().contains("percent") {
            raw.parse::<f64>()
                .map_or_else(|_| raw.clone(), |v| format!("{v:.1}%"))
        } else if field.data_type().is_floating() {
            raw.parse::<f64>()
                .map_or_else(|_| raw.clone(), |v| group_thousands(&format!("{v:.2}")))
        } else {
            group_thousands(&raw)
        };
        let _ = write!(
            html,
            "<div class=\"metric\" data-metric=\"{name}\" data-value=\"{raw}\"><div class=\"label\">{label}</div>\
             <div class=\"value\">{shown}</div></div>",
            name = escape(field.name()),
            raw = escape(&raw),
            label = escape(&label(field.name())),
            shown = escape(&shown)
        );
    }
    html.push_str("</div></section>");
    html
}

/// A daily series: conversations per (date, group).
#[derive(Debug, Default)]
struct Series {
    group_column: String,
    value_column: String,
    values: BTreeMap<NaiveDate, BTreeMap<String, i64>>,
}

impl Series {
    fn of(result: &ResultSet) -> Option<Series> {
        let fields = result.schema.fields();
        if fields.len() != 3 {
            return None;
        }
        let date = fields
            .iter()
            .position(|f| f.data_type() == &DataType::Date32)?;
        let group = fields.iter().position(|f| {
            matches!(
                f.data_type(),
                DataType::Utf8 | DataType::Utf8View | DataType::LargeUtf8
            )
        })?;
        let value = fields.iter().position(|f| f.data_type().is_integer())?;
        let mut series = Series {
            group_column: fields[group].name().clone(),
            value_column: fields[value].name().clone(),
            ..Default::default()
        };
        for batch in &result.batches {
            let dates = batch.column(date).as_primitive::<Date32Type>();
            let groups = cast(batch.column(group), &DataType::Utf8).ok()?;
            let groups = groups.as_string::<i32>();
            let values = cast(batch.column(value), &DataType::Int64).ok()?;
            let values = values.as_primitive::<Int64Type>();
            for row in 0..batch.num_rows() {
                if dates.is_null(row) || values.is_null(row) {
                    continue;
                }
                let day = dates.value_as_date(row)?;
                let name = if groups.is_null(row) {
                    "(none)".to_string()
                } else {
                    groups.value(row).to_string()
                };
                *series
                    .values
                    .entry(day)
                    .or_default()
                    .entry(name)
                    .or_default() += values.value(row);
            }
        }
        Some(series)
    }
}

/// A round axis maximum ≥ `max`: four equal integer ticks of 1, 1.5, 2, 2.5, 3, 4, 5, 6 or 8 times a power of ten.
fn nice_max(max: i64) -> i64 {
    if max <= 4 {
        return 4;
    }
    let mut step = 1i64;
    loop {
        for tenths in [10, 15, 20, 25, 30, 40, 50, 60, 80] {
            if (step * tenths) % 10 == 0 && step * tenths / 10 * 4 >= max {
                return step * tenths / 10 * 4;
            }
        }
        step *= 10;
    }
}

fn chart(series: &Series, title: &str, info: &PageInfo) -> String {
    // Every date of the range is a slot, days without conversations included.
    let (first, last) = match (
        info.dates,
        series.values.keys().next(),
        series.values.keys().next_back(),
    ) {
        (Some((s, e)), _, _) if s <= e => (s, e),
        (_, Some(s), Some(e)) => (*s, *e),
        _ => {
            return format!(
                "<section class=\"chart-section\"><h2>{}</h2><p class=\"note\">No {} in this range.</p></section>",
                escape(title),
                escape(&series.value_column)
            );
        }
    };
    let days: Vec<NaiveDate> = (0..=(last - first).num_days())
        .map(|d| first + Duration::days(d))
        .collect();
    let mut totals: BTreeMap<&str, i64> = BTreeMap::new();
    for groups in series.values.values() {
        for (g, v) in groups {
            *totals.entry(g.as_str()).or_default() += v;
        }
    }
    let mut groups: Vec<(&str, i64)> = totals.into_iter().collect();
    groups.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let color =
        |g: &str| PALETTE[groups.iter().position(|(n, _)| *n == g).unwrap_or(0) % PALETTE.len()];
    let day_total = |d: &NaiveDate| series.values.get(d).map_or(0, |g| g.values().sum::<i64>());
    let y_max = nice_max(days.iter().map(day_total).max().unwrap_or(0));
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let scale = plot_h / y_max as f64;
    let slot = plot_w / days.len() as f64;
    let bar_w = (slot * 0.7).min(48.0);
    let base = TOP + plot_h;

    let mut svg = String::new();
    let _ = write!(
        svg,
        "<svg class=\"chart\" width=\"{WIDTH}\" height=\"{HEIGHT}\" \
         viewBox=\"0 0 {WIDTH} {HEIGHT}\" role=\"img\" aria-label=\"{label}\" data-y-max=\"{y_max}\">",
        label = escape(title)
    );
    for tick in 0..=4 {
        let value = y_max * tick / 4;
        let y = base - value as f64 * scale;
        let _ = write!(
            svg,
            "<line class=\"grid\" x1=\"{LEFT}\" x2=\"{x2}\" y1=\"{y:.2}\" y2=\"{y:.2}\"/>\
             <text x=\"{tx}\" y=\"{ty:.2}\" text-anchor=\"end\">{value}</text>",
            x2 = WIDTH - RIGHT,
            tx = LEFT - 6.0,
            ty = y + 4.0
        );
    }
    let label_every = days.len().div_ceil(16).max(1);
    for (i, day) in days.iter().enumerate() {
        let x = LEFT + slot * i as f64 + (slot - bar_w) / 2.0;
        let mut top = base;
        let _ = write!(
            svg,
            "<g class=\"day\" data-date=\"{day}\" data-total=\"{}\">",
            day_total(day)
        );
        for (group, _) in &groups {
            let value = series
                .values
                .get(day)
                .and_then(|g| g.get(*group))
                .copied()
                .unwrap_or(0);
            if value == 0 {
                continue;
            }
            let h = value as f64 * scale;
            top -= h;
            let _ = write!(
                svg,
                "<rect class=\"bar\" data-date=\"{day}\" data-group=\"{g}\" data-value=\"{value}\" x=\"{x:.2}\" \
                 y=\"{top:.3}\" width=\"{bar_w:.2}\" height=\"{h:.3}\" fill=\"{c}\"><title>{day} · {g}: {value}</title></rect>",
                g = escape(group),
                c = color(group)
            );
        }
        if i % label_every == 0 {
            let _ = write!(
                svg,
                "<text x=\"{cx:.2}\" y=\"{ly}\" text-anchor=\"middle\">{label}</text>",
                cx = x + bar_w / 2.0,
                ly = base + 16.0,
                label = day.format("%m-%d")
            );
        }
        svg.push_str("</g>");
    }
    let _ = write!(
        svg,
        "<line class=\"axis\" x1=\"{LEFT}\" x2=\"{x2}\" y1=\"{base}\" y2=\"{base}\"/></svg>",
        x2 = WIDTH - RIGHT
    );

    let mut html = format!(
        "<section class=\"chart-section\"><h2>{}</h2>{svg}<div class=\"legend\">",
        escape(title)
    );
    for (group, total) in &groups {
        let _ = write!(
            html,
            "<span class=\"item\" data-group=\"{g}\"><span class=\"swatch\" style=\"background:{c}\"></span>{g} ({total})</span>",
            g = escape(group),
            c = color(group)
        );
    }
    html.push_str("</div>");
    if series.group_column != "group" {
        let _ = write!(
            html,
            "<p class=\"note\">Bars stacked by {}.</p>",
            escape(&series.group_column)
        );
    }
    html.push_str("</section>");
    html
}

fn table(result: &ResultSet, title: &str) -> String {
    let mut html = format!(
        "<section class=\"table-section\"><h2>{}</h2><table><thead><tr>",
        escape(title)
    );
    for field in result.schema.fields() {
        let _ = write!(html, "<th>{}</th>", escape(field.name()));
    }
    html.push_str("</tr></thead><tbody>");
    let options = FormatOptions::default();
    let mut shown = 0;
    'batches: for batch in &result.batches {
        let formatters: Vec<_> = batch
            .columns()
            .iter()
            .map(|c| ArrayFormatter::try_new(c.as_ref(), &options).ok())
            .collect();
        for row in 0..batch.num_rows() {
            if shown == MAX_TABLE_ROWS {
                break 'batches;
            }
            html.push_str("<tr>");
            for f in &formatters {
                let text = f
                    .as_ref()
                    .map(|f| f.value(row).to_string())
                    .unwrap_or_default();
                let _ = write!(html, "<td>{}</td>", escape(&text));
            }
            html.push_str("</tr>");
            shown += 1;
        }
    }
    html.push_str("</tbody></table>");
    if result.rows() > shown {
        let _ = write!(
            html,
            "<p class=\"note\">First {shown} of {} rows.</p>",
            result.rows()
        );
    }
    html.push_str("</section>");
    html
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    use arrow::array::{Date32Array, Float64Array, Int64Array, StringArray};
    use arrow::datatypes::{Field, Schema};

    fn daily() -> ResultSet {
        let schema = Arc::new(Schema::new(vec![
            Field::new("date", DataType::Date32, true),
            Field::new("group", DataType::Utf8, true),
            Field::new("conversations", DataType::Int64, false),
        ]));
        let d = |s: &str| {
            (s.parse::<NaiveDate>().unwrap() - NaiveDate::from_ymd_opt(1970, 1, 1).unwrap())
                .num_days() as i32
        };
        let batch = RecordBatch::try_new(
            schema.clone(),
            vec![
                Arc::new(Date32Array::from(vec![
                    d("2026-06-01"),
                    d("2026-06-01"),
                    d("2026-06-03"),
                ])),
                Arc::new(StringArray::from(vec!["chat", "<sms>", "chat"])),
                Arc::new(Int64Array::from(vec![6, 2, 3])),
            ],
        )
        .unwrap();
        ResultSet {
            schema,
            batches: vec![batch],
        }
    }

    #[test]
    fn sections_follow_the_shape_of_each_result() {
        let schema = Arc::new(Schema::new(vec![
            Field::new("total_volume", DataType::Int64, false),
            Field::new("percent_resolved_by_ai", DataType::Float64, true),
        ]));
        let batch = RecordBatch::try_new(
            schema.clone(),
            vec![
                Arc::new(Int64Array::from(vec![1241])),
                Arc::new(Float64Array::from(vec![51.867])),
            ],
        )
        .unwrap();
        let metrics = ResultSet {
            schema,
            batches: vec![batch],
        };
        let html = page(
            &[metrics, daily()],
            &PageInfo {
                title: "T".into(),
                ..Default::default()
            },
        );
        assert!(
            html.contains("data-metric=\"total_volume\" data-value=\"1241\""),
            "{html}"
        );
        assert!(
            html.contains(">1,241<")
                && html.contains(">51.9%<")
                && html.contains(">Percent resolved by AI<")
        );
        // Three days (the gap filled), four bars' worth of values in three rects, the group escaped.
        assert_eq!(html.matches("class=\"day\"").count(), 3);
        assert_eq!(html.matches("class=\"bar\"").count(), 3);
        assert!(html.contains("data-group=\"&lt;sms&gt;\" data-value=\"2\""));
        assert!(!html.contains("<script"), "no scripts");
    }

    #[test]
    fn bars_are_proportional_and_stacked() {
        let html = chart(&Series::of(&daily()).unwrap(), "t", &PageInfo::default());
        // y max 8 → nice 8; plot height 240: 6 → 180, 2 → 60, 3 → 90.
        assert!(html.contains("data-y-max=\"8\""), "{html}");
        assert!(html.contains("data-value=\"6\" x=\"") && html.contains("height=\"180.000\""));
        assert!(
            html.contains("y=\"80.000\" width") && html.contains("y=\"20.000\" width"),
            "stacked: {html}"
        );
        assert!(html.contains("height=\"90.000\""));
    }

    #[test]
    fn nice_maxima() {
        assert_eq!(nice_max(0), 4);
        assert_eq!(nice_max(7), 8);
        assert_eq!(nice_max(41), 60);
        assert_eq!(nice_max(61), 80);
        assert_eq!(nice_max(19), 20);
        assert_eq!(group_thousands("2175.13"), "2,175.13");
        assert_eq!(group_thousands("-1234567"), "-1,234,567");
    }
}
