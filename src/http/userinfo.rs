//! GET|POST /oauth/userinfo (OpenID Connect Core §5.3). The access token
//! comes in the Authorization header (RFC 6750 §2.1) or, with POST, in the
//! form body (§2.2), never both (§2).

use super::extract::{bearer_token, read_params};
use super::AppState;
use crate::oauth::bearer::BearerError;
use crate::oauth::userinfo::{self, UserInfo};
use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, Method};
use axum::response::{IntoResponse, Response};
use axum::Json;

pub async fn userinfo(
    State(state): State<AppState>,
    method: Method,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let from_body = if method == Method::POST && is_form(&headers) {
        match read_params(&headers, body).await {
            Ok(params) => params.get("access_token").map(str::to_owned),
            Err(_) => {
                return BearerError::InvalidRequest("the form body could not be read")
                    .into_response()
            }
        }
    } else {
        None
    };
    let token = match (bearer_token(&headers), from_body.as_deref()) {
        (Some(_), Some(_)) => {
            return BearerError::InvalidRequest("the access token was sent more than one way")
                .into_response()
        }
        (header, body) => header.or(body),
    };
    let answer = match userinfo::userinfo(&state.provider, token).await {
        Ok(answer) => answer,
        Err(error) => return error.into_response(),
    };
    // Claims about a person: no cache may keep them (Core §5.3.2 with
    // RFC 6749 §5.1's reasoning for tokens).
    let no_store = [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))];
    match answer {
        UserInfo::Json(claims) => (no_store, Json(claims)).into_response(),
        UserInfo::Signed(jwt) => (
            no_store,
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/jwt"),
            )],
            jwt,
        )
            .into_response(),
    }
}

/// RFC 6750 §2.2: a body token only in `application/x-www-form-urlencoded`.
fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| {
            value.split(';').next().is_some_and(|essence| {
                essence
                    .trim()
                    .eq_ignore_ascii_case("application/x-www-form-urlencoded")
            })
        })
}
