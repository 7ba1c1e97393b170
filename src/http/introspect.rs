//! POST /oauth/introspect (RFC 7662).

use super::error::{no_store, ApiError};
use super::extract::OAuthRequest;
use super::AppState;
use crate::oauth::introspection;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;

pub async fn introspect(
    State(state): State<AppState>,
    request: OAuthRequest,
) -> Result<Response, ApiError> {
    let answer = introspection::introspect(&state.provider, &request.client_request()).await?;
    Ok(no_store(Json(answer).into_response()))
}
