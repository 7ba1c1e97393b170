//! How records become columns and back, written once for both engines.
//!
//! Each engine selects the columns listed by the `*_columns!` macros, in
//! their order, and hands its row to the readers here through [`Row`], so
//! the conversions (enum codes, word lists, JSON lists, joined flags) exist
//! once. The SQL text stays per engine: placeholders and types differ.

use super::*;
use crate::oauth::vocabulary::{join_words, parse_words, AuthMethod};

/// Why a stored row is not a record (a bug or a hand-edited database).
#[derive(Debug, thiserror::Error)]
#[error("column {column}: {reason}")]
pub struct RowError {
    pub column: usize,
    pub reason: String,
}

impl RowError {
    pub fn new(column: usize, reason: impl std::fmt::Display) -> Self {
        RowError {
            column,
            reason: reason.to_string(),
        }
    }
}

impl From<RowError> for StoreError {
    fn from(error: RowError) -> Self {
        StoreError::Database(error.to_string())
    }
}

/// A result row of either engine, read by column position (rusqlite finds
/// a column by name with a scan of all the names).
pub trait Row {
    fn text(&self, column: usize) -> Result<String, RowError>;
    fn opt_text(&self, column: usize) -> Result<Option<String>, RowError>;
    fn int(&self, column: usize) -> Result<i64, RowError>;
    fn opt_int(&self, column: usize) -> Result<Option<i64>, RowError>;
    /// A boolean, whatever the engine stores it as.
    fn flag(&self, column: usize) -> Result<bool, RowError>;
}

/// The stored code of a token kind.
pub fn token_kind_code(kind: TokenKind) -> i16 {
    match kind {
        TokenKind::Access => 0,
        TokenKind::Refresh => 1,
    }
}

fn token_kind(code: i64, column: usize) -> Result<TokenKind, RowError> {
    match code {
        0 => Ok(TokenKind::Access),
        1 => Ok(TokenKind::Refresh),
        other => Err(RowError::new(column, format!("unknown token kind {other}"))),
    }
}

macro_rules! user_columns {
    () => {
        "id, username, password_hash, disabled"
    };
}
pub(crate) use user_columns;

pub fn user(row: &dyn Row) -> Result<User, RowError> {
    Ok(User {
        id: row.int(0)?,
        username: row.text(1)?,
        password_hash: row.text(2)?,
        disabled: row.flag(3)?,
    })
}

macro_rules! client_columns {
    () => {
        "client_id, client_name, client_uri, secret_hash, redirect_uris, grant_types,
         response_types, scope, token_endpoint_auth_method, owner_id, resource_server,
         client_id_issued_at, client_secret_expires_at, post_logout_redirect_uris,
         previous_secret_hash, previous_secret_expires_at"
    };
}
pub(crate) use client_columns;

/// A client's values as stored, in the order of `client_columns!`: lists as
/// text.
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
    /// A JSON array.
    pub post_logout_redirect_uris: String,
    pub previous_secret_hash: Option<String>,
    pub previous_secret_expires_at: Option<i64>,
}

impl ClientColumns {
    pub fn of(client: &Client) -> Self {
        ClientColumns {
            client_id: client.client_id.clone(),
            client_name: client.client_name.clone(),
            client_uri: client.client_uri.clone(),
            secret_hash: client.secret_hash.clone(),
            redirect_uris: serde_json::Value::from(client.redirect_uris.clone()).to_string(),
            grant_types: join_words(&client.grant_types),
            response_types: join_words(&client.response_types),
            scope: client.scope.clone(),
            token_endpoint_auth_method: client.token_endpoint_auth_method.as_str().to_owned(),
            owner_id: client.registrant.owner(),
            resource_server: client.resource_server,
            client_id_issued_at: client.client_id_issued_at,
            client_secret_expires_at: client.client_secret_expires_at,
            post_logout_redirect_uris: serde_json::Value::from(
                client.post_logout_redirect_uris.clone(),
            )
            .to_string(),
            previous_secret_hash: client.previous_secret.as_ref().map(|p| p.hash.clone()),
            previous_secret_expires_at: client.previous_secret.as_ref().map(|p| p.expires_at),
        }
    }
}

pub fn client(row: &dyn Row) -> Result<Client, RowError> {
    let method = row.text(8)?;
    Ok(Client {
        client_id: row.text(0)?,
        client_name: row.text(1)?,
        client_uri: row.opt_text(2)?,
        secret_hash: row.opt_text(3)?,
        redirect_uris: serde_json::from_str(&row.text(4)?).map_err(|e| RowError::new(4, e))?,
        grant_types: parse_words(&row.text(5)?).map_err(|e| RowError::new(5, e))?,
        response_types: parse_words(&row.text(6)?).map_err(|e| RowError::new(6, e))?,
        scope: row.text(7)?,
        token_endpoint_auth_method: method
            .parse::<AuthMethod>()
            .map_err(|_| RowError::new(8, format!("unknown auth method {method}")))?,
        registrant: Registrant::from_owner(row.opt_int(9)?),
        resource_server: row.flag(10)?,
        client_id_issued_at: row.int(11)?,
        client_secret_expires_at: row.int(12)?,
        post_logout_redirect_uris: serde_json::from_str(&row.text(13)?)
            .map_err(|e| RowError::new(13, e))?,
        previous_secret: match (row.opt_text(14)?, row.opt_int(15)?) {
            (Some(hash), Some(expires_at)) => Some(PreviousSecret { hash, expires_at }),
            _ => None,
        },
    })
}

/// A token joined with its grant, its client (missing: the client was
/// deleted, so the token is dead) and its user (disabled: dead too).
macro_rules! token_select {
    () => {
        "SELECT t.kind, t.grant_id, g.client_id, g.user_id, u.username, t.scope,
                t.issued_at, t.expires_at,
                (t.revoked OR g.revoked OR c.client_id IS NULL OR COALESCE(u.disabled, false))
                  AS revoked, t.used
         FROM tokens t
         JOIN grants g ON g.id = t.grant_id
         LEFT JOIN clients c ON c.client_id = g.client_id
         LEFT JOIN users u ON u.id = g.user_id"
    };
}
pub(crate) use token_select;

pub fn token(row: &dyn Row) -> Result<TokenRecord, RowError> {
    Ok(TokenRecord {
        kind: token_kind(row.int(0)?, 0)?,
        grant_id: row.int(1)?,
        client_id: row.text(2)?,
        user_id: row.opt_int(3)?,
        username: row.opt_text(4)?,
        scope: row.text(5)?,
        issued_at: row.int(6)?,
        expires_at: row.int(7)?,
        revoked: row.flag(8)?,
        used: row.flag(9)?,
    })
}

macro_rules! code_columns {
    () => {
        "client_id, user_id, redirect_uri, redirect_uri_given, scope, code_challenge,
         expires_at, used, grant_id"
    };
}
pub(crate) use code_columns;

pub fn code(row: &dyn Row) -> Result<CodeRecord, RowError> {
    Ok(CodeRecord {
        client_id: row.text(0)?,
        user_id: row.int(1)?,
        redirect_uri: row.text(2)?,
        redirect_uri_given: row.flag(3)?,
        scope: row.text(4)?,
        code_challenge: row.opt_text(5)?,
        expires_at: row.int(6)?,
        used: row.flag(7)?,
        grant_id: row.opt_int(8)?,
    })
}

/// A session joined with its user.
macro_rules! session_select {
    () => {
        "SELECT s.user_id, u.username, s.created_at, s.expires_at
         FROM sessions s JOIN users u ON u.id = s.user_id"
    };
}
pub(crate) use session_select;

pub fn session(row: &dyn Row) -> Result<Session, RowError> {
    Ok(Session {
        user_id: row.int(0)?,
        username: row.text(1)?,
        created_at: row.int(2)?,
        expires_at: row.int(3)?,
    })
}

/// Counters as `key, count, window_start`.
pub fn failures(row: &dyn Row) -> Result<(String, Failures), RowError> {
    Ok((
        row.text(0)?,
        Failures {
            count: row.int(1)?,
            window_start: row.int(2)?,
        },
    ))
}

macro_rules! restaurant_columns {
    () => {
        "id, oid, name, address, days, opens, closes"
    };
}
pub(crate) use restaurant_columns;

pub fn restaurant(row: &dyn Row) -> Result<Restaurant, RowError> {
    Ok(Restaurant {
        id: row.int(0)?,
        oid: row.text(1)?,
        name: row.text(2)?,
        address: row.text(3)?,
        hours: OpeningHours {
            days: row.text(4)?,
            opens: row.text(5)?,
            closes: row.text(6)?,
        },
    })
}

/// New tokens as column arrays, for engines that insert them in one
/// statement.
pub struct TokenColumns<'a> {
    pub keys: Vec<&'a [u8]>,
    pub kinds: Vec<i16>,
    pub scopes: Vec<&'a str>,
    pub issued: Vec<i64>,
    pub expires: Vec<i64>,
}

impl<'a> TokenColumns<'a> {
    pub fn of(tokens: &'a [NewToken]) -> Self {
        TokenColumns {
            keys: tokens.iter().map(|t| &t.key.0[..]).collect(),
            kinds: tokens.iter().map(|t| token_kind_code(t.kind)).collect(),
            scopes: tokens.iter().map(|t| t.scope.as_str()).collect(),
            issued: tokens.iter().map(|t| t.issued_at).collect(),
            expires: tokens.iter().map(|t| t.expires_at).collect(),
        }
    }
}

macro_rules! grant_columns {
    () => {
        "id, client_id, user_id, created_at, revoked"
    };
}
pub(crate) use grant_columns;

pub fn grant(row: &dyn Row) -> Result<GrantRecord, RowError> {
    Ok(GrantRecord {
        id: row.int(0)?,
        client_id: row.text(1)?,
        user_id: row.opt_int(2)?,
        created_at: row.int(3)?,
        revoked: row.flag(4)?,
    })
}

macro_rules! admin_key_columns {
    () => {
        "name, key_hash, created_at"
    };
}
pub(crate) use admin_key_columns;

pub fn admin_key(row: &dyn Row) -> Result<AdminKey, RowError> {
    Ok(AdminKey {
        name: row.text(0)?,
        key_hash: row.text(1)?,
        created_at: row.int(2)?,
    })
}

macro_rules! audit_columns {
    () => {
        "id, at, kind, actor, client_id, address, outcome, detail"
    };
}
pub(crate) use audit_columns;

pub fn audit(row: &dyn Row) -> Result<StoredAudit, RowError> {
    let kind = row.text(2)?;
    let outcome = row.text(6)?;
    Ok(StoredAudit {
        id: row.int(0)?,
        record: AuditRecord {
            at: row.int(1)?,
            kind: kind
                .parse()
                .map_err(|_| RowError::new(2, format!("unknown audit kind {kind}")))?,
            actor: row.text(3)?,
            client_id: row.opt_text(4)?,
            address: row.opt_text(5)?,
            outcome: outcome
                .parse()
                .map_err(|_| RowError::new(6, format!("unknown outcome {outcome}")))?,
            detail: row.opt_text(7)?,
        },
    })
}
