//! The embedded SQLite store: reads inline on a small pool of read-only
//! connections ([`readers`]), sharing one read transaction per request step
//! ([`snapshot`]); writes on one group-committing writer thread
//! ([`writer`]); the schema in [`migrate`]. Each aggregate's SQL is in its
//! own file, implementing that aggregate's trait.

mod attempts;
pub mod backup;
mod clients;
mod grants;
mod keys;
mod migrate;
mod operations;
mod readers;
mod registrations;
mod resources;
mod restaurants;
mod sessions;
mod snapshot;
mod users;
mod writer;

use super::rows::{Row, RowError};
use super::*;
use readers::Readers;
use rusqlite::{ffi, Connection, ErrorCode};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use writer::Writer;

/// How long a connection waits for another process's lock (a second node or
/// a CLI command on the same file) before reporting the database busy.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// Prepared statements each connection keeps: every statement of the store.
const STATEMENT_CACHE: usize = 64;

pub struct SqliteStore {
    readers: Arc<Readers>,
    writer: Writer,
}

impl SqliteStore {
    /// Opens (creating if missing) the database file of a `sqlite://FILE`
    /// URL, migrates it and starts its writer thread.
    pub async fn open(url: &str, max_connections: u32) -> anyhow::Result<Self> {
        let path = file_of(url)?;
        let writer_path = path.clone();
        // Opening and migrating may wait on another process's lock.
        let conn =
            tokio::task::spawn_blocking(move || migrate::open_writer(&writer_path)).await??;
        Ok(SqliteStore {
            readers: Arc::new(Readers::new(path, max_connections.max(1) as usize)),
            writer: Writer::start(conn)?,
        })
    }

    /// Runs `query` on a read-only connection, here and now (inside the
    /// step's shared read transaction, if any).
    fn read<T>(&self, query: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> StoreResult<T> {
        snapshot::read(&self.readers, query)
    }

    /// Runs `job` in the next group commit; answers once it is durable.
    async fn write<T, F>(&self, job: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        self.writer.write(job).await
    }
}

#[async_trait]
impl Store for SqliteStore {
    /// Each batch is its own write, so requests interleave with a long purge.
    async fn purge_expired(&self, now: i64, unused_clients_before: i64) -> StoreResult<u64> {
        grants::purge_expired(self, now, unused_clients_before).await
    }

    fn poll_scope(&self) -> Option<PollScope> {
        Some(snapshot::step_scope)
    }

    async fn ready(&self) -> StoreResult<bool> {
        let version: usize = self.read(|conn| {
            conn.prepare_cached("PRAGMA user_version")?
                .query_row([], |row| row.get(0))
        })?;
        Ok(version == migrate::schema_version())
    }

    async fn close(&self) {
        self.writer.close().await;
    }

    fn collectors(&self) -> Vec<Box<dyn prometheus::core::Collector>> {
        let readers = Arc::clone(&self.readers);
        vec![
            Box::new(self.writer.metrics.batch_size.clone()),
            Box::new(self.writer.metrics.commit_seconds.clone()),
            crate::metrics::pool_gauge(move || readers.usage()),
        ]
    }
}

/// `sqlite://FILE` or `sqlite:FILE`, with any `?…` options ignored.
fn file_of(url: &str) -> anyhow::Result<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .ok_or_else(|| anyhow::anyhow!("not a SQLite URL: {url:?}"))?;
    let file = rest.split('?').next().unwrap_or_default();
    anyhow::ensure!(
        !file.is_empty() && !file.contains(":memory:"),
        "a SQLite URL names a file (sqlite://FILE): the store is shared by several connections"
    );
    Ok(PathBuf::from(file))
}

fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    Ok(())
}

/// Runs a statement without parameters from the statement cache, which
/// spares parsing it on every request.
fn run_cached(conn: &Connection, sql: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(sql)?.execute([]).map(|_| ())
}

/// Sorts a SQLite failure: a broken uniqueness rule is a conflict; a file
/// that is locked, unreadable or full is worth a retry (503).
fn classify(error: rusqlite::Error) -> StoreError {
    if let rusqlite::Error::SqliteFailure(failure, _) = &error {
        match failure.code {
            ErrorCode::ConstraintViolation
                if matches!(
                    failure.extended_code,
                    ffi::SQLITE_CONSTRAINT_UNIQUE | ffi::SQLITE_CONSTRAINT_PRIMARYKEY
                ) =>
            {
                return StoreError::Conflict
            }
            ErrorCode::DatabaseBusy
            | ErrorCode::DatabaseLocked
            | ErrorCode::CannotOpen
            | ErrorCode::DiskFull
            | ErrorCode::SystemIoFailure => return StoreError::Unavailable(error.to_string()),
            _ => {}
        }
    }
    StoreError::Database(error.to_string())
}

/// Maps a row with one of [`super::rows`]' readers, inside rusqlite.
fn mapped<T>(
    read: fn(&dyn Row) -> Result<T, RowError>,
) -> impl Fn(&rusqlite::Row<'_>) -> rusqlite::Result<T> {
    move |row| {
        read(row).map_err(|error| {
            rusqlite::Error::FromSqlConversionFailure(
                error.column,
                rusqlite::types::Type::Null,
                error.into(),
            )
        })
    }
}

impl Row for rusqlite::Row<'_> {
    fn text(&self, column: usize) -> Result<String, RowError> {
        self.get(column).map_err(|e| RowError::new(column, e))
    }
    fn opt_text(&self, column: usize) -> Result<Option<String>, RowError> {
        self.get(column).map_err(|e| RowError::new(column, e))
    }
    fn int(&self, column: usize) -> Result<i64, RowError> {
        self.get(column).map_err(|e| RowError::new(column, e))
    }
    fn opt_int(&self, column: usize) -> Result<Option<i64>, RowError> {
        self.get(column).map_err(|e| RowError::new(column, e))
    }
    fn flag(&self, column: usize) -> Result<bool, RowError> {
        self.get(column).map_err(|e| RowError::new(column, e))
    }
    fn bytes(&self, column: usize) -> Result<Vec<u8>, RowError> {
        self.get(column).map_err(|e| RowError::new(column, e))
    }
}

#[cfg(test)]
mod tests;
