//! The PostgreSQL store, shared by any number of stateless nodes.
//!
//! Nothing is cached: every read goes to the database, so a revocation at one
//! node is seen by the next request at any other. The operations that must
//! happen at most once (exchanging a code, rotating a refresh token) claim
//! their row with a conditional `UPDATE` inside a transaction: PostgreSQL's
//! row lock makes a concurrent claimant on another node wait for the winner's
//! commit and then find the row already claimed.

mod accounts;
mod tokens;

use super::*;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{ConnectOptions, Connection};
use std::future::Future;
use std::str::FromStr;
use std::time::Duration;

/// How long a request waits for a connection before answering 503: short,
/// so that a lost database is reported at once rather than after a hang.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);
/// A pooled connection idle this long is pinged before use.
const TEST_IF_IDLE_FOR: Duration = Duration::from_secs(1);
/// How long one store operation (pool wait included) may take before the
/// request answers 503. A database behind a lost network never answers
/// and never resets, so without a bound the request would hang until the
/// HTTP timeout (408, which says the client was slow).
const OPERATION_TIMEOUT: Duration = Duration::from_secs(5);

pub struct PostgresStore {
    pool: PgPool,
}

impl PostgresStore {
    pub async fn open(url: &str, max_connections: u32) -> anyhow::Result<Self> {
        let options = PgConnectOptions::from_str(url)?.disable_statement_logging();
        let pool = PgPoolOptions::new()
            .max_connections(max_connections.max(1))
            .acquire_timeout(ACQUIRE_TIMEOUT)
            // A connection the server dropped (restart, failover, idle
            // timeout) is found out and replaced before it serves a request.
            // sqlx's own test pings on every acquire: one more round trip
            // per query, which cost a third of the issuance rate. sqlx
            // already pings a connection when it comes back to the pool, so
            // only one idle for over a second is tested again (HikariCP
            // skips its test the same way). A connection lost within that
            // second fails its one request with a 503, which may be retried.
            .test_before_acquire(false)
            .before_acquire(|conn, meta| {
                Box::pin(async move {
                    if meta.idle_for >= TEST_IF_IDLE_FOR {
                        conn.ping().await?;
                    }
                    Ok(true)
                })
            })
            .connect_with(options)
            .await?;
        // The migrator holds a PostgreSQL advisory lock while it runs, so
        // nodes starting together migrate one after the other.
        sqlx::migrate!("./migrations/postgres").run(&pool).await?;
        Ok(PostgresStore { pool })
    }
}

/// Runs one store operation within [`OPERATION_TIMEOUT`] and sorts its
/// failure into a [`StoreError`].
async fn run<T>(operation: impl Future<Output = Result<T, sqlx::Error>>) -> StoreResult<T> {
    within_deadline(operation).await.map_err(classify)
}

/// Fails `operation` as an I/O timeout (so: unavailable, 503) if it takes
/// longer than [`OPERATION_TIMEOUT`]. sqlx rolls back and tests the
/// connection it was using before that connection is used again.
async fn within_deadline<T>(
    operation: impl Future<Output = Result<T, sqlx::Error>>,
) -> Result<T, sqlx::Error> {
    tokio::time::timeout(OPERATION_TIMEOUT, operation)
        .await
        .unwrap_or_else(|_| {
            Err(sqlx::Error::Io(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "the database did not answer in time",
            )))
        })
}

/// Besides what every engine reports as unavailable (I/O errors, pool
/// timeouts), PostgreSQL reports a lost or refused session as an error
/// message: SQLSTATE class 08 (connection exception), 57P01-57P03 (the
/// server is shutting down, crashed, or not accepting connections yet) and
/// 53300 (too many connections). All of these are worth a retry: 503.
fn classify(error: sqlx::Error) -> StoreError {
    if let sqlx::Error::Database(db) = &error {
        let code = db.code().unwrap_or_default();
        if code.starts_with("08") || matches!(&*code, "57P01" | "57P02" | "57P03" | "53300") {
            return StoreError::Unavailable(error.to_string());
        }
    }
    StoreError::from(error)
}

#[async_trait]
impl Store for PostgresStore {
    async fn create_user(&self, username: &str, password_hash: &str) -> StoreResult<User> {
        run(accounts::create_user(&self.pool, username, password_hash)).await
    }

    async fn user_by_name(&self, username: &str) -> StoreResult<Option<User>> {
        run(accounts::user_by_name(&self.pool, username)).await
    }

    async fn user_by_id(&self, id: i64) -> StoreResult<Option<User>> {
        run(accounts::user_by_id(&self.pool, id)).await
    }

    async fn list_users(&self) -> StoreResult<Vec<User>> {
        run(accounts::list_users(&self.pool)).await
    }

    async fn create_client(&self, client: &Client) -> StoreResult<()> {
        run(accounts::create_client(&self.pool, client)).await
    }

    async fn client(&self, client_id: &str) -> StoreResult<Option<Client>> {
        run(accounts::client(&self.pool, client_id)).await
    }

    async fn list_clients(&self, owner: Option<i64>) -> StoreResult<Vec<Client>> {
        run(accounts::list_clients(&self.pool, owner)).await
    }

    async fn delete_client(&self, client_id: &str, owner: Option<i64>) -> StoreResult<bool> {
        run(accounts::delete_client(&self.pool, client_id, owner)).await
    }

    async fn issue_grant(&self, grant: &NewGrant, tokens: &[NewToken]) -> StoreResult<i64> {
        run(tokens::issue_grant(&self.pool, grant, tokens)).await
    }

    async fn token(&self, hash: &TokenHash) -> StoreResult<Option<TokenRecord>> {
        run(tokens::token(&self.pool, hash)).await
    }

    async fn rotate_refresh(&self, refresh: &TokenHash, tokens: &[NewToken]) -> StoreResult<bool> {
        run(tokens::rotate_refresh(&self.pool, refresh, tokens)).await
    }

    async fn revoke_token(&self, hash: &TokenHash) -> StoreResult<()> {
        run(tokens::revoke_token(&self.pool, hash)).await
    }

    async fn revoke_grant(&self, grant_id: i64) -> StoreResult<()> {
        run(tokens::revoke_grant(&self.pool, grant_id)).await
    }

    async fn create_code(&self, code: &NewCode) -> StoreResult<()> {
        run(tokens::create_code(&self.pool, code)).await
    }

    async fn code(&self, hash: &TokenHash) -> StoreResult<Option<CodeRecord>> {
        run(tokens::code(&self.pool, hash)).await
    }

    async fn exchange_code(
        &self,
        hash: &TokenHash,
        grant: &NewGrant,
        tokens: &[NewToken],
    ) -> StoreResult<CodeExchange> {
        run(tokens::exchange_code(&self.pool, hash, grant, tokens)).await
    }

    async fn create_session(&self, session: &NewSession) -> StoreResult<()> {
        run(accounts::create_session(&self.pool, session)).await
    }

    async fn session(&self, hash: &TokenHash) -> StoreResult<Option<Session>> {
        run(accounts::session(&self.pool, hash)).await
    }

    async fn delete_session(&self, hash: &TokenHash) -> StoreResult<()> {
        run(accounts::delete_session(&self.pool, hash)).await
    }

    async fn failures(
        &self,
        keys: &[String],
        now: i64,
        window: i64,
    ) -> StoreResult<Vec<(String, Failures)>> {
        run(accounts::failures(&self.pool, keys, now, window)).await
    }

    async fn count_attempts(
        &self,
        keys: &[String],
        now: i64,
        window: i64,
    ) -> StoreResult<Vec<Failures>> {
        run(accounts::count_attempts(&self.pool, keys, now, window)).await
    }

    async fn release_attempts(&self, counted: &[(String, i64)]) -> StoreResult<()> {
        run(accounts::release_attempts(&self.pool, counted)).await
    }

    async fn server_secret(&self, name: &str) -> StoreResult<Vec<u8>> {
        run(accounts::server_secret(&self.pool, name)).await
    }

    /// Not bounded as a whole: a purge of millions of rows takes as many
    /// batches as it needs, each one within the deadline.
    async fn purge_expired(&self, now: i64) -> StoreResult<u64> {
        tokens::purge_expired(&self.pool, now)
            .await
            .map_err(classify)
    }

    async fn restaurants(&self) -> StoreResult<Vec<Restaurant>> {
        run(accounts::restaurants(&self.pool)).await
    }

    async fn update_restaurant(
        &self,
        key: &RestaurantKey,
        patch: &RestaurantPatch,
    ) -> StoreResult<Option<Restaurant>> {
        run(accounts::update_restaurant(&self.pool, key, patch)).await
    }

    async fn ensure_restaurant(&self, restaurant: &Restaurant) -> StoreResult<()> {
        run(accounts::ensure_restaurant(&self.pool, restaurant)).await
    }
}
