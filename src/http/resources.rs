//! Protected resources (RFC 6750): /api/me and the seeds' restaurant API
//! (SPEC §4), which shows how a resource server guards its routes.

use super::error::ApiError;
use super::extract::{bearer_token, read_body};
use super::AppState;
use crate::oauth::bearer::{self, BearerError, Requirement};
use crate::oauth::OAuthError;
use crate::store::{RestaurantPatch, TokenRecord};
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

async fn require(
    state: &AppState,
    headers: &HeaderMap,
    requirement: Requirement,
) -> Result<TokenRecord, BearerError> {
    bearer::authorize(&state.provider, bearer_token(headers), requirement).await
}

/// GET|POST /api/me: who the token's user is.
pub async fn me(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<Value>, BearerError> {
    let record = require(
        &state,
        &headers,
        Requirement {
            scope: None,
            user: true,
        },
    )
    .await?;
    Ok(Json(json!({
        "id": record.user_id,
        "username": record.username,
    })))
}

/// GET /api/restaurants: public fields for everyone; ids and opening hours
/// for holders of `restaurants:read`. A bad token is still refused: a caller
/// should learn that its token no longer works.
pub async fn list_restaurants(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, Response> {
    let detailed = match bearer_token(&headers) {
        None => false,
        Some(_) => {
            let needed = Requirement {
                scope: Some("restaurants:read"),
                user: false,
            };
            match require(&state, &headers, needed).await {
                Ok(_) => true,
                Err(BearerError::InsufficientScope(_)) => false,
                Err(error) => return Err(error.into_response()),
            }
        }
    };
    let restaurants = state
        .provider
        .store
        .restaurants()
        .await
        .map_err(|e| ApiError::from(OAuthError::from(e)).into_response())?;
    let listed: Vec<Value> = restaurants
        .into_iter()
        .map(|r| {
            if detailed {
                json!({ "id": r.id, "name": r.name, "address": r.address,
                        "opening_hours": r.opening_hours })
            } else {
                json!({ "name": r.name, "address": r.address })
            }
        })
        .collect();
    Ok(Json(listed).into_response())
}

/// PATCH /api/restaurants/{id}: needs `restaurants:write`.
pub async fn update_restaurant(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, Response> {
    let needed = Requirement {
        scope: Some("restaurants:write"),
        user: false,
    };
    require(&state, &headers, needed)
        .await
        .map_err(IntoResponse::into_response)?;
    let invalid = |description: &'static str| {
        ApiError::from(OAuthError::invalid_request(description)).into_response()
    };
    let id: i64 = id
        .parse()
        .map_err(|_| invalid("the restaurant id must be a number"))?;
    let bytes = read_body(body)
        .await
        .map_err(|e| ApiError::from(e).into_response())?;
    let patch: RestaurantPatch = serde_json::from_slice(&bytes).map_err(|_| {
        invalid("the body must be a JSON object with name, address or opening_hours")
    })?;
    let updated = state
        .provider
        .store
        .update_restaurant(id, &patch)
        .await
        .map_err(|e| ApiError::from(OAuthError::from(e)).into_response())?;
    match updated {
        Some(restaurant) => Ok(Json(restaurant).into_response()),
        None => Err((
            StatusCode::NOT_FOUND,
            Json(json!({ "error": "not_found", "error_description": "no such restaurant" })),
        )
            .into_response()),
    }
}
