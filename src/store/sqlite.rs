//! The embedded SQLite store.
//!
//! Reads run inline, on the thread of the request that asks, on a
//! connection taken from a small pool: a lookup by primary key in SQLite's
//! page cache takes a few microseconds, less than handing it to another
//! thread and back (the benchmark measured sqlx's worker-thread design
//! spending over half of an introspection's time switching threads). WAL
//! lets these reads run beside the writer.
//!
//! Each read transaction takes and releases a WAL-index lock with two
//! `fcntl` calls, which cost more than a cached lookup: under introspection
//! they were a fifth of the server's time. So the reads that one request
//! makes without waiting in between (the lockout counters, the client, the
//! token) share one read transaction: see [`super::share_read_snapshots`].
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
use std::cell::RefCell;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
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
    include_str!("../../migrations/sqlite/0004_security_review.sql"),
    include_str!("../../migrations/sqlite/0005_restaurant_oids.sql"),
];

type Completion = Box<dyn FnOnce(Result<(), StoreError>) + Send>;
type WriteJob = Box<dyn FnOnce(&Connection) -> Completion + Send>;

pub struct SqliteStore {
    readers: Arc<Readers>,
    writes: mpsc::Sender<WriteJob>,
}

/// Idle read-only connections; a read takes one or opens a new one.
struct Readers {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
    max_idle: usize,
}

impl Readers {
    fn take(&self) -> rusqlite::Result<Connection> {
        match self.idle().pop() {
            Some(conn) => Ok(conn),
            None => open_reader(&self.path),
        }
    }

    fn give_back(&self, conn: Connection) {
        let mut idle = self.idle();
        if idle.len() < self.max_idle {
            idle.push(conn);
        }
    }

    fn idle(&self) -> std::sync::MutexGuard<'_, Vec<Connection>> {
        // The lock is held for a push or a pop, which cannot panic: a
        // poisoned list is still a valid list.
        self.idle.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

tokio::task_local! {
    /// The read transaction shared by the reads of the current step of a
    /// request (see [`step_scope`]); empty until the step's first read.
    static STEP_READER: RefCell<Option<StepReader>>;
}

/// A reader connection inside an open read transaction.
struct StepReader {
    conn: Connection,
    readers: Arc<Readers>,
}

impl StepReader {
    /// Ends the read transaction and returns the connection to its pool;
    /// a connection whose transaction will not end is closed instead.
    fn end(self) {
        if run_cached(&self.conn, "COMMIT").is_ok() {
            self.readers.give_back(self.conn);
        }
    }
}

/// Runs `step` (one poll of a request's future) with a step reader: its
/// reads from one store share one read transaction, which ends when the
/// step does, before the request waits for anything.
pub(super) fn step_scope<R>(step: impl FnOnce() -> R) -> R {
    STEP_READER.sync_scope(RefCell::new(None), || {
        let result = step();
        end_step_reader();
        result
    })
}

/// Ends the current step's read transaction, if any: at the end of the
/// step, and before a write, so that reads after it see it.
fn end_step_reader() {
    let reader = STEP_READER
        .try_with(|slot| slot.try_borrow_mut().ok().and_then(|mut slot| slot.take()))
        .ok()
        .flatten();
    if let Some(reader) = reader {
        reader.end();
    }
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
            readers: Arc::new(Readers {
                path,
                idle: Mutex::new(Vec::new()),
                max_idle: max_connections.max(1) as usize,
            }),
            writes,
        })
    }

    /// Runs `query` on a read-only connection, here and now: inside the
    /// current step's read transaction if there is a step scope, else in a
    /// transaction of its own.
    fn read<T>(&self, query: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> StoreResult<T> {
        let in_step = STEP_READER
            .try_with(|slot| slot.try_borrow_mut().is_ok())
            .unwrap_or(false);
        if in_step {
            // Just checked: the scope is set and its slot is free.
            STEP_READER.with(|slot| self.read_in_step(&mut slot.borrow_mut(), query))
        } else {
            let conn = self.readers.take().map_err(classify)?;
            let result = query(&conn);
            self.readers.give_back(conn);
            result.map_err(classify)
        }
    }

    fn read_in_step<T>(
        &self,
        slot: &mut Option<StepReader>,
        query: impl FnOnce(&Connection) -> rusqlite::Result<T>,
    ) -> StoreResult<T> {
        let reader = match slot {
            Some(reader) if Arc::ptr_eq(&reader.readers, &self.readers) => reader,
            _ => {
                // A step that reads two stores (only tests run several)
                // keeps a transaction on the latest one.
                if let Some(other) = slot.take() {
                    other.end();
                }
                let conn = self.readers.take().map_err(classify)?;
                // BEGIN is deferred: the snapshot is taken by the first read.
                run_cached(&conn, "BEGIN").map_err(classify)?;
                slot.insert(StepReader {
                    conn,
                    readers: Arc::clone(&self.readers),
                })
            }
        };
        let result = query(&reader.conn);
        if result.is_err() {
            if let Some(reader) = slot.take() {
                reader.end();
            }
        }
        result.map_err(classify)
    }

    /// Runs `job` inside the next group commit and returns its result once
    /// that commit is durable. A failing job is rolled back to its savepoint
    /// without disturbing the others in the batch.
    async fn write<T, F>(&self, job: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        end_step_reader();
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

/// Runs a statement without parameters from the statement cache, which
/// spares parsing it on every request.
fn run_cached(conn: &Connection, sql: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(sql)?.execute([]).map(|_| ())
}

/// Runs one write job inside a savepoint of the batch's transaction. A job
/// that fails, or panics, is rolled back to its savepoint without
/// disturbing the others in the batch, and the writer goes on serving: a
/// panic in one request must not leave every later write failing.
fn in_savepoint<T>(
    conn: &Connection,
    job: impl FnOnce(&Connection) -> rusqlite::Result<T>,
) -> StoreResult<T> {
    run_cached(conn, "SAVEPOINT job").map_err(classify)?;
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job(conn)));
    let failure = match outcome {
        Ok(Ok(value)) => {
            run_cached(conn, "RELEASE job").map_err(classify)?;
            return Ok(value);
        }
        Ok(Err(error)) => classify(error),
        Err(_) => {
            tracing::error!("a write panicked; it was rolled back");
            StoreError::Database("the write failed".into())
        }
    };
    run_cached(conn, "ROLLBACK TO job").map_err(classify)?;
    run_cached(conn, "RELEASE job").map_err(classify)?;
    Err(failure)
}

/// Ends the process if the writer thread unwinds outside a job (a bug in
/// the writer itself): with no writer every write would fail until a
/// restart, so exit and let the supervisor restart the node at once.
struct ExitIfWriterPanics;

impl Drop for ExitIfWriterPanics {
    fn drop(&mut self) {
        if std::thread::panicking() {
            tracing::error!("the SQLite writer panicked; exiting so that a supervisor restarts");
            std::process::exit(70);
        }
    }
}

fn run_writer(conn: Connection, mut jobs: mpsc::Receiver<WriteJob>) {
    let _exit_if_panics = ExitIfWriterPanics;
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
        let committed = run_cached(&conn, "BEGIN IMMEDIATE").and_then(|()| {
            for job in batch.drain(..) {
                completions.push(job(&conn));
            }
            run_cached(&conn, "COMMIT")
        });
        if let Err(error) = &committed {
            tracing::error!(%error, "group commit failed");
            let _ = run_cached(&conn, "ROLLBACK");
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

    async fn count_attempts(
        &self,
        keys: &[String],
        now: i64,
        window: i64,
    ) -> StoreResult<Vec<Failures>> {
        let keys = keys.to_vec();
        self.write(move |conn| accounts::count_attempts(conn, &keys, now, window))
            .await
    }

    async fn release_attempts(&self, counted: &[(String, i64)]) -> StoreResult<()> {
        let counted = counted.to_vec();
        self.write(move |conn| accounts::release_attempts(conn, &counted))
            .await
    }

    async fn server_secret(&self, name: &str) -> StoreResult<Vec<u8>> {
        let name = name.to_owned();
        self.write(move |conn| accounts::server_secret(conn, &name))
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
        key: &RestaurantKey,
        patch: &RestaurantPatch,
    ) -> StoreResult<Option<Restaurant>> {
        let (key, patch) = (key.clone(), patch.clone());
        self.write(move |conn| accounts::update_restaurant(conn, &key, &patch))
            .await
    }

    async fn ensure_restaurant(&self, restaurant: &Restaurant) -> StoreResult<()> {
        let restaurant = restaurant.clone();
        self.write(move |conn| accounts::ensure_restaurant(conn, &restaurant))
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::share_read_snapshots;

    /// A store in a fresh directory, and a connection of its own that
    /// commits behind the store's back, as another process would.
    async fn store_and_other_writer() -> (tempfile::TempDir, SqliteStore, Connection) {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join("portcullis.db");
        let store = SqliteStore::open(&format!("sqlite://{}", path.display()), 2)
            .await
            .expect("open the store");
        let other = Connection::open(&path).expect("open a second connection");
        (dir, store, other)
    }

    fn add_user(conn: &Connection, name: &str) {
        conn.execute(
            "INSERT INTO users (username, password_hash, created_at) VALUES (?, 'x', 0)",
            [name],
        )
        .expect("insert a user");
    }

    #[tokio::test]
    async fn reads_in_one_step_share_a_snapshot() {
        let (_dir, store, other) = store_and_other_writer().await;
        let (before, during) = share_read_snapshots(async {
            let before = store.user_by_name("alice").await.expect("read");
            add_user(&other, "alice");
            let during = store.user_by_name("alice").await.expect("read");
            (before, during)
        })
        .await;
        assert!(before.is_none());
        assert!(
            during.is_none(),
            "the second read used the first's snapshot"
        );
        let after = store.user_by_name("alice").await.expect("read");
        assert!(after.is_some(), "a later read sees the commit");
    }

    #[tokio::test]
    async fn a_snapshot_ends_when_the_request_waits() {
        let (_dir, store, other) = store_and_other_writer().await;
        let after_wait = share_read_snapshots(async {
            assert!(store.user_by_name("bob").await.expect("read").is_none());
            add_user(&other, "bob");
            tokio::task::yield_now().await;
            store.user_by_name("bob").await.expect("read")
        })
        .await;
        assert!(after_wait.is_some(), "a read after a wait sees the commit");
    }

    #[tokio::test]
    async fn a_panicking_write_is_rolled_back_and_the_writer_goes_on() {
        let (_dir, store, _) = store_and_other_writer().await;
        let panicked = store
            .write(|conn| -> rusqlite::Result<()> {
                conn.execute(
                    "INSERT INTO users (username, password_hash, created_at) VALUES ('x', 'x', 0)",
                    [],
                )?;
                panic!("a bug in a write")
            })
            .await;
        assert!(matches!(panicked, Err(StoreError::Database(_))));
        assert!(store.user_by_name("x").await.expect("read").is_none());
        store
            .create_user("dave", "x")
            .await
            .expect("the next write works");
        assert!(store.user_by_name("dave").await.expect("read").is_some());
    }

    #[tokio::test]
    async fn a_write_ends_the_snapshot() {
        let (_dir, store, _) = store_and_other_writer().await;
        let found = share_read_snapshots(async {
            assert!(store.user_by_name("carol").await.expect("read").is_none());
            store.create_user("carol", "x").await.expect("write");
            store.user_by_name("carol").await.expect("read")
        })
        .await;
        assert!(found.is_some(), "a read after the request's write sees it");
    }
}
