//! Authorization code grant, token side (RFC 6749 §4.1.3, RFC 7636 §4.5).

use super::*;
use crate::audit::AuditEvent;
use crate::crypto;
use crate::oauth::pkce;
use crate::oauth::tokens::{self, Refresh};
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
        let now = crate::time::now();
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
        let refresh = if refresh_allowed(client) {
            Refresh::WithScope(&code.scope)
        } else {
            Refresh::None
        };
        let minted = tokens::mint(&provider.settings, now, &code.scope, refresh);
        let grant = tokens::new_grant(&client.client_id, Some(code.user_id), now);
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
