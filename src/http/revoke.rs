//! POST /oauth/revoke (RFC 7009).

use super::error::{no_store, ApiError};
use super::extract::OAuthRequest;
use super::throttle::{back_channel_subjects, guarded, ClientAddress, Guess};
use super::AppState;
use crate::oauth::revocation;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;

pub async fn revoke(
    State(state): State<AppState>,
    address: ClientAddress,
    request: OAuthRequest,
) -> Result<Response, ApiError> {
    let (params, basic) = (&request.params, request.basic.as_ref());
    let subjects = back_channel_subjects(&address, basic, params);
    let attempt = revocation::revoke(&state.provider, basic, params);
    guarded(&state, subjects, Guess::ClientSecret, attempt).await?;
    // §2.2: 200 whether or not the token existed.
    Ok(no_store(Json(serde_json::json!({})).into_response()))
}
