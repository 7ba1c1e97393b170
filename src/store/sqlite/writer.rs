//! The writer thread: all writes go to one thread that batches whatever is
//! waiting into a single transaction and fsync ("group commit"). Many
//! concurrent token issuances cost one durable commit, and each caller is
//! answered only after the commit that holds its write. A single writer
//! also makes every write operation atomic with respect to the others.
//! Closing ([`Writer::close`]) commits everything queued before it, then
//! stops the thread: the last step of a graceful shutdown.

use super::snapshot::end_step_reader;
use super::{classify, run_cached};
use crate::store::{StoreError, StoreResult};
use prometheus::{exponential_buckets, histogram_opts, Histogram};
use rusqlite::Connection;
use std::time::Instant;
use tokio::sync::{mpsc, oneshot};

/// Most writes one commit carries; bounds the latency a batch adds.
const MAX_BATCH: usize = 512;

type Completion = Box<dyn FnOnce(Result<(), StoreError>) + Send>;
type WriteJob = Box<dyn FnOnce(&Connection) -> Completion + Send>;

enum Job {
    Write(WriteJob),
    /// Commit what came before, stop, and say so.
    Close(oneshot::Sender<()>),
}

/// What the writer measures, for `/metrics` (recorded per commit, not per
/// write, so the cost does not grow with the load).
#[derive(Clone)]
pub struct CommitMetrics {
    pub batch_size: Histogram,
    pub commit_seconds: Histogram,
}

impl CommitMetrics {
    fn new() -> Self {
        let histogram = |name: &str, help: &str, buckets| {
            Histogram::with_opts(histogram_opts!(name, help, buckets)).expect("a valid metric")
        };
        CommitMetrics {
            batch_size: histogram(
                "portcullis_sqlite_commit_batch_size",
                "Writes per SQLite group commit",
                exponential_buckets(1.0, 2.0, 10).unwrap_or_default(),
            ),
            commit_seconds: histogram(
                "portcullis_sqlite_commit_seconds",
                "Time of one SQLite group commit: its writes and its fsync",
                exponential_buckets(0.0001, 2.5, 12).unwrap_or_default(),
            ),
        }
    }
}

/// The way to the writer thread.
pub struct Writer {
    jobs: mpsc::Sender<Job>,
    pub metrics: CommitMetrics,
}

impl Writer {
    /// Starts the writer thread on `conn`, which has been migrated.
    pub fn start(conn: Connection) -> std::io::Result<Self> {
        let (jobs, queue) = mpsc::channel(MAX_BATCH * 4);
        let metrics = CommitMetrics::new();
        let measured = metrics.clone();
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || run_writer(conn, queue, measured))?;
        Ok(Writer { jobs, metrics })
    }

    /// Commits every write queued so far and stops the thread; later
    /// writes fail as unavailable (503), so nothing is acknowledged that
    /// was not committed.
    pub async fn close(&self) {
        let (done, closed) = oneshot::channel();
        if self.jobs.send(Job::Close(done)).await.is_ok() {
            let _ = closed.await;
        }
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
        self.jobs
            .send(Job::Write(job))
            .await
            .map_err(|_| stopped())?;
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

fn run_writer(conn: Connection, mut jobs: mpsc::Receiver<Job>, metrics: CommitMetrics) {
    let _exit_if_panics = ExitIfWriterPanics;
    let mut batch = Vec::with_capacity(MAX_BATCH);
    let mut closed = None;
    while closed.is_none() {
        let Some(first) = jobs.blocking_recv() else {
            break;
        };
        let mut next = Some(first);
        while let Some(job) = next.take() {
            match job {
                Job::Write(write) => batch.push(write),
                Job::Close(done) => {
                    closed = Some(done);
                    break;
                }
            }
            if batch.len() < MAX_BATCH {
                next = jobs.try_recv().ok();
            }
        }
        if batch.is_empty() {
            continue;
        }
        let started = Instant::now();
        metrics.batch_size.observe(batch.len() as f64);
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
        metrics
            .commit_seconds
            .observe(started.elapsed().as_secs_f64());
        for completion in completions {
            completion(match &committed {
                Ok(()) => Ok(()),
                Err(error) => Err(StoreError::Unavailable(format!("commit failed: {error}"))),
            });
        }
    }
    // Writes queued after the close are dropped unrun: their callers get
    // "unavailable", never an acknowledgement.
    drop(jobs);
    drop(conn);
    if let Some(done) = closed {
        let _ = done.send(());
    }
}
