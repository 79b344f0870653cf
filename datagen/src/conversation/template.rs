//! The text templates: `{brand}`, `{order}`, `{sizeq}`, ... replaced by the
//! values of one conversation.

use std::fmt::Write as _;

use crate::brands::{Brand, Item};

/// Values substituted into the text templates.
pub(super) struct Vars<'a> {
    pub(super) brand_name: &'a str,
    pub(super) brand: &'static Brand,
    pub(super) item: &'static Item,
    pub(super) size: &'static str,
    pub(super) order: u32,
    pub(super) product: &'a str,
    pub(super) sku: u32,
    pub(super) first: Option<&'static str>,
    pub(super) email: Option<&'a str>,
    pub(super) phone: Option<&'a str>,
    pub(super) agent: &'static str,
    pub(super) carrier: &'static str,
    pub(super) tracking: &'a str,
    pub(super) ship_day: &'static str,
    pub(super) eta: &'static str,
}

impl Vars<'_> {
    pub(super) fn fill(&self, template: &str) -> String {
        let mut out = String::with_capacity(template.len() + 32);
        let mut rest = template;
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let after = &rest[open + 1..];
            if let Some(close) = after.find('}') {
                self.var(&after[..close], &mut out);
                rest = &after[close + 1..];
            } else {
                out.push_str(&rest[open..]);
                rest = "";
            }
        }
        out.push_str(rest);
        out
    }

    fn var(&self, key: &str, out: &mut String) {
        match key {
            "brand" => out.push_str(self.brand_name),
            "one" => out.push_str(self.item.one),
            "many" => out.push_str(self.item.many),
            "this" => out.push_str(self.item.this),
            "title" => out.push_str(&self.item.title.to_lowercase()),
            "sizeq" => {
                out.push_str(self.item.size_prefix);
                out.push_str(self.size);
            }
            "order" => {
                let _ = write!(out, "{}", self.order);
            }
            "product" => out.push_str(self.product),
            "sku" => {
                let _ = write!(out, "sku_{}", self.sku);
            }
            "hi" => match self.first {
                Some(f) => {
                    let _ = write!(out, "Hi {f}!");
                }
                None => out.push_str("Hi!"),
            },
            "name" => out.push_str(self.first.unwrap_or("there")),
            "email" => out.push_str(self.email.unwrap_or("")),
            "phone" => out.push_str(self.phone.unwrap_or("")),
            "agent" => out.push_str(self.agent),
            "carrier" => out.push_str(self.carrier),
            "tracking" => out.push_str(self.tracking),
            "shipday" => out.push_str(self.ship_day),
            "eta" => out.push_str(self.eta),
            "country" => out.push_str(self.brand.country),
            "link" => out.push_str(self.brand.link),
            _ => {
                out.push('{');
                out.push_str(key);
                out.push('}');
            }
        }
    }
}
