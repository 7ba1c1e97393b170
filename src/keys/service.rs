//! The signing keys of a running server: planned, generated and stored in
//! the database (so that every node signs with and publishes the same
//! keys), and opened into a [`KeyRing`] that each node reloads on a
//! schedule. A key made on one node (a rotation) is therefore used by the
//! others within one refresh interval, well inside its publication delay.

use super::{plan_rotation, rotate_now, KeyEncryptionKey, KeyRing, RotationPlan, RotationPolicy};
use crate::store::SharedStore;
use std::sync::{Arc, PoisonError, RwLock};

pub struct SigningKeys {
    store: SharedStore,
    kek: KeyEncryptionKey,
    policy: RotationPolicy,
    ring: RwLock<Arc<KeyRing>>,
}

impl SigningKeys {
    /// Brings the stored keys up to the policy (the first start generates
    /// a key per algorithm that signs at once) and opens them.
    pub async fn open(
        store: SharedStore,
        kek: KeyEncryptionKey,
        policy: RotationPolicy,
        now: i64,
    ) -> anyhow::Result<Self> {
        let stored = store.signing_keys().await?;
        let plan = plan_rotation(&stored, now, &policy);
        let (ring, _) = apply(&store, &kek, plan, now).await?;
        Ok(SigningKeys {
            store,
            kek,
            policy,
            ring: RwLock::new(Arc::new(ring)),
        })
    }

    /// The opened keys, for signing and verifying.
    pub fn ring(&self) -> Arc<KeyRing> {
        self.ring
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Applies the scheduled rotation, then reloads every stored key (some
    /// may come from other nodes). Returns the ids of the keys it made.
    pub async fn refresh(&self, now: i64) -> anyhow::Result<Vec<String>> {
        let stored = self.store.signing_keys().await?;
        let plan = plan_rotation(&stored, now, &self.policy);
        self.apply(plan, now).await
    }

    /// Publishes a successor for every algorithm now (`portcullis keys
    /// rotate`); each signs once its publication delay has passed. Returns
    /// the ids of the new keys.
    pub async fn rotate(&self, now: i64) -> anyhow::Result<Vec<String>> {
        let stored = self.store.signing_keys().await?;
        let plan = rotate_now(&stored, now, &self.policy);
        self.apply(plan, now).await
    }

    async fn apply(&self, plan: RotationPlan, now: i64) -> anyhow::Result<Vec<String>> {
        let (ring, created) = apply(&self.store, &self.kek, plan, now).await?;
        self.replace(ring);
        Ok(created)
    }

    fn replace(&self, ring: KeyRing) {
        *self.ring.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(ring);
    }
}

/// Generates and stores what `plan` asks for, then opens every stored key;
/// returns them and the ids of the new ones.
async fn apply(
    store: &SharedStore,
    kek: &KeyEncryptionKey,
    plan: RotationPlan,
    now: i64,
) -> anyhow::Result<(KeyRing, Vec<String>)> {
    let mut new_kids = Vec::new();
    if !plan.is_empty() {
        let created = plan.generate_keys(kek, now)?;
        new_kids = created.iter().map(|key| key.kid.clone()).collect();
        store
            .apply_key_plan(&created, &plan.retire, &plan.delete)
            .await?;
        tracing::info!(
            created = created.len(),
            retired = plan.retire.len(),
            deleted = plan.delete.len(),
            "signing keys rotated"
        );
    }
    Ok((KeyRing::load(store.signing_keys().await?, kek)?, new_kids))
}
