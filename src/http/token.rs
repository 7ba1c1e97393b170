//! POST /oauth/token (RFC 6749 §3.2), also served as POST /oauth/tokenize,
//! the aioauth example's path.

use super::error::{no_store, ApiError};
use super::extract::OAuthRequest;
use super::AppState;
use crate::oauth::grants;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;

pub async fn token(
    State(state): State<AppState>,
    request: OAuthRequest,
) -> Result<Response, ApiError> {
    let response = grants::token_request(&state.provider, &request.client_request()).await?;
    Ok(no_store(Json(response).into_response()))
}
