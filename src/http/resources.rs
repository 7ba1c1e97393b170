//! The example API, a protected resource (RFC 6750) whose resource
//! identifier is `<issuer>/api` (RFC 8707): /api itself, /api/me and the
//! seeds' restaurant API (SPEC §4), with its protected resource metadata
//! (RFC 9728). It shows how a resource server guards its routes: a token
//! bound to another resource is refused, and every challenge names the
//! metadata, so that a client (an MCP client, say) finds its way to the
//! authorization server from a 401 alone.

use super::error::{bearer_challenge, ApiError};
use super::extract::{bearer_token, read_body};
use super::AppState;
use crate::oauth::bearer::{self, BearerError, Requirement};
use crate::oauth::{OAuthError, Settings};
use crate::store::{
    OpeningHours, Restaurant, RestaurantKey, RestaurantPatch, StoreError, TokenRecord,
};
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::borrow::Cow;
use url::Url;

const READ: Requirement = Requirement {
    any_scope: &["restaurants:read"],
    user: false,
};
const WRITE: Requirement = Requirement {
    any_scope: &["restaurants:write"],
    user: false,
};

/// Checks the request's bearer token for the example API (whose resource
/// identifier is `<issuer>/api`, RFC 8707).
async fn verify(
    state: &AppState,
    headers: &HeaderMap,
    requirement: Requirement,
) -> Result<TokenRecord, BearerError> {
    let api = state.provider.settings.default_resource();
    bearer::verify(
        &state.provider,
        bearer_token(headers),
        requirement,
        Some(&api),
    )
    .await
}

/// [`verify`], with a refusal answered as this resource answers it: its
/// RFC 9728 metadata named in the challenge.
pub(super) async fn require(
    state: &AppState,
    headers: &HeaderMap,
    requirement: Requirement,
) -> Result<TokenRecord, Response> {
    verify(state, headers, requirement)
        .await
        .map_err(|error| refused(state, error))
}

fn refused(state: &AppState, error: BearerError) -> Response {
    bearer_challenge(error, Some(&metadata_url(&state.provider.settings)))
}

/// Where the example API's protected resource metadata is (RFC 9728 §3.1:
/// the well-known segment goes between the host and the resource's path).
pub fn metadata_url(settings: &Settings) -> String {
    let api = settings.default_resource();
    match Url::parse(&api) {
        Ok(url) => format!(
            "{}{METADATA_PREFIX}{}",
            &url[..url::Position::BeforePath],
            url.path()
        ),
        Err(_) => format!("{api}{METADATA_PREFIX}"),
    }
}

/// RFC 9728 §3.
const METADATA_PREFIX: &str = "/.well-known/oauth-protected-resource";

/// The path the example API's metadata is served at.
pub const METADATA_PATH: &str = "/.well-known/oauth-protected-resource/api";

/// GET /.well-known/oauth-protected-resource/api (RFC 9728 §3.2): the
/// example API, the authorization server that protects it, and the scopes
/// it understands (those its registered resource names, if the operator
/// registered it).
pub async fn metadata(State(state): State<AppState>) -> Result<Response, Response> {
    let settings = &state.provider.settings;
    let resource = settings.default_resource();
    let registered = state
        .provider
        .store
        .resource(&resource)
        .await
        .map_err(|e| ApiError::from(OAuthError::from(e)).into_response())?;
    let mut document = json!({
        "resource": resource,
        "authorization_servers": [settings.issuer],
        "bearer_methods_supported": ["header"],
        "resource_name": "Portcullis example API",
    });
    if let Some(registered) = registered.filter(|r| !r.scope.is_empty()) {
        let scopes: Vec<&str> = registered.scope.split_whitespace().collect();
        document["scopes_supported"] = json!(scopes);
    }
    let cache = [(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    )];
    Ok((cache, Json(document)).into_response())
}

/// GET|POST /api: the example API's own address, its resource identifier:
/// a client that finds the resource by calling it (MCP clients do) gets
/// the challenge here, and with a token, what the token says.
pub async fn api(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<Value>, Response> {
    let any = Requirement {
        any_scope: &[],
        user: false,
    };
    let record = require(&state, &headers, any).await?;
    Ok(Json(json!({
        "resource": state.provider.settings.default_resource(),
        "client_id": record.client_id,
        "sub": record.user_id,
        "username": record.username,
        "scope": record.scope,
    })))
}

/// GET|POST /api/me: who the token's user is.
pub async fn me(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<Value>, Response> {
    let record = require(
        &state,
        &headers,
        Requirement {
            any_scope: &[],
            user: true,
        },
    )
    .await?;
    Ok(Json(json!({
        "id": record.user_id,
        "username": record.username,
    })))
}

/// The restaurants, and whether the caller may see their details: public
/// fields for everyone, details for a token that meets `details`. A bad
/// token is still refused: a caller should learn that its token no longer
/// works.
pub(super) async fn restaurants_for(
    state: &AppState,
    headers: &HeaderMap,
    details: Requirement,
) -> Result<(Vec<Restaurant>, bool), Response> {
    let detailed = match bearer_token(headers) {
        None => false,
        Some(_) => match verify(state, headers, details).await {
            Ok(_) => true,
            Err(BearerError::InsufficientScope(_)) => false,
            Err(error) => return Err(refused(state, error)),
        },
    };
    let restaurants = state
        .provider
        .store
        .restaurants()
        .await
        .map_err(|e| ApiError::from(OAuthError::from(e)).into_response())?;
    Ok((restaurants, detailed))
}

/// A restaurant as `/api/restaurants` shows it to holders of
/// `restaurants:read`.
#[derive(Serialize)]
struct Detailed<'a> {
    id: i64,
    name: &'a str,
    address: &'a str,
    opening_hours: String,
}

impl<'a> From<&'a Restaurant> for Detailed<'a> {
    fn from(restaurant: &'a Restaurant) -> Self {
        Detailed {
            id: restaurant.id,
            name: &restaurant.name,
            address: &restaurant.address,
            opening_hours: restaurant.hours.to_string(),
        }
    }
}

/// GET /api/restaurants: ids and opening hours for `restaurants:read`.
pub async fn list_restaurants(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<Vec<Value>>, Response> {
    let (restaurants, detailed) = restaurants_for(&state, &headers, READ).await?;
    let listed = restaurants.iter().map(|r| {
        if detailed {
            json!(Detailed::from(r))
        } else {
            json!({ "name": r.name, "address": r.address })
        }
    });
    Ok(Json(listed.collect()))
}

/// What PATCH /api/restaurants/{id} may change.
#[derive(Deserialize)]
struct PatchBody {
    name: Option<String>,
    address: Option<String>,
    opening_hours: Option<String>,
}

/// PATCH /api/restaurants/{id}: needs `restaurants:write`.
pub async fn update_restaurant(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, Response> {
    require(&state, &headers, WRITE).await?;
    let id: i64 = id
        .parse()
        .map_err(|_| invalid("the restaurant id must be a number"))?;
    let bytes = read_body(body)
        .await
        .map_err(|e| ApiError::from(e).into_response())?;
    let body: PatchBody = serde_json::from_slice(&bytes).map_err(|_| {
        invalid("the body must be a JSON object with name, address or opening_hours")
    })?;
    let patch = RestaurantPatch {
        name: body.name,
        address: body.address,
        ..RestaurantPatch::default()
    };
    let patch = match body.opening_hours {
        Some(hours) => patch.with_hours(OpeningHours::parse(&hours)),
        None => patch,
    };
    let updated = apply(&state, &RestaurantKey::Id(id), &patch).await?;
    Ok(Json(Detailed::from(&updated)).into_response())
}

/// Changes one restaurant: the one store call behind both update APIs.
/// Values no restaurant has are 400, an unknown restaurant 404, a name
/// another restaurant has 409.
pub(super) async fn apply(
    state: &AppState,
    key: &RestaurantKey,
    patch: &RestaurantPatch,
) -> Result<Restaurant, Response> {
    patch.check().map_err(invalid)?;
    match state.provider.store.update_restaurant(key, patch).await {
        Ok(Some(restaurant)) => Ok(restaurant),
        Ok(None) => Err(failed(
            StatusCode::NOT_FOUND,
            "not_found",
            "no such restaurant",
        )),
        Err(StoreError::Conflict) => Err(failed(
            StatusCode::CONFLICT,
            "conflict",
            "another restaurant has this name",
        )),
        Err(error) => Err(ApiError::from(OAuthError::from(error)).into_response()),
    }
}

pub(super) fn invalid(description: impl Into<Cow<'static, str>>) -> Response {
    ApiError::from(OAuthError::invalid_request(description)).into_response()
}

fn failed(status: StatusCode, error: &str, description: &str) -> Response {
    let body = json!({ "error": error, "error_description": description });
    (status, Json(body)).into_response()
}
