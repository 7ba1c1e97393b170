//! POST /oauth/revoke (RFC 7009).

use super::error::{no_store, ApiError};
use super::extract::OAuthRequest;
use super::AppState;
use crate::oauth::revocation;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;

pub async fn revoke(
    State(state): State<AppState>,
    request: OAuthRequest,
) -> Result<Response, ApiError> {
    revocation::revoke(&state.provider, &request.client_request()).await?;
    // §2.2: 200 whether or not the token existed.
    Ok(no_store(Json(serde_json::json!({})).into_response()))
}
