//! Outbound SMS campaigns: the agent's text with a link, and the shopper's
//! replies (STOP, shipping, discounts, orders, sizes).

use super::Conv;
use super::ending::ending;
use super::handoff::{Escalation, handoff};
use super::script::{
    ORDER_ANSWERS, REASON_REQUEST, SKILL_FAQ, SKILL_ORDER, SKILL_PRODUCT, TAG_DISCOUNT,
    TAG_SHIPPING, TAG_SIZING,
};
use super::template::Vars;
use crate::rng::Rng;

/// A campaign text (back in stock, sale, abandoned cart, shipped) and the reply, if any.
pub(super) fn sms_outbound(rng: &mut Rng, c: &mut Conv, v: &Vars) {
    let promo = rng.below(4);
    let (text, skill, tags, product): (String, &'static str, &[&'static str], Option<u32>) = match promo {
        0 => (
            v.fill("{hi} {brand}: the {product} is back in stock. Shop now: https://{link}/p/{sku} Reply STOP to opt out"),
            SKILL_PRODUCT,
            &[],
            Some(v.sku),
        ),
        1 => (
            v.fill("{brand}: our mid-season sale starts now, up to 30% off {many}. https://{link}/sale Reply STOP to opt out"),
            SKILL_PRODUCT,
            &[TAG_DISCOUNT],
            None,
        ),
        2 => (
            v.fill("{hi} You left the {product} in your cart. Complete your order: https://{link}/cart Reply STOP to opt out"),
            SKILL_PRODUCT,
            &[],
            Some(v.sku),
        ),
        _ => (
            v.fill("{brand}: your order #{order} has shipped with {carrier}! Track it: https://{link}/t/{tracking}"),
            SKILL_ORDER,
            &[TAG_SHIPPING],
            None,
        ),
    };
    c.agent_link(text, Some(skill), tags, product, rng);
    if !rng.chance(0.45) {
        return; // No reply: the agent spoke last.
    }
    let sized = v.item.sizes.len() > 1;
    match rng.below(if sized { 5 } else { 4 }) {
        0 => {
            c.visitor("STOP".into(), &[], rng);
            c.agent(
                v.fill("You're unsubscribed from {brand} texts. Reply START to resubscribe."),
                None,
                &[],
                rng,
            );
            return;
        }
        1 => {
            c.visitor("How much is shipping?".into(), &[TAG_SHIPPING], rng);
            c.agent(
                "Shipping is free on orders over 50, otherwise it's a flat 7.95.".into(),
                Some(SKILL_FAQ),
                &[TAG_SHIPPING],
                rng,
            );
        }
        2 => {
            c.visitor(
                "Can I use my discount code on sale items?".into(),
                &[TAG_DISCOUNT],
                rng,
            );
            c.agent("Codes can't be combined with sale prices, but sale items already include the discount.".into(), Some(SKILL_FAQ), &[TAG_DISCOUNT], rng);
        }
        3 => {
            c.visitor(
                "Where is my order? Still says processing".into(),
                &[TAG_SHIPPING],
                rng,
            );
            c.agent(
                v.fill(rng.pick_str(ORDER_ANSWERS)),
                Some(SKILL_ORDER),
                &[],
                rng,
            );
        }
        _ => {
            c.visitor(v.fill("Do you have it in {sizeq}?"), &[TAG_SIZING], rng);
            let text = v.fill("Yes, {sizeq} is in stock! Grab it here: https://{link}/p/{sku}");
            c.agent_link(text, Some(SKILL_PRODUCT), &[TAG_SIZING], Some(v.sku), rng);
        }
    }
    if rng.chance(0.03) {
        handoff(
            rng,
            c,
            v,
            &Escalation {
                probability: 1.0,
                reason: REASON_REQUEST,
                skill: SKILL_FAQ,
                asked: false,
            },
        );
    }
    ending(rng, c, v, false);
}
