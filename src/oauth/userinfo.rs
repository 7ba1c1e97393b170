//! The UserInfo endpoint (OpenID Connect Core §5.3): the claims of the
//! access token's user that the granted scopes cover (§5.4) or the grant's
//! `claims` parameter sent here (§5.5), as JSON, or as a JWT signed with
//! the algorithm the client registered (§5.3.2).

use super::bearer::{self, BearerError, Requirement};
use super::oidc::claims_request::{released, Target};
use super::oidc::id_token::subject;
use super::oidc::OPENID;
use super::tokens::signing_failed;
use super::{OAuthError, Provider};
use serde_json::{Map, Value};

/// §5.3.1: the token must have been issued for OpenID Connect, and for a
/// user.
const REQUIREMENT: Requirement = Requirement {
    any_scope: &[OPENID],
    user: true,
};

#[derive(Debug, Clone, PartialEq)]
pub enum UserInfo {
    /// `application/json`.
    Json(Map<String, Value>),
    /// `application/jwt`, for a client registered with
    /// `userinfo_signed_response_alg`.
    Signed(String),
}

pub async fn userinfo(provider: &Provider, token: Option<&str>) -> Result<UserInfo, BearerError> {
    // This server's own endpoint: any audience will do.
    let record = bearer::verify(provider, token, REQUIREMENT, None).await?;
    let unavailable = |error: OAuthError| BearerError::Unavailable(error);
    let user_id = record.user_id.ok_or(BearerError::NeedsUser)?;
    let store = provider.store.as_ref();
    let (user, client) =
        tokio::try_join!(store.user_by_id(user_id), store.client(&record.client_id))
            .map_err(|e| unavailable(e.into()))?;
    // A deleted user or client left no active token behind (`bearer::verify`
    // sees to the client); a user deleted since is as good as revoked.
    let (Some(user), Some(client)) = (user, client) else {
        return Err(BearerError::InvalidToken);
    };
    let scopes: Vec<&str> = record.scope.split_whitespace().collect();
    let requested = record
        .oidc
        .as_ref()
        .map(|context| context.claims_request())
        .unwrap_or_default();
    let mut claims = Map::new();
    // §5.3.2: `sub` always, and first.
    claims.insert("sub".into(), subject(user_id).into());
    claims.extend(released(
        &user.claims,
        &scopes,
        &requested,
        Target::UserInfo,
    ));
    let Some(alg) = client.userinfo_signed_response_alg else {
        return Ok(UserInfo::Json(claims));
    };
    // §5.3.2: a signed answer carries `iss` and `aud` too.
    claims.insert("iss".into(), provider.settings.issuer.clone().into());
    claims.insert("aud".into(), client.client_id.into());
    let now = provider.clock.now();
    provider
        .keys
        .ring()
        .sign(alg, None, &claims, now)
        .map(UserInfo::Signed)
        .map_err(|e| unavailable(signing_failed(e)))
}
