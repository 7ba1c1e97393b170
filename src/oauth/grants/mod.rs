//! The token endpoint's grants, a registry keyed by `grant_type` (RFC 6749
//! §4): adding a grant (device code, token exchange) is adding a file here.

mod authorization_code;
mod client_credentials;
mod password;
mod refresh_token;

use super::client_auth::{self, BasicCredentials};
use super::tokens::TokenResponse;
use super::{ErrorCode, OAuthError, Params, Provider};
use crate::store::Client;
use async_trait::async_trait;

#[async_trait]
pub trait Grant: Send + Sync {
    fn grant_type(&self) -> &'static str;
    /// Issues tokens to an authenticated client allowed this grant type.
    async fn exchange(
        &self,
        provider: &Provider,
        client: &Client,
        params: &Params,
    ) -> Result<TokenResponse, OAuthError>;
}

pub struct Registry(Vec<Box<dyn Grant>>);

impl Registry {
    pub fn standard() -> Self {
        Registry(vec![
            Box::new(authorization_code::AuthorizationCode),
            Box::new(password::Password),
            Box::new(client_credentials::ClientCredentials),
            Box::new(refresh_token::RefreshToken),
        ])
    }

    pub fn names(&self) -> Vec<&'static str> {
        self.0.iter().map(|g| g.grant_type()).collect()
    }

    fn find(&self, grant_type: &str) -> Option<&dyn Grant> {
        self.0
            .iter()
            .find(|g| g.grant_type() == grant_type)
            .map(|g| g.as_ref())
    }
}

/// The token endpoint (RFC 6749 §3.2): authenticate, dispatch, issue.
pub async fn token_request(
    provider: &Provider,
    basic: Option<&BasicCredentials>,
    params: &Params,
) -> Result<TokenResponse, OAuthError> {
    let grant_type = params.require("grant_type")?;
    let client = client_auth::authenticate(provider.store.as_ref(), basic, params).await?;
    let grant = provider.grants.find(grant_type).ok_or_else(|| {
        OAuthError::new(
            ErrorCode::UnsupportedGrantType,
            "this grant type is not supported",
        )
    })?;
    if !client.allows_grant(grant_type) {
        return Err(OAuthError::unauthorized_client(format!(
            "this client is not registered for the {grant_type} grant"
        )));
    }
    grant.exchange(provider, &client, params).await
}

/// The refresh_token grant is offered alongside grants that have a user when
/// the client may use it (SPEC §2; never for client_credentials).
fn refresh_allowed(client: &Client) -> bool {
    client.allows_grant("refresh_token")
}
