//! Token introspection (RFC 7662).

use super::client_auth::{self, BasicCredentials};
use super::{OAuthError, Params, Provider};
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
    basic: Option<&BasicCredentials>,
    params: &Params,
) -> Result<Introspection, OAuthError> {
    client_auth::authenticate(provider.store.as_ref(), basic, params).await?;
    let hash = crypto::token_hash(params.require("token")?);
    let inactive = Introspection {
        active: false,
        details: None,
    };
    let Some(record) = provider.store.token(&hash).await? else {
        return Ok(inactive);
    };
    if !record.is_active(crate::time::now()) {
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
