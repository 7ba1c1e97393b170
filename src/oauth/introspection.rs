//! Token introspection (RFC 7662).
//!
//! §2.1 requires the caller to be authorized, and a public client proves
//! nothing, so only confidential clients may introspect. What a caller
//! learns is this policy (README, "Introspection"): a client learns about
//! the tokens issued to it; a client the operator marked as a resource
//! server learns about every token. Any other token is `active: false`,
//! as if it did not exist.

use super::client_auth::{self, ClientRequest};
use super::clients;
use super::oidc::id_token::Audience;
use super::tokens;
use super::{OAuthError, Provider};
use crate::store::{Client, TokenKey, TokenKind, TokenRecord};
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
    /// The resources the token is for (RFC 8707, RFC 7662 §2.2), when it
    /// was asked for any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aud: Option<Audience>,
}

pub async fn introspect(
    provider: &Provider,
    request: &ClientRequest<'_>,
) -> Result<Introspection, OAuthError> {
    let key = request
        .params
        .get("token")
        .map(|token| tokens::presented_key(provider, token));
    if let Some(key) = &key {
        if let Some(answer) = from_cache(provider, request, key).await? {
            return Ok(answer);
        }
    }
    // The caller and the token are read together; the token is looked at
    // only once the caller is authenticated.
    let client_id = client_auth::presented_client_id(request)?;
    let (found, record) = match &key {
        Some(key) => clients::find_with_token(provider, client_id, key).await?,
        None => (clients::find(provider, client_id).await?, None),
    };
    let caller = client_auth::authenticate_found(provider, request, found).await?;
    if caller.is_public() {
        return Err(OAuthError::invalid_client(
            "a public client cannot introspect tokens",
        ));
    }
    request.params.require("token")?;
    Ok(describe(provider, &caller, record))
}

/// Introspection by a caller as this node keeps it in memory (PostgreSQL:
/// [`crate::store::ClientStore::cached_client`]): the token is read with a
/// check that the caller's row is still at the cached version, in one
/// statement. `None` — the caller is not cached, presents a secret the
/// copy does not accept, or changed — and the request is decided again
/// from a fresh read, with the brute-force limits.
async fn from_cache(
    provider: &Provider,
    request: &ClientRequest<'_>,
    key: &TokenKey,
) -> Result<Option<Introspection>, OAuthError> {
    let Some(caller) = client_auth::cached_caller(provider, request).await? else {
        return Ok(None);
    };
    let store = provider.store.as_ref();
    if let (Some(version), false) = (caller.version, caller.is_public()) {
        if let Some(record) = store.token_checked(key, &caller.client_id, version).await? {
            return Ok(Some(describe(provider, &caller, record)));
        }
    }
    store.forget_cached_client(&caller.client_id);
    Ok(None)
}

/// What `caller` learns about `record` (see the module's policy).
fn describe(provider: &Provider, caller: &Client, record: Option<TokenRecord>) -> Introspection {
    let inactive = Introspection {
        active: false,
        details: None,
    };
    let Some(record) = record else {
        return inactive;
    };
    let visible = caller.resource_server || record.client_id == caller.client_id;
    if !visible || !record.is_active(provider.clock.now()) {
        return inactive;
    }
    Introspection {
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
            aud: Audience::of(&record.audience),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oauth::testing::*;
    use crate::oauth::tokens::{self, Access, Refresh};
    use crate::oauth::vocabulary::{AuthMethod, GrantType};
    use crate::oauth::ErrorCode;
    use crate::store::{Client, Registrant};

    /// Issues a client_credentials token to `client`.
    async fn issued(core: &Core, client: &Client) -> String {
        let minted = tokens::mint(
            &core.provider.settings,
            NOW,
            "profile",
            Refresh::None,
            Access::opaque(),
        )
        .unwrap();
        let grant = tokens::new_grant(&client.client_id, None, NOW);
        core.provider
            .store
            .issue_grant(&grant, &minted.rows)
            .await
            .unwrap();
        minted.response.access_token
    }

    async fn ask(
        core: &Core,
        caller: &Client,
        secret: &str,
        token: &str,
    ) -> Result<Introspection, OAuthError> {
        let params = params(&[("token", token)]);
        let basic = basic(caller, secret);
        introspect(&core.provider, &request(&params, Some(&basic))).await
    }

    #[tokio::test]
    async fn a_client_sees_its_own_active_token_until_it_expires() {
        let core = Core::new().await;
        let (client, secret) = core.confidential().await;
        let token = issued(&core, &client).await;
        let seen = ask(&core, &client, &secret, &token).await.unwrap();
        let details = seen.details.expect("active");
        assert_eq!(
            (details.sub.as_str(), details.exp),
            (client.client_id.as_str(), NOW + 3600)
        );
        core.provider.clock.advance(3600);
        assert!(!ask(&core, &client, &secret, &token).await.unwrap().active);
    }

    #[tokio::test]
    async fn another_clients_token_is_inactive_unless_the_caller_is_a_resource_server() {
        let core = Core::new().await;
        let (owner, _) = core.confidential().await;
        let (other, other_secret) = core.confidential().await;
        let token = issued(&core, &owner).await;
        assert!(
            !ask(&core, &other, &other_secret, &token)
                .await
                .unwrap()
                .active
        );
        let (mut api, api_secret) = core.confidential().await;
        api.client_id = "api".into();
        api.resource_server = true;
        core.store_client(&api).await;
        assert!(ask(&core, &api, &api_secret, &token).await.unwrap().active);
    }

    #[tokio::test]
    async fn a_public_client_cannot_introspect() {
        let core = Core::new().await;
        let (public, _) = core
            .client(
                Registrant::Operator,
                AuthMethod::None,
                &[GrantType::AuthorizationCode],
            )
            .await;
        let token = issued(&core, &public).await;
        let params = params(&[
            ("token", token.as_str()),
            ("client_id", public.client_id.as_str()),
        ]);
        let result = introspect(&core.provider, &request(&params, None)).await;
        assert_code(result, ErrorCode::InvalidClient);
    }

    #[tokio::test]
    async fn a_missing_token_is_invalid_request_and_garbage_is_inactive() {
        let core = Core::new().await;
        let (client, secret) = core.confidential().await;
        let basic = basic(&client, &secret);
        let empty = params(&[]);
        let result = introspect(&core.provider, &request(&empty, Some(&basic))).await;
        assert_code(result, ErrorCode::InvalidRequest);
        assert!(
            !ask(&core, &client, &secret, "garbage")
                .await
                .unwrap()
                .active
        );
    }
}
