//! The script of the conversations: the values of the message columns (skills,
//! senders, kinds, channels, escalation reasons, tags) and the texts the
//! visitors and agents say, with `{placeholders}` filled in by `template`.

/// Skills (`skill`).
pub(crate) const SKILL_ORDER: &str = "order_tracking";
pub(crate) const SKILL_PRODUCT: &str = "product_recommendation";
pub(crate) const SKILL_FAQ: &str = "faq";
pub(crate) const SKILL_RETURNS: &str = "returns";

/// Senders (`sender`).
pub(crate) const VISITOR: &str = "visitor";
pub(crate) const AGENT: &str = "agent";

/// Kinds of rows (`kind`).
pub(crate) const KIND_TEXT: &str = "text";
pub(crate) const KIND_CARD: &str = "product_card";
pub(crate) const KIND_TICKET: &str = "handoff_ticket";
pub(crate) const KIND_HANDOFF: &str = "handoff_message";
pub(crate) const KIND_CLOSE: &str = "close";

/// Channels (`channel`); `whatsapp` is one the contract does not know.
pub(crate) const CHANNEL_WEB: &str = "web_chat";
pub(crate) const CHANNEL_SMS: &str = "sms";
pub(crate) const CHANNEL_UNKNOWN: &str = "whatsapp";

/// Escalation reasons (`escalation_reason`).
pub(crate) const REASON_GAP: &str = "knowledge_gap";
pub(crate) const REASON_REQUEST: &str = "customer_request";
pub(crate) const REASON_POLICY: &str = "policy";

/// Tags (`tags`).
pub(crate) const TAG_SHIPPING: &str = "shipping";
pub(crate) const TAG_SIZING: &str = "sizing";
pub(crate) const TAG_RETURNS: &str = "returns";
pub(crate) const TAG_DISCOUNT: &str = "discount";
pub(crate) const TAG_WHOLESALE: &str = "wholesale";

pub(super) const ORDER_QUESTIONS: &[&str] = &[
    "Where is my order #{order}?",
    "Hi, my order #{order} still hasn't arrived. Can you check?",
    "Has order #{order} shipped yet?",
    "The tracking for #{order} hasn't updated in 3 days",
    "when will my order arrive?? it's #{order}",
    "I ordered {one} last week (#{order}) and haven't had a shipping email",
];
pub(super) const ORDER_ANSWERS: &[&str] = &[
    "Order #{order} shipped on {shipday} with {carrier} and should arrive by {eta}. Tracking number: {tracking}.",
    "Order #{order} is packed and will leave our warehouse within 1 business day. You'll get a tracking email from {carrier} as soon as it ships.",
    "Good news: order #{order} is out for delivery today with {carrier}!",
    "Order #{order} was handed to {carrier} on {shipday}. Their latest scan shows it at the local depot, so it should arrive by {eta}.",
];
pub(super) const GREETINGS: &[&str] = &[
    "Hi there! 👋 I'm the {brand} assistant. Looking for anything in particular?",
    "Welcome to {brand}! Need help finding {one}?",
    "Hey! Questions about sizing, shipping or returns? I'm here to help.",
];
pub(super) const VISITOR_THANKS: &[&str] = &[
    "Thanks!",
    "Perfect, thank you 🙏",
    "Great, thanks for your help",
    "ok thanks",
    "That's all, cheers!",
    "Thank you so much",
    "👍",
    "Got it, thanks",
];
pub(super) const AGENT_CLOSINGS: &[&str] = &[
    "You're welcome! Have a great day.",
    "Happy to help! If anything else comes up, just message me here.",
    "My pleasure, enjoy your day!",
    "Glad I could help 😊",
];
pub(super) const ASK_FOR_HUMAN: &[&str] = &[
    "Can I talk to a real person please?",
    "I'd like to speak to someone on your team",
    "Is there a human I can chat with?",
];

/// A question with its answer, tags and chance of being handed to a human.
pub(super) struct Faq {
    pub(super) question: &'static str,
    pub(super) answer: &'static str,
    pub(super) tags: &'static [&'static str],
    pub(super) handoff: f64,
    pub(super) reason: &'static str,
}

#[rustfmt::skip]
pub(super) const FAQS: &[Faq] = &[
    Faq { question: "Do you ship to {country}?", answer: "Yes, we ship to {country}! International delivery usually takes 5–10 business days, and any duties are shown at checkout.", tags: &[TAG_SHIPPING], handoff: 0.02, reason: REASON_GAP },
    Faq { question: "How long does standard shipping take?", answer: "Standard shipping takes 3–5 business days and express takes 1–2. Orders placed before 2pm ship the same day.", tags: &[TAG_SHIPPING], handoff: 0.01, reason: REASON_GAP },
    Faq { question: "Do you offer wholesale pricing? I run a small shop.", answer: "We do! Wholesale pricing starts at 20 units per style. I can pass your details to our wholesale team.", tags: &[TAG_WHOLESALE], handoff: 0.45, reason: REASON_REQUEST },
    Faq { question: "Can I order in bulk for my company? About 50 units", answer: "For orders of 20+ units our wholesale team can offer tiered pricing and invoicing.", tags: &[TAG_WHOLESALE], handoff: 0.35, reason: REASON_GAP },
    Faq { question: "Is there a discount code for first orders?", answer: "Yes! Sign up to our newsletter at the bottom of the page and you'll get 10% off your first order.", tags: &[TAG_DISCOUNT], handoff: 0.01, reason: REASON_GAP },
    Faq { question: "Do you have a student discount?", answer: "We do: verify with your student email at checkout for 15% off.", tags: &[TAG_DISCOUNT], handoff: 0.02, reason: REASON_GAP },
    Faq { question: "Do you price match?", answer: "We don't price match, but we run seasonal sales and newsletter subscribers get early access.", tags: &[TAG_DISCOUNT], handoff: 0.08, reason: REASON_POLICY },
    Faq { question: "What are your customer service hours?", answer: "Our team is online 9am–6pm Monday to Friday, and I'm here 24/7 for everything else.", tags: &[], handoff: 0.01, reason: REASON_REQUEST },
    Faq { question: "Do you offer gift wrapping?", answer: "Yes! Add gift wrapping at checkout and you can include a handwritten note.", tags: &[], handoff: 0.0, reason: REASON_GAP },
    Faq { question: "Are your products ethically made?", answer: "All our products are made by audited partners, and we publish our supplier list on our website.", tags: &[], handoff: 0.06, reason: REASON_GAP },
    Faq { question: "Do you have a store I can visit?", answer: "We're online only at the moment, but returns are free so you can try things at home.", tags: &[], handoff: 0.02, reason: REASON_GAP },
];

/// A returns question; some only make sense for items with several sizes.
pub(super) struct Returns {
    pub(super) question: &'static str,
    pub(super) answer: &'static str,
    pub(super) tags: &'static [&'static str],
    pub(super) needs_sizes: bool,
    pub(super) handoff: f64,
    pub(super) reason: &'static str,
}

#[rustfmt::skip]
pub(super) const RETURNS: &[Returns] = &[
    Returns { question: "Can I return a gift?", answer: "Absolutely! Gifts can be returned within 60 days for store credit. You'll just need the order number or gift receipt.", tags: &[TAG_RETURNS], needs_sizes: false, handoff: 0.03, reason: REASON_GAP },
    Returns { question: "How do I exchange {this} for {sizeq}?", answer: "Easy! Start an exchange at https://{link}/returns and we'll send {sizeq} as soon as we scan your return.", tags: &[TAG_RETURNS, TAG_SIZING], needs_sizes: true, handoff: 0.03, reason: REASON_GAP },
    Returns { question: "My {title} arrived damaged 😞", answer: "I'm so sorry! Could you reply with a photo of the damage? We'll send a replacement or a refund, whichever you prefer.", tags: &[TAG_RETURNS], needs_sizes: false, handoff: 0.30, reason: REASON_POLICY },
    Returns { question: "It's been 45 days since delivery, can I still return my {title}?", answer: "Our standard return window is 30 days, so I'll need to check with the team whether we can make an exception.", tags: &[TAG_RETURNS], needs_sizes: false, handoff: 0.65, reason: REASON_POLICY },
    Returns { question: "When will I get my refund? I sent the return last week", answer: "Refunds are issued within 5 business days of your return reaching our warehouse. You'll get an email when it's processed.", tags: &[TAG_RETURNS], needs_sizes: false, handoff: 0.06, reason: REASON_GAP },
    Returns { question: "Do I have to pay for return shipping?", answer: "Returns are free: print a prepaid label from https://{link}/returns.", tags: &[TAG_RETURNS, TAG_SHIPPING], needs_sizes: false, handoff: 0.01, reason: REASON_GAP },
];

/// Questions the AI agent cannot answer (knowledge gaps).
pub(super) const HARD_QUESTIONS: &[&str] = &[
    "Is the {title} made from recycled materials?",
    "When exactly will {this} be restocked?",
    "Which factory makes the {title}?",
    "Could you do a custom invoice with my company's tax number?",
];
