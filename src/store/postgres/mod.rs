//! The PostgreSQL store, shared by any number of stateless nodes.
//!
//! Requests are served with `tokio-postgres` on a `deadpool` pool: each
//! connection keeps its prepared statements, statements issued together on
//! one connection are pipelined, and returning a connection to the pool
//! costs nothing (sqlx pinged every connection it took back, one more round
//! trip per query: docs/performance.md). The migrations still run with
//! sqlx's migrator, which older versions used, so that existing databases
//! keep their migration history.
//!
//! Nothing is cached but clients for the token endpoint, and those only
//! under a version check in the issuing statement (`client_cache`): every
//! other read goes to the database, so a revocation at one node is seen by
//! the next request at any other. The operations that
//! must happen at most once (exchanging a code, rotating a refresh token)
//! claim their row with a conditional `UPDATE` inside a transaction:
//! PostgreSQL's row lock makes a concurrent claimant on another node wait
//! for the winner's commit and then find the row already claimed. Each
//! aggregate's SQL is in its own file, implementing that aggregate's trait.

mod attempts;
mod client_cache;
mod clients;
mod grants;
mod keys;
mod operations;
mod registrations;
mod resources;
mod restaurants;
mod sessions;
mod users;

use super::rows::{self, Row, RowError};
use super::*;
use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, PoolError, RecyclingMethod};
use std::time::Duration;
use tokio_postgres::error::SqlState;
use tokio_postgres::NoTls;

/// How long a request waits for a connection (or for a new one to open)
/// before answering 503: short, so that a lost database is reported at once
/// rather than after a hang.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);
/// How long one store operation (pool wait included) may take before the
/// request answers 503. A database behind a lost network never answers and
/// never resets, so without a bound the request would hang until the HTTP
/// timeout (408, which says the client was slow).
const OPERATION_TIMEOUT: Duration = Duration::from_secs(5);

pub struct PostgresStore {
    pool: Pool,
    clients: client_cache::ClientCache,
}

/// Why an operation failed, before it is sorted into a [`StoreError`].
enum Failure {
    Pool(PoolError),
    Database(tokio_postgres::Error),
    Row(RowError),
    TimedOut,
}

impl From<PoolError> for Failure {
    fn from(error: PoolError) -> Self {
        Failure::Pool(error)
    }
}

impl From<tokio_postgres::Error> for Failure {
    fn from(error: tokio_postgres::Error) -> Self {
        Failure::Database(error)
    }
}

impl From<RowError> for Failure {
    fn from(error: RowError) -> Self {
        Failure::Row(error)
    }
}

type Outcome<T> = Result<T, Failure>;

impl PostgresStore {
    pub async fn open(url: &str, max_connections: u32) -> anyhow::Result<Self> {
        migrate(url).await?;
        let config: tokio_postgres::Config = url.parse()?;
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                // A connection the server dropped (restart, failover, idle
                // timeout) shows as closed and is replaced; one lost
                // silently is detached when its operation times out (see
                // `run`). No query per checkout.
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(max_connections.max(1) as usize)
            .wait_timeout(Some(ACQUIRE_TIMEOUT))
            .create_timeout(Some(ACQUIRE_TIMEOUT))
            .runtime(deadpool_postgres::Runtime::Tokio1)
            .build()?;
        Ok(PostgresStore {
            pool,
            clients: Default::default(),
        })
    }

    /// Runs `operation` on a pooled connection within [`OPERATION_TIMEOUT`]
    /// and sorts its failure into a [`StoreError`]. A connection whose
    /// operation did not finish (it timed out) is taken out of the pool and
    /// closed rather than handed to the next request: its network may be
    /// gone without a reset.
    async fn run<T>(
        &self,
        operation: impl AsyncFnOnce(&mut Object) -> Outcome<T>,
    ) -> StoreResult<T> {
        let attempt = async {
            let mut lease = Lease(Some(self.pool.get().await?));
            let Some(client) = lease.0.as_mut() else {
                return Err(Failure::Pool(PoolError::Closed));
            };
            let result = operation(client).await;
            lease.give_back();
            result
        };
        tokio::time::timeout(OPERATION_TIMEOUT, attempt)
            .await
            .unwrap_or(Err(Failure::TimedOut))
            .map_err(classify)
    }
}

/// A pooled connection in use. Returned to the pool by [`Lease::give_back`];
/// dropped without it (its operation was abandoned midway), the connection
/// leaves the pool for good.
struct Lease(Option<Object>);

impl Lease {
    fn give_back(mut self) {
        drop(self.0.take());
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        if let Some(abandoned) = self.0.take() {
            drop(Object::take(abandoned));
        }
    }
}

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// Runs the migrations, one node at a time: sqlx's migrator holds a
/// PostgreSQL advisory lock while it runs.
async fn migrate(url: &str) -> anyhow::Result<()> {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(url).await?;
    MIGRATOR.run(&mut conn).await?;
    conn.close().await?;
    Ok(())
}

#[async_trait]
impl Store for PostgresStore {
    /// Not bounded as a whole: a purge of millions of rows takes as many
    /// batches as it needs, each one within the deadline.
    async fn purge_expired(&self, now: i64, unused_clients_before: i64) -> StoreResult<u64> {
        grants::purge_expired(self, now, unused_clients_before).await
    }

    /// One statement: the client and, joined to it, the token.
    async fn client_with_token(
        &self,
        client_id: &str,
        key: &TokenKey,
    ) -> StoreResult<Option<(Client, Option<TokenRecord>)>> {
        self.run(async |conn| {
            let select = conn
                .prepare_cached(concat!(
                    "SELECT client.*, token.*
                     FROM (SELECT ",
                    rows::client_columns!(),
                    " FROM clients WHERE client_id = $1) client
                     LEFT JOIN (",
                    rows::token_select!(),
                    " WHERE t.hash = $2) token ON true"
                ))
                .await?;
            let row = conn.query_opt(&select, &[&client_id, &&key.0[..]]).await?;
            Ok(row
                .as_ref()
                .map(|row| rows::client_with_token(row))
                .transpose()?)
        })
        .await
    }

    /// One statement: the token, and a probe of the client's version.
    async fn token_checked(
        &self,
        key: &TokenKey,
        client_id: &str,
        version: i64,
    ) -> StoreResult<Option<Option<TokenRecord>>> {
        self.run(async |conn| {
            let select = conn
                .prepare_cached(concat!(
                    "SELECT client.current, token.*
                     FROM (SELECT EXISTS (SELECT 1 FROM clients
                                          WHERE client_id = $2 AND version = $3) AS current
                          ) client
                     LEFT JOIN (",
                    rows::token_select!(),
                    " WHERE t.hash = $1) token ON client.current"
                ))
                .await?;
            let row = conn
                .query_one(&select, &[&&key.0[..], &client_id, &version])
                .await?;
            Ok(rows::checked_token(&row)?)
        })
        .await
    }

    async fn ready(&self) -> StoreResult<bool> {
        let latest = MIGRATOR.iter().map(|m| m.version).max().unwrap_or(0);
        let applied: i64 = self
            .run(async |conn| {
                let select = conn
                    .prepare_cached(
                        "SELECT COALESCE(max(version), 0) FROM _sqlx_migrations WHERE success",
                    )
                    .await?;
                Ok(conn.query_one(&select, &[]).await?.try_get(0)?)
            })
            .await?;
        Ok(applied == latest)
    }

    fn collectors(&self) -> Vec<Box<dyn prometheus::core::Collector>> {
        let pool = self.pool.clone();
        vec![crate::metrics::pool_gauge(move || {
            let status = pool.status();
            crate::metrics::PoolUsage {
                idle: status.available,
                in_use: status.size.saturating_sub(status.available),
                max: status.max_size,
                waiting: status.waiting,
            }
        })]
    }
}

/// Besides what every engine reports as unavailable (I/O errors, pool
/// timeouts), PostgreSQL reports a lost or refused session as an error
/// message: SQLSTATE class 08 (connection exception), 57P01-57P03 (the
/// server is shutting down, crashed, or not accepting connections yet) and
/// 53300 (too many connections). All of these are worth a retry: 503.
fn classify(failure: Failure) -> StoreError {
    match failure {
        Failure::Pool(error) => StoreError::Unavailable(error.to_string()),
        Failure::TimedOut => StoreError::Unavailable("the database did not answer in time".into()),
        Failure::Row(error) => error.into(),
        Failure::Database(error) => match error.code() {
            Some(code) if *code == SqlState::UNIQUE_VIOLATION => StoreError::Conflict,
            Some(code)
                if code.code().starts_with("08")
                    || [
                        SqlState::ADMIN_SHUTDOWN,
                        SqlState::CRASH_SHUTDOWN,
                        SqlState::CANNOT_CONNECT_NOW,
                        SqlState::TOO_MANY_CONNECTIONS,
                    ]
                    .contains(code) =>
            {
                StoreError::Unavailable(error.to_string())
            }
            Some(_) => StoreError::Database(error.to_string()),
            // No SQLSTATE: the connection broke or the network failed.
            None if error.is_closed() || is_io(&error) => {
                StoreError::Unavailable(error.to_string())
            }
            None => StoreError::Database(error.to_string()),
        },
    }
}

fn is_io(error: &tokio_postgres::Error) -> bool {
    std::error::Error::source(error).is_some_and(|source| source.is::<std::io::Error>())
}

impl Row for tokio_postgres::Row {
    fn text(&self, column: usize) -> Result<String, RowError> {
        self.try_get(column).map_err(|e| RowError::new(column, e))
    }
    fn opt_text(&self, column: usize) -> Result<Option<String>, RowError> {
        self.try_get(column).map_err(|e| RowError::new(column, e))
    }
    /// BIGINT, or the SMALLINT of a token's kind (also in `opt_int`).
    fn int(&self, column: usize) -> Result<i64, RowError> {
        self.try_get::<_, i64>(column)
            .or_else(|_| self.try_get::<_, i16>(column).map(i64::from))
            .map_err(|e| RowError::new(column, e))
    }
    fn opt_int(&self, column: usize) -> Result<Option<i64>, RowError> {
        self.try_get::<_, Option<i64>>(column)
            .or_else(|_| {
                self.try_get::<_, Option<i16>>(column)
                    .map(|v| v.map(i64::from))
            })
            .map_err(|e| RowError::new(column, e))
    }
    fn flag(&self, column: usize) -> Result<bool, RowError> {
        self.try_get(column).map_err(|e| RowError::new(column, e))
    }
    fn bytes(&self, column: usize) -> Result<Vec<u8>, RowError> {
        self.try_get(column).map_err(|e| RowError::new(column, e))
    }
}

/// Reads an optional row with one of [`super::rows`]' readers.
fn optional<T>(
    row: Option<tokio_postgres::Row>,
    read: fn(&dyn Row) -> Result<T, RowError>,
) -> Outcome<Option<T>> {
    Ok(row.as_ref().map(|row| read(row)).transpose()?)
}

/// Reads every row with one of [`super::rows`]' readers.
fn all<T>(
    rows: Vec<tokio_postgres::Row>,
    read: fn(&dyn Row) -> Result<T, RowError>,
) -> Outcome<Vec<T>> {
    Ok(rows.iter().map(|row| read(row)).collect::<Result<_, _>>()?)
}
