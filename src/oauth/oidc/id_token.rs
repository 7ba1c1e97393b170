//! The claims of an ID token (OpenID Connect Core §2, §3.1.3.6, §12.2),
//! the subject identifier, and reading an `id_token_hint` (§3.1.2.1).
//! Signing is the [`KeyRing`](crate::keys::KeyRing)'s: `ring.sign(alg,
//! None, &claims, now)` (no `typ`, as ID tokens go).
//!
//! `sub` is the user's numeric id in decimal (`"1"` for the demo user):
//!
//! - stable: a user's id never changes (renaming changes `username` only);
//! - never reassigned: PostgreSQL's identity column never hands out a value
//!   twice, and SQLite's `INTEGER PRIMARY KEY` could reuse an id only after
//!   the row with the highest id is deleted, and users are never deleted
//!   (a future `user remove` must keep ids unique: AUTOINCREMENT or a
//!   tombstone row);
//! - short ASCII (at most 19 digits, within §2's 255);
//! - the same `sub` introspection already answers (RFC 7662), so every
//!   endpoint names a user the same way.
//!
//! A random opaque id per user would hide how many users there are, at the
//! cost of a column, an index and a lookup on every hint; the number of
//! users is not a secret here. Only public subjects (Core §8): the same
//! `sub` for every client.

use super::claims::PROTOCOL_CLAIMS;
use crate::keys::{left_half_hash, SigningAlg};
use crate::oauth::OAuthError;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The subject identifier of a user (see the module comment).
pub fn subject(user_id: i64) -> String {
    user_id.to_string()
}

/// The user a `sub` of ours names: exactly the form [`subject`] writes
/// (no sign, no leading zero, no space), so one user has one subject.
pub fn user_id(sub: &str) -> Option<i64> {
    let canonical = !sub.is_empty()
        && sub.bytes().all(|b| b.is_ascii_digit())
        && (sub == "0" || !sub.starts_with('0'));
    canonical.then(|| sub.parse().ok()).flatten()
}

/// How the user was authenticated (RFC 8176 §2 `amr` values).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AuthenticationMethod {
    /// A password: the sign-in form and the password grant.
    #[serde(rename = "pwd")]
    Password,
}

/// One authentication of a user, as the ID tokens of its grant repeat it:
/// the lead records it with the code and the grant (a refreshed ID token
/// has the original `auth_time`, §12.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authentication {
    pub user_id: i64,
    /// When the user signed in (the session's creation), Unix seconds.
    pub auth_time: i64,
    pub amr: Vec<AuthenticationMethod>,
    /// An Authentication Context Class Reference, when one is defined;
    /// none is today, so `acr` is left out.
    pub acr: Option<String>,
}

/// An ID token's claims, ready for [`KeyRing::sign`](crate::keys::KeyRing::sign).
///
/// - `aud` is the client's id, a single string (§2 allows it when there
///   is one audience, which is always the case here).
/// - `azp` is never set: §2 needs it only when the authorized party
///   differs from the sole audience, and our audience is the client the
///   token is issued to.
/// - `auth_time` is always present: §2 requires it when `max_age` was
///   requested or `auth_time` asked for as Essential, and allows it
///   always; always is simpler and the relying party's `max_age` check
///   (§3.1.2.1) can rely on it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IdTokenClaims {
    pub iss: String,
    pub sub: String,
    pub aud: String,
    pub exp: i64,
    pub iat: i64,
    pub auth_time: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub acr: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub amr: Vec<AuthenticationMethod>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at_hash: Option<String>,
    /// The user's released claims (`claims_request::released`).
    #[serde(flatten)]
    pub user: Map<String, Value>,
}

impl IdTokenClaims {
    /// An ID token for `client_id` about `authentication`, issued at `now`
    /// and valid for `lifetime` seconds.
    pub fn new(
        issuer: &str,
        client_id: &str,
        authentication: &Authentication,
        now: i64,
        lifetime: i64,
    ) -> Self {
        IdTokenClaims {
            iss: issuer.to_owned(),
            sub: subject(authentication.user_id),
            aud: client_id.to_owned(),
            exp: now.saturating_add(lifetime),
            iat: now,
            auth_time: authentication.auth_time,
            nonce: None,
            acr: authentication.acr.clone(),
            amr: authentication.amr.clone(),
            at_hash: None,
            user: Map::new(),
        }
    }

    /// The ID token of a refresh (§12.2): the same `iss`, `sub`, `aud` and
    /// `auth_time` as the original, since they come from the same client
    /// and the same recorded authentication; a new `iat`; and no `nonce`
    /// (§12.2: it SHOULD NOT have one).
    pub fn refreshed(
        issuer: &str,
        client_id: &str,
        authentication: &Authentication,
        now: i64,
        lifetime: i64,
    ) -> Self {
        Self::new(issuer, client_id, authentication, now, lifetime)
    }

    /// §3.1.2.1, §3.1.3.6: the authorization request's `nonce`, unchanged,
    /// when it had one.
    pub fn with_nonce(mut self, nonce: Option<&str>) -> Self {
        self.nonce = nonce.map(str::to_owned);
        self
    }

    /// `at_hash` of the access token issued beside the ID token
    /// (§3.1.3.6), hashed as the ID token's `alg` requires.
    pub fn with_access_token(mut self, alg: SigningAlg, access_token: &str) -> Self {
        self.at_hash = Some(left_half_hash(alg, access_token));
        self
    }

    /// The user's released claims; a name that is one of the protocol's
    /// (`sub`, `aud`, …) is dropped rather than let it shadow the real one.
    pub fn with_claims(mut self, released: Map<String, Value>) -> Self {
        self.user = released
            .into_iter()
            .filter(|(name, _)| !PROTOCOL_CLAIMS.contains(&name.as_str()) && name != "azp")
            .collect();
        self
    }
}

/// How long past its `exp` an `id_token_hint` is still read: pass it as
/// `leeway` to [`KeyRing::verify`](crate::keys::KeyRing::verify). A hint
/// only names a user and a client, and RP-Initiated Logout 1.0 §2 asks
/// the OP to accept expired ID tokens as hints; so expiry is ignored (a
/// year, the ring's cap) and the real bound is the signing key's life: a
/// hint signed by a key that has left the ring no longer verifies.
pub const ID_TOKEN_HINT_LEEWAY: u64 = 365 * 24 * 60 * 60;

/// The claims of an `id_token_hint` that matter, once `KeyRing::verify`
/// has checked its signature, our `iss` and its `exp` (with
/// [`ID_TOKEN_HINT_LEEWAY`]).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct HintClaims {
    pub sub: String,
    pub aud: Audience,
}

/// RFC 7519 §4.1.3: one audience as a string, or several in an array.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Audience {
    One(String),
    Many(Vec<String>),
}

impl Audience {
    /// The claim for `resources`; `None` when there are none.
    pub fn of(resources: &[String]) -> Option<Audience> {
        match resources {
            [] => None,
            [one] => Some(Audience::One(one.clone())),
            many => Some(Audience::Many(many.to_vec())),
        }
    }
}

/// What an `id_token_hint` says: which user, issued to which client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdTokenHint {
    pub user_id: i64,
    pub client_id: String,
}

impl HintClaims {
    /// The user and client the hint names. `client_id` is the client
    /// making the request when it is known (the authorization request's,
    /// the logout request's): a hint issued to another client is refused
    /// (RP-Initiated Logout §2: the OP MUST verify they match; for an
    /// authorization request, a client presenting another's ID token is
    /// not one to trust either). All failures are `invalid_request`.
    pub fn read(self, client_id: Option<&str>) -> Result<IdTokenHint, OAuthError> {
        let user_id = user_id(&self.sub)
            .ok_or_else(|| OAuthError::invalid_request("id_token_hint names no user of ours"))?;
        let audience = match self.aud {
            Audience::One(aud) => aud,
            Audience::Many(mut auds) if auds.len() == 1 => auds.remove(0),
            // We issue ID tokens to one audience only.
            Audience::Many(_) => {
                return Err(OAuthError::invalid_request(
                    "id_token_hint was not issued by us",
                ))
            }
        };
        if client_id.is_some_and(|client_id| client_id != audience) {
            return Err(OAuthError::invalid_request(
                "id_token_hint was issued to another client",
            ));
        }
        Ok(IdTokenHint {
            user_id,
            client_id: audience,
        })
    }
}

#[cfg(test)]
mod tests;
