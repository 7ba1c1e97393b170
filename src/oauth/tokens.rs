//! Minting tokens and the successful token response (RFC 6749 §5.1), and
//! finding a presented token's row.
//!
//! An access token is opaque by default: 256 random bits behind a
//! time-ordered id, stored only as its key (`crypto::token_key`). A client
//! registered for JWT access tokens gets RFC 9068 tokens instead, signed by
//! the same keys as ID tokens so that resource servers can verify them
//! offline; their `jti` is such a random value and the row is keyed by it,
//! so introspection, revocation and `/api/me` treat both alike. A revoked
//! JWT stays verifiable offline until it expires, so its lifetime is short
//! (`Settings::jwt_access_token_ttl`).

use super::oidc::id_token::{subject, Audience};
use super::{OAuthError, Provider, Settings};
use crate::crypto;
use crate::keys::{KeyRing, SigningAlg};
use crate::oauth::vocabulary::AccessTokenFormat;
use crate::store::{Client, NewGrant, NewToken, TokenKey, TokenKind};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: i64,
    pub scope: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token_expires_in: Option<i64>,
    /// OpenID Connect Core §3.1.3.3.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
}

/// Fresh tokens: the answer for the client and the hashed rows to store.
pub struct Minted {
    pub response: TokenResponse,
    pub rows: Vec<NewToken>,
}

/// What a refresh token minted alongside an access token carries.
pub enum Refresh<'a> {
    None,
    /// A new refresh token with this scope (RFC 6749 §6: on rotation it
    /// keeps the scope of the one it replaces, even if the access is narrower).
    WithScope(&'a str),
}

/// How an access token is written, and which resources it is for.
pub struct Access {
    format: Format,
    /// RFC 8707 §2: the resources named for it (its `aud`); empty: none.
    audience: Vec<String>,
}

enum Format {
    Opaque,
    /// An RFC 9068 JWT.
    Jwt(JwtAccess),
}

/// What an RFC 9068 access token says besides its scope, times and
/// audience.
struct JwtAccess {
    ring: Arc<KeyRing>,
    alg: SigningAlg,
    issuer: String,
    client_id: String,
    /// The user's subject, or the client's id when there is no user
    /// (RFC 9068 §2.2).
    subject: String,
    /// `aud` when no resource was named: the example API.
    default_audience: String,
}

impl Access {
    /// An opaque token for no resource in particular.
    pub fn opaque() -> Self {
        Access {
            format: Format::Opaque,
            audience: Vec::new(),
        }
    }

    /// The format `client` registered for, for a token of `user_id` bound
    /// to `audience`.
    pub fn for_client(
        provider: &Provider,
        client: &Client,
        user_id: Option<i64>,
        audience: Vec<String>,
    ) -> Self {
        let format = match client.access_token_format {
            AccessTokenFormat::Opaque => Format::Opaque,
            AccessTokenFormat::Jwt => Format::Jwt(JwtAccess {
                ring: provider.keys.ring(),
                alg: client.id_token_signed_response_alg,
                issuer: provider.settings.issuer.clone(),
                client_id: client.client_id.clone(),
                subject: user_id.map_or_else(|| client.client_id.clone(), subject),
                default_audience: provider.settings.default_resource(),
            }),
        };
        Access { format, audience }
    }
}

/// RFC 9068 §2.2's claims.
#[derive(Serialize, Deserialize)]
struct AccessClaims {
    iss: String,
    exp: i64,
    aud: Audience,
    sub: String,
    client_id: String,
    iat: i64,
    jti: String,
    scope: String,
}

pub fn mint(
    settings: &Settings,
    now: i64,
    scope: &str,
    refresh: Refresh<'_>,
    access: Access,
) -> Result<Minted, OAuthError> {
    // The value whose key is stored: the token itself, or a JWT's `jti`.
    let id = crypto::new_token();
    let (access_token, lifetime) = match access.format {
        Format::Opaque => (id.clone(), settings.access_token_ttl),
        Format::Jwt(jwt) => {
            let lifetime = settings.jwt_access_token_ttl;
            let claims = AccessClaims {
                iss: jwt.issuer,
                exp: now + lifetime,
                aud: Audience::of(&access.audience).unwrap_or(Audience::One(jwt.default_audience)),
                sub: jwt.subject,
                client_id: jwt.client_id,
                iat: now,
                jti: id.clone(),
                scope: scope.to_owned(),
            };
            let token = jwt
                .ring
                .sign(jwt.alg, Some(JWT_ACCESS_TOKEN_TYPE), &claims, now)
                .map_err(signing_failed)?;
            (token, lifetime)
        }
    };
    let mut rows = vec![NewToken {
        key: crypto::token_key(&id),
        kind: TokenKind::Access,
        scope: scope.to_owned(),
        issued_at: now,
        expires_at: now + lifetime,
        audience: access.audience,
    }];
    let refresh_token = match refresh {
        Refresh::None => None,
        Refresh::WithScope(refresh_scope) => {
            let token = crypto::new_token();
            rows.push(NewToken {
                key: crypto::token_key(&token),
                kind: TokenKind::Refresh,
                scope: refresh_scope.to_owned(),
                issued_at: now,
                expires_at: now + settings.refresh_token_ttl,
                // A refresh token goes to this server only (RFC 8707 §2.2).
                audience: Vec::new(),
            });
            Some(token)
        }
    };
    Ok(Minted {
        response: TokenResponse {
            access_token,
            token_type: "Bearer",
            expires_in: lifetime,
            scope: scope.to_owned(),
            refresh_token_expires_in: refresh_token.as_ref().map(|_| settings.refresh_token_ttl),
            refresh_token,
            id_token: None,
        },
        rows,
    })
}

/// RFC 9068 §2.1: the `typ` of JWT access tokens.
const JWT_ACCESS_TOKEN_TYPE: &str = "at+jwt";

/// A missing signing key is the server's fault, never the client's.
pub(crate) fn signing_failed(error: crate::keys::KeyError) -> OAuthError {
    tracing::error!(%error, "cannot sign");
    OAuthError::new(
        super::ErrorCode::ServerError,
        "the token could not be signed",
    )
}

/// The stored key of a presented token: a JWT access token of ours is
/// found by its `jti` (once its signature and `iss` check out, and while
/// it has not expired); anything else by itself. A JWT that does not verify
/// gets a key no token has.
pub fn presented_key(provider: &Provider, token: &str) -> TokenKey {
    if token.bytes().filter(|&b| b == b'.').count() == 2 {
        let verified: Option<AccessClaims> = provider
            .keys
            .ring()
            .verify(
                token,
                Some(JWT_ACCESS_TOKEN_TYPE),
                &provider.settings.issuer,
                0,
            )
            .ok();
        if let Some(claims) = verified {
            return crypto::token_key(&claims.jti);
        }
    }
    crypto::token_key(token)
}

pub fn new_grant(client_id: &str, user_id: Option<i64>, now: i64) -> NewGrant {
    NewGrant {
        client_id: client_id.to_owned(),
        user_id,
        created_at: now,
        oidc: None,
        resources: Vec::new(),
        client_version: None,
    }
}
