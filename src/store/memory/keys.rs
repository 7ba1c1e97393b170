//! Signing keys and remembered consents in the model.

use super::*;

#[async_trait]
impl KeyStore for MemoryStore {
    async fn signing_keys(&self) -> StoreResult<Vec<StoredKey>> {
        let mut keys = self.state().keys.clone();
        keys.sort_by(|a, b| (a.created_at, &a.kid).cmp(&(b.created_at, &b.kid)));
        Ok(keys)
    }

    async fn apply_key_plan(
        &self,
        create: &[StoredKey],
        retire: &[Retirement],
        delete: &[String],
    ) -> StoreResult<()> {
        let mut state = self.state();
        for key in create {
            if !state.keys.iter().any(|k| k.kid == key.kid) {
                state.keys.push(key.clone());
            }
        }
        for retirement in retire {
            let key = state.keys.iter_mut().find(|k| k.kid == retirement.kid);
            if let Some(key) = key.filter(|k| k.retires_at.is_none()) {
                key.retires_at = Some(retirement.retires_at);
                key.removes_at = Some(retirement.removes_at);
            }
        }
        state.keys.retain(|k| !delete.contains(&k.kid));
        Ok(())
    }
}

#[async_trait]
impl ConsentStore for MemoryStore {
    async fn consent(&self, user_id: i64, client_id: &str) -> StoreResult<Option<String>> {
        let state = self.state();
        Ok(state
            .consents
            .get(&(user_id, client_id.to_owned()))
            .map(|(scope, _)| scope.clone()))
    }

    async fn remember_consent(
        &self,
        user_id: i64,
        client_id: &str,
        scope: &str,
        now: i64,
    ) -> StoreResult<()> {
        let mut state = self.state();
        let entry = state
            .consents
            .entry((user_id, client_id.to_owned()))
            .or_insert_with(|| (String::new(), now));
        *entry = (super::rows::scope_union(&entry.0, scope), now);
        Ok(())
    }

    async fn consents(&self, user_id: i64) -> StoreResult<Vec<ConsentRecord>> {
        let state = self.state();
        let mut consents: Vec<ConsentRecord> = state
            .consents
            .iter()
            .filter(|((user, _), _)| *user == user_id)
            .filter_map(|((_, client_id), (scope, granted_at))| {
                let client = state.clients.iter().find(|c| &c.client_id == client_id)?;
                Some(ConsentRecord {
                    client_id: client_id.clone(),
                    client_name: client.client_name.clone(),
                    scope: scope.clone(),
                    granted_at: *granted_at,
                })
            })
            .collect();
        consents
            .sort_by(|a, b| (&a.client_name, &a.client_id).cmp(&(&b.client_name, &b.client_id)));
        Ok(consents)
    }

    async fn revoke_consent(&self, user_id: i64, client_id: &str) -> StoreResult<()> {
        let mut state = self.state();
        state.consents.remove(&(user_id, client_id.to_owned()));
        for grant in state.grants.values_mut() {
            if grant.user_id == Some(user_id) && grant.client_id == client_id {
                grant.revoked = true;
            }
        }
        Ok(())
    }
}
