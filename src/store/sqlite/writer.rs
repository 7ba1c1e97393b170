//! The writer thread: all writes go to one thread that batches whatever is
//! waiting into a single transaction and fsync ("group commit"). Many
//! concurrent token issuances cost one durable commit, and each caller is
//! answered only after the commit that holds its write. A single writer
//! also makes every write operation atomic with respect to the others.

use super::snapshot::end_step_reader;
use super::{classify, run_cached};
use crate::store::{StoreError, StoreResult};
use rusqlite::Connection;
use tokio::sync::{mpsc, oneshot};

/// Most writes one commit carries; bounds the latency a batch adds.
const MAX_BATCH: usize = 512;

type Completion = Box<dyn FnOnce(Result<(), StoreError>) + Send>;
type WriteJob = Box<dyn FnOnce(&Connection) -> Completion + Send>;

/// The way to the writer thread.
pub struct Writer {
    jobs: mpsc::Sender<WriteJob>,
}

impl Writer {
    /// Starts the writer thread on `conn`, which has been migrated.
    pub fn start(conn: Connection) -> std::io::Result<Self> {
        let (jobs, queue) = mpsc::channel(MAX_BATCH * 4);
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || run_writer(conn, queue))?;
        Ok(Writer { jobs })
    }

    /// Runs `job` inside the next group commit and returns its result once
    /// that commit is durable.
    pub async fn write<T, F>(&self, job: F) -> StoreResult<T>
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
        self.jobs.send(job).await.map_err(|_| stopped())?;
        answered.await.map_err(|_| stopped())?
    }
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
