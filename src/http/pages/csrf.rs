//! Cross-site request forgery defences for the pages (RFC 6749 §10.12,
//! SPEC §5), in two independent layers:
//!
//! - The token in every form is an HMAC, under a server key, of what the
//!   browser is bound to: its session id once signed in (HttpOnly, stored
//!   only hashed, so no forger can know it), its random seed before. A
//!   value planted in a cookie buys nothing without the key; the token
//!   changes at sign-in and sign-out.
//! - A browser says where a POST comes from (`Sec-Fetch-Site`, else
//!   `Origin`); a cross-origin POST is refused whatever it carries. This
//!   also covers the one thing a token bound to a seed cannot: an attacker
//!   who plants their own seed with a token they got for it.
//!
//! The key lives in the database, so that every node derives the same
//! tokens. It guards nothing alone: forging a signed-in user's token needs
//! their session id, which the database does not hold.

use crate::crypto::constant_time_eq;
use crate::store::{Store, StoreError};
use axum::http::{header, HeaderMap};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// What a CSRF token is derived from.
#[derive(Debug, Clone, Copy)]
pub enum Binding<'a> {
    Session(&'a str),
    Seed(&'a str),
}

pub struct Csrf {
    key: Vec<u8>,
    /// This server's origin (scheme, host, port of the issuer).
    origin: String,
}

impl Csrf {
    /// Loads (creating on first start) the server key; `issuer` names the
    /// origin the pages are served from.
    pub async fn load(store: &dyn Store, issuer: &str) -> Result<Self, StoreError> {
        let key = store.server_secret("csrf").await?;
        let origin = url::Url::parse(issuer)
            .map(|url| url.origin().ascii_serialization())
            .unwrap_or_default();
        Ok(Csrf { key, origin })
    }

    pub fn token(&self, binding: Binding) -> String {
        let mut mac =
            Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes a key of any length");
        match binding {
            Binding::Session(id) => mac.update(format!("session:{id}").as_bytes()),
            Binding::Seed(seed) => mac.update(format!("seed:{seed}").as_bytes()),
        }
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    }

    pub fn verify(&self, binding: Binding, sent: &str) -> bool {
        constant_time_eq(self.token(binding).as_bytes(), sent.as_bytes())
    }

    /// Whether the browser says the request comes from our own pages.
    /// Browsers send `Sec-Fetch-Site` (Fetch Metadata) or at least `Origin`
    /// on every POST; a client that sends neither is not a browser another
    /// site can drive, and the token alone decides.
    pub fn same_origin(&self, headers: &HeaderMap) -> bool {
        if let Some(site) = headers.get("sec-fetch-site") {
            return site.as_bytes() == b"same-origin";
        }
        match headers.get(header::ORIGIN) {
            Some(origin) => origin.as_bytes() == self.origin.as_bytes(),
            None => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn csrf() -> Csrf {
        Csrf {
            key: crate::crypto::random_bytes::<32>().to_vec(),
            origin: "https://auth.example".into(),
        }
    }

    #[test]
    fn a_token_is_bound_to_its_session_and_key() {
        let csrf = csrf();
        let token = csrf.token(Binding::Session("s1"));
        assert!(csrf.verify(Binding::Session("s1"), &token));
        assert!(!csrf.verify(Binding::Session("s2"), &token));
        assert!(!csrf.verify(Binding::Seed("s1"), &token));
        assert!(!Csrf {
            key: vec![1; 32],
            ..csrf
        }
        .verify(Binding::Session("s1"), &token));
    }

    #[test]
    fn cross_origin_posts_are_refused() {
        let csrf = csrf();
        let headers = |name: &'static str, value: &'static str| {
            let mut h = HeaderMap::new();
            h.insert(name, value.parse().unwrap());
            h
        };
        assert!(csrf.same_origin(&headers("sec-fetch-site", "same-origin")));
        assert!(!csrf.same_origin(&headers("sec-fetch-site", "cross-site")));
        assert!(!csrf.same_origin(&headers("sec-fetch-site", "same-site")));
        assert!(csrf.same_origin(&headers("origin", "https://auth.example")));
        assert!(!csrf.same_origin(&headers("origin", "https://evil.example")));
        assert!(!csrf.same_origin(&headers("origin", "null")));
        assert!(csrf.same_origin(&HeaderMap::new()));
    }
}
