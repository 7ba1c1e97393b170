//! POST /oauth/token (RFC 6749 §3.2), also served as POST /oauth/tokenize,
//! the aioauth example's path.

use super::error::{no_store, ApiError};
use super::extract::OAuthRequest;
use super::throttle::{back_channel_subjects, guarded, ClientAddress, Guess};
use super::AppState;
use crate::oauth::grants;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;

pub async fn token(
    State(state): State<AppState>,
    address: ClientAddress,
    request: OAuthRequest,
) -> Result<Response, ApiError> {
    let (params, basic) = (&request.params, request.basic.as_ref());
    let mut subjects = back_channel_subjects(&address, basic, params);
    let mut guess = Guess::ClientSecret;
    if params.get("grant_type") == Some("password") {
        subjects = subjects.with_username(params.get("username"));
        guess = Guess::ClientSecretOrPassword;
    }
    let attempt = grants::token_request(&state.provider, basic, params);
    let response = guarded(&state, subjects, guess, attempt).await?;
    Ok(no_store(Json(response).into_response()))
}
