//! Hand-offs to a human: the ticket with its escalation reason, the human's
//! messages, and replies from whoever holds the conversation.

use super::Conv;
use super::script::{
    ASK_FOR_HUMAN, HARD_QUESTIONS, REASON_POLICY, REASON_REQUEST, SKILL_ORDER, SKILL_RETURNS,
};
use super::template::Vars;
use crate::rng::Rng;

/// How a conversation may be handed to a human.
pub(super) struct Escalation {
    pub(super) probability: f64,
    pub(super) reason: &'static str,
    pub(super) skill: &'static str,
    /// The visitor already asked something the agent could not answer.
    pub(super) asked: bool,
}

/// Hands the conversation to a human: the visitor's request or hard question, the
/// ticket, and most of the time the human's answer.
pub(super) fn handoff(rng: &mut Rng, c: &mut Conv, v: &Vars, e: &Escalation) {
    let ticket = match e.reason {
        REASON_REQUEST => {
            c.visitor(rng.pick(ASK_FOR_HUMAN).to_string(), &[], rng);
            "Of course! I've passed this conversation to our support team. Someone will reply here shortly."
        }
        REASON_POLICY => {
            "That needs approval from our customer care team, so I've created a ticket and they'll follow up here."
        }
        _ => {
            if !e.asked {
                c.visitor(v.fill(rng.pick_str(HARD_QUESTIONS)), &[], rng);
            }
            "I'm not sure about that one, so I've asked a teammate to jump in. They'll reply here soon."
        }
    };
    c.ticket(ticket, e.skill, e.reason, rng);
    if rng.chance(0.7) {
        let resolution = match (e.reason, e.skill) {
            (REASON_REQUEST, _) => "How can I help today?",
            (REASON_POLICY, SKILL_ORDER) => {
                "I've asked {carrier} to update the delivery address, and you'll get a confirmation email shortly."
            }
            (REASON_POLICY, SKILL_RETURNS) => {
                "I've approved an exception for you, and you'll receive a prepaid return label by email shortly."
            }
            (REASON_POLICY, _) => {
                "We can't match that price, but I've emailed you a one-off 10% code instead."
            }
            (_, SKILL_ORDER) => {
                "I've opened a claim with {carrier} and we'll send a replacement if it doesn't turn up in 2 days."
            }
            _ => "I've checked with the team and I'll email you the details within the hour.",
        };
        c.human(
            v.fill(&format!(
                "Hi {{name}}, this is {{agent}} from the {{brand}} team. {resolution}"
            )),
            rng,
        );
        if rng.chance(0.5) {
            c.visitor("Thank you!".into(), &[], rng);
            if rng.chance(0.6) {
                c.human("You're welcome, have a lovely day!".into(), rng);
            }
        }
    }
}

/// The AI agent's reply, or the human's once the conversation was handed off.
pub(super) fn reply(
    rng: &mut Rng,
    c: &mut Conv,
    body: String,
    skill: Option<&'static str>,
) -> Option<i64> {
    if c.human {
        c.human(body, rng)
    } else {
        c.agent(body, skill, &[], rng)
    }
}
