//! Token introspection (RFC 7662).
//!
//! §2.1 requires the caller to be authorized, and a public client proves
//! nothing, so only confidential clients may introspect. What a caller
//! learns is this policy (README, "Introspection"): a client learns about
//! the tokens issued to it; a client the operator marked as a resource
//! server learns about every token. Any other token is `active: false`,
//! as if it did not exist.

use super::client_auth::{self, ClientRequest};
use super::{OAuthError, Provider};
use crate::crypto;
use crate::store::TokenKind;
use serde::Serialize;

/// §2.2: `active` and, for an active token, what it grants.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Introspection {
    pub active: bool,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub details: Option<ActiveToken>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ActiveToken {
    pub scope: String,
    pub client_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// The user id; for a token without a user, the client it was issued to.
    pub sub: String,
    pub token_type: &'static str,
    pub exp: i64,
    pub iat: i64,
    pub iss: String,
}

pub async fn introspect(
    provider: &Provider,
    request: &ClientRequest<'_>,
) -> Result<Introspection, OAuthError> {
    let caller = client_auth::authenticate(provider, request).await?;
    if caller.is_public() {
        return Err(OAuthError::invalid_client(
            "a public client cannot introspect tokens",
        ));
    }
    let hash = crypto::token_key(request.params.require("token")?);
    let inactive = Introspection {
        active: false,
        details: None,
    };
    let Some(record) = provider.store.token(&hash).await? else {
        return Ok(inactive);
    };
    let visible = caller.resource_server || record.client_id == caller.client_id;
    if !visible || !record.is_active(crate::time::now()) {
        return Ok(inactive);
    }
    Ok(Introspection {
        active: true,
        details: Some(ActiveToken {
            sub: record
                .user_id
                .map_or_else(|| record.client_id.clone(), |id| id.to_string()),
            scope: record.scope,
            client_id: record.client_id,
            username: record.username,
            token_type: match record.kind {
                TokenKind::Access => "Bearer",
                TokenKind::Refresh => "refresh_token",
            },
            exp: record.expires_at,
            iat: record.issued_at,
            iss: provider.settings.issuer.clone(),
        }),
    })
}
