//! Client credentials grant (RFC 6749 §4.4).

use super::*;
use crate::oauth::scope;
use crate::oauth::tokens::{self, Refresh};

pub struct ClientCredentials;

#[async_trait]
impl Grant for ClientCredentials {
    fn grant_type(&self) -> &'static str {
        "client_credentials"
    }

    async fn exchange(
        &self,
        provider: &Provider,
        client: &Client,
        params: &Params,
    ) -> Result<TokenResponse, OAuthError> {
        // §4.4: only confidential clients may use this grant.
        if client.is_public() {
            return Err(OAuthError::unauthorized_client(
                "public clients cannot use client_credentials",
            ));
        }
        let scope = scope::resolve(params.get("scope"), &client.scope)?;
        let now = crate::time::now();
        // §4.4.3: a refresh token SHOULD NOT be included.
        let minted = tokens::mint(&provider.settings, now, &scope, Refresh::None);
        let grant = tokens::new_grant(&client.client_id, None, now);
        provider.store.issue_grant(&grant, &minted.rows).await?;
        Ok(minted.response)
    }
}
