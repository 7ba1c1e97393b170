//! The rows of the example resource API (SPEC §4) and what they may hold.
//!
//! Two APIs show them: `/api/restaurants` (opening hours as one string,
//! "Mon-Sat 12:00-23:00") and the Tornado seed's `/restaurent` (a MongoDB
//! ObjectId and `routine: {"open", "close"}`). The store keeps the hours
//! split so that each API reads and writes its own form of them.

use std::fmt;

#[derive(Debug, Clone, PartialEq)]
pub struct Restaurant {
    pub id: i64,
    /// The Tornado seed's id: 24 lowercase hex digits, like a MongoDB
    /// ObjectId. Stable: it never changes once the row exists.
    pub oid: String,
    pub name: String,
    pub address: String,
    pub hours: OpeningHours,
}

/// Opening hours as `{days} {opens}-{closes}`. Hours that name no time
/// range ("Closed for the holidays") are all `days`, with empty times.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OpeningHours {
    pub days: String,
    pub opens: String,
    pub closes: String,
}

impl OpeningHours {
    /// Splits hours written as one string: the time range is the last
    /// space-separated word, cut at its first `-`, both sides non-empty.
    /// Displaying the result gives back `text` exactly, whatever it is.
    /// (The migrations 0005_restaurant_oids.sql split stored hours the same
    /// way.)
    pub fn parse(text: &str) -> OpeningHours {
        let split = text.rsplit_once(' ').and_then(|(days, range)| {
            let (opens, closes) = range.split_once('-')?;
            (!opens.is_empty() && !closes.is_empty()).then_some((days, opens, closes))
        });
        match split {
            Some((days, opens, closes)) => OpeningHours {
                days: days.into(),
                opens: opens.into(),
                closes: closes.into(),
            },
            None => OpeningHours {
                days: text.into(),
                ..OpeningHours::default()
            },
        }
    }
}

impl fmt::Display for OpeningHours {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.opens.is_empty() || self.closes.is_empty() {
            f.write_str(&self.days)
        } else {
            write!(f, "{} {}-{}", self.days, self.opens, self.closes)
        }
    }
}

/// Which restaurant: by the id of `/api/restaurants` or by the seed's oid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RestaurantKey {
    Id(i64),
    Oid(String),
}

impl RestaurantKey {
    /// An oid as a client may send it (ObjectIds are hex, any case), or
    /// `None` if it cannot be one.
    pub fn oid(text: &str) -> Option<RestaurantKey> {
        (text.len() == 24 && text.bytes().all(|b| b.is_ascii_hexdigit()))
            .then(|| RestaurantKey::Oid(text.to_ascii_lowercase()))
    }

    /// The key as two nullable query parameters, exactly one of them set:
    /// one statement (`WHERE id = ? OR oid = ?`) serves both kinds.
    pub fn columns(&self) -> (Option<i64>, Option<&str>) {
        match self {
            RestaurantKey::Id(id) => (Some(*id), None),
            RestaurantKey::Oid(oid) => (None, Some(oid)),
        }
    }
}

/// The fields an update changes; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RestaurantPatch {
    pub name: Option<String>,
    pub address: Option<String>,
    pub days: Option<String>,
    pub opens: Option<String>,
    pub closes: Option<String>,
}

/// Longest value of any field, in characters: room for any real name or
/// address, and a bound on what a caller can make the server store.
const MAX_FIELD_CHARS: usize = 200;

impl RestaurantPatch {
    /// A patch that sets the hours written as one string.
    pub fn with_hours(mut self, hours: OpeningHours) -> Self {
        self.days = Some(hours.days);
        self.opens = Some(hours.opens);
        self.closes = Some(hours.closes);
        self
    }

    /// Refuses values no restaurant has: control characters (NUL, which
    /// PostgreSQL cannot store in text, among them) and overlong values.
    pub fn check(&self) -> Result<(), String> {
        let fields = [
            ("name", &self.name),
            ("address", &self.address),
            ("opening days", &self.days),
            ("opening time", &self.opens),
            ("closing time", &self.closes),
        ];
        for (field, value) in fields {
            let Some(value) = value else { continue };
            if value.chars().any(char::is_control) {
                return Err(format!("the {field} must not contain control characters"));
            }
            if value.chars().count() > MAX_FIELD_CHARS {
                return Err(format!(
                    "the {field} is longer than {MAX_FIELD_CHARS} characters"
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hours_with_a_time_range_split_into_days_and_times() {
        let hours = OpeningHours::parse("Mon-Sat 12:00-23:00");
        assert_eq!(
            hours,
            OpeningHours {
                days: "Mon-Sat".into(),
                opens: "12:00".into(),
                closes: "23:00".into(),
            }
        );
        let changed = OpeningHours {
            opens: "11am".into(),
            closes: "7pm".into(),
            ..hours
        };
        assert_eq!(changed.to_string(), "Mon-Sat 11am-7pm");
    }

    #[test]
    fn hours_without_a_time_range_are_all_days() {
        for text in [
            "Closed for the holidays",
            "12:00-23:00",
            "Mon -23:00",
            "Mon 12-",
            "",
        ] {
            let hours = OpeningHours::parse(text);
            assert_eq!((hours.opens.as_str(), hours.closes.as_str()), ("", ""));
        }
    }

    #[test]
    fn any_hours_string_reads_back_unchanged() {
        for text in [
            "Mon-Sat 12:00-23:00",
            "Daily 11:00-22:00",
            " 9-17",
            "Fri  9-17-late",
            "Closed for the holidays",
            "Mon ",
            "",
        ] {
            assert_eq!(OpeningHours::parse(text).to_string(), text, "{text:?}");
        }
    }

    #[test]
    fn an_oid_is_24_hex_digits_in_lowercase() {
        assert_eq!(
            RestaurantKey::oid("5AEF5A2318D34D27B700B4B3"),
            Some(RestaurantKey::Oid("5aef5a2318d34d27b700b4b3".into()))
        );
        for bad in ["5aef5a2318d34d27b700b4b", "5aef5a2318d34d27b700b4bz", ""] {
            assert_eq!(RestaurantKey::oid(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn patches_with_control_characters_or_overlong_values_are_refused() {
        let named = |name: String| RestaurantPatch {
            name: Some(name),
            ..RestaurantPatch::default()
        };
        assert!(named("Chez Mike".into()).check().is_ok());
        assert!(named("Chez\0Mike".into()).check().is_err());
        assert!(named("é".repeat(MAX_FIELD_CHARS)).check().is_ok());
        assert!(named("x".repeat(MAX_FIELD_CHARS + 1)).check().is_err());
    }
}
