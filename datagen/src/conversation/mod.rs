//! The conversation simulation: web chats, SMS (inbound and campaigns) and one
//! conversation on an unknown channel, with scripted but varied e-commerce
//! flows, hand-offs to humans, visitors identified midway, and endings.

mod ending;
mod flows;
mod handoff;
pub(crate) mod script;
mod sms;
mod template;

use ending::{ending, rng_thanks};
use flows::{order_flow, product_flow};
use handoff::{Escalation, handoff};
use script::{
    AGENT, CHANNEL_SMS, CHANNEL_UNKNOWN, CHANNEL_WEB, FAQS, GREETINGS, KIND_CARD, KIND_CLOSE,
    KIND_HANDOFF, KIND_TEXT, KIND_TICKET, RETURNS, Returns, SKILL_FAQ, SKILL_PRODUCT,
    SKILL_RETURNS, VISITOR,
};
use sms::sms_outbound;
use template::Vars;

use crate::accounts::{Account, ConvKind, VARIANTS};
use crate::profiles::Profile;
use crate::rng::Rng;
use crate::time::{DAY, HOUR, MIN, SEC, local_date, weekday_name};

/// Longest conversation (first to last row).
const MAX_CONVERSATION_SPAN: i64 = 3 * DAY;

/// One row of `messages`, with numbers for the ids.
#[derive(Clone)]
pub(crate) struct MsgRow {
    pub(crate) acc: u32,
    pub(crate) conv: u32,
    pub(crate) seq: u32,
    pub(crate) channel: &'static str,
    pub(crate) sent_at: i64,
    pub(crate) sender: &'static str,
    pub(crate) kind: &'static str,
    pub(crate) body: Option<String>,
    pub(crate) profile: Option<u32>,
    pub(crate) skill: Option<&'static str>,
    pub(crate) products: Option<Vec<u32>>,
    pub(crate) tags: Option<Vec<&'static str>>,
    pub(crate) escalation: Option<&'static str>,
}

/// A conversation being written: its rows, and what the events need to know.
pub(crate) struct Conv {
    acc: u32,
    pub(crate) num: u32,
    pub(crate) channel: &'static str,
    t: i64,
    end: i64,
    /// Extra delay before the next row.
    pending: i64,
    pub(crate) rows: Vec<MsgRow>,
    profile: Option<u32>,
    /// Rows from this index on carry the profile id.
    reveal_at: usize,
    stopped: bool,
    /// A human took over (hand-off messages were sent).
    human: bool,
    /// Product cards shown: (time, skus).
    pub(crate) cards: Vec<(i64, Vec<u32>)>,
    /// Agent SMS with a link: (time, product).
    pub(crate) sms_links: Vec<(i64, Option<u32>)>,
}

impl Conv {
    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        sender: &'static str,
        kind: &'static str,
        body: Option<String>,
        skill: Option<&'static str>,
        tags: &[&'static str],
        products: Option<Vec<u32>>,
        escalation: Option<&'static str>,
        rng: &mut Rng,
    ) -> Option<i64> {
        if self.stopped {
            return None;
        }
        let gap = match self.rows.last() {
            None => 0,
            Some(prev) => reply_gap(rng, prev, sender, kind, self.channel),
        };
        let t = self.t + gap + std::mem::take(&mut self.pending);
        if t > self.end {
            self.stopped = true;
            return None;
        }
        self.t = t;
        let profile = if self.rows.len() >= self.reveal_at {
            self.profile
        } else {
            None
        };
        if kind == KIND_CARD
            && let Some(p) = &products
        {
            self.cards.push((t, p.clone()));
        }
        self.rows.push(MsgRow {
            acc: self.acc,
            conv: self.num,
            seq: self.rows.len() as u32,
            channel: self.channel,
            sent_at: t,
            sender,
            kind,
            body,
            profile,
            skill,
            products,
            tags: if tags.is_empty() {
                None
            } else {
                Some(tags.to_vec())
            },
            escalation,
        });
        Some(t)
    }

    fn visitor(&mut self, body: String, tags: &[&'static str], rng: &mut Rng) -> Option<i64> {
        self.push(VISITOR, KIND_TEXT, Some(body), None, tags, None, None, rng)
    }

    fn agent(
        &mut self,
        body: String,
        skill: Option<&'static str>,
        tags: &[&'static str],
        rng: &mut Rng,
    ) -> Option<i64> {
        self.push(AGENT, KIND_TEXT, Some(body), skill, tags, None, None, rng)
    }

    /// An agent SMS containing a link that can be clicked.
    fn agent_link(
        &mut self,
        body: String,
        skill: Option<&'static str>,
        tags: &[&'static str],
        product: Option<u32>,
        rng: &mut Rng,
    ) -> Option<i64> {
        let t = self.agent(body, skill, tags, rng)?;
        self.sms_links.push((t, product));
        Some(t)
    }

    fn card(&mut self, acc: &Account, skus: Vec<u32>, rng: &mut Rng) -> Option<i64> {
        let body = skus
            .iter()
            .map(|s| acc.product(*s).name.as_str())
            .collect::<Vec<_>>()
            .join(" · ");
        self.push(
            AGENT,
            KIND_CARD,
            Some(body),
            Some(SKILL_PRODUCT),
            &[],
            Some(skus),
            None,
            rng,
        )
    }

    fn ticket(
        &mut self,
        body: &str,
        skill: &'static str,
        reason: &'static str,
        rng: &mut Rng,
    ) -> Option<i64> {
        self.push(
            AGENT,
            KIND_TICKET,
            Some(body.to_string()),
            Some(skill),
            &[],
            None,
            Some(reason),
            rng,
        )
    }

    fn human(&mut self, body: String, rng: &mut Rng) -> Option<i64> {
        self.human = true;
        self.push(AGENT, KIND_HANDOFF, Some(body), None, &[], None, None, rng)
    }

    fn close(&mut self, rng: &mut Rng) -> Option<i64> {
        self.push(VISITOR, KIND_CLOSE, None, None, &[], None, None, rng)
    }

    fn last_sender(&self) -> Option<&'static str> {
        self.rows.last().map(|r| r.sender)
    }
}

/// Time between the previous row and the next one, by who speaks and the channel.
fn reply_gap(rng: &mut Rng, prev: &MsgRow, sender: &str, kind: &str, channel: &str) -> i64 {
    if kind == KIND_HANDOFF {
        if prev.kind == KIND_TICKET {
            // Waiting for a human to pick up the ticket.
            return if rng.chance(0.7) {
                rng.span(2 * MIN, 30 * MIN)
            } else {
                rng.span(30 * MIN, 3 * HOUR)
            };
        }
        return rng.span(20 * SEC, 4 * MIN);
    }
    let sms = channel == CHANNEL_SMS;
    match (prev.sender, sender) {
        (VISITOR, AGENT) => {
            if sms {
                rng.span(3 * SEC, 30 * SEC)
            } else {
                rng.span(2 * SEC, 18 * SEC)
            }
        }
        (AGENT, AGENT) => rng.span(800_000, 4 * SEC),
        (AGENT, _) => {
            let r = rng.unit();
            if sms {
                if r < 0.7 {
                    rng.span(MIN, 10 * MIN)
                } else {
                    rng.span(10 * MIN, 2 * HOUR)
                }
            } else if r < 0.70 {
                rng.span(8 * SEC, 90 * SEC)
            } else if r < 0.93 {
                rng.span(90 * SEC, 6 * MIN)
            } else {
                rng.span(6 * MIN, 25 * MIN)
            }
        }
        _ => rng.span(3 * SEC, 40 * SEC),
    }
}

/// What the visitor wants.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Topic {
    Order,
    Product,
    Faq,
    Returns,
}

/// Whether the rows carry the profile id.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Identity {
    Anonymous,
    Known,
    /// The profile appears from a later row on (login, or an email given in the chat).
    Midway,
}

/// A chatting profile that meets `need`, if any.
fn pick_profile(rng: &mut Rng, acc: &Account, need: impl Fn(&Profile) -> bool) -> Option<u32> {
    let n = acc.chatting;
    if n == 0 {
        return None;
    }
    for _ in 0..12 {
        let p = rng.below(n);
        if need(&acc.profiles[p]) {
            return Some(p as u32);
        }
    }
    let from = rng.below(n);
    (0..n)
        .map(|k| (from + k) % n)
        .find(|&p| need(&acc.profiles[p]))
        .map(|p| p as u32)
}

/// Conversation `num` of the account, starting at `start`.
pub(crate) fn build_conversation(
    rng: &mut Rng,
    acc: &Account,
    num: u32,
    start: i64,
    kind: ConvKind,
) -> Conv {
    let channel = match kind {
        ConvKind::Web => CHANNEL_WEB,
        ConvKind::SmsOutbound | ConvKind::SmsInbound => CHANNEL_SMS,
        ConvKind::WhatsApp => CHANNEL_UNKNOWN,
    };
    let identity = match kind {
        ConvKind::Web => {
            let r = rng.unit();
            if r < 0.40 {
                Identity::Anonymous
            } else if r < 0.75 {
                Identity::Known
            } else {
                Identity::Midway
            }
        }
        ConvKind::SmsOutbound | ConvKind::SmsInbound => Identity::Known,
        ConvKind::WhatsApp => Identity::Anonymous,
    };
    let profile = match (kind, identity) {
        (_, Identity::Anonymous) => None,
        (ConvKind::SmsOutbound | ConvKind::SmsInbound, _) => {
            pick_profile(rng, acc, |p| p.phone.is_some())
        }
        (_, Identity::Midway) => pick_profile(rng, acc, |p| p.email.is_some() || p.phone.is_some()),
        _ => pick_profile(rng, acc, |_| true),
    };
    let mut c = Conv {
        acc: acc.idx,
        num,
        channel,
        t: start,
        end: acc.limit.min(start + MAX_CONVERSATION_SPAN),
        pending: 0,
        rows: Vec::with_capacity(12),
        profile,
        reveal_at: if identity == Identity::Midway {
            usize::MAX
        } else {
            0
        },
        stopped: false,
        human: false,
        cards: Vec::new(),
        sms_links: Vec::new(),
    };

    let brand = acc.brand;
    let item_idx = rng.below(brand.items.len());
    let item = &brand.items[item_idx];
    let size = rng.pick_str(item.sizes);
    let skus = Account::item_skus(item_idx);
    let featured = &acc.products[skus.start + rng.below(VARIANTS)];
    let start_date = local_date(&acc.tz, start);
    let ship_date = start_date - chrono::Days::new(1 + rng.below(3) as u64);
    let eta_date = start_date + chrono::Days::new(1 + rng.below(4) as u64);
    let tracking = format!(
        "{}{:010}",
        ["1Z", "TRK", "LX"][rng.below(3)],
        rng.next_u64() % 10_000_000_000
    );
    let prof = profile.map(|p| &acc.profiles[p as usize]);
    let vars = Vars {
        brand_name: &acc.name,
        brand,
        item,
        size,
        order: 1000 + rng.below(9000) as u32,
        product: &featured.name,
        sku: featured.sku,
        first: prof.and_then(|p| p.first),
        email: prof.and_then(|p| p.email.as_deref()),
        phone: prof.and_then(|p| p.phone.as_deref()),
        agent: rng.pick_str(brand.agents),
        carrier: rng.pick_str(brand.carriers),
        tracking: &tracking,
        ship_day: weekday_name(ship_date),
        eta: weekday_name(eta_date),
    };

    match kind {
        ConvKind::WhatsApp => {
            let faq = rng.pick(FAQS);
            c.visitor(vars.fill(faq.question), &[], rng);
            c.agent(vars.fill(faq.answer), Some(SKILL_FAQ), faq.tags, rng);
            c.visitor(rng_thanks(rng), &[], rng);
        }
        ConvKind::SmsOutbound => sms_outbound(rng, &mut c, &vars),
        ConvKind::Web | ConvKind::SmsInbound => {
            let web = kind == ConvKind::Web;
            if web && rng.chance(0.15) {
                c.agent(vars.fill(rng.pick_str(GREETINGS)), None, &[], rng);
                if rng.chance(0.3) {
                    // The visitor never answered the greeting.
                    return c;
                }
            }
            let topic = if web {
                [Topic::Order, Topic::Product, Topic::Faq, Topic::Returns]
                    [rng.weighted(&[0.28, 0.37, 0.20, 0.15])]
            } else {
                [Topic::Order, Topic::Product, Topic::Faq, Topic::Returns]
                    [rng.weighted(&[0.45, 0.15, 0.20, 0.20])]
            };
            if identity == Identity::Midway && topic != Topic::Order {
                // Logs in a little later.
                c.reveal_at = c.rows.len() + 1 + rng.below(3);
            }
            let escalation = match topic {
                Topic::Order => order_flow(rng, &mut c, &vars, identity),
                Topic::Product => product_flow(rng, acc, &mut c, &vars, web),
                Topic::Faq => {
                    let faq = rng.pick(FAQS);
                    c.visitor(
                        vars.fill(faq.question),
                        if rng.chance(0.6) { faq.tags } else { &[] },
                        rng,
                    );
                    c.agent(
                        vars.fill(faq.answer),
                        Some(SKILL_FAQ),
                        if rng.chance(0.3) { faq.tags } else { &[] },
                        rng,
                    );
                    Escalation {
                        probability: faq.handoff,
                        reason: faq.reason,
                        skill: SKILL_FAQ,
                        asked: false,
                    }
                }
                Topic::Returns => {
                    let sized = item.sizes.len() > 1;
                    let candidates: Vec<&Returns> =
                        RETURNS.iter().filter(|r| sized || !r.needs_sizes).collect();
                    let ret = *rng.pick(&candidates);
                    c.visitor(
                        vars.fill(ret.question),
                        if rng.chance(0.6) { ret.tags } else { &[] },
                        rng,
                    );
                    c.agent(
                        vars.fill(ret.answer),
                        Some(SKILL_RETURNS),
                        if rng.chance(0.4) { ret.tags } else { &[] },
                        rng,
                    );
                    Escalation {
                        probability: ret.handoff,
                        reason: ret.reason,
                        skill: SKILL_RETURNS,
                        asked: false,
                    }
                }
            };
            if acc.follow_ups {
                // At scale: a few more questions before the conversation winds down.
                for _ in 0..rng.below(8) {
                    if c.stopped {
                        break;
                    }
                    let faq = rng.pick(FAQS);
                    c.visitor(vars.fill(faq.question), &[], rng);
                    c.agent(vars.fill(faq.answer), Some(SKILL_FAQ), &[], rng);
                }
            }
            if rng.chance(escalation.probability + 0.02) {
                handoff(rng, &mut c, &vars, &escalation);
            }
            ending(rng, &mut c, &vars, web);
        }
    }
    c
}
