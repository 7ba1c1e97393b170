//! Protecting resources with bearer tokens (RFC 6750 §3).

use super::scope;
use super::OAuthError;
use super::Provider;
use crate::crypto;
use crate::store::{TokenKind, TokenRecord};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BearerError {
    /// §3.1: no credentials at all → 401 without an error code.
    Missing,
    /// Expired, revoked, unknown or malformed → 401 invalid_token.
    InvalidToken,
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

pub async fn authorize(
    provider: &Provider,
    token: Option<&str>,
    requirement: Requirement,
) -> Result<TokenRecord, BearerError> {
    let token = token.ok_or(BearerError::Missing)?;
    let record = provider
        .store
        .token(&crypto::token_key(token))
        .await
        .map_err(|e| BearerError::Unavailable(e.into()))?
        .ok_or(BearerError::InvalidToken)?;
    if record.kind != TokenKind::Access || !record.is_active(crate::time::now()) {
        return Err(BearerError::InvalidToken);
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
