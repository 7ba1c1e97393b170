//! How errors look on the wire: JSON for API routes (RFC 6749 §5.2, RFC
//! 6750 §3), with the headers the RFCs ask for.

use super::extract::BodyError;
use crate::limits::Throttled;
use crate::oauth::bearer::BearerError;
use crate::oauth::{ErrorCode, OAuthError};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

pub const REALM: &str = "portcullis";

/// An error answered as JSON on an API route.
#[derive(Debug)]
pub enum ApiError {
    OAuth(OAuthError),
    TooLarge,
    /// Too many failed attempts (SPEC §7): 429 with Retry-After.
    Throttled(Throttled),
}

impl From<OAuthError> for ApiError {
    fn from(error: OAuthError) -> Self {
        ApiError::OAuth(error)
    }
}

impl From<BodyError> for ApiError {
    fn from(error: BodyError) -> Self {
        match error {
            BodyError::TooLarge => ApiError::TooLarge,
            BodyError::Invalid(error) => ApiError::OAuth(error),
        }
    }
}

/// RFC 6749 §5.1: token answers must not be cached.
pub fn no_store(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    response
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let error = match self {
            ApiError::TooLarge => {
                let body = json!({
                    "error": "invalid_request",
                    "error_description": "the request body is larger than 64 KiB",
                });
                return no_store((StatusCode::PAYLOAD_TOO_LARGE, Json(body)).into_response());
            }
            ApiError::Throttled(Throttled { retry_after }) => {
                let body = json!({
                    "error": "temporarily_unavailable",
                    "error_description": format!(
                        "too many failed attempts; retry after {retry_after} s"
                    ),
                });
                let mut response = (StatusCode::TOO_MANY_REQUESTS, Json(body)).into_response();
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
                return no_store(response);
            }
            ApiError::OAuth(error) => error,
        };
        let status = StatusCode::from_u16(error.code.status()).unwrap_or(StatusCode::BAD_REQUEST);
        let body = json!({
            "error": error.code.as_str(),
            "error_description": error.description,
        });
        let mut response = (status, Json(body)).into_response();
        if error.code == ErrorCode::InvalidClient {
            // RFC 6749 §5.2: 401 with the scheme the client may use.
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"portcullis\""),
            );
        }
        if error.code == ErrorCode::TemporarilyUnavailable {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        no_store(response)
    }
}

impl IntoResponse for BearerError {
    fn into_response(self) -> Response {
        let (status, challenge, code, description) = match self {
            // RFC 6750 §3.1: no error code when no credentials were sent.
            BearerError::Missing => (
                StatusCode::UNAUTHORIZED,
                format!("Bearer realm=\"{REALM}\""),
                "invalid_request",
                "a Bearer access token is required".to_owned(),
            ),
            BearerError::InvalidToken => (
                StatusCode::UNAUTHORIZED,
                format!(
                    "Bearer realm=\"{REALM}\", error=\"invalid_token\", \
                     error_description=\"the access token is invalid, expired or revoked\""
                ),
                "invalid_token",
                "the access token is invalid, expired or revoked".to_owned(),
            ),
            BearerError::InsufficientScope(needed) => (
                StatusCode::FORBIDDEN,
                format!(
                    "Bearer realm=\"{REALM}\", error=\"insufficient_scope\", scope=\"{needed}\""
                ),
                "insufficient_scope",
                format!("this resource needs: {needed}"),
            ),
            BearerError::Unavailable(error) => return ApiError::OAuth(error).into_response(),
        };
        let body = json!({ "error": code, "error_description": description });
        let mut response = (status, Json(body)).into_response();
        if let Ok(value) = HeaderValue::from_str(&challenge) {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, value);
        }
        response
    }
}
