//! Applying the brute-force limits of [`crate::limits`] to HTTP requests:
//! who the client is (its address) and which failures count.

use super::error::ApiError;
use super::AppState;
use crate::limits::{Failure, Subjects};
use crate::oauth::{ErrorCode, OAuthError};
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use std::convert::Infallible;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};

/// The client's address: the peer, or behind a trusted reverse proxy the
/// last X-Forwarded-For entry (the one that proxy added).
pub struct ClientAddress(pub Option<IpAddr>);

impl FromRequestParts<AppState> for ClientAddress {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Infallible> {
        if state.config.trust_forwarded_for {
            // Only the rightmost entry is the proxy's own: entries left of it
            // came from the client and may be forged.
            let forwarded = parts
                .headers
                .get_all("x-forwarded-for")
                .iter()
                .next_back()
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.rsplit(',').next())
                .and_then(|a| a.trim().parse::<IpAddr>().ok());
            if forwarded.is_some() {
                return Ok(ClientAddress(forwarded));
            }
        }
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip());
        Ok(ClientAddress(peer))
    }
}

/// Which failed attempts are guesses worth counting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Guess {
    /// Only client authentication can fail by guessing.
    ClientSecret,
    /// Client authentication and the resource owner's password.
    ClientSecretOrPassword,
}

impl Guess {
    fn failure(self, error: &OAuthError) -> Option<Failure> {
        match error.code {
            ErrorCode::InvalidClient => Some(Failure::ClientSecret),
            ErrorCode::InvalidGrant if self == Guess::ClientSecretOrPassword => {
                Some(Failure::Password)
            }
            _ => None,
        }
    }
}

/// Runs `attempt` unless its subjects are locked out; counts its failure if
/// it was a wrong credential.
pub async fn guarded<T>(
    state: &AppState,
    subjects: Subjects,
    guess: Guess,
    attempt: impl Future<Output = Result<T, OAuthError>>,
) -> Result<T, ApiError> {
    if let Err(throttled) = state
        .limiter
        .check(&subjects)
        .await
        .map_err(OAuthError::from)?
    {
        return Err(ApiError::Throttled(throttled));
    }
    let result = attempt.await;
    if let Some(failure) = result.as_ref().err().and_then(|e| guess.failure(e)) {
        state
            .limiter
            .record_failure(&subjects, failure)
            .await
            .map_err(OAuthError::from)?;
    }
    result.map_err(ApiError::from)
}

/// The subjects of a back-channel request: the address and the client id
/// it claims (from Basic or the body).
pub fn back_channel_subjects(
    address: &ClientAddress,
    basic: Option<&crate::oauth::client_auth::BasicCredentials>,
    params: &crate::oauth::Params,
) -> Subjects {
    let client_id = basic
        .map(|b| b.client_id.as_str())
        .or_else(|| params.get("client_id"));
    Subjects::address(address.0).with_client(client_id)
}
