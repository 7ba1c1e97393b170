//! Protecting resources with bearer tokens (RFC 6750 §3).

use super::scope;
use super::tokens;
use super::OAuthError;
use super::Provider;
use crate::store::{TokenKind, TokenRecord};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BearerError {
    /// §3.1: no credentials at all → 401 without an error code.
    Missing,
    /// §3.1 invalid_request → 400: the token sent more than one way
    /// (§2: "MUST NOT use more than one method"), or a malformed request.
    InvalidRequest(&'static str),
    /// Expired, revoked, unknown or malformed → 401 invalid_token.
    InvalidToken,
    /// Bound to other resources (RFC 8707) → 401 invalid_token: a resource
    /// must refuse a token meant for another (RFC 9068 §4; MCP
    /// authorization, "Token Audience Binding and Validation").
    WrongAudience,
    /// The token lacks the scope the resource needs → 403.
    InsufficientScope(&'static str),
    /// The resource is about a user and the token has none
    /// (client_credentials) → 403.
    NeedsUser,
    Unavailable(OAuthError),
}

/// What a resource requires of its callers.
#[derive(Debug, Clone, Copy)]
pub struct Requirement {
    /// The token must hold one of these scopes (an API may know its scope
    /// by more than one name); none listed: any scope will do.
    pub any_scope: &'static [&'static str],
    /// The resource is about a user: a client_credentials token won't do.
    pub user: bool,
}

/// Checks a bearer token for a resource. `resource` is the resource's
/// identifier when it is one tokens may be bound to: a token bound to
/// others is refused there, one bound to none is accepted (as before RFC
/// 8707: the seeds' flows name no resource).
pub async fn verify(
    provider: &Provider,
    token: Option<&str>,
    requirement: Requirement,
    resource: Option<&str>,
) -> Result<TokenRecord, BearerError> {
    let token = token.ok_or(BearerError::Missing)?;
    let record = provider
        .store
        .token(&tokens::presented_key(provider, token))
        .await
        .map_err(|e| BearerError::Unavailable(e.into()))?
        .ok_or(BearerError::InvalidToken)?;
    if record.kind != TokenKind::Access || !record.is_active(provider.clock.now()) {
        return Err(BearerError::InvalidToken);
    }
    let bound_elsewhere = resource.is_some_and(|resource| {
        !record.audience.is_empty() && !record.audience.iter().any(|aud| aud == resource)
    });
    if bound_elsewhere {
        return Err(BearerError::WrongAudience);
    }
    if requirement.user && record.user_id.is_none() {
        return Err(BearerError::NeedsUser);
    }
    if let Some(&first) = requirement.any_scope.first() {
        let held = |needed: &&str| scope::contains(&record.scope, needed);
        if !requirement.any_scope.iter().any(held) {
            // One scope to ask for (RFC 6750 §3): the first alternative.
            return Err(BearerError::InsufficientScope(first));
        }
    }
    Ok(record)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oauth::testing::*;
    use crate::oauth::tokens::{self, Access, Refresh};

    /// Issues tokens with `scope`, for a user or not; returns (access, refresh).
    async fn issued(core: &Core, scope: &str, user: Option<i64>) -> (String, Option<String>) {
        let (client, _) = core.confidential().await;
        let minted = tokens::mint(
            &core.provider.settings,
            NOW,
            scope,
            Refresh::WithScope(scope),
            Access::opaque(),
        )
        .unwrap();
        let grant = tokens::new_grant(&client.client_id, user, NOW);
        core.provider
            .store
            .issue_grant(&grant, &minted.rows)
            .await
            .unwrap();
        (minted.response.access_token, minted.response.refresh_token)
    }

    const ANY: Requirement = Requirement {
        any_scope: &[],
        user: false,
    };

    #[tokio::test]
    async fn no_token_is_missing_and_a_bad_expired_or_refresh_token_invalid() {
        let core = Core::new().await;
        assert_eq!(
            verify(&core.provider, None, ANY, None).await.unwrap_err(),
            BearerError::Missing
        );
        let invalid = verify(&core.provider, Some("garbage"), ANY, None)
            .await
            .unwrap_err();
        assert_eq!(invalid, BearerError::InvalidToken);
        let (access, refresh) = issued(&core, "profile", Some(1)).await;
        let refresh = verify(&core.provider, refresh.as_deref(), ANY, None)
            .await
            .unwrap_err();
        assert_eq!(
            refresh,
            BearerError::InvalidToken,
            "a refresh token is not a bearer token"
        );
        assert!(verify(&core.provider, Some(&access), ANY, None)
            .await
            .is_ok());
        core.provider.clock.advance(3600);
        let expired = verify(&core.provider, Some(&access), ANY, None)
            .await
            .unwrap_err();
        assert_eq!(expired, BearerError::InvalidToken);
    }

    #[tokio::test]
    async fn a_resource_may_need_a_user_and_one_of_its_scopes() {
        let core = Core::new().await;
        let (userless, _) = issued(&core, "read", None).await;
        let about_a_user = Requirement {
            any_scope: &[],
            user: true,
        };
        let refused = verify(&core.provider, Some(&userless), about_a_user, None)
            .await
            .unwrap_err();
        assert_eq!(refused, BearerError::NeedsUser);
        let writing = Requirement {
            any_scope: &["write", "admin"],
            user: false,
        };
        let refused = verify(&core.provider, Some(&userless), writing, None)
            .await
            .unwrap_err();
        assert_eq!(refused, BearerError::InsufficientScope("write"));
        let (admin, _) = issued(&core, "admin", None).await;
        assert!(verify(&core.provider, Some(&admin), writing, None)
            .await
            .is_ok());
    }
}
