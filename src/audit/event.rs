//! What an audit event says: a typed [`AuditEvent`] per security event,
//! made into the stored [`AuditRecord`] here, in one place. No variant has
//! a field that could hold a secret (a password, a token, a client secret,
//! an admin key): the type is the guarantee, and
//! tests/secrets_not_logged.rs checks the stored rows too.

use crate::store::AuditRecord;
use serde::{Deserialize, Serialize};
use std::net::IpAddr;
use strum::{Display, EnumString, IntoStaticStr, VariantArray};

/// The kinds of events, as stored and as `GET /admin/audit?kind=` and
/// `portcullis audit --kind` name them.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Display,
    EnumString,
    IntoStaticStr,
    VariantArray,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[strum(serialize_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum AuditKind {
    /// A sign-in on the pages or a password grant; succeeded or failed.
    SignIn,
    /// A counter of the brute-force limits reached its limit (SPEC §7).
    LockedOut,
    ConsentGiven,
    /// Emitted by the account page (lead's /account work) when a user
    /// withdraws a consent.
    ConsentRevoked,
    /// Tokens revoked: RFC 7009 revocation, or a grant revoked by an admin.
    TokensRevoked,
    /// A used authorization code came back (RFC 6749 §10.5); its tokens
    /// were revoked.
    CodeReplayed,
    /// A used refresh token came back (RFC 9700 §4.14.2); its grant was
    /// revoked.
    RefreshTokenReplayed,
    ClientCreated,
    ClientUpdated,
    ClientDeleted,
    ClientSecretRotated,
    UserCreated,
    UserUpdated,
    UserDisabled,
    UserEnabled,
    AdminKeyCreated,
    AdminKeyRevoked,
    /// The first use of an admin key in a minute, per node.
    AdminKeyUsed,
    /// A request to the admin API without a valid key (at most one event
    /// per address and minute, per node).
    AdminAuthFailed,
    /// A signing key was made: scheduled rotation, `portcullis keys
    /// rotate` or `POST /admin/keys/rotate`.
    SigningKeyRotated,
}

impl AuditKind {
    pub const ALL: &'static [AuditKind] = Self::VARIANTS;

    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// Who did it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    User(i64),
    Client(String),
    AdminKey(String),
    /// The operator's command line, or the server itself.
    System,
    /// Someone not (yet) authenticated: a failed sign-in, a bad admin key.
    Anonymous,
}

impl std::fmt::Display for Actor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Actor::User(id) => write!(f, "user:{id}"),
            Actor::Client(id) => write!(f, "client:{id}"),
            Actor::AdminKey(name) => write!(f, "admin_key:{name}"),
            Actor::System => f.write_str("system"),
            Actor::Anonymous => f.write_str("anonymous"),
        }
    }
}

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Display,
    EnumString,
    IntoStaticStr,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[strum(serialize_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Success,
    Failure,
}

/// What happened to a client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientChange {
    Created,
    Updated,
    Deleted,
    SecretRotated,
}

/// What happened to a user's account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountChange {
    Created,
    Updated,
    Disabled,
    Enabled,
}

/// One security event, as the code that saw it describes it.
#[derive(Debug, Clone)]
pub enum AuditEvent {
    /// `user` is known when the name exists; `username` is what was typed.
    SignIn {
        username: String,
        user: Option<i64>,
        client_id: Option<String>,
        succeeded: bool,
    },
    /// `counter` names what was locked out: a username, a client id or an
    /// address (never a credential).
    LockedOut {
        counter: String,
    },
    ConsentGiven {
        user: i64,
        client_id: String,
        scope: String,
    },
    ConsentRevoked {
        user: i64,
        client_id: String,
    },
    /// `what`: "token", "grant 12", "every grant of user 3".
    TokensRevoked {
        by: Actor,
        client_id: Option<String>,
        what: String,
    },
    CodeReplayed {
        client_id: String,
        grant: Option<i64>,
    },
    RefreshTokenReplayed {
        client_id: String,
        grant: i64,
    },
    Client {
        by: Actor,
        client_id: String,
        change: ClientChange,
    },
    User {
        by: Actor,
        user: i64,
        change: AccountChange,
    },
    AdminKeyCreated {
        name: String,
    },
    AdminKeyRevoked {
        name: String,
    },
    AdminKeyUsed {
        name: String,
    },
    AdminAuthFailed,
    /// A new signing key: by schedule or the command line (`System`), or
    /// by an admin key (`POST /admin/keys/rotate`).
    SigningKeyRotated {
        by: Actor,
        kid: String,
    },
}

impl AuditEvent {
    /// The stored form of this event, seen at `at` from `address`.
    pub fn record(self, at: i64, address: Option<IpAddr>) -> AuditRecord {
        use AuditEvent as E;
        let success = Outcome::Success;
        let (kind, actor, client_id, outcome, detail) = match self {
            E::SignIn {
                username,
                user,
                client_id,
                succeeded,
            } => (
                AuditKind::SignIn,
                user.filter(|_| succeeded)
                    .map_or(Actor::Anonymous, Actor::User),
                client_id,
                if succeeded { success } else { Outcome::Failure },
                Some(format!("username {username}")),
            ),
            E::LockedOut { counter } => (
                AuditKind::LockedOut,
                Actor::System,
                None,
                Outcome::Failure,
                Some(counter),
            ),
            E::ConsentGiven {
                user,
                client_id,
                scope,
            } => (
                AuditKind::ConsentGiven,
                Actor::User(user),
                Some(client_id),
                success,
                Some(format!("scope {scope}")),
            ),
            E::ConsentRevoked { user, client_id } => (
                AuditKind::ConsentRevoked,
                Actor::User(user),
                Some(client_id),
                success,
                None,
            ),
            E::TokensRevoked {
                by,
                client_id,
                what,
            } => (AuditKind::TokensRevoked, by, client_id, success, Some(what)),
            E::CodeReplayed { client_id, grant } => (
                AuditKind::CodeReplayed,
                Actor::Client(client_id.clone()),
                Some(client_id),
                Outcome::Failure,
                grant.map(|g| format!("grant {g} revoked")),
            ),
            E::RefreshTokenReplayed { client_id, grant } => (
                AuditKind::RefreshTokenReplayed,
                Actor::Client(client_id.clone()),
                Some(client_id),
                Outcome::Failure,
                Some(format!("grant {grant} revoked")),
            ),
            E::Client {
                by,
                client_id,
                change,
            } => {
                let kind = match change {
                    ClientChange::Created => AuditKind::ClientCreated,
                    ClientChange::Updated => AuditKind::ClientUpdated,
                    ClientChange::Deleted => AuditKind::ClientDeleted,
                    ClientChange::SecretRotated => AuditKind::ClientSecretRotated,
                };
                (kind, by, Some(client_id), success, None)
            }
            E::User { by, user, change } => {
                let kind = match change {
                    AccountChange::Created => AuditKind::UserCreated,
                    AccountChange::Updated => AuditKind::UserUpdated,
                    AccountChange::Disabled => AuditKind::UserDisabled,
                    AccountChange::Enabled => AuditKind::UserEnabled,
                };
                (kind, by, None, success, Some(format!("user {user}")))
            }
            E::AdminKeyCreated { name } => (
                AuditKind::AdminKeyCreated,
                Actor::System,
                None,
                success,
                Some(format!("key {name}")),
            ),
            E::AdminKeyRevoked { name } => (
                AuditKind::AdminKeyRevoked,
                Actor::System,
                None,
                success,
                Some(format!("key {name}")),
            ),
            E::AdminKeyUsed { name } => (
                AuditKind::AdminKeyUsed,
                Actor::AdminKey(name),
                None,
                success,
                None,
            ),
            E::AdminAuthFailed => (
                AuditKind::AdminAuthFailed,
                Actor::Anonymous,
                None,
                Outcome::Failure,
                None,
            ),
            E::SigningKeyRotated { by, kid } => (
                AuditKind::SigningKeyRotated,
                by,
                None,
                success,
                Some(format!("kid {kid}")),
            ),
        };
        AuditRecord {
            at,
            kind,
            actor: actor.to_string(),
            client_id,
            address: address.map(|a| a.to_string()),
            outcome,
            detail,
        }
    }
}
