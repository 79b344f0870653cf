//! The end of a conversation: thanks and closings, visitors who come back the
//! next day or after closing the chat window, and conversations left open.

use super::Conv;
use super::handoff::reply;
use super::script::{AGENT, AGENT_CLOSINGS, FAQS, SKILL_FAQ, VISITOR, VISITOR_THANKS};
use super::template::Vars;
use crate::rng::Rng;
use crate::time::{HOUR, MIN};

/// How the conversation ends: a question the next day, thanks, the agent's closing,
/// a `close` row on the web (sometimes followed by one more question), or nothing.
pub(super) fn ending(rng: &mut Rng, c: &mut Conv, v: &Vars, web: bool) {
    if rng.chance(0.04) {
        // The visitor comes back the next day with another question.
        c.pending = rng.span(18 * HOUR, 30 * HOUR);
        let faq = rng.pick(FAQS);
        c.visitor(format!("Hi again! {}", v.fill(faq.question)), faq.tags, rng);
        reply(rng, c, v.fill(faq.answer), Some(SKILL_FAQ));
    }
    let r = rng.unit();
    if r < 0.33 {
        if c.last_sender() == Some(AGENT) {
            c.visitor(rng_thanks(rng), &[], rng);
        }
    } else if r < 0.62 {
        if c.last_sender() == Some(AGENT) {
            c.visitor(rng_thanks(rng), &[], rng);
        }
        if c.last_sender() == Some(VISITOR) {
            let closing = rng.pick(AGENT_CLOSINGS).to_string();
            reply(rng, c, closing, None);
        }
    }
    if web && rng.chance(0.16) {
        c.close(rng);
        if rng.chance(0.3) {
            // Comes back after closing the chat window.
            c.pending = rng.span(2 * MIN, 40 * MIN);
            let faq = rng.pick(FAQS);
            c.visitor(
                format!("Actually, one more question: {}", v.fill(faq.question)),
                faq.tags,
                rng,
            );
            reply(rng, c, v.fill(faq.answer), Some(SKILL_FAQ));
            if rng.chance(0.4) {
                c.visitor(rng_thanks(rng), &[], rng);
            }
        }
    }
}

/// A visitor's thanks.
pub(super) fn rng_thanks(rng: &mut Rng) -> String {
    rng.pick(VISITOR_THANKS).to_string()
}
