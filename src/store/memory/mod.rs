//! An in-memory model of the store, for tests: the protocol core's unit
//! tests run against it in microseconds, and the contract suite holds it to
//! the same rules as the SQL engines, which keeps the model honest.
//!
//! One mutex over the whole state makes every call atomic, as the engines'
//! transactions do.

mod accounts;
mod grants;
mod keys;
mod operations;
mod registrations;
mod resources;
mod sessions;

use super::*;
use crate::oauth::oidc::context::GrantContext;
use registrations::StoredRegistration;
use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

#[derive(Default)]
struct State {
    users: Vec<User>,
    clients: Vec<Client>,
    grants: BTreeMap<i64, Grant>,
    tokens: BTreeMap<TokenKey, StoredToken>,
    codes: BTreeMap<TokenKey, StoredCode>,
    sessions: BTreeMap<TokenKey, NewSession>,
    attempts: BTreeMap<String, Failures>,
    initial_access_tokens: Vec<InitialAccessToken>,
    registrations: BTreeMap<String, StoredRegistration>,
    secrets: BTreeMap<String, Vec<u8>>,
    keys: Vec<StoredKey>,
    consents: BTreeMap<(i64, String), (String, i64)>,
    restaurants: Vec<Restaurant>,
    resources: BTreeMap<String, Resource>,
    admin_keys: BTreeMap<String, AdminKey>,
    audit: Vec<StoredAudit>,
    next_id: i64,
}

struct Grant {
    client_id: String,
    user_id: Option<i64>,
    created_at: i64,
    revoked: bool,
    oidc: Option<GrantContext>,
    resources: Vec<String>,
}

struct StoredToken {
    token: NewToken,
    grant_id: i64,
    revoked: bool,
    used: bool,
}

struct StoredCode {
    code: NewCode,
    used: bool,
    grant_id: Option<i64>,
}

#[derive(Default)]
pub struct MemoryStore(Mutex<State>);

impl MemoryStore {
    fn state(&self) -> MutexGuard<'_, State> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl State {
    fn next_id(&mut self) -> i64 {
        self.next_id += 1;
        self.next_id
    }

    fn issue(&mut self, grant: &NewGrant, tokens: &[NewToken]) -> i64 {
        let id = self.next_id();
        self.grants.insert(
            id,
            Grant {
                client_id: grant.client_id.clone(),
                user_id: grant.user_id,
                created_at: grant.created_at,
                revoked: false,
                oidc: grant.oidc.clone(),
                resources: grant.resources.clone(),
            },
        );
        self.add_tokens(id, tokens);
        id
    }

    fn add_tokens(&mut self, grant_id: i64, tokens: &[NewToken]) {
        for token in tokens {
            self.tokens.insert(
                token.key,
                StoredToken {
                    token: token.clone(),
                    grant_id,
                    revoked: false,
                    used: false,
                },
            );
        }
    }

    fn insert_client(&mut self, client: &Client) -> StoreResult<()> {
        if self.clients.iter().any(|c| c.client_id == client.client_id) {
            return Err(StoreError::Conflict);
        }
        self.delete_grants_of(&client.client_id);
        self.clients.push(client.clone());
        Ok(())
    }

    /// Deletes clients (with their registrations and consents, as ON
    /// DELETE CASCADE does); returns how many went.
    fn delete_clients(&mut self, gone: impl Fn(&Client) -> bool) -> usize {
        let before = self.clients.len();
        let mut deleted = Vec::new();
        self.clients.retain(|c| {
            let delete = gone(c);
            if delete {
                deleted.push(c.client_id.clone());
            }
            !delete
        });
        self.registrations.retain(|id, _| !deleted.contains(id));
        self.consents
            .retain(|(_, client_id), _| !deleted.contains(client_id));
        before - self.clients.len()
    }

    fn delete_grants_of(&mut self, client_id: &str) {
        let gone: Vec<i64> = self
            .grants
            .iter()
            .filter(|(_, g)| g.client_id == client_id)
            .map(|(id, _)| *id)
            .collect();
        self.tokens.retain(|_, t| !gone.contains(&t.grant_id));
        self.grants.retain(|id, _| !gone.contains(id));
    }
}

#[async_trait]
impl SecretStore for MemoryStore {
    async fn server_secret(&self, name: &str) -> StoreResult<Vec<u8>> {
        Ok(self
            .state()
            .secrets
            .entry(name.into())
            .or_insert_with(|| crate::crypto::random_bytes::<32>().to_vec())
            .clone())
    }
}

#[async_trait]
impl RestaurantStore for MemoryStore {
    async fn restaurants(&self) -> StoreResult<Vec<Restaurant>> {
        Ok(self.state().restaurants.clone())
    }

    async fn update_restaurant(
        &self,
        key: &RestaurantKey,
        patch: &RestaurantPatch,
    ) -> StoreResult<Option<Restaurant>> {
        let mut state = self.state();
        let matches = |r: &Restaurant| match key {
            RestaurantKey::Id(id) => r.id == *id,
            RestaurantKey::Oid(oid) => r.oid == *oid,
        };
        if let Some(name) = &patch.name {
            if state
                .restaurants
                .iter()
                .any(|r| &r.name == name && !matches(r))
            {
                return Err(StoreError::Conflict);
            }
        }
        let Some(restaurant) = state.restaurants.iter_mut().find(|r| matches(r)) else {
            return Ok(None);
        };
        let set = |field: &mut String, value: &Option<String>| {
            if let Some(value) = value {
                field.clone_from(value);
            }
        };
        set(&mut restaurant.name, &patch.name);
        set(&mut restaurant.address, &patch.address);
        set(&mut restaurant.hours.days, &patch.days);
        set(&mut restaurant.hours.opens, &patch.opens);
        set(&mut restaurant.hours.closes, &patch.closes);
        Ok(Some(restaurant.clone()))
    }

    async fn ensure_restaurant(&self, restaurant: &Restaurant) -> StoreResult<()> {
        let mut state = self.state();
        let taken = state
            .restaurants
            .iter()
            .any(|r| r.name == restaurant.name || r.oid == restaurant.oid);
        if !taken {
            let id = state.next_id();
            state.restaurants.push(Restaurant {
                id,
                ..restaurant.clone()
            });
        }
        Ok(())
    }
}

#[async_trait]
impl Store for MemoryStore {
    async fn purge_expired(&self, now: i64, unused_clients_before: i64) -> StoreResult<u64> {
        let mut state = self.state();
        let holders: Vec<String> = state.grants.values().map(|g| g.client_id.clone()).collect();
        for (client_id, registration) in state.registrations.iter_mut() {
            registration.used |= holders.contains(client_id);
        }
        let rows = |state: &State| {
            state.tokens.len() + state.codes.len() + state.sessions.len() + state.attempts.len()
        };
        let before = rows(&state);
        let emptied: Vec<i64> = state
            .tokens
            .values()
            .filter(|t| t.token.expires_at <= now)
            .map(|t| t.grant_id)
            .chain(
                state
                    .codes
                    .values()
                    .filter(|c| c.code.expires_at <= now - 86400)
                    .filter_map(|c| c.grant_id),
            )
            .collect();
        state.tokens.retain(|_, t| t.token.expires_at > now);
        state.codes.retain(|_, c| c.code.expires_at > now - 86400);
        state.sessions.retain(|_, s| s.expires_at > now);
        state.attempts.retain(|_, f| f.window_start > now - 86400);
        let after = rows(&state);
        let mut grants = 0;
        for grant_id in emptied {
            let in_use = state.tokens.values().any(|t| t.grant_id == grant_id)
                || state.codes.values().any(|c| c.grant_id == Some(grant_id));
            if !in_use && state.grants.remove(&grant_id).is_some() {
                grants += 1;
            }
        }
        let unused: Vec<String> = state
            .registrations
            .iter()
            .filter(|(_, r)| !r.used && r.registered_at <= unused_clients_before)
            .map(|(client_id, _)| client_id.clone())
            .collect();
        let clients = state.delete_clients(|c| unused.contains(&c.client_id));
        Ok((before - after + clients) as u64 + grants)
    }

    async fn ready(&self) -> StoreResult<bool> {
        Ok(true)
    }
}
