//! Shoppers' profiles: named, email-only, phone-only or anonymous, some with an
//! older row from before a change of name (with or without `updated_at`).

use crate::accounts::Account;
use crate::names::{EMAIL_DOMAINS, EMAIL_HANDLES};
use crate::rng::Rng;
use crate::time::{DAY, HOUR};

/// A shopper of an account; any of the name, email and phone may be missing.
pub(crate) struct Profile {
    pub(crate) first: Option<&'static str>,
    pub(crate) last: Option<&'static str>,
    pub(crate) email: Option<String>,
    pub(crate) phone: Option<String>,
    pub(crate) updated_at: i64,
    /// An older row of the same profile (name changed since).
    pub(crate) older: Option<OlderProfile>,
}

/// The earlier row of a profile whose name changed.
pub(crate) struct OlderProfile {
    pub(crate) first: Option<&'static str>,
    pub(crate) last: Option<&'static str>,
    pub(crate) updated_at: Option<i64>,
}

/// The account's profiles, enough for `n_conv` conversations; the first four fifths chat.
pub(crate) fn build_profiles(seed: u64, acc: &mut Account, n_conv: usize) {
    let mut rng = Rng::derive(seed, &[2, u64::from(acc.idx)]);
    let n = (n_conv * 3 / 5 + 8).max(12);
    let brand = acc.brand;
    let earliest = acc.start - 400 * DAY;
    let latest = acc.limit - HOUR;
    let phone_modulus = 10u64.pow(brand.phone_digits);
    let mut profiles = Vec::with_capacity(n);
    for i in 0..n {
        let forced_duplicate = i == 2 || i == 6;
        let r = rng.unit();
        let named = forced_duplicate || r < 0.55;
        let email_only = !named && r < 0.75;
        let phone_only = !named && !email_only && r < 0.92;
        let (first, last) = if named {
            (
                Some(rng.pick_str(brand.first_names)),
                Some(rng.pick_str(brand.last_names)),
            )
        } else {
            (None, None)
        };
        let email = if named {
            let clean = |s: &str| -> String {
                s.chars()
                    .filter(char::is_ascii_alphanumeric)
                    .collect::<String>()
                    .to_lowercase()
            };
            Some(format!(
                "{}.{}{}@{}",
                clean(first.unwrap_or_default()),
                clean(last.unwrap_or_default()),
                i + 1,
                rng.pick(EMAIL_DOMAINS)
            ))
        } else if email_only {
            Some(format!(
                "{}{}@{}",
                rng.pick(EMAIL_HANDLES),
                i + 1,
                rng.pick(EMAIL_DOMAINS)
            ))
        } else {
            None
        };
        let phone = if phone_only || (named && rng.chance(0.45)) {
            let number = (i as u64 + 1 + u64::from(acc.idx) * 7919) % phone_modulus;
            Some(format!(
                "{}{:0width$}",
                brand.phone_prefix,
                number,
                width = brand.phone_digits as usize
            ))
        } else {
            None
        };
        let updated_at = rng.span(earliest, latest);
        let older = if forced_duplicate || (named && rng.chance(0.06)) {
            let older_at = if i == 2 || (i != 6 && rng.chance(0.2)) {
                None
            } else {
                Some(updated_at - rng.span(10 * DAY, 300 * DAY))
            };
            let (of, ol) = if rng.chance(0.6) || i == 2 || i == 6 {
                // Same first name, a different last name before (e.g. before marriage).
                let mut old_last = rng.pick_str(brand.last_names);
                if Some(old_last) == last {
                    old_last = brand.last_names[(brand
                        .last_names
                        .iter()
                        .position(|l| *l == old_last)
                        .unwrap_or(0)
                        + 1)
                        % brand.last_names.len()];
                }
                (first, Some(old_last))
            } else {
                // No name yet on the older row.
                (None, None)
            };
            Some(OlderProfile {
                first: of,
                last: ol,
                updated_at: older_at,
            })
        } else {
            None
        };
        profiles.push(Profile {
            first,
            last,
            email,
            phone,
            updated_at,
            older,
        });
    }
    acc.chatting = (n * 4 / 5).max(1);
    acc.profiles = profiles;
}
