//! How the admin API answers errors and lists: RFC 9457 problem details
//! (`application/problem+json`), and one page shape for every list.
//! Extractor rejections (bad JSON, a path or query that does not parse,
//! a body too large) become problems too, so that no input gets a non-JSON
//! answer, let alone a 5xx.

use crate::oauth::{ErrorCode, OAuthError};
use crate::store::StoreError;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use utoipa::{IntoParams, ToSchema};

/// RFC 9457 §3: `type` is left out, which means `about:blank`: the title
/// is the status's phrase and `detail` says what went wrong.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    pub title: Cow<'static, str>,
    pub status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl Problem {
    pub fn new(status: StatusCode, detail: impl Into<String>) -> Self {
        Problem {
            title: Cow::Borrowed(status.canonical_reason().unwrap_or("Error")),
            status: status.as_u16(),
            detail: Some(detail.into()),
        }
    }

    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, detail)
    }

    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, detail)
    }

    pub fn conflict(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, detail)
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::BAD_REQUEST);
        let mut response = (status, axum::Json(self)).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        response
    }
}

/// A store fault: 503 when it may pass, 500 otherwise; a uniqueness rule
/// broken is the caller's 409.
impl From<StoreError> for Problem {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Conflict => Problem::conflict("the name or id is already taken"),
            other => OAuthError::from(other).into(),
        }
    }
}

/// A rule of the protocol core refused the request (registration rules,
/// the password hashing queue).
impl From<OAuthError> for Problem {
    fn from(error: OAuthError) -> Self {
        let status = StatusCode::from_u16(error.code.status()).unwrap_or(StatusCode::BAD_REQUEST);
        let detail = match error.code {
            ErrorCode::ServerError | ErrorCode::TemporarilyUnavailable => {
                error.description.into_owned()
            }
            code => format!("{}: {}", code.as_str(), error.description),
        };
        Problem::new(status, detail)
    }
}

impl From<JsonRejection> for Problem {
    fn from(rejection: JsonRejection) -> Self {
        let status = match rejection.status() {
            StatusCode::PAYLOAD_TOO_LARGE => StatusCode::PAYLOAD_TOO_LARGE,
            StatusCode::UNSUPPORTED_MEDIA_TYPE => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            _ => StatusCode::BAD_REQUEST,
        };
        Problem::new(status, rejection.body_text())
    }
}

impl From<PathRejection> for Problem {
    fn from(rejection: PathRejection) -> Self {
        Problem::not_found(rejection.body_text())
    }
}

impl From<QueryRejection> for Problem {
    fn from(rejection: QueryRejection) -> Self {
        Problem::bad_request(rejection.body_text())
    }
}

/// A JSON body, or a problem.
#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(Problem))]
pub struct Body<T>(pub T);

/// Path parameters, or a 404 problem.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(Problem))]
pub struct PathParam<T>(pub T);

/// Query parameters, or a problem.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(Problem))]
pub struct QueryParams<T>(pub T);

/// Every list is read a page at a time: at most `limit` items after the
/// cursor `after` (the previous page's `next`), in a stable order.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Items per page, 1 to 1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
    /// The `next` of the previous page; absent for the first page.
    pub after: Option<String>,
}

impl PageQuery {
    pub const MAX: u32 = 1000;

    pub fn limit(&self) -> Result<u32, Problem> {
        match self.limit.unwrap_or(100) {
            limit @ 1..=Self::MAX => Ok(limit),
            _ => Err(Problem::bad_request("limit must be between 1 and 1000")),
        }
    }

    /// The cursor of lists ordered by a text id ("": from the start). No
    /// id holds a control character, and PostgreSQL refuses a NUL in text:
    /// such a cursor is the caller's mistake, not a server error.
    pub fn after_text(&self) -> Result<&str, Problem> {
        match self.after.as_deref() {
            Some(after) if after.chars().any(char::is_control) => {
                Err(Problem::bad_request("after is not a cursor of this list"))
            }
            after => Ok(after.unwrap_or_default()),
        }
    }

    /// The cursor of lists ordered by a numeric id (0: from the start).
    pub fn after_id(&self) -> Result<i64, Problem> {
        match &self.after {
            None => Ok(0),
            Some(after) => after
                .parse()
                .map_err(|_| Problem::bad_request("after is not a cursor of this list")),
        }
    }
}

/// One page of a list; `next` is the cursor of the following page, absent
/// on the last one.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

impl<T> Page<T> {
    /// A full page has a next one (perhaps empty); `cursor` reads an item's.
    pub fn of(items: Vec<T>, limit: u32, cursor: impl Fn(&T) -> String) -> Self {
        let next = (items.len() == limit as usize)
            .then(|| items.last().map(cursor))
            .flatten();
        Page { items, next }
    }
}
