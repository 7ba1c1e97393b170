//! POST /oauth/register (RFC 7591 §3) and GET|PUT|DELETE
//! /oauth/register/{client_id} (RFC 7592 §2): JSON in, JSON out; the steps
//! are `oauth::registration::endpoint`'s.

use super::client_address::ClientAddress;
use super::error::{no_store, ApiError};
use super::extract::{bearer_token, read_body};
use super::AppState;
use crate::oauth::registration::endpoint::Registrar;
use crate::oauth::registration::RegistrationPolicy;
use crate::oauth::{ErrorCode, OAuthError};
use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

/// POST /oauth/register
pub async fn register(
    State(state): State<AppState>,
    address: ClientAddress,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let body = match json_body(&headers, body).await {
        Ok(body) => body,
        Err(error) => return error.into_response(),
    };
    let scopes = state.config.self_registration_scopes();
    let answer = registrar(&state, &scopes)
        .register(&body, bearer_token(&headers), address.0)
        .await;
    // RFC 7591 §3.2.1: 201, and the answer holds secrets.
    respond(answer.map(|info| (StatusCode::CREATED, Json(info))))
}

/// GET /oauth/register/{client_id}
pub async fn read(
    State(state): State<AppState>,
    Path(client_id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let scopes = state.config.self_registration_scopes();
    let answer = registrar(&state, &scopes)
        .read(&client_id, bearer_token(&headers))
        .await;
    respond(answer.map(Json))
}

/// PUT /oauth/register/{client_id}
pub async fn update(
    State(state): State<AppState>,
    Path(client_id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let body = match json_body(&headers, body).await {
        Ok(body) => body,
        Err(error) => return error.into_response(),
    };
    let scopes = state.config.self_registration_scopes();
    let answer = registrar(&state, &scopes)
        .update(&client_id, bearer_token(&headers), &body)
        .await;
    respond(answer.map(Json))
}

/// DELETE /oauth/register/{client_id}
pub async fn delete(
    State(state): State<AppState>,
    Path(client_id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let answer = registrar(&state, &[])
        .delete(&client_id, bearer_token(&headers))
        .await;
    respond(answer.map(|()| StatusCode::NO_CONTENT))
}

fn registrar<'a>(state: &'a AppState, scopes: &'a [String]) -> Registrar<'a> {
    Registrar {
        provider: &state.provider,
        mode: state.config.registration_mode(),
        policy: RegistrationPolicy {
            scopes_supported: scopes,
            insecure_http: state.config.insecure_http,
        },
        rate_limit: state.config.registration_rate_limit,
    }
}

/// RFC 7591 §3.1: the metadata comes as `application/json`; any other
/// body is invalid metadata, as is one that is not JSON (`dynamic::parse`).
async fn json_body(headers: &HeaderMap, body: Body) -> Result<Bytes, ApiError> {
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|essence| essence.trim().eq_ignore_ascii_case("application/json"));
    let body = read_body(body).await?;
    if !json {
        return Err(OAuthError::new(
            ErrorCode::InvalidClientMetadata,
            "send the client metadata as application/json (RFC 7591 section 3.1)",
        )
        .into());
    }
    Ok(body)
}

/// Registration answers carry credentials: never cached (RFC 7591 §3.2.1,
/// RFC 7592 §3), errors included.
fn respond(answer: Result<impl IntoResponse, OAuthError>) -> Response {
    match answer {
        Ok(answer) => no_store(answer.into_response()),
        Err(error) => ApiError::from(error).into_response(),
    }
}
