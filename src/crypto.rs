//! Random secrets, SHA-256 for high-entropy secrets, Argon2id for human ones.
//!
//! Tokens, codes, session ids and server-generated client secrets carry 256
//! random bits, so one SHA-256 is enough at rest. Passwords and secrets a
//! person chose get Argon2id, computed on the blocking pool, with at most one
//! hash per core at a time so that a burst of logins neither starves the
//! async workers nor multiplies Argon2's memory.

use crate::store::TokenHash;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::rngs::OsRng;
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::sync::OnceLock;
use subtle::ConstantTimeEq;
use tokio::sync::Semaphore;

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

pub fn sha256(value: &[u8]) -> [u8; 32] {
    Sha256::digest(value).into()
}

/// The at-rest form of a token, code or session id.
pub fn token_hash(token: &str) -> TokenHash {
    TokenHash(sha256(token.as_bytes()))
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

fn hashing_slots() -> &'static Semaphore {
    static SLOTS: OnceLock<Semaphore> = OnceLock::new();
    SLOTS
        .get_or_init(|| Semaphore::new(std::thread::available_parallelism().map_or(1, |n| n.get())))
}

/// Runs Argon2 work on the blocking pool, one job per core at most.
async fn run_argon2<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> T {
    let _slot = hashing_slots().acquire().await;
    match tokio::task::spawn_blocking(work).await {
        Ok(value) => value,
        Err(join_error) => std::panic::resume_unwind(join_error.into_panic()),
    }
}

/// Argon2id with the crate's defaults (m = 19 MiB, t = 2, p = 1: the OWASP
/// recommendation), as a PHC string.
pub async fn hash_password(password: String) -> anyhow::Result<String> {
    run_argon2(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .map_err(|e| anyhow::anyhow!("argon2: {e}"))
    })
    .await
}

/// A valid hash of nothing anyone knows, verified when the user does not
/// exist so that an unknown username costs the same time as a wrong password.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(random_secret().as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .unwrap_or_default()
    })
}

/// Verifies a password against its stored hash; `None` (no such user) does
/// the same work against a dummy hash and fails.
pub async fn verify_password(stored: Option<String>, password: String) -> bool {
    let exists = stored.is_some();
    let stored = stored.unwrap_or_else(|| dummy_hash().to_owned());
    let verified = run_argon2(move || {
        PasswordHash::new(&stored)
            .map(|hash| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &hash)
                    .is_ok()
            })
            .unwrap_or(false)
    })
    .await;
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

    #[tokio::test]
    async fn sha256_client_secret_verifies_only_the_right_secret() {
        let stored = sha256_secret_hash("s3cret");
        assert!(!stored.contains("s3cret"));
        assert!(verify_client_secret(&stored, "s3cret").await);
        assert!(!verify_client_secret(&stored, "s3creT").await);
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
