//! POST /oauth/introspect (RFC 7662).

use super::error::{no_store, ApiError};
use super::extract::OAuthRequest;
use super::throttle::{back_channel_subjects, guarded, ClientAddress, Guess};
use super::AppState;
use crate::oauth::introspection;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;

pub async fn introspect(
    State(state): State<AppState>,
    address: ClientAddress,
    request: OAuthRequest,
) -> Result<Response, ApiError> {
    let (params, basic) = (&request.params, request.basic.as_ref());
    let subjects = back_channel_subjects(&address, basic, params);
    let attempt = introspection::introspect(&state.provider, basic, params);
    let answer = guarded(&state, subjects, Guess::ClientSecret, attempt).await?;
    Ok(no_store(Json(answer).into_response()))
}
