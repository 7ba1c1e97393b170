//! The authorization endpoint's rules (RFC 6749 §4.1.1–§4.1.2, §4.2; RFC
//! 7636 §4.3; RFC 9207; OpenID Connect Core §3.1.2). The pages that ask the
//! user live in `http::pages`; this module decides.
//!
//! - `request.rs`: checking a request ([`validate`]): client, redirect URI,
//!   response type, scope, PKCE, and the OpenID Connect parameters.
//! - `decision.rs`: what happens next ([`proceed`]: sign in, consent,
//!   or the answer to the client: approved, or [`deny`]ed),
//!   in the response mode the client asked for.

mod decision;
mod request;

pub use decision::{deny, proceed, Outcome, SignedIn};
pub use request::validate;

use super::oidc::request::OidcRequest;
use super::oidc::response_mode::Answer;
use super::vocabulary::{ResponseMode, ResponseType};
use super::OAuthError;
use crate::store::Client;

/// A checked authorization request, ready to show to the user.
#[derive(Debug, Clone)]
pub struct AuthorizationRequest {
    pub client: Client,
    pub response_type: ResponseType,
    pub redirect_uri: String,
    /// Whether the request named the redirect URI (RFC 6749 §4.1.3).
    pub redirect_uri_given: bool,
    pub scope: String,
    pub state: Option<String>,
    pub code_challenge: Option<String>,
    /// How the answer travels back (query, fragment or form_post).
    pub response_mode: ResponseMode,
    /// The OpenID Connect parameters (`prompt`, `max_age`, `nonce`, …).
    pub oidc: OidcRequest,
    /// The `claims` parameter as sent, to hand on to the ID tokens.
    pub claims_json: Option<String>,
    /// The user the client requires (`id_token_hint`, or `sub` in the
    /// `claims` parameter): the answer is for them or an error.
    pub required_subject: Option<String>,
    /// The resources the tokens are for (RFC 8707 §2.1), registered ones.
    pub resources: Vec<String>,
}

impl AuthorizationRequest {
    /// Whether the scope asks for an ID token (Core §3.1.2.1).
    pub fn is_openid(&self) -> bool {
        super::scope::contains(&self.scope, super::oidc::OPENID)
    }
}

#[derive(Debug, Clone)]
pub enum AuthorizeError {
    /// The client or redirect URI cannot be trusted: tell the user, never
    /// redirect (§4.1.2.1, §10.15 open redirectors).
    NoRedirect(String),
    /// Reported to the client at its redirect URI (§4.1.2.1), in the
    /// request's response mode.
    ToClient(Answer),
    /// The store failed before the client was known: a server fault (503 or
    /// 500), not the user's mistake.
    Server(OAuthError),
}

#[cfg(test)]
mod tests;
