//! Refresh token grant (RFC 6749 §6) with rotation and reuse detection
//! (RFC 9700 §4.14.2): each refresh token works once; presenting a used one
//! revokes its whole grant, since either the client or an attacker holds a
//! copy that should not exist.

use super::*;
use crate::audit::AuditEvent;
use crate::crypto;
use crate::oauth::scope;
use crate::oauth::tokens::{self, Refresh};
use crate::store::TokenKind;

pub struct RefreshToken;

#[async_trait]
impl Grant for RefreshToken {
    fn grant_type(&self) -> GrantType {
        GrantType::RefreshToken
    }

    async fn exchange(
        &self,
        provider: &Provider,
        client: &Client,
        request: &ClientRequest<'_>,
    ) -> Result<TokenResponse, OAuthError> {
        let params = request.params;
        let presented = crypto::token_key(params.require("refresh_token")?);
        let invalid =
            || OAuthError::invalid_grant("the refresh token is invalid, expired or revoked");
        let store = provider.store.as_ref();
        let record = store.token(&presented).await?.ok_or_else(invalid)?;
        // §6: the token must have been issued to this client.
        if record.kind != TokenKind::Refresh || record.client_id != client.client_id {
            return Err(invalid());
        }
        if record.used {
            return Err(reused(provider, request, &record).await?);
        }
        let now = crate::time::now();
        if !record.is_active(now) {
            return Err(invalid());
        }
        // §6: the new access token may be narrower, never wider.
        let scope = scope::resolve(params.get("scope"), &record.scope)?;
        let minted = tokens::mint(
            &provider.settings,
            now,
            &scope,
            Refresh::WithScope(&record.scope),
        );
        if !store.rotate_refresh(&presented, &minted.rows).await? {
            // Lost a race with another use of the same token: that is reuse.
            return Err(reused(provider, request, &record).await?);
        }
        Ok(minted.response)
    }
}

/// A used refresh token came back: revoke its whole grant, and report it.
async fn reused(
    provider: &Provider,
    request: &ClientRequest<'_>,
    record: &crate::store::TokenRecord,
) -> Result<OAuthError, OAuthError> {
    provider.store.revoke_grant(record.grant_id).await?;
    tracing::warn!(
        grant = record.grant_id,
        "refresh token reused: grant revoked"
    );
    let event = AuditEvent::RefreshTokenReplayed {
        client_id: record.client_id.clone(),
        grant: record.grant_id,
    };
    provider.audit.record(event, request.address);
    Ok(OAuthError::invalid_grant(
        "the refresh token is invalid, expired or revoked",
    ))
}
