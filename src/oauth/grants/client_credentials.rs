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
        provider.store.issue_grant(&grant, &minted.rows).await?;
        Ok(minted.response)
    }
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
