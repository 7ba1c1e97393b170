//! Resource owner password credentials grant (RFC 6749 §4.3). Legacy (RFC
//! 9700 §2.4 says not to use it) but the seeds' clients rely on it.

use super::*;
use crate::audit::AuditEvent;
use crate::crypto;
use crate::limits::Counter;
use crate::oauth::resources;
use crate::oauth::scope;
use crate::oauth::tokens::{self, Access, Refresh};

pub struct Password;

#[async_trait]
impl Grant for Password {
    fn grant_type(&self) -> GrantType {
        GrantType::Password
    }

    async fn exchange(
        &self,
        provider: &Provider,
        client: &Client,
        request: &ClientRequest<'_>,
    ) -> Result<TokenResponse, OAuthError> {
        let params = request.params;
        let username = params.require("username")?;
        let password = params.require("password")?;
        let scope = scope::resolve(params.get("scope"), &client.scope)?;
        let user = provider.store.user_by_name(username).await?;
        // SPEC §7: a password is human-chosen, so the attempt is counted
        // (per username and per address) before the Argon2 work. An
        // unknown user costs the same work as a wrong password.
        let stored = user.as_ref().map(|u| u.password_hash.clone());
        let counters = Counter::username(username).and_address(request.address);
        let verify = crypto::verify_password(stored.clone(), password.to_owned());
        let verified = provider
            .limiter
            .verify_chosen(counters, stored.as_deref(), password, verify)
            .await?;
        // A disabled user gets the answer of a wrong password.
        let signed_in = user.filter(|user| verified && !user.disabled);
        provider.audit.record(
            AuditEvent::SignIn {
                username: username.to_owned(),
                user: signed_in.as_ref().map(|user| user.id),
                client_id: Some(client.client_id.clone()),
                succeeded: signed_in.is_some(),
            },
            request.address,
        );
        let Some(user) = signed_in else {
            return Err(OAuthError::invalid_grant("wrong username or password"));
        };
        let now = provider.clock.now();
        let refresh = if refresh_allowed(client, &scope, false) {
            Refresh::WithScope(&scope)
        } else {
            Refresh::None
        };
        let audience = resources::requested(provider, params).await?;
        let access = Access::for_client(provider, client, Some(user.id), audience.clone());
        let minted = tokens::mint(&provider.settings, now, &scope, refresh, access)?;
        let mut grant = tokens::new_grant(&client.client_id, Some(user.id), now);
        grant.resources = audience;
        provider.store.issue_grant(&grant, &minted.rows).await?;
        Ok(minted.response)
    }
}
