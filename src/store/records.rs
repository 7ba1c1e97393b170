//! The rows the store reads and writes, as the protocol core sees them.

use crate::audit::{AuditKind, Outcome};
use crate::keys::SigningAlg;
use crate::oauth::oidc::claims::UserClaims;
use crate::oauth::oidc::context::GrantContext;
use crate::oauth::vocabulary::{
    AccessTokenFormat, ApplicationType, AuthMethod, GrantType, ResponseType,
};

/// The at-rest key of a token, code or session id: its time-ordered id,
/// then the SHA-256 of the whole token (see [`crate::crypto::token_key`]).
/// The only form they are stored in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TokenKey(pub [u8; TokenKey::LEN]);

impl TokenKey {
    /// A 16-byte id and a 32-byte SHA-256.
    pub const LEN: usize = 48;
}

/// A user as stored; not serializable, so that the password hash cannot
/// reach an answer by accident (the CLI shows [`User::id`] and
/// [`User::username`] only).
#[derive(Debug, Clone)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub password_hash: String,
    /// OpenID Connect standard claims (Core §5.1).
    pub claims: UserClaims,
    /// Signs in nowhere; its tokens are dead (README, "Admin API").
    pub disabled: bool,
}

/// What an update changes of a user; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct UserChange {
    pub username: Option<String>,
    pub password_hash: Option<String>,
}

/// Who registered a client, which decides how far it is trusted (SPEC §8):
/// only the operator vouches for a client; one registered by any signed-in
/// user, or by itself, may be an attacker's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Registrant {
    /// The operator, from the command line or the demo data.
    Operator,
    /// A signed-in user, on the client page; only they may delete it.
    User(i64),
    /// Nobody here: the client described itself in the Client ID Metadata
    /// Document at its client_id URL (draft-ietf-oauth-client-id-metadata-
    /// document §3, §4); whoever controls that URL speaks for it.
    MetadataDocument,
    /// The client itself, at the registration endpoint (RFC 7591 §3): it
    /// manages itself with its registration access token (RFC 7592).
    Dynamic,
}

impl Registrant {
    pub fn is_operator(self) -> bool {
        self == Registrant::Operator
    }

    /// The owning user, as stored (`owner_id`).
    pub fn owner(self) -> Option<i64> {
        match self {
            Registrant::User(id) => Some(id),
            Registrant::Operator | Registrant::MetadataDocument | Registrant::Dynamic => None,
        }
    }

    /// The stored word (`clients.registrant`); a user's id is `owner_id`.
    pub fn kind(self) -> &'static str {
        match self {
            Registrant::Operator => "operator",
            Registrant::User(_) => "user",
            Registrant::MetadataDocument => "metadata_document",
            Registrant::Dynamic => "dynamic",
        }
    }

    /// The registrant a stored word and owner stand for, if they agree.
    pub fn from_stored(kind: &str, owner_id: Option<i64>) -> Option<Self> {
        match (kind, owner_id) {
            ("user", Some(id)) => Some(Registrant::User(id)),
            ("operator", None) => Some(Registrant::Operator),
            ("metadata_document", None) => Some(Registrant::MetadataDocument),
            ("dynamic", None) => Some(Registrant::Dynamic),
            _ => None,
        }
    }
}

/// A registered client as the store keeps it. Not serializable on purpose:
/// what may be shown of a client is [`crate::oauth::registration::ClientInformation`],
/// so a new secret column never leaks into a page or a JSON answer by default.
#[derive(Debug, Clone)]
pub struct Client {
    pub client_id: String,
    pub client_name: String,
    pub client_uri: Option<String>,
    /// `sha256:<hex>` for server-generated secrets, a PHC Argon2id string for
    /// human-chosen ones, `None` for public clients.
    pub secret_hash: Option<String>,
    pub redirect_uris: Vec<String>,
    /// Where RP-Initiated Logout may send the user back to (exact match).
    pub post_logout_redirect_uris: Vec<String>,
    pub grant_types: Vec<GrantType>,
    pub response_types: Vec<ResponseType>,
    pub scope: String,
    pub token_endpoint_auth_method: AuthMethod,
    pub registrant: Registrant,
    /// A resource server: may introspect every token, not only its own
    /// (README, "Introspection"). Only the operator can set it.
    pub resource_server: bool,
    pub client_id_issued_at: i64,
    pub client_secret_expires_at: i64,
    /// OpenID Connect Registration §2; RS256 unless the client chose.
    pub id_token_signed_response_alg: SigningAlg,
    /// Signed UserInfo answers, when the client registered an algorithm.
    pub userinfo_signed_response_alg: Option<SigningAlg>,
    pub access_token_format: AccessTokenFormat,
    /// After a rotation, the secret it replaced, still accepted until it
    /// expires (the overlap window).
    pub previous_secret: Option<PreviousSecret>,
    /// The version of the stored row this copy was read at, when it came
    /// from a cache that checks it (PostgreSQL's `cached_client`): what
    /// is issued for this copy is issued only if the row is still at it.
    /// `None`: read from the database by this request, nothing to check.
    pub version: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreviousSecret {
    /// In the form of [`Client::secret_hash`].
    pub hash: String,
    pub expires_at: i64,
}

impl Client {
    pub fn allows_grant(&self, grant_type: GrantType) -> bool {
        self.grant_types.contains(&grant_type)
    }

    pub fn allows_response_type(&self, response_type: ResponseType) -> bool {
        self.response_types.contains(&response_type)
    }

    pub fn is_public(&self) -> bool {
        self.token_endpoint_auth_method == AuthMethod::None
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    Access,
    Refresh,
}

/// A grant: what one authorization produced, the family its tokens share.
#[derive(Debug, Clone)]
pub struct NewGrant {
    pub client_id: String,
    pub user_id: Option<i64>,
    pub created_at: i64,
    /// For an OpenID Connect authorization: what refreshed ID tokens repeat.
    pub oidc: Option<GrantContext>,
    /// The resources (RFC 8707) its tokens may be for; empty: none named.
    pub resources: Vec<String>,
    /// Issue only if the client is still at this version ([`Client::version`]
    /// of a cached copy); otherwise nothing is issued and the answer is
    /// [`StoreError::Stale`].
    pub client_version: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct NewToken {
    pub key: TokenKey,
    pub kind: TokenKind,
    pub scope: String,
    pub issued_at: i64,
    pub expires_at: i64,
    /// The resources an access token is for (RFC 8707 §2, its `aud`);
    /// empty: none named.
    pub audience: Vec<String>,
}

/// A stored token joined with its grant and user.
#[derive(Debug, Clone)]
pub struct TokenRecord {
    pub kind: TokenKind,
    pub grant_id: i64,
    pub client_id: String,
    pub user_id: Option<i64>,
    pub username: Option<String>,
    pub scope: String,
    pub issued_at: i64,
    pub expires_at: i64,
    /// The token itself or its whole grant was revoked, or its client
    /// deleted.
    pub revoked: bool,
    /// A refresh token that was already rotated.
    pub used: bool,
    /// The grant's OpenID Connect context, if it has one.
    pub oidc: Option<GrantContext>,
    /// The token's audience (see [`NewToken::audience`]).
    pub audience: Vec<String>,
    /// The resources of its grant (see [`NewGrant::resources`]).
    pub grant_resources: Vec<String>,
}

impl TokenRecord {
    pub fn is_active(&self, now: i64) -> bool {
        !self.revoked && !self.used && self.expires_at > now
    }
}

#[derive(Debug, Clone)]
pub struct NewCode {
    pub key: TokenKey,
    pub client_id: String,
    pub user_id: i64,
    /// Where the code was sent.
    pub redirect_uri: String,
    /// Whether the authorization request named it (RFC 6749 §4.1.3: then
    /// the token request must repeat it).
    pub redirect_uri_given: bool,
    pub scope: String,
    pub code_challenge: Option<String>,
    pub expires_at: i64,
    pub oidc: Option<GrantContext>,
    /// The resources the authorization request named (RFC 8707 §2.1).
    pub resources: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct CodeRecord {
    pub client_id: String,
    pub user_id: i64,
    pub redirect_uri: String,
    pub redirect_uri_given: bool,
    pub scope: String,
    pub code_challenge: Option<String>,
    pub expires_at: i64,
    pub used: bool,
    /// The grant issued from this code, once exchanged.
    pub grant_id: Option<i64>,
    pub oidc: Option<GrantContext>,
    pub resources: Vec<String>,
}

/// A protected resource the operator registered (RFC 8707 §2: the values
/// `resource` may take; RFC 9728: what its metadata says).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resource {
    /// An absolute URI without a fragment, as clients send it.
    pub identifier: String,
    /// The scopes it understands, space-separated.
    pub scope: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeExchange {
    Exchanged {
        grant_id: i64,
    },
    /// The code was already used; `grant_id` is what it produced, to revoke.
    AlreadyUsed {
        grant_id: Option<i64>,
    },
}

#[derive(Debug, Clone)]
pub struct NewSession {
    pub key: TokenKey,
    pub user_id: i64,
    pub created_at: i64,
    pub expires_at: i64,
}

#[derive(Debug, Clone)]
pub struct Session {
    pub user_id: i64,
    pub username: String,
    pub created_at: i64,
    pub expires_at: i64,
}

/// Failed attempts counted against a key in its current window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Failures {
    pub count: i64,
    pub window_start: i64,
}

/// An initial access token (RFC 7591 §3): the operator's permission to
/// register `uses_left` more clients until `expires_at`. Only its key is
/// stored; `id` names it for listing and revoking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InitialAccessToken {
    pub id: String,
    pub key: TokenKey,
    pub created_at: i64,
    pub expires_at: i64,
    pub uses_left: i64,
}

impl InitialAccessToken {
    pub fn is_usable(&self, now: i64) -> bool {
        self.uses_left > 0 && self.expires_at > now
    }
}

/// A client that registered itself (RFC 7591), with what RFC 7592 manages
/// it by.
#[derive(Debug, Clone)]
pub struct ClientRegistration {
    pub client: Client,
    /// OpenID Connect Dynamic Client Registration §2: which redirect URIs
    /// it may have; kept so that reads and updates apply the same rules.
    pub application_type: ApplicationType,
    /// The key of its registration access token (RFC 7592 §1.3).
    pub access_token: TokenKey,
}

/// A remembered consent (OpenID Connect Core §3.1.2.4), with its client's
/// name for the account page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentRecord {
    pub client_id: String,
    pub client_name: String,
    pub scope: String,
    pub granted_at: i64,
}

/// A grant as the admin API lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantRecord {
    pub id: i64,
    pub client_id: String,
    pub user_id: Option<i64>,
    pub created_at: i64,
    pub revoked: bool,
}

/// Which grants to list: a user's, a client's, both conditions, or all.
#[derive(Debug, Clone, Default)]
pub struct GrantFilter {
    pub user_id: Option<i64>,
    pub client_id: Option<String>,
}

/// A key of the admin API: its name and the SHA-256 of the key.
#[derive(Debug, Clone)]
pub struct AdminKey {
    pub name: String,
    /// `sha256:<hex>`, as [`crate::crypto::sha256_secret_hash`] makes it.
    pub key_hash: String,
    pub created_at: i64,
}

/// An audit event as stored (see [`crate::audit`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    pub at: i64,
    pub kind: AuditKind,
    /// `user:ID`, `client:ID`, `admin_key:NAME`, `system` or `anonymous`.
    pub actor: String,
    pub client_id: Option<String>,
    pub address: Option<String>,
    pub outcome: Outcome,
    pub detail: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAudit {
    /// Increases with each event: the cursor of [`AuditQuery::after`].
    pub id: i64,
    pub record: AuditRecord,
}

/// Events at or after `since`, of one kind or all, after the cursor.
#[derive(Debug, Clone)]
pub struct AuditQuery {
    pub since: i64,
    pub kind: Option<AuditKind>,
    pub after: i64,
    pub limit: u32,
}
