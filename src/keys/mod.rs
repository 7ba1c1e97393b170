//! Signing keys for the OpenID Connect provider: ID tokens and RFC 9068
//! access tokens are JWTs signed with keys the server generates, stores
//! encrypted, publishes as a JWK Set and rotates.
//!
//! - `algorithm.rs`: RS256 (mandatory, OpenID Connect Core §15.1), ES256,
//!   EdDSA; `at_hash` / `c_hash`.
//! - `encryption.rs`: the key-encryption key that seals private keys at rest.
//! - `jwk.rs`: public keys as JWKs, the JWK Set, RFC 7638 thumbprints (`kid`).
//! - `keypair.rs`: generating, sealing and opening private keys.
//! - `rotation.rs`: which keys are published, which one signs, what to
//!   generate, retire and delete — pure rules over the rows and `now`.
//! - `ring.rs`: the [`KeyRing`], the opened keys in memory, signing and
//!   verifying JWTs.
//! - `service.rs`: [`SigningKeys`], the running server's keys: planned and
//!   stored in the database, reloaded on a schedule.
//!
//! Only `service.rs` touches the store; the rest is pure but for the KEK
//! file.
//! Cryptography is aws-lc-rs (key generation, signatures, AES-256-GCM) and
//! `jsonwebtoken` (JWT verification, headers).

mod algorithm;
mod encryption;
mod jwk;
mod keypair;
mod ring;
mod rotation;
mod service;

pub use algorithm::{left_half_hash, SigningAlg};
pub use encryption::KeyEncryptionKey;
pub use jwk::{Jwk, Jwks, KeyUse, PublicKeyParams};
pub use ring::KeyRing;
pub use rotation::{
    plan_rotation, published, rotate_now, signing_key, NewKey, Retirement, RotationPlan,
    RotationPolicy,
};
pub use service::SigningKeys;

use std::path::PathBuf;

/// One signing key as the store keeps it. Times are Unix seconds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredKey {
    /// The RFC 7638 thumbprint of the public key; the primary key.
    pub kid: String,
    /// The one algorithm it signs with.
    pub alg: SigningAlg,
    /// The public key as published (store it as its JSON).
    pub public_jwk: Jwk,
    /// The private key, PKCS#8 DER sealed under the [`KeyEncryptionKey`].
    pub encrypted_private: Vec<u8>,
    /// When it was generated; it is published from then on.
    pub created_at: i64,
    /// When it may start signing.
    pub activates_at: i64,
    /// When it was retired; a retired key never signs again.
    pub retires_at: Option<i64>,
    /// When it leaves the JWKS and may be deleted.
    pub removes_at: Option<i64>,
}

/// Where a key is in its life at a given time (`rotation.rs` has the
/// rules).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum KeyState {
    /// In the JWKS, not signing yet: relying parties are caching it.
    Published,
    /// Active and not retired.
    Signing,
    /// Signs nothing more; published until its tokens have expired.
    Retired,
}

impl KeyState {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyState::Published => "published",
            KeyState::Signing => "signing",
            KeyState::Retired => "retired",
        }
    }
}

impl StoredKey {
    /// Its state at `now`, from its own row: a key that a newer one has
    /// superseded counts as signing until the next refresh retires it.
    pub fn state(&self, now: i64) -> KeyState {
        match self.retires_at {
            Some(retired) if retired <= now => KeyState::Retired,
            _ if self.activates_at > now => KeyState::Published,
            _ => KeyState::Signing,
        }
    }
}

/// What operators are shown of a key, by `portcullis keys list` and
/// `GET /admin/keys` alike: its public facts and dates, never the private
/// key (nor the public one: the JWKS publishes that).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct KeySummary {
    /// The RFC 7638 thumbprint, the `kid` of the tokens it signs.
    pub kid: String,
    pub alg: SigningAlg,
    pub state: KeyState,
    /// Unix seconds, like every time below.
    pub created_at: i64,
    /// When it signs (or signed) its first token.
    pub activates_at: i64,
    pub retires_at: Option<i64>,
    /// When it leaves the JWKS.
    pub removes_at: Option<i64>,
}

impl KeySummary {
    pub fn of(key: &StoredKey, now: i64) -> Self {
        KeySummary {
            kid: key.kid.clone(),
            alg: key.alg,
            state: key.state(now),
            created_at: key.created_at,
            activates_at: key.activates_at,
            retires_at: key.retires_at,
            removes_at: key.removes_at,
        }
    }
}

/// What can go wrong with keys; none of it is a client's fault.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// AES-GCM refused to open a stored key: another KEK, or an altered row.
    #[error("the key-encryption key does not match the stored signing keys (key {kid} does not decrypt; was the key-encryption key changed, or the row altered?)")]
    WrongKeyEncryptionKey {
        /// The first key that did not open.
        kid: String,
    },
    /// The configured KEK is not 32 bytes of base64.
    #[error("invalid key-encryption key: {0}")]
    InvalidKeyEncryptionKey(&'static str),
    /// The KEK file cannot be read or created.
    #[error("key-encryption key file {}: {source}", path.display())]
    KeyEncryptionKeyFile {
        /// The file.
        path: PathBuf,
        /// Why (`AlreadyExists` from [`KeyEncryptionKey::generate_file`]).
        source: std::io::Error,
    },
    /// A stored key decrypts, but does not agree with its own row.
    #[error("signing key {kid} is corrupt: {reason}")]
    CorruptKey {
        /// The key.
        kid: String,
        /// What does not agree.
        reason: &'static str,
    },
    /// No key signs for this algorithm now (none generated, or retired).
    #[error("no signing key for {0}")]
    NoSigningKey(SigningAlg),
    /// Not a JOSE name we sign with.
    #[error("unsupported signing algorithm {0:?}: expected RS256, ES256 or EdDSA")]
    UnsupportedAlgorithm(String),
    /// A JWT failed verification: signature, key, type, issuer or time.
    #[error("invalid token: {0}")]
    InvalidToken(String),
    /// Claims or a header that do not serialize to JSON.
    #[error("JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// aws-lc-rs failed at something that does not fail in practice.
    #[error("cryptography failed: {0}")]
    Crypto(&'static str),
}
