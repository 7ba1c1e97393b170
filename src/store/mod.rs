//! Persistence behind one interface, with one SQL implementation per engine.
//!
//! Every operation that guards security is a single call here so that each
//! implementation can make it atomic: a code is exchanged at most once
//! ([`Store::exchange_code`]), a refresh token is rotated at most once
//! ([`Store::rotate_refresh`]), and revocation is visible to the next read on
//! any node (nothing is cached above this layer).

mod postgres;
mod records;
mod restaurant;
mod rows;
mod sqlite;

pub use postgres::PostgresStore;
pub use records::*;
pub use restaurant::*;
pub use sqlite::SqliteStore;

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
}

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        match &error {
            sqlx::Error::Io(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::WorkerCrashed
            | sqlx::Error::Tls(_) => StoreError::Unavailable(error.to_string()),
            sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict,
            _ => StoreError::Database(error.to_string()),
        }
    }
}

/// The store as the rest of the server sees it.
pub type SharedStore = Arc<dyn Store>;

#[async_trait]
pub trait Store: Send + Sync + 'static {
    // Users
    async fn create_user(&self, username: &str, password_hash: &str) -> StoreResult<User>;
    async fn user_by_name(&self, username: &str) -> StoreResult<Option<User>>;
    async fn user_by_id(&self, id: i64) -> StoreResult<Option<User>>;
    async fn list_users(&self) -> StoreResult<Vec<User>>;

    // Clients
    /// Registers a client. Grants left behind by an earlier client of the
    /// same id (a token minted while it was deleted) are removed first, so
    /// that they can never come back to life under the new client.
    async fn create_client(&self, client: &Client) -> StoreResult<()>;
    async fn client(&self, client_id: &str) -> StoreResult<Option<Client>>;
    /// All clients, or those owned by one user.
    async fn list_clients(&self, owner: Option<i64>) -> StoreResult<Vec<Client>>;
    /// Deletes a client (only if owned by `owner`, when given) with all its
    /// grants, tokens and codes. Returns whether a client was deleted. A
    /// token issued while the client is being deleted is dead at once too:
    /// [`Store::token`] reports tokens of missing clients as revoked.
    async fn delete_client(&self, client_id: &str, owner: Option<i64>) -> StoreResult<bool>;

    // Grants and tokens
    /// Creates a grant (a token family) and its first tokens in one commit.
    async fn issue_grant(&self, grant: &NewGrant, tokens: &[NewToken]) -> StoreResult<i64>;
    async fn token(&self, hash: &TokenHash) -> StoreResult<Option<TokenRecord>>;
    /// Marks `refresh` used and adds `tokens` to its grant, atomically and at
    /// most once: returns false when the token was already used or revoked.
    async fn rotate_refresh(&self, refresh: &TokenHash, tokens: &[NewToken]) -> StoreResult<bool>;
    async fn revoke_token(&self, hash: &TokenHash) -> StoreResult<()>;
    /// Revokes every token of a grant, now and in the future.
    async fn revoke_grant(&self, grant_id: i64) -> StoreResult<()>;

    // Authorization codes
    async fn create_code(&self, code: &NewCode) -> StoreResult<()>;
    async fn code(&self, hash: &TokenHash) -> StoreResult<Option<CodeRecord>>;
    /// Marks the code used and issues its grant in one atomic step. A code is
    /// exchanged at most once, whatever the concurrency.
    async fn exchange_code(
        &self,
        hash: &TokenHash,
        grant: &NewGrant,
        tokens: &[NewToken],
    ) -> StoreResult<CodeExchange>;

    // Browser sessions
    async fn create_session(&self, session: &NewSession) -> StoreResult<()>;
    async fn session(&self, hash: &TokenHash) -> StoreResult<Option<Session>>;
    async fn delete_session(&self, hash: &TokenHash) -> StoreResult<()>;

    // Brute-force limits (see crate::limits)
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

    // Server secrets
    /// The random secret named `name`, created on first use; every node
    /// gets the same one.
    async fn server_secret(&self, name: &str) -> StoreResult<Vec<u8>>;

    // Maintenance
    /// Deletes expired tokens, codes and sessions; safe to run on many nodes.
    async fn purge_expired(&self, now: i64) -> StoreResult<u64>;

    // The example resource API (SPEC §4)
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

/// Runs `request` so that the reads it makes without waiting in between
/// share one snapshot of the database: on SQLite one read transaction for
/// the lockout counters, the client and the token instead of three, each of
/// which costs two `fcntl` calls (see sqlite.rs). A snapshot never outlives
/// a wait, so no read is older than the request's last step, and a write
/// ends it, so reads after a write see it. PostgreSQL reads are unaffected.
pub async fn share_read_snapshots<F: std::future::Future>(request: F) -> F::Output {
    let mut request = std::pin::pin!(request);
    std::future::poll_fn(|cx| sqlite::step_scope(|| request.as_mut().poll(cx))).await
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
