//! The registration endpoint's steps over the store (RFC 7591 §3, RFC 7592
//! §2): who may register, and which client a registration access token
//! manages. The rules themselves are [`super::dynamic`]'s.

use super::dynamic::{self, ClientInformationResponse, RegistrationMode, RATE_LIMIT_WINDOW};
use super::RegistrationPolicy;
use crate::crypto;
use crate::limits::Counter;
use crate::oauth::{OAuthError, Provider};
use crate::store::ClientRegistration;
use std::net::IpAddr;

/// What the endpoint works with: the server and the operator's settings.
pub struct Registrar<'a> {
    pub provider: &'a Provider,
    pub mode: RegistrationMode,
    /// The scopes in it are those open to self-registered clients.
    pub policy: RegistrationPolicy<'a>,
    /// Registrations per address per hour (0: no limit).
    pub rate_limit: u32,
}

/// RFC 7591 §3, RFC 7592 §2.1: one answer for a missing, wrong, spent or
/// expired token, and for a client that does not exist, so that the
/// answer reveals nothing.
const BAD_INITIAL_TOKEN: &str =
    "an initial access token from the operator is required (Authorization: Bearer), and this \
     one is missing, unknown, spent or expired";
const BAD_REGISTRATION_TOKEN: &str =
    "the registration access token is missing or invalid for this client";

impl Registrar<'_> {
    /// RFC 7591 §3.1: registers the client `body` describes. `bearer` is
    /// the request's Bearer token (the initial access token in `token`
    /// mode); `address` the client's address, which the rate limit counts.
    pub async fn register(
        &self,
        body: &[u8],
        bearer: Option<&str>,
        address: Option<IpAddr>,
    ) -> Result<ClientInformationResponse, OAuthError> {
        if let Some(address) = address {
            let counter = Counter::registrations(address);
            self.provider
                .limiter
                .count_use(counter, self.rate_limit, RATE_LIMIT_WINDOW, "registrations")
                .await?;
        }
        let now = crate::time::now();
        let initial = match self.mode {
            RegistrationMode::Token => {
                let key = crypto::token_key(
                    bearer.ok_or_else(|| OAuthError::invalid_token(BAD_INITIAL_TOKEN))?,
                );
                let token = self.provider.store.initial_access_token(&key).await?;
                if !token.is_some_and(|token| token.is_usable(now)) {
                    return Err(OAuthError::invalid_token(BAD_INITIAL_TOKEN));
                }
                Some(key)
            }
            RegistrationMode::Open | RegistrationMode::Off => None,
        };
        let registered = dynamic::register(dynamic::parse(body)?, &self.policy)?;
        let created = self
            .provider
            .store
            .register_client(&registered.registration, initial.as_ref(), now)
            .await?;
        if !created {
            // A concurrent registration spent the token's last use.
            return Err(OAuthError::invalid_token(BAD_INITIAL_TOKEN));
        }
        Ok(ClientInformationResponse::new(
            &registered.registration,
            &self.provider.settings.issuer,
            &registered.registration_access_token,
            registered.client_secret,
        ))
    }

    /// RFC 7592 §2.1: the registration `bearer` manages, if it is
    /// `client_id`'s. The token is found by its hash, so no secret is
    /// compared here.
    async fn authenticate(
        &self,
        client_id: &str,
        bearer: Option<&str>,
    ) -> Result<ClientRegistration, OAuthError> {
        let bearer = bearer.ok_or_else(|| OAuthError::invalid_token(BAD_REGISTRATION_TOKEN))?;
        let registration = self
            .provider
            .store
            .client_registration(&crypto::token_key(bearer))
            .await?;
        registration
            .filter(|registration| registration.client.client_id == client_id)
            .ok_or_else(|| OAuthError::invalid_token(BAD_REGISTRATION_TOKEN))
    }

    /// RFC 7592 §2.1: the client's current metadata.
    pub async fn read(
        &self,
        client_id: &str,
        bearer: Option<&str>,
    ) -> Result<ClientInformationResponse, OAuthError> {
        let registration = self.authenticate(client_id, bearer).await?;
        Ok(self.information(&registration, bearer, None))
    }

    /// RFC 7592 §2.2: replaces the client's metadata with `body`'s.
    pub async fn update(
        &self,
        client_id: &str,
        bearer: Option<&str>,
        body: &[u8],
    ) -> Result<ClientInformationResponse, OAuthError> {
        let current = self.authenticate(client_id, bearer).await?;
        let updated = dynamic::update(&current, dynamic::parse(body)?, &self.policy)?;
        if !self
            .provider
            .store
            .update_registration(&updated.registration)
            .await?
        {
            // Deleted since it was read.
            return Err(OAuthError::invalid_token(BAD_REGISTRATION_TOKEN));
        }
        Ok(self.information(&updated.registration, bearer, updated.client_secret))
    }

    /// RFC 7592 §2.3: deletes the client with its grants, tokens and codes,
    /// and so its registration access token.
    pub async fn delete(&self, client_id: &str, bearer: Option<&str>) -> Result<(), OAuthError> {
        self.authenticate(client_id, bearer).await?;
        if !self.provider.store.delete_client(client_id, None).await? {
            return Err(OAuthError::invalid_token(BAD_REGISTRATION_TOKEN));
        }
        Ok(())
    }

    /// RFC 7592 §3: the registration access token is not rotated, so the
    /// answer repeats the one presented (only its hash is stored).
    fn information(
        &self,
        registration: &ClientRegistration,
        bearer: Option<&str>,
        client_secret: Option<String>,
    ) -> ClientInformationResponse {
        ClientInformationResponse::new(
            registration,
            &self.provider.settings.issuer,
            bearer.unwrap_or_default(),
            client_secret,
        )
    }
}
