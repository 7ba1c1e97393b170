//! The documents fetched, by URL, for as long as their answers allowed
//! (draft §5.2, RFC 9111 §5.2.2) within the operator's bounds, and never
//! more of them than a fixed number.

use bytes::Bytes;
use reqwest::header::{HeaderMap, AGE, CACHE_CONTROL};
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// How long an answer may be reused: `None` for `no-store`; otherwise its
/// `max-age` less its `Age` (RFC 9111 §4.2.3), `no-cache` counting as 0,
/// clamped to `[min, max]`. The lower bound holds even for `max-age=0` so
/// that a client cannot make every authorization request a fetch (draft
/// §5.2 lets the server bound lifetimes; §9.1 asks for fewer fetches).
pub(super) fn lifetime(headers: &HeaderMap, min: Duration, max: Duration) -> Option<Duration> {
    let mut max_age: Option<u64> = None;
    let directives = headers
        .get_all(CACHE_CONTROL)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','));
    for directive in directives {
        let (name, value) = directive.split_once('=').unwrap_or((directive, ""));
        match name.trim().to_ascii_lowercase().as_str() {
            "no-store" => return None,
            "no-cache" => max_age = Some(0),
            // §4.2.1: an invalid max-age makes the answer stale.
            "max-age" => {
                let seconds = value.trim().trim_matches('"').parse().unwrap_or(0);
                max_age = Some(max_age.map_or(seconds, |m| m.min(seconds)));
            }
            _ => {}
        }
    }
    let age: u64 = headers
        .get(AGE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    let fresh = max_age.map_or(min, |m| Duration::from_secs(m.saturating_sub(age)));
    Some(fresh.clamp(min, max.max(min)))
}

struct Entry {
    body: Bytes,
    expires: Instant,
    /// When it was last read or written, in the cache's own ticks.
    used: u64,
}

/// Valid documents by URL. At capacity, an insertion first drops what has
/// expired, then the least recently used entry, so memory stays bounded
/// whatever URLs are asked for and the clients in use stay cached.
pub(super) struct Cache {
    entries: HashMap<String, Entry>,
    capacity: usize,
    tick: u64,
}

impl Cache {
    pub(super) fn new(capacity: usize) -> Self {
        Cache {
            entries: HashMap::new(),
            capacity,
            tick: 0,
        }
    }

    pub(super) fn get(&mut self, url: &str, now: Instant) -> Option<Bytes> {
        self.tick += 1;
        match self.entries.get_mut(url) {
            Some(entry) if entry.expires > now => {
                entry.used = self.tick;
                Some(entry.body.clone())
            }
            Some(_) => {
                self.entries.remove(url);
                None
            }
            None => None,
        }
    }

    pub(super) fn remove(&mut self, url: &str) {
        self.entries.remove(url);
    }

    pub(super) fn insert(&mut self, url: &str, body: Bytes, expires: Instant, now: Instant) {
        if self.capacity == 0 {
            return;
        }
        self.tick += 1;
        if !self.entries.contains_key(url) && self.entries.len() >= self.capacity {
            self.entries.retain(|_, entry| entry.expires > now);
            if self.entries.len() >= self.capacity {
                let least_recent = self
                    .entries
                    .iter()
                    .min_by_key(|(_, entry)| entry.used)
                    .map(|(url, _)| url.clone());
                if let Some(url) = least_recent {
                    self.entries.remove(&url);
                }
            }
        }
        let entry = Entry {
            body,
            expires,
            used: self.tick,
        };
        self.entries.insert(url.to_owned(), entry);
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.entries.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    const MIN: Duration = Duration::from_secs(60);
    const MAX: Duration = Duration::from_secs(86_400);

    fn lifetime_of(pairs: &[(&'static str, &'static str)]) -> Option<Duration> {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.append(*name, HeaderValue::from_static(value));
        }
        lifetime(&headers, MIN, MAX)
    }

    #[test]
    fn max_age_is_honored_within_the_bounds() {
        let secs = |s| Some(Duration::from_secs(s));
        assert_eq!(
            lifetime_of(&[("cache-control", "public, max-age=600")]),
            secs(600)
        );
        assert_eq!(lifetime_of(&[("cache-control", "max-age=5")]), secs(60));
        assert_eq!(
            lifetime_of(&[("cache-control", "max-age=999999999")]),
            secs(86_400)
        );
        assert_eq!(
            lifetime_of(&[("cache-control", "max-age=600"), ("age", "500")]),
            secs(100)
        );
        assert_eq!(lifetime_of(&[("cache-control", "no-cache")]), secs(60));
        assert_eq!(lifetime_of(&[("cache-control", "max-age=oops")]), secs(60));
        assert_eq!(lifetime_of(&[]), secs(60));
    }

    #[test]
    fn no_store_is_never_cached() {
        assert_eq!(
            lifetime_of(&[("cache-control", "max-age=600, No-Store")]),
            None
        );
        assert_eq!(
            lifetime_of(&[
                ("cache-control", "max-age=600"),
                ("cache-control", "no-store")
            ]),
            None
        );
    }

    #[test]
    fn entries_expire() {
        let now = Instant::now();
        let mut cache = Cache::new(4);
        cache.insert("a", Bytes::from_static(b"{}"), now + MIN, now);
        assert!(cache.get("a", now).is_some());
        assert!(cache.get("a", now + MIN).is_none());
        assert_eq!(cache.len(), 0);
    }

    #[test]
    fn the_cache_never_grows_past_its_capacity() {
        let now = Instant::now();
        let mut cache = Cache::new(3);
        for i in 0..100 {
            cache.insert(&format!("u{i}"), Bytes::new(), now + MIN, now);
            assert!(cache.len() <= 3);
        }
        assert!(cache.get("u0", now).is_none());
        assert!(cache.get("u99", now).is_some());
    }

    #[test]
    fn the_least_recently_used_entry_makes_room() {
        let now = Instant::now();
        let mut cache = Cache::new(3);
        for url in ["a", "b", "c"] {
            cache.insert(url, Bytes::new(), now + MIN, now);
        }
        assert!(cache.get("a", now).is_some());
        cache.insert("d", Bytes::new(), now + MIN, now);
        assert!(cache.get("b", now).is_none());
        assert!(["a", "c", "d"].iter().all(|u| cache.get(u, now).is_some()));
    }

    #[test]
    fn expired_entries_make_room_first() {
        let now = Instant::now();
        let mut cache = Cache::new(2);
        cache.insert("old", Bytes::new(), now + Duration::from_secs(1), now);
        cache.insert("long", Bytes::new(), now + MAX, now);
        let later = now + Duration::from_secs(2);
        cache.insert("new", Bytes::new(), later + MIN, later);
        assert!(cache.get("long", later).is_some() && cache.get("new", later).is_some());
    }
}
