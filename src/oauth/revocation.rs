//! Token revocation (RFC 7009).

use super::client_auth::{self, ClientRequest};
use super::tokens;
use super::{OAuthError, Provider};
use crate::audit::{Actor, AuditEvent};
use crate::store::TokenKind;

/// Revokes the token if it belongs to the authenticated client. Unknown
/// tokens, and tokens of other clients, are answered the same way (§2.2) so
/// that the endpoint tells nothing about tokens a client does not hold.
/// Whatever the hint, every token type is searched (§2.1). A public client
/// authenticates with its id alone and may revoke only its own tokens.
pub async fn revoke(provider: &Provider, request: &ClientRequest<'_>) -> Result<(), OAuthError> {
    let client = client_auth::authenticate(provider, request).await?;
    let hash = tokens::presented_key(provider, request.params.require("token")?);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oauth::testing::*;
    use crate::oauth::tokens::{self, Access, Refresh};
    use crate::store::Client;

    /// Issues an access and a refresh token to `client`.
    async fn issued(core: &Core, client: &Client) -> (String, String) {
        let minted = tokens::mint(
            &core.provider.settings,
            NOW,
            "profile",
            Refresh::WithScope("profile"),
            Access::opaque(),
        )
        .unwrap();
        let grant = tokens::new_grant(&client.client_id, Some(1), NOW);
        core.provider
            .store
            .issue_grant(&grant, &minted.rows)
            .await
            .unwrap();
        let response = minted.response;
        (response.access_token, response.refresh_token.unwrap())
    }

    async fn revoked(core: &Core, token: &str) -> bool {
        let record = core
            .provider
            .store
            .token(&crate::crypto::token_key(token))
            .await
            .unwrap();
        record.is_some_and(|r| r.revoked)
    }

    async fn revoke_as(core: &Core, client: &Client, secret: &str, token: &str) {
        let params = params(&[("token", token)]);
        let basic = basic(client, secret);
        revoke(&core.provider, &request(&params, Some(&basic)))
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn an_access_token_is_revoked_alone_and_a_refresh_token_with_its_grant() {
        let core = Core::new().await;
        let (client, secret) = core.confidential().await;
        let (access, refresh) = issued(&core, &client).await;
        revoke_as(&core, &client, &secret, &access).await;
        assert!(revoked(&core, &access).await && !revoked(&core, &refresh).await);
        let (access, refresh) = issued(&core, &client).await;
        revoke_as(&core, &client, &secret, &refresh).await;
        assert!(revoked(&core, &access).await, "RFC 7009 §2.1");
    }

    #[tokio::test]
    async fn another_clients_token_and_unknown_tokens_are_answered_alike_and_untouched() {
        let core = Core::new().await;
        let (owner, _) = core.confidential().await;
        let (other, other_secret) = core.confidential().await;
        let (access, _) = issued(&core, &owner).await;
        revoke_as(&core, &other, &other_secret, &access).await;
        revoke_as(&core, &other, &other_secret, "unknown").await;
        assert!(!revoked(&core, &access).await);
    }
}
