//! Issuing ID tokens at the token endpoint (OpenID Connect Core §3.1.3.3,
//! §3.1.3.6, §12.2): from the code's recorded sign-in, with the user's
//! claims as released, signed with the client's algorithm.

use super::oidc::claims_request::{released, Target};
use super::oidc::context::GrantContext;
use super::oidc::id_token::IdTokenClaims;
use super::tokens::signing_failed;
use super::{OAuthError, Provider};
use crate::store::Client;

/// What the ID token is issued with.
pub struct IdTokenRequest<'a> {
    pub client: &'a Client,
    pub user_id: i64,
    /// The granted scope (claims are released by it, Core §5.4).
    pub scope: &'a str,
    pub context: &'a GrantContext,
    /// The access token issued beside it (`at_hash`).
    pub access_token: &'a str,
    /// A refresh: the same sign-in, no `nonce` (Core §12.2).
    pub refreshed: bool,
}

pub async fn issue(provider: &Provider, request: IdTokenRequest<'_>) -> Result<String, OAuthError> {
    let now = provider.clock.now();
    let user = provider
        .store
        .user_by_id(request.user_id)
        .await?
        .ok_or_else(|| OAuthError::invalid_grant("the user of this grant no longer exists"))?;
    let scopes: Vec<&str> = request.scope.split_whitespace().collect();
    // An access token is always issued beside it: scope claims go to the
    // UserInfo endpoint; only claims asked for in the ID token go here.
    let claims = released(
        &user.claims,
        &scopes,
        &request.context.claims_request(),
        Target::IdToken {
            access_token_issued: true,
        },
    );
    let alg = request.client.id_token_signed_response_alg;
    let authentication = request.context.authentication(request.user_id);
    let (issuer, client_id, lifetime) = (
        &provider.settings.issuer,
        &request.client.client_id,
        provider.settings.id_token_ttl,
    );
    let id_token = if request.refreshed {
        IdTokenClaims::refreshed(issuer, client_id, &authentication, now, lifetime)
    } else {
        IdTokenClaims::new(issuer, client_id, &authentication, now, lifetime)
            .with_nonce(request.context.nonce.as_deref())
    };
    let id_token = id_token
        .with_access_token(alg, request.access_token)
        .with_claims(claims);
    provider
        .keys
        .ring()
        .sign(alg, None, &id_token, now)
        .map_err(signing_failed)
}
