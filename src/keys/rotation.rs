//! Key rotation as pure rules over the stored keys and a given `now`.
//!
//! A key's life, per algorithm:
//! 1. created and published at once (in the JWKS), signing nothing yet, so
//!    that relying parties' cached JWKS hold it before its first token
//!    (`activates_at` = creation + the publication delay);
//! 2. signing while it is the newest active key of its algorithm;
//! 3. retired once a newer key of its algorithm is active, still published
//!    until every token it signed has expired (`removes_at` = retirement +
//!    the longest lifetime of anything signed);
//! 4. removed: out of the JWKS, and its row may be deleted.
//!
//! The one exception is first start (or no key able to sign): the new key is
//! active at once, since the server must sign immediately.

use super::{KeyEncryptionKey, KeyError, SigningAlg, StoredKey};

/// How keys rotate. Durations are seconds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RotationPolicy {
    /// The algorithms we sign with and publish; keys of any other are retired.
    pub algorithms: Vec<SigningAlg>,
    /// How long a new key is published before it signs: longer than
    /// relying parties cache the JWKS.
    pub publication_delay: i64,
    /// The age at which the signing key of an algorithm gets a successor.
    pub rotate_after: i64,
    /// The longest lifetime of anything signed (ID tokens, JWT access
    /// tokens): how long a retired key stays published.
    pub max_token_lifetime: i64,
}

impl RotationPolicy {
    /// Every algorithm, a successor every 90 days published a day ahead.
    pub fn new(max_token_lifetime: i64) -> Self {
        const DAY: i64 = 24 * 60 * 60;
        RotationPolicy {
            algorithms: SigningAlg::ALL.to_vec(),
            publication_delay: DAY,
            rotate_after: 90 * DAY,
            max_token_lifetime,
        }
    }
}

/// What the store should change at `now`; apply all of it, then reload the
/// [`KeyRing`](super::KeyRing).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RotationPlan {
    /// Keys to generate ([`RotationPlan::generate_keys`]) and insert.
    pub create: Vec<NewKey>,
    /// Keys to mark retired.
    pub retire: Vec<Retirement>,
    /// The `kid`s of removed keys, to delete.
    pub delete: Vec<String>,
}

/// A key to generate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NewKey {
    /// Its algorithm.
    pub alg: SigningAlg,
    /// When it starts signing: now for a first key, after the publication
    /// delay for a successor.
    pub activates_at: i64,
}

/// A key to mark retired: set its `retires_at` and `removes_at`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Retirement {
    /// The key.
    pub kid: String,
    /// When it was found superseded; it signs nothing from then on.
    pub retires_at: i64,
    /// When the last token it may have signed has expired.
    pub removes_at: i64,
}

impl RotationPlan {
    /// Nothing to change.
    pub fn is_empty(&self) -> bool {
        self.create.is_empty() && self.retire.is_empty() && self.delete.is_empty()
    }

    /// Generates the keys of [`create`](Self::create), created at `now`.
    pub fn generate_keys(
        &self,
        kek: &KeyEncryptionKey,
        now: i64,
    ) -> Result<Vec<StoredKey>, KeyError> {
        self.create
            .iter()
            .map(|new| StoredKey::generate(new.alg, kek, now, new.activates_at))
            .collect()
    }
}

/// The keys in the JWKS at `now`: every key not yet removed, including
/// keys that do not sign yet and retired keys whose tokens may still be
/// valid.
pub fn published(keys: &[StoredKey], now: i64) -> Vec<&StoredKey> {
    keys.iter()
        .filter(|key| key.removes_at.is_none_or(|removes_at| now < removes_at))
        .collect()
}

/// The key that signs for `alg` at `now`: the newest active key that is not
/// retired. Ties (two nodes generating a first key at once) go to the later
/// creation, then the greater `kid`, so every node picks the same one.
pub fn signing_key(keys: &[StoredKey], alg: SigningAlg, now: i64) -> Option<&StoredKey> {
    keys.iter()
        .filter(|key| key.alg == alg && key.retires_at.is_none() && key.activates_at <= now)
        .max_by(|a, b| {
            (a.activates_at, a.created_at, &a.kid).cmp(&(b.activates_at, b.created_at, &b.kid))
        })
}

/// What the store should change at `now` under `policy` (see the module
/// comment for the rules).
pub fn plan_rotation(keys: &[StoredKey], now: i64, policy: &RotationPolicy) -> RotationPlan {
    let mut plan = RotationPlan::default();
    for alg in SigningAlg::ALL {
        let configured = policy.algorithms.contains(&alg);
        let signer = signing_key(keys, alg, now);
        let mut pending = false;
        for key in keys
            .iter()
            .filter(|key| key.alg == alg && key.retires_at.is_none())
        {
            pending |= key.activates_at > now;
            let superseded =
                key.activates_at <= now && signer.is_some_and(|signer| signer.kid != key.kid);
            if superseded || !configured {
                plan.retire.push(Retirement {
                    kid: key.kid.clone(),
                    retires_at: now,
                    removes_at: now.saturating_add(policy.max_token_lifetime),
                });
            }
        }
        if !configured {
            continue;
        }
        match signer {
            None => plan.create.push(NewKey {
                alg,
                activates_at: now,
            }),
            Some(signer)
                if !pending && now.saturating_sub(signer.created_at) >= policy.rotate_after =>
            {
                plan.create.push(NewKey {
                    alg,
                    activates_at: now.saturating_add(policy.publication_delay),
                })
            }
            Some(_) => {}
        }
    }
    plan.delete = keys
        .iter()
        .filter(|key| key.removes_at.is_some_and(|removes_at| removes_at <= now))
        .map(|key| key.kid.clone())
        .collect();
    plan
}

/// `portcullis keys rotate`: [`plan_rotation`], plus a successor for every
/// configured algorithm that gets no new key otherwise, signing after the
/// publication delay.
pub fn rotate_now(keys: &[StoredKey], now: i64, policy: &RotationPolicy) -> RotationPlan {
    let mut plan = plan_rotation(keys, now, policy);
    for &alg in &policy.algorithms {
        if !plan.create.iter().any(|new| new.alg == alg) {
            plan.create.push(NewKey {
                alg,
                activates_at: now.saturating_add(policy.publication_delay),
            });
        }
    }
    plan
}

#[cfg(test)]
mod tests;
