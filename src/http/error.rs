//! How errors look on the wire: JSON for API routes (RFC 6749 §5.2, RFC
//! 6750 §3), with the headers the RFCs ask for.

use super::extract::BodyError;
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
            ApiError::OAuth(error) => error,
        };
        let status = StatusCode::from_u16(error.code.status()).unwrap_or(StatusCode::BAD_REQUEST);
        let body = json!({
            "error": error.code.as_str(),
            "error_description": error.description,
        });
        let mut response = (status, Json(body)).into_response();
        // 401 with the scheme the client may use: RFC 6749 §5.2 for client
        // authentication, RFC 6750 §3 for the registration endpoints' tokens.
        let challenge = match error.code {
            ErrorCode::InvalidClient => Some("Basic realm=\"portcullis\""),
            ErrorCode::InvalidToken => Some("Bearer realm=\"portcullis\", error=\"invalid_token\""),
            _ => None,
        };
        if let Some(challenge) = challenge {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(challenge),
            );
        }
        if let Some(seconds) = error.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        no_store(response)
    }
}

impl IntoResponse for BearerError {
    fn into_response(self) -> Response {
        bearer_challenge(self, None)
    }
}

/// The answer to a refused bearer token (RFC 6750 §3): the status, the
/// `WWW-Authenticate` challenge and the same error as JSON. A protected
/// resource with RFC 9728 metadata names it in every challenge
/// (`resource_metadata`, RFC 9728 §5.1), so that a client can find the
/// authorization server from the 401 alone.
pub fn bearer_challenge(error: BearerError, resource_metadata: Option<&str>) -> Response {
    let (status, code, description, scope) = match error {
        // RFC 6750 §3.1: a request without credentials gets the bare
        // challenge, with no error code or other error information.
        BearerError::Missing => (StatusCode::UNAUTHORIZED, None, String::new(), None),
        BearerError::InvalidRequest(description) => (
            StatusCode::BAD_REQUEST,
            Some("invalid_request"),
            description.to_owned(),
            None,
        ),
        BearerError::InvalidToken => (
            StatusCode::UNAUTHORIZED,
            Some("invalid_token"),
            "the access token is invalid, expired or revoked".to_owned(),
            None,
        ),
        BearerError::WrongAudience => (
            StatusCode::UNAUTHORIZED,
            Some("invalid_token"),
            "the access token is for another resource".to_owned(),
            None,
        ),
        BearerError::InsufficientScope(needed) => (
            StatusCode::FORBIDDEN,
            Some("insufficient_scope"),
            format!("this resource needs: {needed}"),
            Some(needed),
        ),
        BearerError::NeedsUser => (
            StatusCode::FORBIDDEN,
            Some("insufficient_scope"),
            "this resource needs a token issued for a user".to_owned(),
            None,
        ),
        BearerError::Unavailable(error) => return ApiError::OAuth(error).into_response(),
    };
    let mut challenge = format!("Bearer realm=\"{REALM}\"");
    if let Some(url) = resource_metadata {
        challenge.push_str(&format!(", resource_metadata=\"{url}\""));
    }
    let mut response = match code {
        Some(code) => {
            challenge.push_str(&format!(
                ", error=\"{code}\", error_description=\"{description}\""
            ));
            if let Some(scope) = scope {
                challenge.push_str(&format!(", scope=\"{scope}\""));
            }
            let body = json!({ "error": code, "error_description": description });
            (status, Json(body)).into_response()
        }
        None => status.into_response(),
    };
    if let Ok(value) = HeaderValue::from_str(&challenge) {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, value);
    }
    response
}
