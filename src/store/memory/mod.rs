//! An in-memory model of the store, for tests: the protocol core's unit
//! tests run against it in microseconds, and the contract suite holds it to
//! the same rules as the SQL engines, which keeps the model honest.
//!
//! One mutex over the whole state makes every call atomic, as the engines'
//! transactions do.

mod accounts;
mod operations;
mod registrations;
mod resources;

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
impl GrantStore for MemoryStore {
    async fn issue_grant(&self, grant: &NewGrant, tokens: &[NewToken]) -> StoreResult<i64> {
        Ok(self.state().issue(grant, tokens))
    }

    async fn token(&self, key: &TokenKey) -> StoreResult<Option<TokenRecord>> {
        let state = self.state();
        let Some(stored) = state.tokens.get(key) else {
            return Ok(None);
        };
        let Some(grant) = state.grants.get(&stored.grant_id) else {
            return Ok(None);
        };
        let client_exists = state.clients.iter().any(|c| c.client_id == grant.client_id);
        let user = grant
            .user_id
            .and_then(|id| state.users.iter().find(|u| u.id == id));
        Ok(Some(TokenRecord {
            kind: stored.token.kind,
            grant_id: stored.grant_id,
            client_id: grant.client_id.clone(),
            user_id: grant.user_id,
            username: user.map(|u| u.username.clone()),
            scope: stored.token.scope.clone(),
            issued_at: stored.token.issued_at,
            expires_at: stored.token.expires_at,
            revoked: stored.revoked
                || grant.revoked
                || !client_exists
                || user.is_some_and(|u| u.disabled),
            used: stored.used,
            oidc: grant.oidc.clone(),
            audience: stored.token.audience.clone(),
            grant_resources: grant.resources.clone(),
        }))
    }

    async fn rotate_refresh(&self, refresh: &TokenKey, tokens: &[NewToken]) -> StoreResult<bool> {
        let mut state = self.state();
        let grants = &state.grants;
        let claimable = state.tokens.get(refresh).filter(|t| {
            t.token.kind == TokenKind::Refresh
                && !t.used
                && !t.revoked
                && grants.get(&t.grant_id).is_some_and(|g| !g.revoked)
        });
        let Some(grant_id) = claimable.map(|t| t.grant_id) else {
            return Ok(false);
        };
        if let Some(token) = state.tokens.get_mut(refresh) {
            token.used = true;
        }
        state.add_tokens(grant_id, tokens);
        Ok(true)
    }

    async fn revoke_token(&self, key: &TokenKey) -> StoreResult<()> {
        if let Some(token) = self.state().tokens.get_mut(key) {
            token.revoked = true;
        }
        Ok(())
    }

    async fn revoke_grant(&self, grant_id: i64) -> StoreResult<()> {
        if let Some(grant) = self.state().grants.get_mut(&grant_id) {
            grant.revoked = true;
        }
        Ok(())
    }

    async fn list_grants(
        &self,
        filter: &GrantFilter,
        after: i64,
        limit: u32,
    ) -> StoreResult<Vec<GrantRecord>> {
        let state = self.state();
        Ok(state
            .grants
            .range(after + 1..)
            .filter(|(_, g)| filter.user_id.is_none_or(|id| g.user_id == Some(id)))
            .filter(|(_, g)| filter.client_id.as_ref().is_none_or(|c| &g.client_id == c))
            .take(limit as usize)
            .map(|(id, g)| GrantRecord {
                id: *id,
                client_id: g.client_id.clone(),
                user_id: g.user_id,
                created_at: g.created_at,
                revoked: g.revoked,
            })
            .collect())
    }

    async fn create_code(&self, code: &NewCode) -> StoreResult<()> {
        let mut state = self.state();
        if state.codes.contains_key(&code.key) {
            return Err(StoreError::Conflict);
        }
        state.codes.insert(
            code.key,
            StoredCode {
                code: code.clone(),
                used: false,
                grant_id: None,
            },
        );
        Ok(())
    }

    async fn code(&self, key: &TokenKey) -> StoreResult<Option<CodeRecord>> {
        Ok(self.state().codes.get(key).map(|stored| CodeRecord {
            client_id: stored.code.client_id.clone(),
            user_id: stored.code.user_id,
            redirect_uri: stored.code.redirect_uri.clone(),
            redirect_uri_given: stored.code.redirect_uri_given,
            scope: stored.code.scope.clone(),
            code_challenge: stored.code.code_challenge.clone(),
            expires_at: stored.code.expires_at,
            used: stored.used,
            grant_id: stored.grant_id,
            oidc: stored.code.oidc.clone(),
            resources: stored.code.resources.clone(),
        }))
    }

    async fn exchange_code(
        &self,
        key: &TokenKey,
        grant: &NewGrant,
        tokens: &[NewToken],
    ) -> StoreResult<CodeExchange> {
        let mut state = self.state();
        match state.codes.get(key) {
            Some(stored) if !stored.used => {}
            other => {
                return Ok(CodeExchange::AlreadyUsed {
                    grant_id: other.and_then(|c| c.grant_id),
                })
            }
        }
        let grant_id = state.issue(grant, tokens);
        if let Some(code) = state.codes.get_mut(key) {
            code.used = true;
            code.grant_id = Some(grant_id);
        }
        Ok(CodeExchange::Exchanged { grant_id })
    }
}

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
