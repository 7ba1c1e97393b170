//! How records become columns and back, for both engines: each engine reads
//! its columns into the plain shapes here, and the conversions (enum codes,
//! word lists, JSON lists) are written once.

use super::*;
use crate::oauth::vocabulary::{parse_words, AuthMethod};

/// The stored code of a token kind.
pub fn token_kind_code(kind: TokenKind) -> i16 {
    match kind {
        TokenKind::Access => 0,
        TokenKind::Refresh => 1,
    }
}

pub fn token_kind(code: i64) -> Result<TokenKind, String> {
    match code {
        0 => Ok(TokenKind::Access),
        1 => Ok(TokenKind::Refresh),
        other => Err(format!("unknown token kind {other}")),
    }
}

/// A client's columns as stored: lists as text.
pub struct ClientColumns {
    pub client_id: String,
    pub client_name: String,
    pub client_uri: Option<String>,
    pub secret_hash: Option<String>,
    /// A JSON array.
    pub redirect_uris: String,
    /// Space-separated.
    pub grant_types: String,
    /// Space-separated.
    pub response_types: String,
    pub scope: String,
    pub token_endpoint_auth_method: String,
    pub owner_id: Option<i64>,
    pub resource_server: bool,
    pub client_id_issued_at: i64,
    pub client_secret_expires_at: i64,
}

impl ClientColumns {
    pub fn of(client: &Client) -> Self {
        ClientColumns {
            client_id: client.client_id.clone(),
            client_name: client.client_name.clone(),
            client_uri: client.client_uri.clone(),
            secret_hash: client.secret_hash.clone(),
            redirect_uris: serde_json::Value::from(client.redirect_uris.clone()).to_string(),
            grant_types: crate::oauth::vocabulary::join_words(&client.grant_types),
            response_types: crate::oauth::vocabulary::join_words(&client.response_types),
            scope: client.scope.clone(),
            token_endpoint_auth_method: client.token_endpoint_auth_method.as_str().to_owned(),
            owner_id: client.registrant.owner(),
            resource_server: client.resource_server,
            client_id_issued_at: client.client_id_issued_at,
            client_secret_expires_at: client.client_secret_expires_at,
        }
    }

    /// The client, or why the stored row is not one.
    pub fn into_client(self) -> Result<Client, String> {
        Ok(Client {
            redirect_uris: serde_json::from_str(&self.redirect_uris)
                .map_err(|error| format!("redirect_uris: {error}"))?,
            // No column yet: read as none registered.
            post_logout_redirect_uris: Vec::new(),
            grant_types: parse_words(&self.grant_types)?,
            response_types: parse_words(&self.response_types)?,
            token_endpoint_auth_method: self
                .token_endpoint_auth_method
                .parse::<AuthMethod>()
                .map_err(|_| format!("unknown auth method {}", self.token_endpoint_auth_method))?,
            client_id: self.client_id,
            client_name: self.client_name,
            client_uri: self.client_uri,
            secret_hash: self.secret_hash,
            scope: self.scope,
            registrant: Registrant::from_owner(self.owner_id),
            resource_server: self.resource_server,
            client_id_issued_at: self.client_id_issued_at,
            client_secret_expires_at: self.client_secret_expires_at,
        })
    }
}
