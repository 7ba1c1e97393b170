//! The keys in memory: signs JWTs with the current key of an algorithm and
//! verifies ours by `kid`.
//!
//! Signing keys are opened once, when the ring is loaded, and kept parsed:
//! `jsonwebtoken::encode` takes a DER key and parses it again for every
//! token, which would double the cost of an ES256 ID token on the code
//! exchange. So the JWS Compact Serialization (RFC 7515 §7.1) is assembled
//! here around aws-lc-rs's signature, with `jsonwebtoken`'s header type;
//! verification is `jsonwebtoken::decode`.

use super::keypair::KeyPair;
use super::rotation::signing_key;
use super::{Jwks, KeyEncryptionKey, KeyError, SigningAlg, StoredKey};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{DecodingKey, Header, Validation};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::collections::HashMap;
use std::fmt;

/// The stored keys, opened under the KEK. Rebuild it whenever the stored
/// keys change (after applying a [`RotationPlan`](super::RotationPlan)):
/// which key signs follows `now` by itself.
pub struct KeyRing {
    keys: Vec<StoredKey>,
    opened: HashMap<String, OpenedKey>,
}

struct OpenedKey {
    alg: SigningAlg,
    verifier: DecodingKey,
    /// Only keys that are not retired can sign, so only they are decrypted.
    signer: Option<KeyPair>,
}

/// Beyond this, `jsonwebtoken`'s `now - leeway` would underflow; no real
/// clock skew comes near it.
const MAX_LEEWAY: u64 = 365 * 24 * 60 * 60;

impl KeyRing {
    /// Opens the keys. Fails on the first key the KEK does not open
    /// ([`KeyError::WrongKeyEncryptionKey`]) or whose row is inconsistent.
    pub fn load(keys: Vec<StoredKey>, kek: &KeyEncryptionKey) -> Result<Self, KeyError> {
        let mut opened = HashMap::with_capacity(keys.len());
        for key in &keys {
            key.check_public_jwk()?;
            let verifier = key
                .public_jwk
                .decoding_key()
                .map_err(|_| KeyError::CorruptKey {
                    kid: key.kid.clone(),
                    reason: "its public JWK is not a valid key",
                })?;
            let signer = match key.retires_at {
                None => Some(key.open(kek)?),
                Some(_) => None,
            };
            let alg = key.alg;
            opened.insert(
                key.kid.clone(),
                OpenedKey {
                    alg,
                    verifier,
                    signer,
                },
            );
        }
        Ok(KeyRing { keys, opened })
    }

    /// When the key that signs for `alg` at `now` was made, if one does: how
    /// old the signing key is, for the operators' metrics.
    pub fn signing_key_created_at(&self, alg: SigningAlg, now: i64) -> Option<i64> {
        signing_key(&self.keys, alg, now).map(|key| key.created_at)
    }

    /// A JWT of `claims` signed with the key that signs for `alg` at `now`;
    /// the header carries `alg`, `kid`, and `typ` when given (`at+jwt` for
    /// RFC 9068 access tokens; none for ID tokens).
    pub fn sign(
        &self,
        alg: SigningAlg,
        typ: Option<&str>,
        claims: &impl Serialize,
        now: i64,
    ) -> Result<String, KeyError> {
        let key = signing_key(&self.keys, alg, now).ok_or(KeyError::NoSigningKey(alg))?;
        let signer = self
            .opened
            .get(&key.kid)
            .and_then(|opened| opened.signer.as_ref())
            .ok_or(KeyError::NoSigningKey(alg))?;
        let mut header = Header::new(alg.jose());
        header.typ = typ.map(str::to_owned);
        header.kid = Some(key.kid.clone());

        let mut token = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&header)?);
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(serde_json::to_vec(claims)?, &mut token);
        let signature = signer.sign(token.as_bytes())?;
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(signature, &mut token);
        Ok(token)
    }

    /// The claims of a JWT we signed (an `id_token_hint`, say), checked
    /// against the ring's key its `kid` names, with that key's algorithm
    /// only, so never `none` nor an algorithm swap (RFC 8725 §3.1). A key
    /// past its `removes_at` still in the ring signed only expired tokens. `typ` must be the
    /// one it was signed with (RFC 8725 §3.11; `None`: no `typ` or `JWT`).
    /// `iss` must equal `expected_issuer`; `exp` is required and checked
    /// against the system clock, with `leeway` seconds for clock skew, and
    /// `nbf` when present. `aud` is left to the caller: an `id_token_hint`'s
    /// audience is the client that sends it.
    pub fn verify<T: DeserializeOwned>(
        &self,
        token: &str,
        typ: Option<&str>,
        expected_issuer: &str,
        leeway: u64,
    ) -> Result<T, KeyError> {
        let invalid = |reason: &str| KeyError::InvalidToken(reason.to_owned());
        let header = jsonwebtoken::decode_header(token).map_err(|e| invalid(&e.to_string()))?;
        let key = header
            .kid
            .as_ref()
            .and_then(|kid| self.opened.get(kid))
            .ok_or_else(|| invalid("no key of ours has its kid"))?;
        if !same_type(header.typ.as_deref(), typ) {
            return Err(invalid("unexpected typ"));
        }
        let mut validation = Validation::new(key.alg.jose());
        validation.set_issuer(&[expected_issuer]);
        validation.set_required_spec_claims(&["exp", "iss"]);
        validation.leeway = leeway.min(MAX_LEEWAY);
        validation.validate_nbf = true;
        validation.validate_aud = false;
        jsonwebtoken::decode(token, &key.verifier, &validation)
            .map(|data| data.claims)
            .map_err(|e| invalid(&e.to_string()))
    }

    /// The JWK Set to publish at `now` (the `jwks_uri`).
    pub fn jwks(&self, now: i64) -> Jwks {
        Jwks::published(&self.keys, now)
    }
}

impl fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kids: Vec<_> = self.keys.iter().map(|key| (&key.kid, key.alg)).collect();
        f.debug_struct("KeyRing").field("keys", &kids).finish()
    }
}

/// RFC 7515 §4.1.9: media types compare case-insensitively, and
/// `application/` may be left out.
fn same_type(actual: Option<&str>, expected: Option<&str>) -> bool {
    fn short(typ: &str) -> &str {
        match typ.get(..12) {
            Some(prefix) if prefix.eq_ignore_ascii_case("application/") => &typ[12..],
            _ => typ,
        }
    }
    match (actual, expected.unwrap_or("JWT")) {
        (None, _) => expected.is_none(),
        (Some(actual), expected) => short(actual).eq_ignore_ascii_case(short(expected)),
    }
}

#[cfg(test)]
mod tests;
