//! Users and clients in the model.

use super::MemoryStore;
use crate::oauth::oidc::claims::UserClaims;
use crate::store::*;

#[async_trait]
impl UserStore for MemoryStore {
    async fn create_user(&self, username: &str, password_hash: &str) -> StoreResult<User> {
        let mut state = self.state();
        if state.users.iter().any(|u| u.username == username) {
            return Err(StoreError::Conflict);
        }
        let user = User {
            id: state.next_id(),
            username: username.into(),
            password_hash: password_hash.into(),
            claims: UserClaims::default(),
            disabled: false,
        };
        state.users.push(user.clone());
        Ok(user)
    }

    async fn user_by_name(&self, username: &str) -> StoreResult<Option<User>> {
        Ok(self
            .state()
            .users
            .iter()
            .find(|u| u.username == username)
            .cloned())
    }

    async fn user_by_id(&self, id: i64) -> StoreResult<Option<User>> {
        Ok(self.state().users.iter().find(|u| u.id == id).cloned())
    }

    async fn list_users(&self, after: i64, limit: u32) -> StoreResult<Vec<User>> {
        let state = self.state();
        let after = state.users.iter().filter(|u| u.id > after);
        Ok(after.take(limit as usize).cloned().collect())
    }

    async fn set_user_claims(&self, user_id: i64, claims: &UserClaims) -> StoreResult<bool> {
        let mut state = self.state();
        let user = state.users.iter_mut().find(|u| u.id == user_id);
        Ok(user.map(|user| user.claims = claims.clone()).is_some())
    }

    async fn update_user(&self, id: i64, change: &UserChange) -> StoreResult<Option<User>> {
        let mut state = self.state();
        if let Some(name) = &change.username {
            if state
                .users
                .iter()
                .any(|u| &u.username == name && u.id != id)
            {
                return Err(StoreError::Conflict);
            }
        }
        let Some(user) = state.users.iter_mut().find(|u| u.id == id) else {
            return Ok(None);
        };
        if let Some(name) = &change.username {
            user.username.clone_from(name);
        }
        if let Some(hash) = &change.password_hash {
            user.password_hash.clone_from(hash);
        }
        Ok(Some(user.clone()))
    }

    async fn set_user_disabled(&self, id: i64, disabled: bool) -> StoreResult<bool> {
        let mut state = self.state();
        let Some(user) = state.users.iter_mut().find(|u| u.id == id) else {
            return Ok(false);
        };
        user.disabled = disabled;
        if disabled {
            for grant in state.grants.values_mut() {
                if grant.user_id == Some(id) {
                    grant.revoked = true;
                }
            }
            state.sessions.retain(|_, s| s.user_id != id);
            state.codes.retain(|_, c| c.used || c.code.user_id != id);
        }
        Ok(true)
    }
}

#[async_trait]
impl ClientStore for MemoryStore {
    async fn create_client(&self, client: &Client) -> StoreResult<()> {
        self.state().insert_client(client)
    }

    async fn client(&self, client_id: &str) -> StoreResult<Option<Client>> {
        Ok(self
            .state()
            .clients
            .iter()
            .find(|c| c.client_id == client_id)
            .cloned())
    }

    async fn list_clients(&self, owner: Option<i64>) -> StoreResult<Vec<Client>> {
        let mut clients: Vec<Client> = self
            .state()
            .clients
            .iter()
            .filter(|c| owner.is_none() || c.registrant.owner() == owner)
            .cloned()
            .collect();
        clients.sort_by(|a, b| {
            (a.client_id_issued_at, &a.client_id).cmp(&(b.client_id_issued_at, &b.client_id))
        });
        Ok(clients)
    }

    async fn delete_client(&self, client_id: &str, owner: Option<i64>) -> StoreResult<bool> {
        let mut state = self.state();
        let deleted = state.delete_clients(|c| {
            c.client_id == client_id && owner.is_none_or(|o| c.registrant.owner() == Some(o))
        });
        if deleted == 0 {
            return Ok(false);
        }
        state.delete_grants_of(client_id);
        state.codes.retain(|_, c| c.code.client_id != client_id);
        Ok(true)
    }

    async fn clients_page(&self, after: &str, limit: u32) -> StoreResult<Vec<Client>> {
        let mut clients: Vec<Client> = self
            .state()
            .clients
            .iter()
            .filter(|c| c.client_id.as_str() > after)
            .cloned()
            .collect();
        clients.sort_by(|a, b| a.client_id.cmp(&b.client_id));
        clients.truncate(limit as usize);
        Ok(clients)
    }

    async fn update_client(&self, client: &Client) -> StoreResult<bool> {
        let mut state = self.state();
        let Some(stored) = state
            .clients
            .iter_mut()
            .find(|c| c.client_id == client.client_id)
        else {
            return Ok(false);
        };
        *stored = Client {
            registrant: stored.registrant,
            client_id_issued_at: stored.client_id_issued_at,
            ..client.clone()
        };
        Ok(true)
    }
}
