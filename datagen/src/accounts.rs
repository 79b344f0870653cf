//! Accounts: the brands in their zones with their SMS attribution windows and
//! products, how many conversations each gets, and when those start.

use chrono::{Datelike, NaiveDate, TimeDelta, Weekday};
use chrono_tz::Tz;

use crate::brands::{BRANDS, Brand};
use crate::profiles::{Profile, build_profiles};
use crate::rng::Rng;
use crate::time::{CAMPAIGN_HOURS, CHAT_HOURS, local_midnight, local_to_utc};
use crate::{GenerateError, GenerateOptions};

/// One style of an item, with its SKU and price in minor units.
pub(crate) struct Product {
    pub(crate) sku: u32,
    pub(crate) name: String,
    pub(crate) price: i64,
}

/// How a conversation starts.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum ConvKind {
    Web,
    SmsOutbound,
    SmsInbound,
    WhatsApp,
}

/// One account (brand) of the platform.
pub(crate) struct Account {
    pub(crate) idx: u32,
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) brand: &'static Brand,
    pub(crate) tz: Tz,
    pub(crate) click_window: Option<i32>,
    pub(crate) receipt_window: Option<i32>,
    pub(crate) first_local: NaiveDate,
    /// First instant of the first local day (UTC micros).
    pub(crate) start: i64,
    /// Last instant of `end_date` in the account's zone (UTC micros); nothing is later.
    pub(crate) limit: i64,
    /// Products by item: `products[item * VARIANTS + variant]`.
    pub(crate) products: Vec<Product>,
    pub(crate) profiles: Vec<Profile>,
    /// Profiles `0..chatting` may chat; the others never do.
    pub(crate) chatting: usize,
    /// Conversation starts (sorted) and kinds; conversation `i` is `conv_<acc>_<i+1>`.
    pub(crate) starts: Vec<(i64, ConvKind)>,
    /// Whether this run writes the account's profiles and conversations (its writer's share).
    pub(crate) owned: bool,
    /// Conversations ask follow-up questions ([`GenerateOptions::at_scale`]).
    pub(crate) follow_ups: bool,
}

/// Styles (products) per item.
pub(crate) const VARIANTS: usize = 6;

impl Account {
    pub(crate) fn profile_id(&self, p: u32) -> String {
        format!("prof_{}_{:05}", self.id, p + 1)
    }

    pub(crate) fn product(&self, sku: u32) -> &Product {
        let base = self.products[0].sku;
        &self.products[(sku - base) as usize]
    }

    pub(crate) fn item_skus(item: usize) -> std::ops::Range<usize> {
        item * VARIANTS..(item + 1) * VARIANTS
    }
}

/// Every account with its products; the accounts for which `owned(index)` holds also get
/// their profiles and conversation starts (each drawn from its own random stream, so which
/// accounts are filled in does not change them).
pub(crate) fn build_accounts(
    opts: &GenerateOptions,
    owned: impl Fn(usize) -> bool,
) -> Result<Vec<Account>, GenerateError> {
    // Conversation share per account: uneven, like real customers.
    const SHARE: [u64; 6] = [5, 3, 2, 4, 3, 2];
    let weights: Vec<u64> = (0..opts.accounts)
        .map(|i| {
            if opts.at_scale {
                // 1 / (i + 1)^0.7 in millionths: a long tail behind a few heavy brands.
                (1e6 / ((i + 1) as f64).powf(0.7)).round() as u64
            } else {
                SHARE[i % SHARE.len()]
            }
        })
        .collect();
    let total: u64 = weights.iter().sum();
    let mut counts: Vec<usize> = weights
        .iter()
        .map(|w| (opts.conversations as u128 * u128::from(*w) / u128::from(total)) as usize)
        .collect();
    let mut rest = opts.conversations - counts.iter().sum::<usize>();
    let mut i = 0;
    while rest > 0 {
        let len = counts.len();
        counts[i % len] += 1;
        rest -= 1;
        i += 1;
    }

    let first_local = opts
        .end_date
        .checked_sub_days(chrono::Days::new(u64::from(opts.days) - 1))
        .expect("validated");
    let after_end = opts.end_date.succ_opt().expect("validated");

    let mut accounts = Vec::with_capacity(opts.accounts);
    for (idx, &n_conv) in counts.iter().enumerate() {
        let brand = &BRANDS[idx % BRANDS.len()];
        let round = idx / BRANDS.len();
        let tz: Tz = brand.zone.parse().map_err(|_| {
            GenerateError::setting(format!(
                "unknown time zone {} for account {}",
                brand.zone,
                idx + 1
            ))
        })?;
        let name = if round == 0 {
            brand.name.to_string()
        } else {
            format!("{} {}", brand.name, round + 1)
        };
        // SMS attribution windows: defaults, custom, receipt switched off, ...
        let (click_window, receipt_window) = match idx % 4 {
            0 => (None, None),
            1 => (Some(72), Some(6)),
            2 => (None, Some(0)),
            _ => (Some(48), None),
        };
        let id = format!("acc_{:03}", idx + 1);
        let start = local_midnight(&tz, first_local);
        let limit = local_midnight(&tz, after_end) - 1;
        let sku_base = 1000 * (idx as u32 + 1) + 20;
        let mut products = Vec::with_capacity(brand.items.len() * VARIANTS);
        for (i, item) in brand.items.iter().enumerate() {
            for v in 0..VARIANTS {
                let sku = sku_base + (i * VARIANTS + v) as u32;
                // Price varies by style; ends in .99 or .00.
                let whole = item.price * (88 + 5 * v as i64) / 10_000;
                let price = if v % 2 == 0 {
                    whole * 100 - 1
                } else {
                    whole * 100
                };
                products.push(Product {
                    sku,
                    name: format!("{} {}", brand.adjectives[v], item.title),
                    price: price.clamp(1500, 38000),
                });
            }
        }
        let mut acc = Account {
            idx: idx as u32,
            id,
            name,
            brand,
            tz,
            click_window,
            receipt_window,
            first_local,
            start,
            limit,
            products,
            profiles: Vec::new(),
            chatting: 0,
            starts: Vec::new(),
            owned: owned(idx),
            follow_ups: opts.at_scale,
        };
        if acc.owned {
            build_profiles(opts.seed, &mut acc, n_conv);
            acc.starts = conversation_starts(opts.seed, &acc, n_conv, opts.days);
        }
        accounts.push(acc);
    }
    Ok(accounts)
}

/// When the account's conversations start (fewer at weekends, by the hour of the
/// day in its zone) and how; one in the first account uses an unknown channel.
fn conversation_starts(seed: u64, acc: &Account, n_conv: usize, days: u32) -> Vec<(i64, ConvKind)> {
    let mut rng = Rng::derive(seed, &[3, u64::from(acc.idx)]);
    let day_weights: Vec<f64> = (0..days)
        .map(|d| {
            let date = acc.first_local + chrono::Days::new(u64::from(d));
            match date.weekday() {
                Weekday::Sat | Weekday::Sun => 0.8,
                Weekday::Mon => 1.1,
                _ => 1.0,
            }
        })
        .collect();
    let mut starts = Vec::with_capacity(n_conv);
    for _ in 0..n_conv {
        let r = rng.unit();
        let kind = if r < 0.70 {
            ConvKind::Web
        } else if r < 0.865 {
            ConvKind::SmsOutbound
        } else {
            ConvKind::SmsInbound
        };
        let d = rng.weighted(&day_weights);
        let hours: &[f64] = if kind == ConvKind::SmsOutbound {
            &CAMPAIGN_HOURS
        } else {
            &CHAT_HOURS
        };
        let hour = rng.weighted(hours) as i64;
        let date = acc.first_local + chrono::Days::new(d as u64);
        let local = date.and_hms_opt(0, 0, 0).expect("midnight")
            + TimeDelta::seconds(hour * 3600 + rng.below(3600) as i64);
        let start = local_to_utc(&acc.tz, local) + rng.below(1000) as i64 * 1000;
        starts.push((start.min(acc.limit), kind));
    }
    starts.sort_by_key(|&(start, kind)| (start, kind as u8));
    // One conversation in the first account uses a channel the schema does not know.
    if acc.idx == 0 && starts.len() >= 3 {
        let mid = starts.len() / 2;
        starts[mid].1 = ConvKind::WhatsApp;
    }
    starts
}
