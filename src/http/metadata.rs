//! The published documents: the provider's metadata, at both well-known
//! addresses (OpenID Connect Discovery 1.0 §4 and RFC 8414 §3; one
//! document, since RFC 8414 §2 lets it carry OpenID Connect's members), and
//! the JWK Set of the signing keys (RFC 7517 §5).

use super::AppState;
use crate::keys::SigningAlg;
use crate::oauth::oidc::discovery::{discovery, Capabilities, Discovery};
use axum::extract::State;
use axum::http::{header, HeaderValue};
use axum::response::IntoResponse;
use axum::Json;

/// Both documents change only with configuration or key rotation, and a
/// new key is published before it signs anything (`--key-publication-delay`),
/// so a few minutes of caching cost nothing.
const CACHE_CONTROL: HeaderValue = HeaderValue::from_static("public, max-age=300");

pub async fn metadata(State(state): State<AppState>) -> impl IntoResponse {
    let document: Discovery = discovery(
        &state.provider.settings.issuer,
        &Capabilities {
            operator_scopes: &state.config.scopes_supported,
            signing_algs: &SigningAlg::ALL,
            userinfo_signing_algs: &SigningAlg::ALL,
            registration_endpoint: state.config.registration_endpoint().as_deref(),
            client_id_metadata_documents: state.provider.metadata_documents.is_some(),
        },
    );
    ([(header::CACHE_CONTROL, CACHE_CONTROL)], Json(document))
}

pub async fn jwks(State(state): State<AppState>) -> impl IntoResponse {
    let now = state.provider.clock.now();
    let jwks = state.provider.keys.ring().jwks(now);
    ([(header::CACHE_CONTROL, CACHE_CONTROL)], Json(jwks))
}
