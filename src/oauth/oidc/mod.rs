//! The OpenID Connect provider's protocol core (OpenID Connect Core 1.0,
//! Discovery 1.0, RP-Initiated Logout 1.0): pure types and rules, no I/O,
//! which the endpoints and the store build on.
//!
//! - `claims.rs`: a user's standard claims, their checks, release by scope.
//! - `claims_request.rs`: the `claims` parameter and what goes where.
//! - `context.rs`: what a code and its grant remember for their ID tokens.
//! - `id_token.rs`: ID token claims, `sub`, reading an `id_token_hint`.
//! - `request.rs`: the OpenID parameters of an authorization request.
//! - `prompt.rs`: sign in, consent, approve or fail; `offline_access`.
//! - `response_mode.rs`: query, fragment and form_post answers.
//! - `discovery.rs`: `/.well-known/openid-configuration`.
//! - `logout.rs`: the end-session endpoint's decision.

pub mod claims;
pub mod claims_request;
pub mod context;
pub mod discovery;
pub mod id_token;
pub mod logout;
pub mod prompt;
pub mod request;
pub mod response_mode;

/// The scope value that makes an authorization request an OpenID Connect
/// one (Core §3.1.2.1): only then is an ID token issued.
pub const OPENID: &str = "openid";
