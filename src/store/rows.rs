//! How records become columns and back, written once for both engines.
//!
//! Each engine selects the columns listed by the `*_columns!` macros, in
//! their order, and hands its row to the readers here through [`Row`], so
//! the conversions (enum codes, word lists, JSON lists, joined flags) exist
//! once. The SQL text stays per engine: placeholders and types differ.
//!
//! Longer than our other files on purpose: it is a table of every record
//! (a column list beside its reader, a few lines each), and one table is
//! where a reviewer checks that a column added to a record is selected,
//! read and written by both engines.

use super::*;
use crate::keys::{Jwk, SigningAlg, StoredKey};
use crate::oauth::oidc::claims::UserClaims;
use crate::oauth::oidc::context::GrantContext;
use crate::oauth::vocabulary::{
    join_words, parse_words, AccessTokenFormat, ApplicationType, AuthMethod,
};

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
    fn bytes(&self, column: usize) -> Result<Vec<u8>, RowError>;
}

/// A stored token key.
fn token_key(row: &dyn Row, column: usize) -> Result<TokenKey, RowError> {
    let bytes = row.bytes(column)?;
    let key = bytes
        .try_into()
        .map_err(|_| RowError::new(column, "a token key of the wrong length"))?;
    Ok(TokenKey(key))
}

/// A JSON column as a value.
fn json<T: serde::de::DeserializeOwned>(row: &dyn Row, column: usize) -> Result<T, RowError> {
    serde_json::from_str(&row.text(column)?).map_err(|e| RowError::new(column, e))
}

/// A nullable JSON column as a value.
fn opt_json<T: serde::de::DeserializeOwned>(
    row: &dyn Row,
    column: usize,
) -> Result<Option<T>, RowError> {
    row.opt_text(column)?
        .map(|text| serde_json::from_str(&text).map_err(|e| RowError::new(column, e)))
        .transpose()
}

/// A column holding one of our words (an algorithm, a format, …).
fn word<T: std::str::FromStr>(row: &dyn Row, column: usize) -> Result<T, RowError> {
    let text = row.text(column)?;
    text.parse()
        .map_err(|_| RowError::new(column, format!("unknown value {text}")))
}

/// The stored form of a value kept as JSON.
pub fn to_json(value: &impl serde::Serialize) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "null".into())
}

/// The stored form of a list of resources: space-separated (URIs have no
/// spaces), NULL when empty.
pub fn resources_text(resources: &[String]) -> Option<String> {
    (!resources.is_empty()).then(|| resources.join(" "))
}

/// A list of resources as [`resources_text`] stored it.
fn resources(row: &dyn Row, column: usize) -> Result<Vec<String>, RowError> {
    Ok(row
        .opt_text(column)?
        .map(|text| text.split(' ').map(str::to_owned).collect())
        .unwrap_or_default())
}

/// The stored form of an optional grant context.
pub fn context_json(context: &Option<GrantContext>) -> Option<String> {
    context.as_ref().map(to_json)
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
        "id, username, password_hash, claims, disabled"
    };
}
pub(crate) use user_columns;

pub fn user(row: &dyn Row) -> Result<User, RowError> {
    Ok(User {
        id: row.int(0)?,
        username: row.text(1)?,
        password_hash: row.text(2)?,
        claims: json::<UserClaims>(row, 3)?,
        disabled: row.flag(4)?,
    })
}

macro_rules! client_columns {
    () => {
        "client_id, client_name, client_uri, secret_hash, redirect_uris, grant_types,
         response_types, scope, token_endpoint_auth_method, owner_id, resource_server,
         client_id_issued_at, client_secret_expires_at, post_logout_redirect_uris,
         id_token_signed_response_alg, userinfo_signed_response_alg, access_token_format,
         previous_secret_hash, previous_secret_expires_at, registrant"
    };
}
pub(crate) use client_columns;

/// How many columns `client_columns!` lists; `registrant` is the last, and
/// a join may select more after them (`client_registration_select!`).
const CLIENT_COLUMNS: usize = 20;
const REGISTRANT: usize = CLIENT_COLUMNS - 1;

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
    /// [`Registrant::kind`].
    pub registrant: &'static str,
    pub id_token_signed_response_alg: &'static str,
    pub userinfo_signed_response_alg: Option<&'static str>,
    pub access_token_format: &'static str,
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
            registrant: client.registrant.kind(),
            id_token_signed_response_alg: client.id_token_signed_response_alg.as_str(),
            userinfo_signed_response_alg: client
                .userinfo_signed_response_alg
                .map(SigningAlg::as_str),
            access_token_format: client.access_token_format.as_str(),
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
        registrant: registrant(&row.text(REGISTRANT)?, row.opt_int(9)?)?,
        resource_server: row.flag(10)?,
        client_id_issued_at: row.int(11)?,
        client_secret_expires_at: row.int(12)?,
        post_logout_redirect_uris: json(row, 13)?,
        id_token_signed_response_alg: word(row, 14)?,
        userinfo_signed_response_alg: row
            .opt_text(15)?
            .map(|alg| {
                alg.parse()
                    .map_err(|_| RowError::new(15, format!("unknown alg {alg}")))
            })
            .transpose()?,
        access_token_format: word::<AccessTokenFormat>(row, 16)?,
        previous_secret: match (row.opt_text(17)?, row.opt_int(18)?) {
            (Some(hash), Some(expires_at)) => Some(PreviousSecret { hash, expires_at }),
            _ => None,
        },
        version: None,
    })
}

/// A client's columns followed by its row's version.
pub fn versioned_client(row: &dyn Row) -> Result<Client, RowError> {
    Ok(Client {
        version: Some(row.int(CLIENT_COLUMNS)?),
        ..client(row)?
    })
}

fn registrant(kind: &str, owner_id: Option<i64>) -> Result<Registrant, RowError> {
    Registrant::from_stored(kind, owner_id).ok_or_else(|| {
        RowError::new(
            REGISTRANT,
            format!("registrant {kind} does not go with owner {owner_id:?}"),
        )
    })
}

/// A token joined with its grant, its client (missing: the client was
/// deleted, so the token is dead) and its user (disabled: dead too).
macro_rules! token_select {
    () => {
        "SELECT t.kind, t.grant_id, g.client_id, g.user_id, u.username, t.scope,
                t.issued_at, t.expires_at,
                (t.revoked OR g.revoked OR c.client_id IS NULL OR COALESCE(u.disabled, false))
                  AS revoked, t.used, g.oidc, t.audience, g.resources
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
        oidc: opt_json(row, 10)?,
        audience: resources(row, 11)?,
        grant_resources: resources(row, 12)?,
    })
}

/// A client's columns followed by a token's (`token_select!`), all NULL
/// when there is no such token: one row for [`Store::client_with_token`].
pub fn client_with_token(row: &dyn Row) -> Result<(Client, Option<TokenRecord>), RowError> {
    Ok((client(row)?, token_from(row, CLIENT_COLUMNS)?))
}

/// Whether a client is current, followed by a token's columns (NULL when
/// there is no such token): [`Store::token_checked`]'s row.
pub fn checked_token(row: &dyn Row) -> Result<Option<Option<TokenRecord>>, RowError> {
    if !row.flag(0)? {
        return Ok(None);
    }
    Ok(Some(token_from(row, 1)?))
}

/// The token whose `token_select!` columns start at `first`, if there is
/// one (a LEFT JOIN leaves them all NULL).
fn token_from(row: &dyn Row, first: usize) -> Result<Option<TokenRecord>, RowError> {
    let columns = Shifted(row, first);
    match columns.opt_int(0)? {
        Some(_) => Ok(Some(token(&columns)?)),
        None => Ok(None),
    }
}

/// A row read from a column on: the second record of a joined row.
struct Shifted<'a>(&'a dyn Row, usize);

impl Row for Shifted<'_> {
    fn text(&self, column: usize) -> Result<String, RowError> {
        self.0.text(self.1 + column)
    }
    fn opt_text(&self, column: usize) -> Result<Option<String>, RowError> {
        self.0.opt_text(self.1 + column)
    }
    fn int(&self, column: usize) -> Result<i64, RowError> {
        self.0.int(self.1 + column)
    }
    fn opt_int(&self, column: usize) -> Result<Option<i64>, RowError> {
        self.0.opt_int(self.1 + column)
    }
    fn flag(&self, column: usize) -> Result<bool, RowError> {
        self.0.flag(self.1 + column)
    }
    fn bytes(&self, column: usize) -> Result<Vec<u8>, RowError> {
        self.0.bytes(self.1 + column)
    }
}

macro_rules! code_columns {
    () => {
        "client_id, user_id, redirect_uri, redirect_uri_given, scope, code_challenge,
         expires_at, used, grant_id, oidc, resources"
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
        oidc: opt_json(row, 9)?,
        resources: resources(row, 10)?,
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

macro_rules! initial_access_token_columns {
    () => {
        "id, hash, created_at, expires_at, uses_left"
    };
}
pub(crate) use initial_access_token_columns;

pub fn initial_access_token(row: &dyn Row) -> Result<InitialAccessToken, RowError> {
    Ok(InitialAccessToken {
        id: row.text(0)?,
        key: token_key(row, 1)?,
        created_at: row.int(2)?,
        expires_at: row.int(3)?,
        uses_left: row.int(4)?,
    })
}

/// A self-registered client: its columns, then its registration's.
macro_rules! client_registration_select {
    () => {
        concat!(
            "SELECT ",
            $crate::store::rows::client_columns!(),
            ", r.application_type, r.hash
             FROM clients JOIN client_registrations r USING (client_id)"
        )
    };
}
pub(crate) use client_registration_select;

pub fn client_registration(row: &dyn Row) -> Result<ClientRegistration, RowError> {
    let application_type = row.text(CLIENT_COLUMNS)?;
    Ok(ClientRegistration {
        client: client(row)?,
        application_type: application_type.parse::<ApplicationType>().map_err(|_| {
            RowError::new(
                CLIENT_COLUMNS,
                format!("unknown application type {application_type}"),
            )
        })?,
        access_token: token_key(row, CLIENT_COLUMNS + 1)?,
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

macro_rules! signing_key_columns {
    () => {
        "kid, alg, public_jwk, encrypted_private, created_at, activates_at, retires_at,
         removes_at"
    };
}
pub(crate) use signing_key_columns;

pub fn signing_key(row: &dyn Row) -> Result<StoredKey, RowError> {
    Ok(StoredKey {
        kid: row.text(0)?,
        alg: word(row, 1)?,
        public_jwk: json::<Jwk>(row, 2)?,
        encrypted_private: row.bytes(3)?,
        created_at: row.int(4)?,
        activates_at: row.int(5)?,
        retires_at: row.opt_int(6)?,
        removes_at: row.opt_int(7)?,
    })
}

/// A consent joined with its client's name.
macro_rules! consent_select {
    () => {
        "SELECT k.client_id, c.client_name, k.scope, k.granted_at
         FROM consents k JOIN clients c ON c.client_id = k.client_id"
    };
}
pub(crate) use consent_select;

pub fn consent(row: &dyn Row) -> Result<ConsentRecord, RowError> {
    Ok(ConsentRecord {
        client_id: row.text(0)?,
        client_name: row.text(1)?,
        scope: row.text(2)?,
        granted_at: row.int(3)?,
    })
}

/// The union of two space-separated scopes, `held` first.
pub fn scope_union(held: &str, added: &str) -> String {
    let mut tokens: Vec<&str> = held.split_whitespace().collect();
    for token in added.split_whitespace() {
        if !tokens.contains(&token) {
            tokens.push(token);
        }
    }
    tokens.join(" ")
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

macro_rules! resource_columns {
    () => {
        "identifier, scope, created_at"
    };
}
pub(crate) use resource_columns;

pub fn resource(row: &dyn Row) -> Result<Resource, RowError> {
    Ok(Resource {
        identifier: row.text(0)?,
        scope: row.text(1)?,
        created_at: row.int(2)?,
    })
}

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
