//! Token revocation (RFC 7009).

use super::client_auth::{self, ClientRequest};
use super::{OAuthError, Provider};
use crate::audit::{Actor, AuditEvent};
use crate::crypto;
use crate::store::TokenKind;

/// Revokes the token if it belongs to the authenticated client. Unknown
/// tokens, and tokens of other clients, are answered the same way (§2.2) so
/// that the endpoint tells nothing about tokens a client does not hold.
/// Whatever the hint, every token type is searched (§2.1). A public client
/// authenticates with its id alone and may revoke only its own tokens.
pub async fn revoke(provider: &Provider, request: &ClientRequest<'_>) -> Result<(), OAuthError> {
    let client = client_auth::authenticate(provider, request).await?;
    let hash = crypto::token_key(request.params.require("token")?);
    let store = provider.store.as_ref();
    let Some(record) = store.token(&hash).await? else {
        return Ok(());
    };
    if record.client_id != client.client_id {
        return Ok(());
    }
    let what = match record.kind {
        // §2.1: revoking a refresh token SHOULD also revoke the access tokens
        // of the same grant.
        TokenKind::Refresh => {
            store.revoke_grant(record.grant_id).await?;
            format!("grant {}", record.grant_id)
        }
        TokenKind::Access => {
            store.revoke_token(&hash).await?;
            format!("an access token of grant {}", record.grant_id)
        }
    };
    let event = AuditEvent::TokensRevoked {
        by: Actor::Client(client.client_id.clone()),
        client_id: Some(client.client_id),
        what,
    };
    provider.audit.record(event, request.address);
    Ok(())
}
