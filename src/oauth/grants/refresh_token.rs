//! Refresh token grant (RFC 6749 §6) with rotation and reuse detection
//! (RFC 9700 §4.14.2): each refresh token works once; presenting a used one
//! revokes its whole grant, since either the client or an attacker holds a
//! copy that should not exist.

use super::*;
use crate::audit::AuditEvent;
use crate::crypto;
use crate::oauth::id_tokens::{self, IdTokenRequest};
use crate::oauth::oidc::OPENID;
use crate::oauth::resources;
use crate::oauth::scope;
use crate::oauth::tokens::{self, Access, Refresh};
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
        let now = provider.clock.now();
        if !record.is_active(now) {
            return Err(invalid());
        }
        // §6: the new access token may be narrower, never wider.
        let scope = scope::resolve(params.get("scope"), &record.scope)?;
        // RFC 8707 §2.2: narrower than the grant, never wider.
        let requested = resources::requested(provider, params).await?;
        let audience = resources::narrowed(requested, &record.grant_resources)?;
        let access = Access::for_client(provider, client, record.user_id, audience);
        let mut minted = tokens::mint(
            &provider.settings,
            now,
            &scope,
            Refresh::WithScope(&record.scope),
            access,
        )?;
        // OpenID Connect Core §12.2: a refresh of an OpenID Connect grant
        // may carry a new ID token, about the same sign-in.
        let openid = record
            .oidc
            .as_ref()
            .filter(|_| scope::contains(&scope, OPENID));
        if let (Some(context), Some(user_id)) = (openid, record.user_id) {
            let id_token = IdTokenRequest {
                client,
                user_id,
                scope: &scope,
                context,
                access_token: &minted.response.access_token,
                refreshed: true,
            };
            minted.response.id_token = Some(id_tokens::issue(provider, id_token).await?);
        }
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
