//! Persistence behind one small trait per aggregate (users, clients, grants
//! with their tokens and codes, browser sessions, attempt counters,
//! self-registrations, server secrets, the example restaurants), each with
//! one SQL implementation per engine. Every engine passes the same contract
//! suite (`contract/`, run on SQLite, PostgreSQL and an in-memory model),
//! so a new store method is written once as a contract and once per engine
//! as SQL; row mapping is written once ([`rows`]).
//!
//! Every operation that guards security is a single call here so that each
//! implementation can make it atomic: a code is exchanged at most once
//! ([`GrantStore::exchange_code`]), a refresh token is rotated at most once
//! ([`GrantStore::rotate_refresh`]), an initial access token is spent at
//! most as often as it allows ([`RegistrationStore::register_client`]),
//! and revocation is visible to the next read on any node (nothing is
//! cached above this layer).

#[cfg(test)]
mod contract;
#[cfg(test)]
pub(crate) mod memory;
mod postgres;
mod records;
mod restaurant;
mod rows;
mod sqlite;

pub use postgres::PostgresStore;
pub use records::*;
pub use restaurant::*;
pub use sqlite::backup::backup as backup_sqlite;
pub use sqlite::SqliteStore;

use crate::keys::{Retirement, StoredKey};
use crate::oauth::oidc::claims::UserClaims;
use async_trait::async_trait;
use std::sync::Arc;

pub type StoreResult<T> = Result<T, StoreError>;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database cannot be reached right now; the request may be retried.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// A uniqueness rule was broken (a username or client id already taken).
    #[error("already exists")]
    Conflict,
    #[error("database error: {0}")]
    Database(String),
    /// A cached client changed since it was read (see
    /// [`ClientStore::cached_client`]): nothing was written.
    #[error("the client changed since it was cached")]
    Stale,
}

/// The store as the rest of the server sees it.
pub type SharedStore = Arc<dyn Store>;

#[async_trait]
pub trait UserStore {
    /// A new user, with no claims yet.
    async fn create_user(&self, username: &str, password_hash: &str) -> StoreResult<User>;
    async fn user_by_name(&self, username: &str) -> StoreResult<Option<User>>;
    async fn user_by_id(&self, id: i64) -> StoreResult<Option<User>>;
    /// Users in id order, after the id `after` (a cursor), at most `limit`.
    async fn list_users(&self, after: i64, limit: u32) -> StoreResult<Vec<User>>;
    /// Replaces a user's standard claims; false if there is no such user.
    async fn set_user_claims(&self, user_id: i64, claims: &UserClaims) -> StoreResult<bool>;
    /// Renames a user or sets their password hash; `None`: no such user. A
    /// name another user has is a [`StoreError::Conflict`].
    async fn update_user(&self, id: i64, change: &UserChange) -> StoreResult<Option<User>>;
    /// Disables or enables a user; false: no such user. Disabling also, in
    /// the same commit, revokes every grant of the user and deletes their
    /// sessions and unused codes; [`GrantStore::token`] reports the tokens
    /// of a disabled user as revoked even if one was issued meanwhile.
    async fn set_user_disabled(&self, id: i64, disabled: bool) -> StoreResult<bool>;
}

#[async_trait]
pub trait ClientStore {
    /// Registers a client. Grants left behind by an earlier client of the
    /// same id (a token minted while it was deleted) are removed first, so
    /// that they can never come back to life under the new client.
    async fn create_client(&self, client: &Client) -> StoreResult<()>;
    async fn client(&self, client_id: &str) -> StoreResult<Option<Client>>;
    /// The client for the token endpoint's fast path, from this node's
    /// memory (read into it on a miss), with its [`Client::version`]: a
    /// grant issued for the copy carries that version (see
    /// [`NewGrant::client_version`]), so a changed or deleted client is
    /// never served from memory. `None`: no such client, or an engine
    /// without a cache (reads there are as cheap as a cache).
    async fn cached_client(&self, _client_id: &str) -> StoreResult<Option<Client>> {
        Ok(None)
    }
    /// Drops `client_id` from the cache of [`ClientStore::cached_client`].
    fn forget_cached_client(&self, _client_id: &str) {}
    /// All clients, or those owned by one user, oldest first.
    async fn list_clients(&self, owner: Option<i64>) -> StoreResult<Vec<Client>>;
    /// Deletes a client (only if owned by `owner`, when given) with all its
    /// grants, tokens and codes. Returns whether a client was deleted. A
    /// token issued while the client is being deleted is dead at once too:
    /// [`GrantStore::token`] reports tokens of missing clients as revoked.
    async fn delete_client(&self, client_id: &str, owner: Option<i64>) -> StoreResult<bool>;
    /// Clients in client_id order after `after` (a cursor), at most `limit`.
    async fn clients_page(&self, after: &str, limit: u32) -> StoreResult<Vec<Client>>;
    /// Replaces what may change of a client (all but its id, registrant and
    /// issue time); false: no such client.
    async fn update_client(&self, client: &Client) -> StoreResult<bool>;
}

#[async_trait]
pub trait GrantStore {
    /// Creates a grant (a token family) and its first tokens in one commit.
    async fn issue_grant(&self, grant: &NewGrant, tokens: &[NewToken]) -> StoreResult<i64>;
    async fn token(&self, key: &TokenKey) -> StoreResult<Option<TokenRecord>>;
    /// Marks `refresh` used and adds `tokens` to its grant, atomically and at
    /// most once: returns false when the token was already used or revoked.
    async fn rotate_refresh(&self, refresh: &TokenKey, tokens: &[NewToken]) -> StoreResult<bool>;
    async fn revoke_token(&self, key: &TokenKey) -> StoreResult<()>;
    /// Revokes every token of a grant, now and in the future.
    async fn revoke_grant(&self, grant_id: i64) -> StoreResult<()>;
    /// Grants matching `filter` in id order after `after`, at most `limit`.
    async fn list_grants(
        &self,
        filter: &GrantFilter,
        after: i64,
        limit: u32,
    ) -> StoreResult<Vec<GrantRecord>>;
    async fn create_code(&self, code: &NewCode) -> StoreResult<()>;
    async fn code(&self, key: &TokenKey) -> StoreResult<Option<CodeRecord>>;
    /// Marks the code used and issues its grant in one atomic step. A code is
    /// exchanged at most once, whatever the concurrency.
    async fn exchange_code(
        &self,
        key: &TokenKey,
        grant: &NewGrant,
        tokens: &[NewToken],
    ) -> StoreResult<CodeExchange>;
}

#[async_trait]
pub trait SessionStore {
    async fn create_session(&self, session: &NewSession) -> StoreResult<()>;
    async fn session(&self, key: &TokenKey) -> StoreResult<Option<Session>>;
    async fn delete_session(&self, key: &TokenKey) -> StoreResult<()>;
}

/// Attempt counters for the brute-force limits (see `crate::limits`): one
/// fixed window per key.
#[async_trait]
pub trait AttemptStore {
    /// The attempts counted against each of `keys` whose window is still
    /// open at `now` (keys without any are left out).
    async fn failures(
        &self,
        keys: &[String],
        now: i64,
        window: i64,
    ) -> StoreResult<Vec<(String, Failures)>>;
    /// Counts one more attempt for each key, atomically, opening a new
    /// window for keys whose window has closed, and returns the counts
    /// after it, in the order of `keys`.
    async fn count_attempts(
        &self,
        keys: &[String],
        now: i64,
        window: i64,
    ) -> StoreResult<Vec<Failures>>;
    /// Takes back one counted attempt per `(key, window_start)`, if that
    /// window is still the key's current one.
    async fn release_attempts(&self, counted: &[(String, i64)]) -> StoreResult<()>;
}

/// Self-registration (RFC 7591, RFC 7592): the operator's initial access
/// tokens, and the clients that registered themselves with the tokens they
/// manage themselves by.
#[async_trait]
pub trait RegistrationStore {
    async fn create_initial_access_token(&self, token: &InitialAccessToken) -> StoreResult<()>;
    async fn initial_access_token(&self, key: &TokenKey)
        -> StoreResult<Option<InitialAccessToken>>;
    /// Every initial access token, spent and expired ones included, oldest
    /// first.
    async fn list_initial_access_tokens(&self) -> StoreResult<Vec<InitialAccessToken>>;
    /// Returns whether a token of this id was deleted.
    async fn revoke_initial_access_token(&self, id: &str) -> StoreResult<bool>;
    /// Registers a self-registered client in one atomic step: spends one
    /// use of the initial access token `initial`, when one is required, and
    /// creates the client (as [`ClientStore::create_client`]) with its
    /// registration. Returns false, creating nothing, when `initial` is
    /// spent, expired or unknown at `now` (a concurrent registration took
    /// its last use).
    async fn register_client(
        &self,
        registration: &ClientRegistration,
        initial: Option<&TokenKey>,
        now: i64,
    ) -> StoreResult<bool>;
    /// The self-registered client whose registration access token has this
    /// key.
    async fn client_registration(&self, key: &TokenKey) -> StoreResult<Option<ClientRegistration>>;
    /// Replaces the metadata of a self-registered client (RFC 7592 §2.2):
    /// every field but its id, registrant and times, and its
    /// application_type. Returns whether it still existed.
    async fn update_registration(&self, registration: &ClientRegistration) -> StoreResult<bool>;
}

/// The protected resources tokens may be bound to (RFC 8707), as the
/// operator registered them.
#[async_trait]
pub trait ResourceStore {
    /// Registers a resource, or replaces the scopes of one.
    async fn put_resource(&self, resource: &Resource) -> StoreResult<()>;
    async fn resource(&self, identifier: &str) -> StoreResult<Option<Resource>>;
    /// Every resource, by identifier.
    async fn list_resources(&self) -> StoreResult<Vec<Resource>>;
    /// Returns whether it existed. Tokens already bound to it keep their
    /// audience; new ones cannot be asked for.
    async fn delete_resource(&self, identifier: &str) -> StoreResult<bool>;
}

/// Signing keys, shared by every node (see `crate::keys`).
#[async_trait]
pub trait KeyStore {
    /// Every stored key, oldest first.
    async fn signing_keys(&self) -> StoreResult<Vec<StoredKey>>;
    /// Applies a rotation plan in one transaction: inserts the new keys,
    /// marks the retired ones (a key already retired keeps its times) and
    /// deletes the removed ones.
    async fn apply_key_plan(
        &self,
        create: &[StoredKey],
        retire: &[Retirement],
        delete: &[String],
    ) -> StoreResult<()>;
}

/// Consent remembered per user and client (OpenID Connect Core §3.1.2.4).
#[async_trait]
pub trait ConsentStore {
    /// The scopes the user allowed the client, if any.
    async fn consent(&self, user_id: i64, client_id: &str) -> StoreResult<Option<String>>;
    /// Adds `scope` to what the user allowed the client.
    async fn remember_consent(
        &self,
        user_id: i64,
        client_id: &str,
        scope: &str,
        now: i64,
    ) -> StoreResult<()>;
    /// The user's consents, with their clients' names, by client name.
    async fn consents(&self, user_id: i64) -> StoreResult<Vec<ConsentRecord>>;
    /// Forgets the consent and revokes every grant of that user to that
    /// client, in one step: its tokens stop working at once.
    async fn revoke_consent(&self, user_id: i64, client_id: &str) -> StoreResult<()>;
}

#[async_trait]
pub trait SecretStore {
    /// The random secret named `name`, created on first use; every node
    /// gets the same one.
    async fn server_secret(&self, name: &str) -> StoreResult<Vec<u8>>;
}

/// Keys of the admin API.
#[async_trait]
pub trait AdminKeyStore {
    /// A name already taken is a [`StoreError::Conflict`].
    async fn create_admin_key(&self, key: &AdminKey) -> StoreResult<()>;
    async fn admin_key_by_hash(&self, key_hash: &str) -> StoreResult<Option<AdminKey>>;
    /// Every key, by name.
    async fn list_admin_keys(&self) -> StoreResult<Vec<AdminKey>>;
    /// Revokes (deletes) a key; false: no such key.
    async fn delete_admin_key(&self, name: &str) -> StoreResult<bool>;
}

/// Audit events (see [`crate::audit`]).
#[async_trait]
pub trait AuditStore {
    /// Appends events in one commit, in order.
    async fn record_audit(&self, events: &[AuditRecord]) -> StoreResult<()>;
    async fn audit_events(&self, query: &AuditQuery) -> StoreResult<Vec<StoredAudit>>;
    /// Deletes events older than `before`; returns how many.
    async fn purge_audit(&self, before: i64) -> StoreResult<u64>;
}

/// The example resource API (SPEC §4).
#[async_trait]
pub trait RestaurantStore {
    async fn restaurants(&self) -> StoreResult<Vec<Restaurant>>;
    /// Applies `patch` to one restaurant (`None`: no such restaurant); a
    /// name another restaurant has is a [`StoreError::Conflict`].
    async fn update_restaurant(
        &self,
        key: &RestaurantKey,
        patch: &RestaurantPatch,
    ) -> StoreResult<Option<Restaurant>>;
    /// Inserts the restaurant unless one already has its name or its oid
    /// (demo seeding).
    async fn ensure_restaurant(&self, restaurant: &Restaurant) -> StoreResult<()>;
}

/// How an engine wants each poll of a request's future run: SQLite shares
/// one read transaction among the reads of a step (see `sqlite/snapshot.rs`).
pub type PollScope = fn(&mut dyn FnMut());

/// Every aggregate, and what concerns the engine as a whole.
#[async_trait]
pub trait Store:
    UserStore
    + ClientStore
    + GrantStore
    + SessionStore
    + AttemptStore
    + RegistrationStore
    + KeyStore
    + ConsentStore
    + ResourceStore
    + SecretStore
    + RestaurantStore
    + AdminKeyStore
    + AuditStore
    + Send
    + Sync
    + 'static
{
    /// Deletes expired tokens, codes, sessions and attempt windows, and the
    /// self-registered clients registered at or before
    /// `unused_clients_before` that never held a grant; safe to run on many
    /// nodes at once.
    async fn purge_expired(&self, now: i64, unused_clients_before: i64) -> StoreResult<u64>;

    /// The client `client_id` and the token `key`: what introspection reads
    /// (None: no such client). PostgreSQL reads both in one statement.
    async fn client_with_token(
        &self,
        client_id: &str,
        key: &TokenKey,
    ) -> StoreResult<Option<(Client, Option<TokenRecord>)>> {
        let Some(client) = self.client(client_id).await? else {
            return Ok(None);
        };
        Ok(Some((client, self.token(key).await?)))
    }

    /// The token `key`, read together with a check that the client
    /// `client_id` is still at `version` (a copy from
    /// [`ClientStore::cached_client`]): `None` when it is not (changed or
    /// deleted), or when this engine cannot tell (it has no cache).
    async fn token_checked(
        &self,
        _key: &TokenKey,
        _client_id: &str,
        _version: i64,
    ) -> StoreResult<Option<Option<TokenRecord>>> {
        Ok(None)
    }

    /// The scope each poll of a back-channel request runs in, if this
    /// engine has one; see [`in_poll_scope`].
    fn poll_scope(&self) -> Option<PollScope> {
        None
    }

    /// Whether the database answers and has this build's schema: the
    /// admin listener's `/readyz`.
    async fn ready(&self) -> StoreResult<bool>;

    /// Finishes every write already queued and stops taking more: the
    /// last step of a graceful shutdown (SQLite drains its group-commit
    /// queue; PostgreSQL has nothing queued).
    async fn close(&self) {}

    /// The engine's own metrics (its connection pool; SQLite's group
    /// commits), for the admin listener's `/metrics`.
    fn collectors(&self) -> Vec<Box<dyn prometheus::core::Collector>> {
        Vec::new()
    }
}

/// Runs `request` with every poll inside `scope` (the engine's
/// [`Store::poll_scope`]).
pub async fn in_poll_scope<F: std::future::Future>(scope: PollScope, request: F) -> F::Output {
    let mut request = std::pin::pin!(request);
    std::future::poll_fn(|cx| {
        let mut polled = None;
        scope(&mut || polled = Some(request.as_mut().poll(cx)));
        // A scope runs its step once; should one not, poll outside it
        // rather than never.
        polled.unwrap_or_else(|| request.as_mut().poll(cx))
    })
    .await
}

/// Opens the store named by a database URL and runs its migrations.
pub async fn open(database_url: &str, max_connections: u32) -> anyhow::Result<SharedStore> {
    if database_url.starts_with("sqlite:") {
        Ok(Arc::new(
            SqliteStore::open(database_url, max_connections).await?,
        ))
    } else if ["postgres://", "postgresql://"]
        .iter()
        .any(|scheme| database_url.starts_with(scheme))
    {
        Ok(Arc::new(
            PostgresStore::open(database_url, max_connections).await?,
        ))
    } else {
        anyhow::bail!(
            "unsupported database URL {database_url:?}: use sqlite://FILE or postgres://…"
        )
    }
}
