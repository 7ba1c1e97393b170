//! Authorization code grant, token side (RFC 6749 §4.1.3, RFC 7636 §4.5).

use super::*;
use crate::audit::AuditEvent;
use crate::crypto;
use crate::oauth::id_tokens::{self, IdTokenRequest};
use crate::oauth::oidc::context::GrantContext;
use crate::oauth::oidc::OPENID;
use crate::oauth::resources;
use crate::oauth::tokens::{self, Access, Refresh};
use crate::oauth::{pkce, scope};
use crate::store::CodeExchange;

pub struct AuthorizationCode;

#[async_trait]
impl Grant for AuthorizationCode {
    fn grant_type(&self) -> GrantType {
        GrantType::AuthorizationCode
    }

    async fn exchange(
        &self,
        provider: &Provider,
        client: &Client,
        request: &ClientRequest<'_>,
    ) -> Result<TokenResponse, OAuthError> {
        let params = request.params;
        let hash = crypto::token_key(params.require("code")?);
        let invalid = || OAuthError::invalid_grant("the code is invalid, expired or used");
        let store = provider.store.as_ref();
        let code = store.code(&hash).await?.ok_or_else(invalid)?;
        // §10.5: a replayed code revokes what it produced.
        if code.used {
            return Err(replayed(provider, request, client, code.grant_id).await?);
        }
        let now = provider.clock.now();
        if code.client_id != client.client_id || code.expires_at <= now {
            return Err(invalid());
        }
        // §4.1.3: redirect_uri is required, and identical, exactly when the
        // authorization request carried it; compared with what the code
        // recorded, not with the client's registration, which may have
        // changed since.
        match params.get("redirect_uri") {
            Some(uri) if uri == code.redirect_uri => {}
            None if !code.redirect_uri_given => {}
            None => return Err(OAuthError::invalid_grant("redirect_uri is required")),
            Some(_) => return Err(OAuthError::invalid_grant("redirect_uri does not match")),
        }
        match (&code.code_challenge, params.get("code_verifier")) {
            (Some(challenge), Some(verifier)) => pkce::verify(challenge, verifier)?,
            (Some(_), None) => return Err(OAuthError::invalid_grant("code_verifier is required")),
            // RFC 9700 §2.1.1: a verifier for a code issued without a
            // challenge is a sign of injection.
            (None, Some(_)) => return Err(OAuthError::invalid_grant("unexpected code_verifier")),
            (None, None) => {}
        }
        // An OpenID Connect authorization gets an ID token (Core §3.1.3.3).
        let openid = code
            .oidc
            .as_ref()
            .filter(|_| scope::contains(&code.scope, OPENID));
        let refresh = if refresh_allowed(client, &code.scope, openid.is_some()) {
            Refresh::WithScope(&code.scope)
        } else {
            Refresh::None
        };
        // RFC 8707 §2.2: the token is for the resources asked for now,
        // among those of the authorization request.
        let requested = resources::requested(provider, params).await?;
        let audience = resources::narrowed(requested, &code.resources)?;
        let access = Access::for_client(provider, client, Some(code.user_id), audience);
        let mut minted = tokens::mint(&provider.settings, now, &code.scope, refresh, access)?;
        if let Some(context) = openid {
            let id_token = IdTokenRequest {
                client,
                user_id: code.user_id,
                scope: &code.scope,
                context,
                access_token: &minted.response.access_token,
                refreshed: false,
            };
            minted.response.id_token = Some(id_tokens::issue(provider, id_token).await?);
        }
        let mut grant = tokens::new_grant(&client.client_id, Some(code.user_id), now);
        grant.oidc = openid.map(GrantContext::for_grant);
        grant.resources = code.resources;
        match store.exchange_code(&hash, &grant, &minted.rows).await? {
            CodeExchange::Exchanged { .. } => Ok(minted.response),
            CodeExchange::AlreadyUsed { grant_id } => {
                Err(replayed(provider, request, client, grant_id).await?)
            }
        }
    }
}

/// A used code came back: revoke what it produced, and report it.
async fn replayed(
    provider: &Provider,
    request: &ClientRequest<'_>,
    client: &Client,
    grant: Option<i64>,
) -> Result<OAuthError, OAuthError> {
    if let Some(grant_id) = grant {
        provider.store.revoke_grant(grant_id).await?;
    }
    let event = AuditEvent::CodeReplayed {
        client_id: client.client_id.clone(),
        grant,
    };
    provider.audit.record(event, request.address);
    Ok(OAuthError::invalid_grant(
        "the code is invalid, expired or used",
    ))
}
