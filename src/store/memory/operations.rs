//! Admin keys and audit events in the model.

use super::MemoryStore;
use crate::store::*;

#[async_trait]
impl AdminKeyStore for MemoryStore {
    async fn create_admin_key(&self, key: &AdminKey) -> StoreResult<()> {
        let mut state = self.state();
        let taken = state.admin_keys.contains_key(&key.name)
            || state
                .admin_keys
                .values()
                .any(|k| k.key_hash == key.key_hash);
        if taken {
            return Err(StoreError::Conflict);
        }
        state.admin_keys.insert(key.name.clone(), key.clone());
        Ok(())
    }

    async fn admin_key_by_hash(&self, key_hash: &str) -> StoreResult<Option<AdminKey>> {
        let state = self.state();
        let found = state.admin_keys.values().find(|k| k.key_hash == key_hash);
        Ok(found.cloned())
    }

    async fn list_admin_keys(&self) -> StoreResult<Vec<AdminKey>> {
        Ok(self.state().admin_keys.values().cloned().collect())
    }

    async fn delete_admin_key(&self, name: &str) -> StoreResult<bool> {
        Ok(self.state().admin_keys.remove(name).is_some())
    }
}

#[async_trait]
impl AuditStore for MemoryStore {
    async fn record_audit(&self, events: &[AuditRecord]) -> StoreResult<()> {
        let mut state = self.state();
        for event in events {
            let id = state.next_id();
            state.audit.push(StoredAudit {
                id,
                record: event.clone(),
            });
        }
        Ok(())
    }

    async fn audit_events(&self, query: &AuditQuery) -> StoreResult<Vec<StoredAudit>> {
        let state = self.state();
        Ok(state
            .audit
            .iter()
            .filter(|e| e.id > query.after && e.record.at >= query.since)
            .filter(|e| query.kind.is_none_or(|kind| e.record.kind == kind))
            .take(query.limit as usize)
            .cloned()
            .collect())
    }

    async fn purge_audit(&self, before: i64) -> StoreResult<u64> {
        let mut state = self.state();
        let count = state.audit.len();
        state.audit.retain(|e| e.record.at >= before);
        Ok((count - state.audit.len()) as u64)
    }
}
