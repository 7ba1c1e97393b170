//! Random secrets, SHA-256 for high-entropy secrets, Argon2id for human ones.
//!
//! Tokens, codes, session ids and server-generated client secrets carry 256
//! random bits, so one SHA-256 is enough at rest. Passwords and secrets a
//! person chose get Argon2id ([`hashing`]).

mod hashing;

pub use hashing::{
    hash_password, queue_depth as hashing_queue_depth, verify_password, HashingError,
};

use crate::store::TokenKey;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::rngs::OsRng;
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// 256 bits from the OS generator, base64url without padding (43 chars).
pub fn random_secret() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// `N` bytes from the OS generator, for keys.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    OsRng.fill_bytes(&mut bytes);
    bytes
}

/// A public record id in the form of a MongoDB ObjectId (24 lowercase hex
/// digits), which the Tornado seed's clients send back: 96 random bits.
pub fn object_id() -> String {
    hex::encode(random_bytes::<12>())
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

/// The length of a token's id: 48 bits of time and 80 random bits.
const TOKEN_ID_LEN: usize = 16;
/// An id followed by 256 random bits.
const TOKEN_LEN: usize = TOKEN_ID_LEN + 32;

/// A new token, code or session id: base64url (64 chars) of a 128-bit id
/// that starts with the time in milliseconds, big-endian (the layout of
/// UUIDv7, RFC 9562 §5.7), then 256 random bits.
///
/// The id leads the at-rest key (see [`token_key`]), so keys sort by time:
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
pub fn token_key(token: &str) -> TokenKey {
    let mut key = [0u8; TokenKey::LEN];
    let mut decoded = [0u8; TOKEN_LEN];
    if let Ok(TOKEN_LEN) = URL_SAFE_NO_PAD.decode_slice(token, &mut decoded) {
        key[..TOKEN_ID_LEN].copy_from_slice(&decoded[..TOKEN_ID_LEN]);
    }
    key[TOKEN_ID_LEN..].copy_from_slice(&sha256(token.as_bytes()));
    TokenKey(key)
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

/// How a client secret is kept, which decides how its failures are counted
/// (see [`crate::limits`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretKind {
    /// Server-generated, 256 random bits: SHA-256 at rest, unguessable.
    Generated,
    /// Chosen by a person: Argon2id at rest, guessable.
    Chosen,
}

pub fn secret_kind(stored: &str) -> SecretKind {
    if stored.starts_with(SHA256_PREFIX) {
        SecretKind::Generated
    } else {
        SecretKind::Chosen
    }
}

/// Verifies a server-generated client secret against its stored SHA-256,
/// in constant time. Chosen secrets go through [`verify_password`].
pub fn verify_generated_secret(stored: &str, presented: &str) -> bool {
    let Some(expected_hex) = stored.strip_prefix(SHA256_PREFIX) else {
        return false;
    };
    let presented = hex::encode(sha256(presented.as_bytes()));
    constant_time_eq(presented.as_bytes(), expected_hex.as_bytes())
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
        let (earlier_key, later_key) = (token_key(&earlier), token_key(&later));
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
        assert_ne!(token_key(&URL_SAFE_NO_PAD.encode(forged)), later_key);
    }

    #[test]
    fn values_that_are_not_tokens_get_no_id() {
        for value in ["", "short", &random_secret(), &"A".repeat(65)] {
            let key = token_key(value);
            assert_eq!(key.0[..16], [0; 16]);
            assert_eq!(key.0[16..], sha256(value.as_bytes()));
        }
    }

    #[test]
    fn sha256_client_secret_verifies_only_the_right_secret() {
        let stored = sha256_secret_hash("s3cret");
        assert!(!stored.contains("s3cret"));
        assert_eq!(secret_kind(&stored), SecretKind::Generated);
        assert!(verify_generated_secret(&stored, "s3cret"));
        assert!(!verify_generated_secret(&stored, "s3creT"));
        assert!(!verify_generated_secret("$argon2id$…", "s3cret"));
    }
}
