//! Random secrets, SHA-256 for high-entropy secrets, Argon2id for human ones.
//!
//! Tokens, codes, session ids and server-generated client secrets carry 256
//! random bits, so one SHA-256 is enough at rest. Passwords and secrets a
//! person chose get Argon2id, computed on dedicated threads, one per core,
//! so that a burst of logins neither starves the async workers nor
//! multiplies Argon2's memory.

use crate::store::TokenHash;
use anyhow::Context;
use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};
use rand::rngs::OsRng;
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::sync::OnceLock;
use std::time::Duration;
use subtle::ConstantTimeEq;
use tokio::sync::oneshot;

/// 256 bits from the OS generator, base64url without padding (43 chars).
pub fn random_secret() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A shorter random identifier (128 bits) for public values like client ids.
pub fn random_id() -> String {
    let mut bytes = [0u8; 16];
    OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A public record id in the form of a MongoDB ObjectId (24 lowercase hex
/// digits), which the Tornado seed's clients send back: 96 random bits.
pub fn object_id() -> String {
    let mut bytes = [0u8; 12];
    OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

pub fn sha256(value: &[u8]) -> [u8; 32] {
    Sha256::digest(value).into()
}

/// The length of a token's id: 48 bits of time and 80 random bits.
const TOKEN_ID_LEN: usize = 16;
/// An id followed by 256 random bits.
const TOKEN_LEN: usize = TOKEN_ID_LEN + 32;

/// A new token, code or session id: base64url (64 chars) of a 128-bit id
/// that starts with the time in milliseconds, big-endian (the layout of
/// UUIDv7, RFC 9562 §5.7), then 256 random bits.
///
/// The id leads the at-rest key (see [`token_hash`]), so keys sort by time:
/// each new row lands on the last page of the store's B-tree instead of a
/// random one, and a commit of many tokens writes a few pages rather than
/// one per token, while the tokens in use (the recent ones) share pages
/// that stay cached however large the table grows.
pub fn new_token() -> String {
    let mut bytes = [0u8; TOKEN_LEN];
    OsRng.fill_bytes(&mut bytes);
    bytes[..6].copy_from_slice(&crate::time::now_millis().to_be_bytes()[2..]);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The at-rest key of a token, code or session id: its id, then the SHA-256
/// of the whole token. Only a presenter of the exact token can produce a
/// stored key; the id alone grants nothing. A value that is not one of our
/// tokens gets an all-zero id, which no minted token has.
pub fn token_hash(token: &str) -> TokenHash {
    let mut key = [0u8; TokenHash::LEN];
    let mut decoded = [0u8; TOKEN_LEN];
    if let Ok(TOKEN_LEN) = URL_SAFE_NO_PAD.decode_slice(token, &mut decoded) {
        key[..TOKEN_ID_LEN].copy_from_slice(&decoded[..TOKEN_ID_LEN]);
    }
    key[TOKEN_ID_LEN..].copy_from_slice(&sha256(token.as_bytes()));
    TokenHash(key)
}

/// Constant-time equality; the length of the inputs is not secret.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

const SHA256_PREFIX: &str = "sha256:";

/// The at-rest form of a server-generated (high-entropy) client secret.
pub fn sha256_secret_hash(secret: &str) -> String {
    format!("{SHA256_PREFIX}{}", hex::encode(sha256(secret.as_bytes())))
}

/// How long a hashing thread keeps its working memory with no work: a run
/// of logins reuses it, an idle server gives it back.
const KEEP_MEMORY_IDLE: Duration = Duration::from_secs(1);

/// The hashing threads' queue. Argon2 runs on dedicated threads, one per
/// core, never on the async workers: a burst of logins queues here instead
/// of starving other requests. Each thread fills the same working memory
/// (19 MiB) for hash after hash, so memory stays at one buffer per busy
/// core and no hash in a run pays for mapping and zeroing fresh pages.
fn hashing_queue() -> &'static Sender<HashJob> {
    static QUEUE: OnceLock<Sender<HashJob>> = OnceLock::new();
    QUEUE.get_or_init(|| {
        let (sender, jobs) = crossbeam_channel::unbounded::<HashJob>();
        for index in 0..std::thread::available_parallelism().map_or(1, |n| n.get()) {
            let jobs = jobs.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("argon2-{index}"))
                .spawn(move || run_hashing_thread(&jobs));
            if let Err(error) = spawned {
                tracing::error!(%error, "cannot start an Argon2 thread");
            }
        }
        sender
    })
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

type HashJob = Box<dyn FnOnce(&mut Vec<Block>) + Send>;

/// Runs Argon2 work on a hashing thread, with that thread's working memory.
async fn run_argon2<T: Send + 'static>(
    work: impl FnOnce(&mut Vec<Block>) -> anyhow::Result<T> + Send + 'static,
) -> anyhow::Result<T> {
    let (answer, answered) = oneshot::channel();
    let job: HashJob = Box::new(move |memory| {
        let _ = answer.send(work(memory));
    });
    hashing_queue()
        .send(job)
        .map_err(|_| anyhow::anyhow!("no Argon2 thread is running"))?;
    answered
        .await
        .map_err(|_| anyhow::anyhow!("the Argon2 thread stopped"))?
}

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
pub async fn hash_password(password: String) -> anyhow::Result<String> {
    run_argon2(move |memory| hash_phc(memory, password.as_bytes())).await
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
/// the same work against a dummy hash and fails.
pub async fn verify_password(stored: Option<String>, password: String) -> bool {
    let exists = stored.is_some();
    let verified = run_argon2(move |memory| {
        let stored = match &stored {
            Some(stored) => stored.as_str(),
            None => dummy_hash(memory)?,
        };
        verify_phc(memory, stored, password.as_bytes())
    })
    .await
    .unwrap_or_else(|error| {
        tracing::warn!(%error, "a stored password hash cannot be verified");
        false
    });
    exists && verified
}

/// Verifies a client secret against its stored form: SHA-256 compared in
/// constant time for server-generated secrets, Argon2id for chosen ones.
pub async fn verify_client_secret(stored: &str, presented: &str) -> bool {
    match stored.strip_prefix(SHA256_PREFIX) {
        Some(expected_hex) => {
            let presented = hex::encode(sha256(presented.as_bytes()));
            constant_time_eq(presented.as_bytes(), expected_hex.as_bytes())
        }
        None => verify_password(Some(stored.to_owned()), presented.to_owned()).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_secrets_carry_256_bits_and_differ() {
        let (a, b) = (random_secret(), random_secret());
        assert_eq!(URL_SAFE_NO_PAD.decode(&a).unwrap().len(), 32);
        assert_ne!(a, b);
    }

    #[test]
    fn token_keys_sort_by_minting_time_and_bind_the_whole_token() {
        let earlier = new_token();
        std::thread::sleep(std::time::Duration::from_millis(2));
        let later = new_token();
        assert_eq!(later.len(), 64);
        let (earlier_key, later_key) = (token_hash(&earlier), token_hash(&later));
        assert!(
            earlier_key.0 < later_key.0,
            "keys must follow minting order"
        );
        // The key starts with the token's id and ends with its SHA-256.
        let decoded = URL_SAFE_NO_PAD.decode(&later).unwrap();
        assert_eq!(later_key.0[..16], decoded[..16]);
        assert_eq!(later_key.0[16..], sha256(later.as_bytes()));
        // Same id, different secret: a different key.
        let mut forged = decoded.clone();
        forged[47] ^= 1;
        assert_ne!(token_hash(&URL_SAFE_NO_PAD.encode(forged)), later_key);
    }

    #[test]
    fn values_that_are_not_tokens_get_no_id() {
        for value in ["", "short", &random_secret(), &"A".repeat(65)] {
            let key = token_hash(value);
            assert_eq!(key.0[..16], [0; 16]);
            assert_eq!(key.0[16..], sha256(value.as_bytes()));
        }
    }

    #[tokio::test]
    async fn sha256_client_secret_verifies_only_the_right_secret() {
        let stored = sha256_secret_hash("s3cret");
        assert!(!stored.contains("s3cret"));
        assert!(verify_client_secret(&stored, "s3cret").await);
        assert!(!verify_client_secret(&stored, "s3creT").await);
    }

    #[tokio::test]
    async fn hashing_threads_work_again_after_giving_back_their_memory() {
        let stored = hash_password("pass".into()).await.unwrap();
        tokio::time::sleep(KEEP_MEMORY_IDLE + Duration::from_millis(200)).await;
        assert!(verify_password(Some(stored), "pass".into()).await);
    }

    #[tokio::test]
    async fn argon2_password_verifies_only_the_right_password() {
        let stored = hash_password("pass".into()).await.unwrap();
        assert!(stored.starts_with("$argon2id$"));
        assert!(verify_password(Some(stored.clone()), "pass".into()).await);
        assert!(!verify_password(Some(stored), "pasS".into()).await);
        assert!(!verify_password(None, "pass".into()).await);
    }
}
