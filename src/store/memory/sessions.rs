//! Sessions and brute-force counters in the model.

use super::*;

#[async_trait]
impl SessionStore for MemoryStore {
    async fn create_session(&self, session: &NewSession) -> StoreResult<()> {
        self.state().sessions.insert(session.key, session.clone());
        Ok(())
    }

    async fn session(&self, key: &TokenKey) -> StoreResult<Option<Session>> {
        let state = self.state();
        Ok(state.sessions.get(key).and_then(|session| {
            let user = state.users.iter().find(|u| u.id == session.user_id)?;
            Some(Session {
                user_id: session.user_id,
                username: user.username.clone(),
                created_at: session.created_at,
                expires_at: session.expires_at,
            })
        }))
    }

    async fn delete_session(&self, key: &TokenKey) -> StoreResult<()> {
        self.state().sessions.remove(key);
        Ok(())
    }
}

#[async_trait]
impl AttemptStore for MemoryStore {
    async fn failures(
        &self,
        keys: &[String],
        now: i64,
        window: i64,
    ) -> StoreResult<Vec<(String, Failures)>> {
        let state = self.state();
        Ok(keys
            .iter()
            .filter_map(|key| {
                let failures = state.attempts.get(key)?;
                (failures.window_start > now - window).then(|| (key.clone(), *failures))
            })
            .collect())
    }

    async fn count_attempts(
        &self,
        keys: &[String],
        now: i64,
        window: i64,
    ) -> StoreResult<Vec<Failures>> {
        let mut state = self.state();
        Ok(keys
            .iter()
            .map(|key| {
                let entry = state.attempts.entry(key.clone()).or_insert(Failures {
                    count: 0,
                    window_start: now,
                });
                if entry.window_start <= now - window {
                    *entry = Failures {
                        count: 0,
                        window_start: now,
                    };
                }
                entry.count += 1;
                *entry
            })
            .collect())
    }

    async fn release_attempts(&self, counted: &[(String, i64)]) -> StoreResult<()> {
        let mut state = self.state();
        for (key, window_start) in counted {
            if let Some(entry) = state.attempts.get_mut(key) {
                if entry.window_start == *window_start && entry.count > 0 {
                    entry.count -= 1;
                }
            }
        }
        Ok(())
    }
}
