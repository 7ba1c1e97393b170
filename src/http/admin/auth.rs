//! Who may use the admin listener: a request carries an admin key as
//! `Authorization: Bearer <key>` (RFC 6750 §2.1 syntax). Keys are 256
//! random bits, created by `portcullis admin-key create` and stored only
//! as SHA-256, so the lookup is by hash: what its timing could reveal is
//! a prefix of a hash, which helps no one find a key, and a key cannot be
//! guessed, so failures lock nothing out. There is no unauthenticated
//! access, on loopback neither, except `/healthz` and `/readyz`.
//!
//! Audit: a key's use is recorded the first time in each minute (per
//! node), and requests without a valid key once per address and minute:
//! enough to see who used the API and who knocked, without a row per
//! request.

use super::problem::Problem;
use super::AdminState;
use crate::audit::{Actor, AuditEvent};
use crate::http::client_address::ClientAddress;
use crate::http::extract::bearer_token;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Mutex, PoisonError};

/// The admin key a request authenticated with, and where it came from:
/// handlers name it as the actor of what they change.
#[derive(Debug, Clone)]
pub struct Caller {
    pub key: String,
    pub address: Option<IpAddr>,
}

impl Caller {
    pub fn actor(&self) -> Actor {
        Actor::AdminKey(self.key.clone())
    }

    /// Records what this caller did.
    pub fn record(&self, admin: &AdminState, event: AuditEvent) {
        admin.app.provider.audit.record(event, self.address);
    }
}

/// Remembers the minute something was last recorded, to record it at most
/// once a minute.
#[derive(Default)]
pub struct OncePerMinute(Mutex<HashMap<String, i64>>);

/// Past this many remembered names, older minutes are forgotten.
const REMEMBERED: usize = 4096;

impl OncePerMinute {
    /// Whether `name` was not yet seen this minute (and now is).
    fn first_this_minute(&self, name: &str) -> bool {
        let minute = crate::time::now() / 60;
        let mut seen = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if seen.len() >= REMEMBERED {
            seen.retain(|_, last| *last == minute);
        }
        seen.insert(name.to_owned(), minute) != Some(minute)
    }
}

/// Lets a request through only with a valid admin key.
pub async fn require_key(
    State(admin): State<AdminState>,
    request: Request,
    next: Next,
) -> Response {
    let (mut parts, body) = request.into_parts();
    let Ok(ClientAddress(address)) =
        ClientAddress::from_request_parts(&mut parts, &admin.app).await;
    let presented = bearer_token(&parts.headers).map(crate::crypto::sha256_secret_hash);
    let key = match presented {
        Some(hash) => match admin.app.provider.store.admin_key_by_hash(&hash).await {
            Ok(key) => key,
            Err(error) => return Problem::from(error).into_response(),
        },
        None => None,
    };
    let audit = &admin.app.provider.audit;
    let Some(key) = key else {
        let knocker = address.map_or_else(String::new, |a| a.to_string());
        if admin.seen.first_this_minute(&format!("failed {knocker}")) {
            audit.record(AuditEvent::AdminAuthFailed, address);
        }
        let mut response =
            Problem::new(StatusCode::UNAUTHORIZED, "an admin key is required").into_response();
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"portcullis-admin\""),
        );
        return response;
    };
    if admin.seen.first_this_minute(&format!("key {}", key.name)) {
        let event = AuditEvent::AdminKeyUsed {
            name: key.name.clone(),
        };
        audit.record(event, address);
    }
    parts.extensions.insert(Caller {
        key: key.name,
        address,
    });
    next.run(Request::from_parts(parts, body)).await
}
