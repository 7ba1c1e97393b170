//! The token endpoint's grants, a registry keyed by `grant_type` (RFC 6749
//! §4): adding a grant (device code, token exchange) is adding a file here
//! and a variant to [`GrantType`].

mod authorization_code;
mod client_credentials;
mod password;
mod refresh_token;

use super::client_auth::{self, ClientRequest};
use super::tokens::TokenResponse;
use super::vocabulary::GrantType;
use super::{ErrorCode, OAuthError, Provider};
use crate::store::Client;
use async_trait::async_trait;

#[async_trait]
pub trait Grant: Send + Sync {
    fn grant_type(&self) -> GrantType;
    /// Issues tokens to an authenticated client allowed this grant type.
    async fn exchange(
        &self,
        provider: &Provider,
        client: &Client,
        request: &ClientRequest<'_>,
    ) -> Result<TokenResponse, OAuthError>;
}

/// The grants answered at the token endpoint. The implicit grant has none:
/// it is answered at the authorization endpoint.
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

    fn find(&self, grant_type: GrantType) -> Option<&dyn Grant> {
        self.0
            .iter()
            .find(|g| g.grant_type() == grant_type)
            .map(|g| g.as_ref())
    }
}

/// The token endpoint (RFC 6749 §3.2): authenticate, dispatch, issue.
pub async fn token_request(
    provider: &Provider,
    request: &ClientRequest<'_>,
) -> Result<TokenResponse, OAuthError> {
    let unsupported = || {
        OAuthError::new(
            ErrorCode::UnsupportedGrantType,
            "this grant type is not supported",
        )
    };
    let grant_type = request.params.require("grant_type")?;
    if grant_type == GrantType::ClientCredentials.as_str() {
        if let Some(issued) = client_credentials::from_cache(provider, request).await? {
            provider.metrics.token_issued(GrantType::ClientCredentials);
            return Ok(issued);
        }
    }
    let client = client_auth::authenticate(provider, request).await?;
    let grant_type: GrantType = grant_type.parse().map_err(|_| unsupported())?;
    let grant = provider.grants.find(grant_type).ok_or_else(unsupported)?;
    if !client.allows_grant(grant_type) {
        return Err(OAuthError::unauthorized_client(format!(
            "this client is not registered for the {grant_type} grant"
        )));
    }
    let issued = grant.exchange(provider, &client, request).await?;
    provider.metrics.token_issued(grant_type);
    Ok(issued)
}

/// A refresh token is offered alongside grants that have a user when the
/// client may use the refresh_token grant (SPEC §2; never for
/// client_credentials). An OpenID Connect authorization gets one only with
/// `offline_access` (Core §11: access while the user is not signed in is
/// what that scope asks for, and is what the user consented to).
fn refresh_allowed(client: &Client, scope: &str, openid: bool) -> bool {
    client.allows_grant(GrantType::RefreshToken)
        && (!openid || super::scope::contains(scope, super::oidc::prompt::OFFLINE_ACCESS))
}

#[cfg(test)]
mod tests;
