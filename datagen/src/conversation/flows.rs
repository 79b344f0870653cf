//! The topics of a conversation that take more than one question and answer:
//! order tracking and product recommendations.

use super::handoff::Escalation;
use super::script::{
    ORDER_ANSWERS, ORDER_QUESTIONS, REASON_GAP, REASON_POLICY, REASON_REQUEST, SKILL_FAQ,
    SKILL_ORDER, SKILL_PRODUCT, TAG_DISCOUNT, TAG_SHIPPING, TAG_SIZING,
};
use super::template::Vars;
use super::{Conv, Identity};
use crate::accounts::Account;
use crate::rng::Rng;

/// "Where is my order?": the answer, maybe a change of address or a missing parcel.
pub(super) fn order_flow(rng: &mut Rng, c: &mut Conv, v: &Vars, identity: Identity) -> Escalation {
    c.visitor(
        v.fill(rng.pick_str(ORDER_QUESTIONS)),
        if rng.chance(0.4) {
            &[TAG_SHIPPING]
        } else {
            &[]
        },
        rng,
    );
    if identity == Identity::Midway {
        if v.email.is_some() {
            c.agent(
                "Happy to check! What's the email address you used at checkout?".into(),
                Some(SKILL_ORDER),
                &[],
                rng,
            );
            c.reveal_at = c.rows.len();
            let reply = ["{email}", "it's {email}", "Sure, {email}"][rng.below(3)];
            c.visitor(v.fill(reply), &[], rng);
        } else {
            c.agent(
                "Happy to check! What's the phone number on the order?".into(),
                Some(SKILL_ORDER),
                &[],
                rng,
            );
            c.reveal_at = c.rows.len();
            c.visitor(v.fill("{phone}"), &[], rng);
        }
    }
    // ORDER_ANSWERS[1] is the only one where the parcel has not shipped yet.
    let answer = rng.below(ORDER_ANSWERS.len());
    c.agent(
        v.fill(ORDER_ANSWERS[answer]),
        Some(SKILL_ORDER),
        if rng.chance(0.3) {
            &[TAG_SHIPPING]
        } else {
            &[]
        },
        rng,
    );
    let r = rng.unit();
    if r < 0.22 {
        c.visitor(
            "Can I change the delivery address?".into(),
            &[TAG_SHIPPING],
            rng,
        );
        c.agent(
            v.fill(if answer == 1 {
                "Yes, it hasn't shipped yet. What's the new address? I'll update it before it leaves the warehouse."
            } else {
                "Once an order has shipped I can't change the address, but you can redirect it with {carrier} using the tracking number."
            }),
            Some(SKILL_ORDER),
            &[],
            rng,
        );
        Escalation {
            probability: 0.12,
            reason: REASON_POLICY,
            skill: SKILL_ORDER,
            asked: true,
        }
    } else if r < 0.32 {
        c.visitor(
            "It says delivered but it's not here".into(),
            &[TAG_SHIPPING],
            rng,
        );
        c.agent(
            "Sorry about that! Sometimes parcels are marked delivered a little early. Could you check with neighbours or your building's mailroom?".into(),
            Some(SKILL_ORDER),
            &[],
            rng,
        );
        Escalation {
            probability: 0.45,
            reason: REASON_GAP,
            skill: SKILL_ORDER,
            asked: true,
        }
    } else {
        Escalation {
            probability: 0.03,
            reason: REASON_REQUEST,
            skill: SKILL_ORDER,
            asked: false,
        }
    }
}

/// Recommendations: product cards on the web, a link by SMS, maybe a follow-up question.
pub(super) fn product_flow(
    rng: &mut Rng,
    acc: &Account,
    c: &mut Conv,
    v: &Vars,
    web: bool,
) -> Escalation {
    let sized = v.item.sizes.len() > 1;
    let r = rng.below(if sized { 5 } else { 3 });
    let (question, intro, tags): (&str, &str, &[&'static str]) = match r {
        0 => (
            "I'm looking for {one} as a gift. Any recommendations?",
            "Great idea! Here are a few of our most popular {many}:",
            &[],
        ),
        1 => (
            "Are any of your {many} on sale right now?",
            "A few {many} are on sale this week. Here they are:",
            &[TAG_DISCOUNT],
        ),
        2 => (
            "Which {many} would you recommend for a beginner?",
            "For a first one I'd go with one of these:",
            &[],
        ),
        3 => (
            "Do you have {this} in {sizeq}?",
            "Good news, {sizeq} is in stock in these styles:",
            &[TAG_SIZING],
        ),
        _ => (
            "Hi! Do you have {this} in {sizeq}? The site says sold out",
            "{sizeq} sold out in one colour, but it's still available in these:",
            &[TAG_SIZING],
        ),
    };
    c.visitor(
        v.fill(question),
        if rng.chance(0.7) { tags } else { &[] },
        rng,
    );
    let skus = Account::item_skus(
        acc.brand
            .items
            .iter()
            .position(|i| std::ptr::eq(i, v.item))
            .unwrap_or(0),
    );
    let shown = choose_skus(acc, skus.clone(), 1 + rng.below(3), rng);
    if web {
        c.agent(
            capitalized(v.fill(intro)),
            Some(SKILL_PRODUCT),
            if rng.chance(0.3) { tags } else { &[] },
            rng,
        );
        c.card(acc, shown.clone(), rng);
    } else {
        let first = shown[0];
        let text = format!(
            "{} https://{}/p/sku_{}",
            capitalized(v.fill(intro)).trim_end_matches(':'),
            v.brand.link,
            first
        );
        c.agent_link(text, Some(SKILL_PRODUCT), &[], Some(first), rng);
    }
    if rng.chance(0.55) {
        let shown_name = &acc.product(shown[0]).name;
        match rng.below(5) {
            0 => {
                c.visitor(
                    format!("How's the sizing on the {shown_name}?"),
                    &[TAG_SIZING],
                    rng,
                );
                c.agent("Most customers find it true to size. If you're between sizes, we recommend going up one.".into(), Some(SKILL_PRODUCT), &[TAG_SIZING], rng);
            }
            1 => {
                c.visitor("How long does delivery take?".into(), &[], rng);
                c.agent(
                    "Standard delivery takes 3–5 business days; express arrives in 1–2.".into(),
                    Some(SKILL_FAQ),
                    &[TAG_SHIPPING],
                    rng,
                );
            }
            2 => {
                c.visitor(
                    "Is there a discount code I can use?".into(),
                    &[TAG_DISCOUNT],
                    rng,
                );
                c.agent(
                    "You can use WELCOME10 for 10% off your first order!".into(),
                    Some(SKILL_FAQ),
                    &[TAG_DISCOUNT],
                    rng,
                );
            }
            3 => {
                c.visitor("Which one is the most popular?".into(), &[], rng);
                c.agent(
                    format!(
                        "Our bestseller is the {shown_name}, with over 1,200 five-star reviews."
                    ),
                    Some(SKILL_PRODUCT),
                    &[],
                    rng,
                );
            }
            _ => {
                c.visitor(format!("Any other colours for the {shown_name}?"), &[], rng);
                let more = choose_skus(acc, skus, 1 + rng.below(2), rng);
                if web {
                    c.agent(
                        "It does! Here are a few more colours:".into(),
                        Some(SKILL_PRODUCT),
                        &[],
                        rng,
                    );
                    c.card(acc, more, rng);
                } else {
                    let text = format!(
                        "It does! See all colours here: https://{}/p/sku_{}",
                        v.brand.link, more[0]
                    );
                    c.agent_link(text, Some(SKILL_PRODUCT), &[], Some(more[0]), rng);
                }
            }
        }
    }
    let reason = if rng.chance(0.5) {
        REASON_GAP
    } else {
        REASON_REQUEST
    };
    Escalation {
        probability: 0.03,
        reason,
        skill: SKILL_PRODUCT,
        asked: false,
    }
}

/// `s` with its first letter in upper case.
fn capitalized(mut s: String) -> String {
    if let Some(first) = s.chars().next()
        && first.is_lowercase()
    {
        let upper: String = first.to_uppercase().collect();
        s.replace_range(..first.len_utf8(), &upper);
    }
    s
}

/// Up to `n` different styles of the item whose products are `range`.
fn choose_skus(acc: &Account, range: std::ops::Range<usize>, n: usize, rng: &mut Rng) -> Vec<u32> {
    let mut picked: Vec<u32> = Vec::with_capacity(n);
    let len = range.len();
    let offset = rng.below(len);
    let step = 1 + rng.below(len - 1);
    for k in 0..n.min(len) {
        let sku = acc.products[range.start + (offset + k * step) % len].sku;
        if !picked.contains(&sku) {
            picked.push(sku);
        }
    }
    picked
}
