//! Grants, tokens and codes in the model.

use super::*;

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
