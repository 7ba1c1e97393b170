//! Argon2id for passwords and secrets a person chose, computed on dedicated
//! threads, one per core, never on the async workers: a burst of logins
//! queues here instead of starving other requests, and a flood beyond a
//! short queue is refused rather than queued.

use super::{constant_time_eq, random_secret};
use anyhow::Context;
use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use crossbeam_channel::{Receiver, RecvTimeoutError, Sender, TrySendError};
use rand::rngs::OsRng;
use std::sync::OnceLock;
use std::time::Duration;
use tokio::sync::oneshot;

/// How long a hashing thread keeps its working memory with no work: a run
/// of logins reuses it, an idle server gives it back.
const KEEP_MEMORY_IDLE: Duration = Duration::from_secs(1);

/// Jobs that may wait for a hashing thread, per thread. A job takes a few
/// tens of milliseconds, so a full queue is about half a second of work:
/// beyond that a flood of logins is refused (503) rather than queued, so
/// that it can grow neither memory nor the wait of everyone behind it.
const QUEUED_JOBS_PER_THREAD: usize = 16;

type HashJob = Box<dyn FnOnce(&mut Vec<Block>) + Send>;

/// Why Argon2 work was not done.
#[derive(Debug, thiserror::Error)]
pub enum HashingError {
    /// Every hashing thread is busy and the queue is full: retry shortly.
    #[error("the password hashing queue is full")]
    Busy,
    #[error(transparent)]
    Failed(#[from] anyhow::Error),
}

/// The server's pool, started by the first hash.
static POOL: OnceLock<HashingPool> = OnceLock::new();

/// Jobs waiting for a hashing thread (the `portcullis_argon2_queue_depth`
/// metric); 0 before the first hash.
pub fn queue_depth() -> usize {
    POOL.get().map_or(0, |pool| pool.jobs.len())
}

/// Hashing threads and their bounded queue. Each thread fills the same
/// working memory (19 MiB) for hash after hash, so memory stays at one
/// buffer per busy core and no hash in a run pays for mapping and zeroing
/// fresh pages.
struct HashingPool {
    jobs: Sender<HashJob>,
}

impl HashingPool {
    /// The server's pool: one thread per core.
    fn shared() -> &'static HashingPool {
        POOL.get_or_init(|| {
            let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
            HashingPool::start(threads, threads * QUEUED_JOBS_PER_THREAD)
        })
    }

    fn start(threads: usize, queued: usize) -> HashingPool {
        let (sender, jobs) = crossbeam_channel::bounded::<HashJob>(queued);
        for index in 0..threads {
            let jobs = jobs.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("argon2-{index}"))
                .spawn(move || run_hashing_thread(&jobs));
            if let Err(error) = spawned {
                tracing::error!(%error, "cannot start an Argon2 thread");
            }
        }
        HashingPool { jobs: sender }
    }

    /// Runs Argon2 work on a hashing thread, with that thread's working
    /// memory. A job whose caller has gone (the request timed out or the
    /// client hung up) is dropped unrun: nobody would read its answer.
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Vec<Block>) -> anyhow::Result<T> + Send + 'static,
    ) -> Result<T, HashingError> {
        let (answer, answered) = oneshot::channel();
        let job: HashJob = Box::new(move |memory| {
            if !answer.is_closed() {
                let _ = answer.send(work(memory));
            }
        });
        self.jobs.try_send(job).map_err(|error| match error {
            TrySendError::Full(_) => HashingError::Busy,
            TrySendError::Disconnected(_) => anyhow::anyhow!("no Argon2 thread is running").into(),
        })?;
        let result = answered
            .await
            .map_err(|_| anyhow::anyhow!("the Argon2 thread stopped"))?;
        Ok(result?)
    }
}

fn run_hashing_thread(jobs: &Receiver<HashJob>) {
    let mut memory = Vec::new();
    loop {
        let job = if memory.is_empty() {
            jobs.recv().map_err(|_| RecvTimeoutError::Disconnected)
        } else {
            jobs.recv_timeout(KEEP_MEMORY_IDLE)
        };
        match job {
            Ok(job) => job(&mut memory),
            // `argon2_into` allocates it again for the next job.
            Err(RecvTimeoutError::Timeout) => {
                memory = Vec::new();
                return_freed_memory();
            }
            Err(RecvTimeoutError::Disconnected) => return,
        }
    }
}

/// glibc keeps a freed buffer this size in the thread's arena (after the
/// first one it stops mapping such sizes separately); trimming gives its
/// pages back to the system.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn return_freed_memory() {
    // SAFETY: malloc_trim has no preconditions; it only releases free pages.
    unsafe { libc::malloc_trim(0) };
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn return_freed_memory() {}

fn argon2_error(error: impl std::fmt::Display) -> anyhow::Error {
    anyhow::anyhow!("argon2: {error}")
}

/// Argon2 over `memory`, grown first if `argon2`'s parameters need more (a
/// hash made with stronger settings than this build's).
fn argon2_into(
    argon2: &Argon2,
    memory: &mut Vec<Block>,
    password: &[u8],
    salt: &[u8],
    out: &mut [u8],
) -> anyhow::Result<()> {
    let blocks = argon2.params().block_count();
    if memory.len() < blocks {
        memory.resize(blocks, Block::default());
    }
    argon2
        .hash_password_into_with_memory(password, salt, out, &mut memory[..blocks])
        .map_err(argon2_error)
}

/// Argon2id with the crate's defaults (m = 19 MiB, t = 2, p = 1: the OWASP
/// recommendation), as a PHC string.
pub async fn hash_password(password: String) -> Result<String, HashingError> {
    HashingPool::shared()
        .run(move |memory| hash_phc(memory, password.as_bytes()))
        .await
}

fn hash_phc(memory: &mut Vec<Block>, password: &[u8]) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    let argon2 = Argon2::default();
    let mut salt_bytes = [0u8; 64];
    let salt_bytes = salt.decode_b64(&mut salt_bytes).map_err(argon2_error)?;
    let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
    argon2_into(&argon2, memory, password, salt_bytes, &mut out)?;
    let hash = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::default().into()),
        params: ParamsString::try_from(argon2.params()).map_err(argon2_error)?,
        salt: Some(salt.as_salt()),
        hash: Some(Output::new(&out).map_err(argon2_error)?),
    };
    Ok(hash.to_string())
}

/// Recomputes a PHC Argon2 hash for `password` and compares in constant time.
fn verify_phc(memory: &mut Vec<Block>, stored: &str, password: &[u8]) -> anyhow::Result<bool> {
    let hash = PasswordHash::new(stored).map_err(argon2_error)?;
    let expected = hash.hash.context("the stored hash has no output")?;
    let salt = hash.salt.context("the stored hash has no salt")?;
    let algorithm = Algorithm::try_from(hash.algorithm).map_err(argon2_error)?;
    let version = match hash.version {
        Some(version) => Version::try_from(version).map_err(argon2_error)?,
        None => Version::default(),
    };
    let params = Params::try_from(&hash).map_err(argon2_error)?;
    let argon2 = Argon2::new(algorithm, version, params);
    let mut salt_bytes = [0u8; 64];
    let salt_bytes = salt.decode_b64(&mut salt_bytes).map_err(argon2_error)?;
    let mut out = vec![0u8; expected.len()];
    argon2_into(&argon2, memory, password, salt_bytes, &mut out)?;
    Ok(constant_time_eq(&out, expected.as_bytes()))
}

/// A valid hash of nothing anyone knows, verified when the user does not
/// exist so that an unknown username costs the same time as a wrong password.
fn dummy_hash(memory: &mut Vec<Block>) -> anyhow::Result<&'static str> {
    static DUMMY: OnceLock<String> = OnceLock::new();
    if let Some(hash) = DUMMY.get() {
        return Ok(hash);
    }
    let hash = hash_phc(memory, random_secret().as_bytes())?;
    Ok(DUMMY.get_or_init(|| hash))
}

/// Verifies a password against its stored hash; `None` (no such user) does
/// the same work against a dummy hash and fails. A stored hash that cannot
/// be read fails verification (and is logged); only a full queue is an
/// error.
pub async fn verify_password(
    stored: Option<String>,
    password: String,
) -> Result<bool, HashingError> {
    let exists = stored.is_some();
    let verified = HashingPool::shared()
        .run(move |memory| {
            let stored = match &stored {
                Some(stored) => stored.as_str(),
                None => dummy_hash(memory)?,
            };
            verify_phc(memory, stored, password.as_bytes())
        })
        .await;
    match verified {
        Ok(verified) => Ok(exists && verified),
        Err(HashingError::Failed(error)) => {
            tracing::warn!(%error, "a stored password hash cannot be verified");
            Ok(false)
        }
        Err(busy) => Err(busy),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashing_threads_work_again_after_giving_back_their_memory() {
        let stored = hash_password("pass".into()).await.unwrap();
        tokio::time::sleep(KEEP_MEMORY_IDLE + Duration::from_millis(200)).await;
        assert!(verify_password(Some(stored), "pass".into()).await.unwrap());
    }

    #[tokio::test]
    async fn argon2_password_verifies_only_the_right_password() {
        let stored = hash_password("pass".into()).await.unwrap();
        assert!(stored.starts_with("$argon2id$"));
        assert!(verify_password(Some(stored.clone()), "pass".into())
            .await
            .unwrap());
        assert!(!verify_password(Some(stored), "pasS".into()).await.unwrap());
        assert!(!verify_password(None, "pass".into()).await.unwrap());
    }

    /// A pool of its own, so that the flood delays no other test.
    #[tokio::test]
    async fn a_flood_beyond_the_queue_is_refused_and_abandoned_jobs_are_skipped() {
        let pool = HashingPool::start(1, 2);
        let ran = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let job = |ran: std::sync::Arc<std::sync::atomic::AtomicUsize>| {
            move |_: &mut Vec<Block>| {
                std::thread::sleep(Duration::from_millis(50));
                ran.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                Ok(())
            }
        };
        // One running and two queued fill the pool; abandon those three.
        let mut running = Box::pin(pool.run(job(ran.clone())));
        assert!(futures::poll!(running.as_mut()).is_pending());
        tokio::time::sleep(Duration::from_millis(20)).await;
        let mut queued: Vec<_> = (0..2)
            .map(|_| Box::pin(pool.run(job(ran.clone()))))
            .collect();
        for attempt in &mut queued {
            assert!(futures::poll!(attempt.as_mut()).is_pending());
        }
        let refused = pool.run(job(ran.clone())).await;
        assert!(
            matches!(refused, Err(HashingError::Busy)),
            "a full queue refuses"
        );
        drop((running, queued));
        tokio::time::sleep(Duration::from_millis(200)).await;
        // The running job finished; the two abandoned in the queue never ran.
        assert!(ran.load(std::sync::atomic::Ordering::SeqCst) <= 1);
        pool.run(job(ran.clone())).await.expect("serves again");
    }
}
