//! Minting tokens and the successful token response (RFC 6749 §5.1).

use super::Settings;
use crate::crypto;
use crate::store::{NewGrant, NewToken, TokenKind};
use serde::Serialize;

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

pub fn mint(settings: &Settings, now: i64, scope: &str, refresh: Refresh<'_>) -> Minted {
    let access_token = crypto::new_token();
    let mut rows = vec![NewToken {
        key: crypto::token_key(&access_token),
        kind: TokenKind::Access,
        scope: scope.to_owned(),
        issued_at: now,
        expires_at: now + settings.access_token_ttl,
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
            });
            Some(token)
        }
    };
    Minted {
        response: TokenResponse {
            access_token,
            token_type: "Bearer",
            expires_in: settings.access_token_ttl,
            scope: scope.to_owned(),
            refresh_token_expires_in: refresh_token.as_ref().map(|_| settings.refresh_token_ttl),
            refresh_token,
        },
        rows,
    }
}

pub fn new_grant(client_id: &str, user_id: Option<i64>, now: i64) -> NewGrant {
    NewGrant {
        client_id: client_id.to_owned(),
        user_id,
        created_at: now,
        oidc: None,
    }
}
