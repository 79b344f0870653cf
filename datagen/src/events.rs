//! Shopper activity: product-card and SMS clicks, views, add-to-carts and
//! orders, inside and outside the attribution windows, with repeated event and
//! order ids, guest orders and clicks naming unknown conversations.

use std::collections::BTreeMap;

use chrono::TimeDelta;

use crate::accounts::Account;
use crate::conversation::Conv;
use crate::conversation::script::{AGENT, CHANNEL_SMS, CHANNEL_WEB};
use crate::rng::Rng;
use crate::time::{CHAT_HOURS, DAY, HOUR, MIN, SEC, local_to_utc};

/// Metrics (`metric`).
const METRIC_CARD_CLICK: &str = "Clicked Product Card";
const METRIC_SMS_CLICK: &str = "Clicked SMS";
const METRIC_ORDER: &str = "Placed Order";
const METRIC_VIEWED: &str = "Viewed Product";
const METRIC_CART: &str = "Added to Cart";

/// One row of `events`, with numbers for the ids.
#[derive(Clone)]
pub(crate) struct EventRow {
    pub(crate) id: u64,
    pub(crate) acc: u32,
    pub(crate) profile: Option<u32>,
    pub(crate) metric: &'static str,
    pub(crate) at: i64,
    pub(crate) conv: Option<u32>,
    pub(crate) product: Option<u32>,
    pub(crate) order: Option<u64>,
    pub(crate) value: Option<i128>,
}

/// The events of one writer by UTC day, and its next event and order numbers.
pub(crate) struct Events {
    next_id: u64,
    next_order: u64,
    pub(crate) days: BTreeMap<i64, Vec<EventRow>>,
}

impl Events {
    /// Event and order numbers of writer `w` start at `w * 10^10`, so writers never collide.
    pub(crate) fn new(writer: Option<usize>) -> Self {
        let base = writer.map_or(0, |w| w as u64 * 10_000_000_000);
        Events {
            next_id: base + 1,
            next_order: base + 100_001,
            days: BTreeMap::new(),
        }
    }

    /// Records an event unless it is later than the account's last instant.
    /// About 1% of events are delivered twice with the same event id.
    #[allow(clippy::too_many_arguments)]
    fn emit(
        &mut self,
        acc: &Account,
        metric: &'static str,
        at: i64,
        profile: Option<u32>,
        conv: Option<u32>,
        product: Option<u32>,
        rng: &mut Rng,
    ) -> bool {
        self.emit_row(
            acc,
            EventRow {
                id: 0,
                acc: acc.idx,
                profile,
                metric,
                at,
                conv,
                product,
                order: None,
                value: None,
            },
            rng,
        )
    }

    fn emit_row(&mut self, acc: &Account, mut row: EventRow, rng: &mut Rng) -> bool {
        if row.at > acc.limit {
            return false;
        }
        row.id = self.next_id;
        self.next_id += 1;
        let twice = rng.chance(0.012);
        let day = self.days.entry(row.at.div_euclid(DAY)).or_default();
        if twice {
            day.push(row.clone());
        }
        day.push(row);
        true
    }

    /// A `Placed Order`; about 5% of orders are reported again later under the same order id.
    fn order(
        &mut self,
        acc: &Account,
        at: i64,
        profile: Option<u32>,
        product: Option<u32>,
        rng: &mut Rng,
    ) {
        if at > acc.limit {
            return;
        }
        let value = i128::from(order_value(rng, acc, product));
        let order = self.next_order;
        self.next_order += 1;
        let row = EventRow {
            id: 0,
            acc: acc.idx,
            profile,
            metric: METRIC_ORDER,
            at,
            conv: None,
            product,
            order: Some(order),
            value: Some(value),
        };
        self.emit_row(acc, row.clone(), rng);
        if rng.chance(0.05) {
            let later = EventRow {
                at: at + rng.span(20 * MIN, 30 * HOUR),
                ..row
            };
            self.emit_row(acc, later, rng);
        }
    }
}

/// Order total in cents, 15.00–400.00.
fn order_value(rng: &mut Rng, acc: &Account, product: Option<u32>) -> i64 {
    let v = if let Some(sku) = product {
        let price = acc.product(sku).price;
        let qty = [1, 1, 1, 1, 1, 1, 2, 2, 3][rng.below(9)];
        let mut v = price * qty;
        if rng.chance(0.3) {
            v += rng.pick(&acc.products).price;
        }
        if v > 40_000 { price } else { v }
    } else {
        let (a, b) = (rng.unit(), rng.unit());
        1500 + (a * b * 38_500.0) as i64
    };
    v.clamp(1500, 40_000)
}

/// The clicks, views and orders that follow a conversation.
pub(crate) fn conversation_events(rng: &mut Rng, acc: &Account, c: &Conv, ev: &mut Events) {
    let Some(first) = c.rows.first() else { return };
    let last_at = c.rows.last().map_or(first.sent_at, |r| r.sent_at);
    let profile = c.rows.iter().find_map(|r| r.profile);
    let conv = Some(c.num);
    match c.channel {
        CHANNEL_WEB => {
            for (k, (t, skus)) in c.cards.iter().enumerate() {
                match profile {
                    Some(p) if rng.chance(if k == 0 { 0.5 } else { 0.25 }) => {
                        let product = *rng.pick(skus);
                        let click = t + rng.span(4 * SEC, 12 * MIN);
                        if !ev.emit(
                            acc,
                            METRIC_CARD_CLICK,
                            click,
                            Some(p),
                            conv,
                            Some(product),
                            rng,
                        ) {
                            continue;
                        }
                        if rng.chance(0.5) {
                            ev.emit(
                                acc,
                                METRIC_VIEWED,
                                click + rng.span(SEC, 6 * SEC),
                                Some(p),
                                None,
                                Some(product),
                                rng,
                            );
                        }
                        let r = rng.unit();
                        if r < 0.32 {
                            // Inside the 24h web-chat click window.
                            ev.order(
                                acc,
                                click + rng.span(3 * MIN, 23 * HOUR + 30 * MIN),
                                Some(p),
                                maybe(rng, 0.6, product),
                                rng,
                            );
                        } else if r < 0.42 {
                            // Outside the web window, inside a (default) SMS click window.
                            ev.order(
                                acc,
                                click + rng.span(25 * HOUR, 119 * HOUR),
                                Some(p),
                                maybe(rng, 0.6, product),
                                rng,
                            );
                        }
                    }
                    None if rng.chance(0.25) => {
                        let product = *rng.pick(skus);
                        ev.emit(
                            acc,
                            METRIC_VIEWED,
                            t + rng.span(5 * SEC, 2 * MIN),
                            None,
                            None,
                            Some(product),
                            rng,
                        );
                    }
                    _ => {}
                }
            }
        }
        CHANNEL_SMS => {
            let Some(p) = profile else { return };
            let mut clicked = false;
            for (t, product) in &c.sms_links {
                if rng.chance(0.35) {
                    let click = t + if rng.chance(0.7) {
                        rng.span(MIN, 20 * MIN)
                    } else {
                        rng.span(20 * MIN, 4 * HOUR)
                    };
                    if !ev.emit(acc, METRIC_SMS_CLICK, click, Some(p), conv, *product, rng) {
                        continue;
                    }
                    clicked = true;
                    let r = rng.unit();
                    if r < 0.25 {
                        ev.order(
                            acc,
                            click + rng.span(5 * MIN, 23 * HOUR),
                            Some(p),
                            *product,
                            rng,
                        );
                    } else if r < 0.33 {
                        ev.order(
                            acc,
                            click + rng.span(25 * HOUR, 71 * HOUR),
                            Some(p),
                            *product,
                            rng,
                        );
                    } else if r < 0.40 {
                        // Inside the default 5-day SMS click window, outside a 72h custom one.
                        ev.order(
                            acc,
                            click + rng.span(73 * HOUR, 119 * HOUR),
                            Some(p),
                            *product,
                            rng,
                        );
                    }
                }
            }
            if !clicked {
                // Ordered without clicking, soon after receiving an agent SMS (receipt window).
                let agent_sms = c
                    .rows
                    .iter()
                    .rev()
                    .find(|r| r.sender == AGENT)
                    .map(|r| r.sent_at);
                if let Some(t) = agent_sms
                    && rng.chance(if c.sms_links.is_empty() { 0.05 } else { 0.12 })
                {
                    let at = if rng.chance(0.5) {
                        t + rng.span(15 * MIN, 5 * HOUR + 50 * MIN)
                    } else {
                        t + rng.span(6 * HOUR + 10 * MIN, 11 * HOUR + 50 * MIN)
                    };
                    ev.order(acc, at, Some(p), None, rng);
                }
            }
        }
        _ => {}
    }
    if let Some(p) = profile
        && rng.chance(0.04)
    {
        // Long after the conversation: outside every attribution window.
        ev.order(
            acc,
            last_at + rng.span(8 * DAY, 20 * DAY),
            Some(p),
            None,
            rng,
        );
    }
}

/// `Some(product)` with probability `p`.
fn maybe(rng: &mut Rng, p: f64, product: u32) -> Option<u32> {
    if rng.chance(p) { Some(product) } else { None }
}

/// Events that are not tied to a conversation: orders from profiles that never chatted,
/// guest orders without a profile, product views, add-to-carts, and clicks naming
/// conversations that do not exist.
pub(crate) fn background_events(seed: u64, acc: &Account, days: u32, ev: &mut Events) {
    let mut rng = Rng::derive(seed, &[6, u64::from(acc.idx)]);
    let n_conv = acc.starts.len() as f64;
    let per_day = n_conv / f64::from(days);
    let n_profiles = acc.profiles.len();
    let never_chatted = acc.chatting..n_profiles;
    let day_time = |rng: &mut Rng, d: u32| -> i64 {
        let date = acc.first_local + chrono::Days::new(u64::from(d));
        let hour = rng.weighted(&CHAT_HOURS) as i64;
        let local = date.and_hms_opt(0, 0, 0).expect("midnight")
            + TimeDelta::seconds(hour * 3600 + rng.below(3600) as i64);
        local_to_utc(&acc.tz, local) + rng.below(1000) as i64 * 1000
    };
    let count = |rng: &mut Rng, rate: f64| -> usize {
        let whole = rate as usize;
        whole + usize::from(rng.chance(rate - whole as f64))
    };
    for d in 0..days {
        for _ in 0..count(&mut rng, 0.06 * per_day + 0.3) {
            if never_chatted.is_empty() {
                break;
            }
            let p = (never_chatted.start + rng.below(never_chatted.len())) as u32;
            let at = day_time(&mut rng, d);
            ev.order(acc, at, Some(p), None, &mut rng);
        }
        for _ in 0..count(&mut rng, 0.04 * per_day + 0.2) {
            let at = day_time(&mut rng, d);
            ev.order(acc, at, None, None, &mut rng);
        }
        for _ in 0..count(&mut rng, 0.25 * per_day + 1.0) {
            let at = day_time(&mut rng, d);
            let p = if rng.chance(0.6) {
                Some(rng.below(n_profiles) as u32)
            } else {
                None
            };
            let product = rng.pick(&acc.products).sku;
            ev.emit(acc, METRIC_VIEWED, at, p, None, Some(product), &mut rng);
        }
        for _ in 0..count(&mut rng, 0.08 * per_day + 0.3) {
            let at = day_time(&mut rng, d);
            let p = if rng.chance(0.7) {
                Some(rng.below(n_profiles) as u32)
            } else {
                None
            };
            let product = rng.pick(&acc.products).sku;
            ev.emit(acc, METRIC_CART, at, p, None, Some(product), &mut rng);
        }
    }
    // Clicks naming a conversation id that does not exist.
    let unknown = 2 + acc.starts.len() / 1000;
    for k in 0..unknown {
        let d = rng.below(days as usize) as u32;
        let at = day_time(&mut rng, d);
        let p = Some(rng.below(acc.chatting.max(1).min(n_profiles)) as u32);
        let conv = Some(acc.starts.len() as u32 + 100 + 37 * k as u32);
        let product = rng.pick(&acc.products).sku;
        ev.emit(acc, METRIC_CARD_CLICK, at, p, conv, Some(product), &mut rng);
    }
}
