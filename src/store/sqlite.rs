//! The embedded SQLite store.
//!
//! Reads run inline, on the thread of the request that asks, on a
//! connection taken from a small pool: a lookup by primary key in SQLite's
//! page cache takes a few microseconds, less than handing it to another
//! thread and back (the benchmark measured sqlx's worker-thread design
//! spending over half of an introspection's time switching threads). WAL
//! lets these reads run beside the writer.
//!
//! All writes go to one writer thread that batches whatever is waiting into
//! a single transaction and fsync ("group commit"): many concurrent token
//! issuances cost one durable commit, and each caller is answered only after
//! the commit that holds its write. A single writer also makes every write
//! operation atomic with respect to the others.

mod accounts;
mod tokens;

use super::*;
use rusqlite::{ffi, Connection, ErrorCode, OpenFlags, TransactionBehavior};
use std::path::PathBuf;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// Most writes one commit carries; bounds the latency a batch adds.
const MAX_BATCH: usize = 512;
/// How long a connection waits for another process's lock (a second node or
/// a CLI command on the same file) before reporting the database busy.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// Prepared statements each connection keeps: every statement of the store.
const STATEMENT_CACHE: usize = 64;
/// The writer's page cache, in KiB (SQLite's default is 2000). Keys grow
/// with time, so a commit appends to the last pages of each B-tree and a
/// few hundred cached pages hold all it touches.
const WRITER_CACHE_KIB: i64 = 512;

/// Rows one purge batch deletes, so that a purge of millions of expired
/// tokens never holds the writer for long.
const PURGE_BATCH: i64 = 1000;

/// The schema, in order; `PRAGMA user_version` records how many are applied.
const MIGRATIONS: &[&str] = &[
    include_str!("../../migrations/sqlite/0001_init.sql"),
    include_str!("../../migrations/sqlite/0002_rate_limits.sql"),
    include_str!("../../migrations/sqlite/0003_codes_grant.sql"),
];

type Completion = Box<dyn FnOnce(Result<(), StoreError>) + Send>;
type WriteJob = Box<dyn FnOnce(&Connection) -> Completion + Send>;

pub struct SqliteStore {
    path: PathBuf,
    /// Idle read-only connections; a read takes one or opens a new one.
    readers: Mutex<Vec<Connection>>,
    max_idle_readers: usize,
    writes: mpsc::Sender<WriteJob>,
}

impl SqliteStore {
    /// Opens (creating if missing) the database file of a `sqlite://FILE`
    /// URL, migrates it and starts its writer thread.
    pub async fn open(url: &str, max_connections: u32) -> anyhow::Result<Self> {
        let path = file_of(url)?;
        let (writes, jobs) = mpsc::channel(MAX_BATCH * 4);
        let writer_path = path.clone();
        // Opening and migrating may wait on another process's lock.
        let writer = tokio::task::spawn_blocking(move || open_writer(&writer_path)).await??;
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || run_writer(writer, jobs))?;
        Ok(SqliteStore {
            path,
            readers: Mutex::new(Vec::new()),
            max_idle_readers: max_connections.max(1) as usize,
            writes,
        })
    }

    /// Runs `query` on a read-only connection, here and now.
    fn read<T>(&self, query: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> StoreResult<T> {
        let idle = self.idle_readers().pop();
        let conn = match idle {
            Some(conn) => conn,
            None => open_reader(&self.path).map_err(classify)?,
        };
        let result = query(&conn);
        let mut idle = self.idle_readers();
        if idle.len() < self.max_idle_readers {
            idle.push(conn);
        }
        result.map_err(classify)
    }

    fn idle_readers(&self) -> std::sync::MutexGuard<'_, Vec<Connection>> {
        // The lock is held for a push or a pop, which cannot panic: a
        // poisoned list is still a valid list.
        self.readers.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `job` inside the next group commit and returns its result once
    /// that commit is durable. A failing job is rolled back to its savepoint
    /// without disturbing the others in the batch.
    async fn write<T, F>(&self, job: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        let (answer, answered) = oneshot::channel();
        let job: WriteJob = Box::new(move |conn| {
            let result = in_savepoint(conn, job);
            Box::new(move |committed: Result<(), StoreError>| {
                let _ = answer.send(committed.and(result));
            })
        });
        let stopped = || StoreError::Unavailable("the SQLite writer has stopped".into());
        self.writes.send(job).await.map_err(|_| stopped())?;
        answered.await.map_err(|_| stopped())?
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

fn open_writer(path: &std::path::Path) -> anyhow::Result<Connection> {
    let mut conn = Connection::open(path)?;
    configure(&conn)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    // FULL: a commit is on disk before anyone is answered (SPEC §6).
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", true)?;
    conn.pragma_update(None, "cache_size", -WRITER_CACHE_KIB)?;
    migrate(&mut conn)?;
    Ok(conn)
}

fn open_reader(path: &std::path::Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    configure(&conn)?;
    Ok(conn)
}

/// Applies the migrations this file lacks. The version is read and raised
/// inside one `BEGIN IMMEDIATE` transaction, so that processes starting
/// together on one file migrate one after the other, never twice.
fn migrate(conn: &mut Connection) -> anyhow::Result<()> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let applied: usize = tx.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    anyhow::ensure!(
        applied <= MIGRATIONS.len(),
        "the database has schema version {applied}; this build knows only {}: upgrade Portcullis",
        MIGRATIONS.len()
    );
    for migration in &MIGRATIONS[applied..] {
        tx.execute_batch(migration)?;
    }
    tx.pragma_update(None, "user_version", MIGRATIONS.len())?;
    tx.commit()?;
    Ok(())
}

fn in_savepoint<T>(
    conn: &Connection,
    job: impl FnOnce(&Connection) -> rusqlite::Result<T>,
) -> StoreResult<T> {
    let statement = |sql: &str| conn.prepare_cached(sql)?.execute([]).map(|_| ());
    statement("SAVEPOINT job").map_err(classify)?;
    match job(conn) {
        Ok(value) => {
            statement("RELEASE job").map_err(classify)?;
            Ok(value)
        }
        Err(error) => {
            statement("ROLLBACK TO job").map_err(classify)?;
            statement("RELEASE job").map_err(classify)?;
            Err(classify(error))
        }
    }
}

fn run_writer(conn: Connection, mut jobs: mpsc::Receiver<WriteJob>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while let Some(first) = jobs.blocking_recv() {
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let mut completions = Vec::with_capacity(batch.len());
        let committed = conn.execute_batch("BEGIN IMMEDIATE").and_then(|()| {
            for job in batch.drain(..) {
                completions.push(job(&conn));
            }
            conn.execute_batch("COMMIT")
        });
        if let Err(error) = &committed {
            tracing::error!(%error, "group commit failed");
            let _ = conn.execute_batch("ROLLBACK");
            // Jobs that never ran are dropped: their callers see Unavailable.
            batch.clear();
        }
        for completion in completions {
            completion(match &committed {
                Ok(()) => Ok(()),
                Err(error) => Err(StoreError::Unavailable(format!("commit failed: {error}"))),
            });
        }
    }
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

#[async_trait]
impl Store for SqliteStore {
    async fn create_user(&self, username: &str, password_hash: &str) -> StoreResult<User> {
        let (username, password_hash) = (username.to_owned(), password_hash.to_owned());
        self.write(move |conn| accounts::create_user(conn, &username, &password_hash))
            .await
    }

    async fn user_by_name(&self, username: &str) -> StoreResult<Option<User>> {
        self.read(|conn| accounts::user_by_name(conn, username))
    }

    async fn user_by_id(&self, id: i64) -> StoreResult<Option<User>> {
        self.read(|conn| accounts::user_by_id(conn, id))
    }

    async fn list_users(&self) -> StoreResult<Vec<User>> {
        self.read(accounts::list_users)
    }

    async fn create_client(&self, client: &Client) -> StoreResult<()> {
        let client = client.clone();
        self.write(move |conn| accounts::create_client(conn, &client))
            .await
    }

    async fn client(&self, client_id: &str) -> StoreResult<Option<Client>> {
        self.read(|conn| accounts::client(conn, client_id))
    }

    async fn list_clients(&self, owner: Option<i64>) -> StoreResult<Vec<Client>> {
        self.read(|conn| accounts::list_clients(conn, owner))
    }

    async fn delete_client(&self, client_id: &str, owner: Option<i64>) -> StoreResult<bool> {
        let client_id = client_id.to_owned();
        self.write(move |conn| accounts::delete_client(conn, &client_id, owner))
            .await
    }

    async fn issue_grant(&self, grant: &NewGrant, new_tokens: &[NewToken]) -> StoreResult<i64> {
        let (grant, new_tokens) = (grant.clone(), new_tokens.to_vec());
        self.write(move |conn| tokens::issue_grant(conn, &grant, &new_tokens))
            .await
    }

    async fn token(&self, hash: &TokenHash) -> StoreResult<Option<TokenRecord>> {
        self.read(|conn| tokens::token(conn, hash))
    }

    async fn rotate_refresh(
        &self,
        refresh: &TokenHash,
        new_tokens: &[NewToken],
    ) -> StoreResult<bool> {
        let (refresh, new_tokens) = (*refresh, new_tokens.to_vec());
        self.write(move |conn| tokens::rotate_refresh(conn, &refresh, &new_tokens))
            .await
    }

    async fn revoke_token(&self, hash: &TokenHash) -> StoreResult<()> {
        let hash = *hash;
        self.write(move |conn| tokens::revoke_token(conn, &hash))
            .await
    }

    async fn revoke_grant(&self, grant_id: i64) -> StoreResult<()> {
        self.write(move |conn| tokens::revoke_grant(conn, grant_id))
            .await
    }

    async fn create_code(&self, code: &NewCode) -> StoreResult<()> {
        let code = code.clone();
        self.write(move |conn| tokens::create_code(conn, &code))
            .await
    }

    async fn code(&self, hash: &TokenHash) -> StoreResult<Option<CodeRecord>> {
        self.read(|conn| tokens::code(conn, hash))
    }

    async fn exchange_code(
        &self,
        hash: &TokenHash,
        grant: &NewGrant,
        new_tokens: &[NewToken],
    ) -> StoreResult<CodeExchange> {
        let (hash, grant, new_tokens) = (*hash, grant.clone(), new_tokens.to_vec());
        self.write(move |conn| tokens::exchange_code(conn, &hash, &grant, &new_tokens))
            .await
    }

    async fn create_session(&self, session: &NewSession) -> StoreResult<()> {
        let session = session.clone();
        self.write(move |conn| accounts::create_session(conn, &session))
            .await
    }

    async fn session(&self, hash: &TokenHash) -> StoreResult<Option<Session>> {
        self.read(|conn| accounts::session(conn, hash))
    }

    async fn delete_session(&self, hash: &TokenHash) -> StoreResult<()> {
        let hash = *hash;
        self.write(move |conn| accounts::delete_session(conn, &hash))
            .await
    }

    async fn failures(
        &self,
        keys: &[String],
        now: i64,
        window: i64,
    ) -> StoreResult<Vec<(String, Failures)>> {
        self.read(|conn| accounts::failures(conn, keys, now, window))
    }

    async fn add_failure(&self, keys: &[String], now: i64, window: i64) -> StoreResult<()> {
        let keys = keys.to_vec();
        self.write(move |conn| accounts::add_failure(conn, &keys, now, window))
            .await
    }

    /// Each batch is its own write, so requests interleave with a long purge.
    async fn purge_expired(&self, now: i64) -> StoreResult<u64> {
        let mut purged = 0;
        for statement in tokens::PURGE_STATEMENTS {
            loop {
                let (expired, grants) = self
                    .write(move |conn| tokens::purge_batch(conn, statement, now, PURGE_BATCH))
                    .await?;
                purged += expired + grants;
                if expired < PURGE_BATCH as u64 {
                    break;
                }
            }
        }
        Ok(purged)
    }

    async fn restaurants(&self) -> StoreResult<Vec<Restaurant>> {
        self.read(accounts::restaurants)
    }

    async fn update_restaurant(
        &self,
        id: i64,
        patch: &RestaurantPatch,
    ) -> StoreResult<Option<Restaurant>> {
        let patch = patch.clone();
        self.write(move |conn| accounts::update_restaurant(conn, id, &patch))
            .await
    }

    async fn ensure_restaurant(&self, restaurant: &Restaurant) -> StoreResult<()> {
        let restaurant = restaurant.clone();
        self.write(move |conn| accounts::ensure_restaurant(conn, &restaurant))
            .await
    }
}
