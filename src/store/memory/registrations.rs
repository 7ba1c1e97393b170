//! The in-memory model of [`RegistrationStore`].

use super::*;
use crate::oauth::vocabulary::ApplicationType;

pub(super) struct StoredRegistration {
    pub(super) application_type: ApplicationType,
    pub(super) access_token: TokenKey,
    pub(super) registered_at: i64,
    pub(super) used: bool,
}

#[async_trait]
impl RegistrationStore for MemoryStore {
    async fn create_initial_access_token(&self, token: &InitialAccessToken) -> StoreResult<()> {
        let mut state = self.state();
        let taken = state
            .initial_access_tokens
            .iter()
            .any(|t| t.id == token.id || t.key == token.key);
        if taken {
            return Err(StoreError::Conflict);
        }
        state.initial_access_tokens.push(token.clone());
        Ok(())
    }

    async fn initial_access_token(
        &self,
        key: &TokenKey,
    ) -> StoreResult<Option<InitialAccessToken>> {
        let state = self.state();
        Ok(state
            .initial_access_tokens
            .iter()
            .find(|t| t.key == *key)
            .cloned())
    }

    async fn list_initial_access_tokens(&self) -> StoreResult<Vec<InitialAccessToken>> {
        let mut tokens = self.state().initial_access_tokens.clone();
        tokens.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
        Ok(tokens)
    }

    async fn revoke_initial_access_token(&self, id: &str) -> StoreResult<bool> {
        let mut state = self.state();
        let before = state.initial_access_tokens.len();
        state.initial_access_tokens.retain(|t| t.id != id);
        Ok(state.initial_access_tokens.len() < before)
    }

    async fn register_client(
        &self,
        registration: &ClientRegistration,
        initial: Option<&TokenKey>,
        now: i64,
    ) -> StoreResult<bool> {
        let mut state = self.state();
        let taken = state
            .registrations
            .values()
            .any(|r| r.access_token == registration.access_token);
        if taken
            || state
                .clients
                .iter()
                .any(|c| c.client_id == registration.client.client_id)
        {
            return Err(StoreError::Conflict);
        }
        if let Some(initial) = initial {
            let usable = state
                .initial_access_tokens
                .iter_mut()
                .find(|t| t.key == *initial && t.is_usable(now));
            let Some(token) = usable else {
                return Ok(false);
            };
            token.uses_left -= 1;
        }
        state.insert_client(&registration.client)?;
        state.registrations.insert(
            registration.client.client_id.clone(),
            StoredRegistration {
                application_type: registration.application_type,
                access_token: registration.access_token,
                registered_at: registration.client.client_id_issued_at,
                used: false,
            },
        );
        Ok(true)
    }

    async fn client_registration(&self, key: &TokenKey) -> StoreResult<Option<ClientRegistration>> {
        let state = self.state();
        let found = state
            .registrations
            .iter()
            .find(|(_, r)| r.access_token == *key);
        Ok(found.and_then(|(client_id, stored)| {
            let client = state.clients.iter().find(|c| &c.client_id == client_id)?;
            Some(ClientRegistration {
                client: client.clone(),
                application_type: stored.application_type,
                access_token: stored.access_token,
            })
        }))
    }

    async fn update_registration(&self, registration: &ClientRegistration) -> StoreResult<bool> {
        let mut state = self.state();
        let new = &registration.client;
        let Some(client) = state
            .clients
            .iter_mut()
            .find(|c| c.client_id == new.client_id && c.registrant == Registrant::Dynamic)
        else {
            return Ok(false);
        };
        *client = Client {
            client_id: client.client_id.clone(),
            registrant: client.registrant,
            resource_server: client.resource_server,
            client_id_issued_at: client.client_id_issued_at,
            client_secret_expires_at: client.client_secret_expires_at,
            ..new.clone()
        };
        if let Some(stored) = state.registrations.get_mut(&new.client_id) {
            stored.application_type = registration.application_type;
        }
        Ok(true)
    }
}
