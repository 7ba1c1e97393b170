//! The protocol core: OAuth 2.0 rules with no I/O of their own. Handlers
//! give it parsed requests and a store; it answers with typed results or an
//! [`OAuthError`] carrying the RFC 6749 §5.2 code.

pub mod authorize;
pub mod bearer;
pub mod client_auth;
pub mod clients;
pub mod end_session;
pub mod error;
pub mod grants;
pub mod id_tokens;
pub mod introspection;
pub mod metadata;
pub mod oidc;
pub mod params;
pub mod pkce;
pub mod registration;
pub mod resources;
pub mod revocation;
pub mod scope;
pub mod tokens;
pub mod userinfo;
pub mod vocabulary;

#[cfg(test)]
mod testing;

pub use error::{ErrorCode, OAuthError};
pub use params::Params;

use crate::audit::Audit;
use crate::keys::SigningKeys;
use crate::limits::{LimitSettings, Limiter};
use crate::metrics::Metrics;
use crate::store::SharedStore;
use crate::time::Clock;
use std::sync::Arc;

/// What the rules need to know about this deployment.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The issuer identifier (RFC 8414 §2), without a trailing slash.
    pub issuer: String,
    pub access_token_ttl: i64,
    pub refresh_token_ttl: i64,
    pub code_ttl: i64,
    /// The scopes that clients the operator did not register may obtain
    /// without a user (client_credentials, SPEC §8); none by default.
    pub self_registered_client_credentials_scopes: Vec<String>,
    pub id_token_ttl: i64,
    /// RFC 9068 access tokens live this long instead of `access_token_ttl`.
    pub jwt_access_token_ttl: i64,
}

impl Settings {
    /// The example API's resource identifier (RFC 8707): also what a JWT
    /// access token is for when the request names no resource (RFC 9068
    /// §3's default resource indicator).
    pub fn default_resource(&self) -> String {
        example_api(&self.issuer)
    }
}

/// The example API of the server at `issuer`: `<issuer>/api`.
pub fn example_api(issuer: &str) -> String {
    format!("{issuer}/api")
}

/// The protocol core with its store: what every endpoint calls into.
pub struct Provider {
    pub store: SharedStore,
    pub settings: Settings,
    /// Brute-force limits on every credential the core verifies.
    pub limiter: Limiter,
    /// What "now" is for every rule about expiry.
    pub clock: Clock,
    /// The keys ID tokens and JWT access tokens are signed with.
    pub keys: Arc<SigningKeys>,
    /// Where the rules report security events (queued, never awaited).
    pub audit: Audit,
    /// Counters the rules move (tokens issued); in memory only.
    pub metrics: Metrics,
    /// Client ID Metadata Documents, when they are accepted.
    pub metadata_documents: Option<Arc<clients::MetadataDocuments>>,
    grants: grants::Registry,
}

impl Provider {
    pub fn new(
        store: SharedStore,
        settings: Settings,
        limits: LimitSettings,
        keys: Arc<SigningKeys>,
        audit: Audit,
        metrics: Metrics,
    ) -> Self {
        Provider {
            limiter: Limiter::new(store.clone(), limits, audit.clone(), metrics.clone()),
            store,
            settings,
            clock: Clock::system(),
            keys,
            audit,
            metrics,
            metadata_documents: None,
            grants: grants::Registry::standard(),
        }
    }
}
