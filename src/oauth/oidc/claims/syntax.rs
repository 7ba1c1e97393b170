//! The syntax of claim values an operator sets (OpenID Connect Core §5.1):
//! sanity checks, not full grammars, so that what relying parties receive
//! is what the claim's name promises.

use super::InvalidClaim;
use url::Url;

/// Characters, not bytes: a name in any script gets the same room.
pub(super) const MAX_TEXT: usize = 255;
pub(super) const MAX_MULTI_LINE: usize = 1024;
pub(super) const MAX_URL: usize = 2048;

pub(super) fn text(
    claim: &'static str,
    value: &str,
    max: usize,
    multi_line: bool,
) -> Result<(), InvalidClaim> {
    let fail = |reason| Err(InvalidClaim { claim, reason });
    if value.trim().is_empty() {
        return fail("empty (leave it out instead)");
    }
    if value.chars().count() > max {
        return fail("too long");
    }
    // §5.1.1: lines are separated by "\n" or "\r\n"; nothing else of the
    // control characters (NUL, tabs, escapes) has a place in a claim.
    let allowed = |c: char| !c.is_control() || (multi_line && (c == '\n' || c == '\r'));
    if !value.chars().all(allowed) || (multi_line && value.replace("\r\n", "\n").contains('\r')) {
        return fail("contains a control character");
    }
    Ok(())
}

/// Shown to relying parties as links and images: web addresses only.
pub(super) fn web_url(claim: &'static str, value: &str) -> Result<(), InvalidClaim> {
    text(claim, value, MAX_URL, false)?;
    let web = Url::parse(value).is_ok_and(|url| {
        matches!(url.scheme(), "http" | "https")
            && url.host().is_some()
            && url.username().is_empty()
            && url.password().is_none()
    });
    if !web {
        return Err(InvalidClaim {
            claim,
            reason: "not an http(s) URL",
        });
    }
    Ok(())
}

/// A sanity check, not RFC 5322: `local@domain`, one `@`, no spaces or
/// quoting, a domain of well-formed labels (internationalized ones too).
pub(super) fn is_email(value: &str) -> bool {
    let Some((local, domain)) = value.split_once('@') else {
        return false;
    };
    let local_ok = (1..=64).contains(&local.len())
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local
            .chars()
            .all(|c| !c.is_whitespace() && !"\"(),:;<>@[\\]".contains(c));
    local_ok && value.len() <= 254 && is_domain(domain)
}

fn is_domain(domain: &str) -> bool {
    (1..=253).contains(&domain.len())
        && domain.split('.').all(|label| {
            (1..=63).contains(&label.len())
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_alphanumeric() || c == '-')
        })
}

pub(super) fn is_birthdate(value: &str) -> bool {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let parts: Vec<&str> = value.split('-').collect();
    match parts.as_slice() {
        [year] => year.len() == 4 && digits(year),
        [year, month, day] if year.len() == 4 && month.len() == 2 && day.len() == 2 => {
            if !(digits(year) && digits(month) && digits(day)) {
                return false;
            }
            let (year, month, day): (u32, u32, u32) = (
                year.parse().unwrap_or(0),
                month.parse().unwrap_or(0),
                day.parse().unwrap_or(0),
            );
            // "0000" withholds the year: any day that exists in some year.
            let leap = year == 0 || (year % 4 == 0 && (year % 100 != 0 || year % 400 == 0));
            let days = match month {
                1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
                4 | 6 | 9 | 11 => 30,
                2 if leap => 29,
                2 => 28,
                _ => return false,
            };
            (1..=days).contains(&day)
        }
        _ => false,
    }
}

pub(super) fn is_zoneinfo(value: &str) -> bool {
    value.len() <= 64
        && value.split('/').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"_+-".contains(&b))
        })
}

/// BCP 47's shape: a 2–8 letter language, then 1–8 character subtags.
pub(super) fn is_locale(value: &str) -> bool {
    let mut subtags = value.split(['-', '_']);
    let language_ok = subtags
        .next()
        .is_some_and(|l| (2..=8).contains(&l.len()) && l.bytes().all(|b| b.is_ascii_alphabetic()));
    language_ok
        && value.len() <= 35
        && subtags
            .all(|s| (1..=8).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// Digits with the usual punctuation, an optional leading `+` and an
/// RFC 3966 `;ext=` extension.
pub(super) fn is_phone_number(value: &str) -> bool {
    let (number, extension) = match value.split_once(";ext=") {
        Some((number, ext)) => (number, Some(ext)),
        None => (value, None),
    };
    let number = number.strip_prefix('+').unwrap_or(number);
    number.bytes().any(|b| b.is_ascii_digit())
        && number
            .bytes()
            .all(|b| b.is_ascii_digit() || b" -().".contains(&b))
        && extension.is_none_or(|ext| !ext.is_empty() && ext.bytes().all(|b| b.is_ascii_digit()))
}
