//! Client credentials grant (RFC 6749 §4.4).

use super::*;
use crate::oauth::resources;
use crate::oauth::scope;
use crate::oauth::tokens::{self, Access, Refresh};

pub struct ClientCredentials;

#[async_trait]
impl Grant for ClientCredentials {
    fn grant_type(&self) -> GrantType {
        GrantType::ClientCredentials
    }

    async fn exchange(
        &self,
        provider: &Provider,
        client: &Client,
        request: &ClientRequest<'_>,
    ) -> Result<TokenResponse, OAuthError> {
        let params = request.params;
        // §4.4: only confidential clients may use this grant.
        if client.is_public() {
            return Err(OAuthError::unauthorized_client(
                "public clients cannot use client_credentials",
            ));
        }
        let scope = scope::resolve(params.get("scope"), &userless_scope(provider, client))?;
        if scope.is_empty() && !client.registrant.is_operator() {
            return Err(OAuthError::invalid_scope(
                "this client may not obtain tokens without a user for any scope",
            ));
        }
        let now = provider.clock.now();
        // §4.4.3: a refresh token SHOULD NOT be included.
        let audience = resources::requested(provider, params).await?;
        let access = Access::for_client(provider, client, None, audience.clone());
        let minted = tokens::mint(&provider.settings, now, &scope, Refresh::None, access)?;
        let mut grant = tokens::new_grant(&client.client_id, None, now);
        grant.resources = audience;
        grant.client_version = client.version;
        provider.store.issue_grant(&grant, &minted.rows).await?;
        Ok(minted.response)
    }
}

/// The grant for a client as this node keeps it in memory (PostgreSQL:
/// [`crate::store::ClientStore::cached_client`]), which makes an issuance
/// one statement, the insert. Only a success is taken from it, and that
/// insert happens only if the client is still at the cached version; a
/// refusal of any kind (a secret the copy does not know, a scope it lacks,
/// a changed client) is `None`, and the request is decided again from a
/// fresh read, with the brute-force limits. A secret a person chose is
/// left to that path too: Argon2 costs far more than the read.
pub async fn from_cache(
    provider: &Provider,
    request: &ClientRequest<'_>,
) -> Result<Option<TokenResponse>, OAuthError> {
    let Some(client) = client_auth::cached_caller(provider, request).await? else {
        return Ok(None);
    };
    if client.allows_grant(GrantType::ClientCredentials) {
        match ClientCredentials.exchange(provider, &client, request).await {
            Ok(issued) => return Ok(Some(issued)),
            // Asking again would only wait for the database once more.
            Err(error) if error.code == ErrorCode::TemporarilyUnavailable => return Err(error),
            Err(_) => {}
        }
    }
    provider.store.forget_cached_client(&client.client_id);
    Ok(None)
}

/// What a client may obtain with no user involved. The operator vouches
/// for the clients it registers; a client any signed-in user registered
/// could be an attacker's, so it gets only the scopes the operator opened
/// to such clients (SPEC §8).
fn userless_scope(provider: &Provider, client: &Client) -> String {
    if client.registrant.is_operator() {
        return client.scope.clone();
    }
    let open = &provider.settings.self_registered_client_credentials_scopes;
    client
        .scope
        .split_whitespace()
        .filter(|scope| open.iter().any(|o| o == scope))
        .collect::<Vec<_>>()
        .join(" ")
}
