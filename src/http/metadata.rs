//! GET /.well-known/oauth-authorization-server (RFC 8414 §3).

use super::AppState;
use crate::oauth::metadata;
use axum::extract::State;
use axum::Json;

pub async fn metadata(State(state): State<AppState>) -> Json<metadata::Metadata> {
    let mut metadata = metadata::metadata(&state.provider, state.config.scopes_supported.clone());
    metadata.registration_endpoint = state.config.registration_endpoint();
    Json(metadata)
}
