//! The Tornado example server's restaurant API (seed 004), kept so that its
//! users' scripts work with only host and port changed: `GET /restaurent`
//! and `GET /restaurentUpdate?id=…&Name=…&Address=…&open=…&close=…`, in
//! that server's JSON shape (`Name`, `Address`, `_id: {"$oid"}`,
//! `routine: {"open", "close"}`). Thin adapters over the example API of
//! resources.rs: the same token checks and the same store calls. The
//! seed's scope `restaurent` counts as `restaurants:read` and
//! `restaurants:write` here.

use super::error::ApiError;
use super::extract::parse_urlencoded;
use super::resources::{self, invalid};
use super::AppState;
use crate::oauth::bearer::Requirement;
use crate::oauth::Params;
use crate::store::{Restaurant, RestaurantKey, RestaurantPatch};
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

const READ: Requirement = Requirement {
    any_scope: &["restaurent", "restaurants:read"],
    user: false,
};
const WRITE: Requirement = Requirement {
    any_scope: &["restaurent", "restaurants:write"],
    user: false,
};

/// GET /restaurent: names and addresses for everyone; ids and hours too
/// for a token with `restaurent` or `restaurants:read`.
pub async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<Vec<Value>>, Response> {
    let (restaurants, detailed) = resources::restaurants_for(&state, &headers, READ).await?;
    let listed = restaurants.iter().map(|r| {
        if detailed {
            detailed_view(r)
        } else {
            json!({ "Name": r.name, "Address": r.address })
        }
    });
    Ok(Json(listed.collect()))
}

fn detailed_view(restaurant: &Restaurant) -> Value {
    json!({
        "_id": { "$oid": restaurant.oid },
        "Name": restaurant.name,
        "Address": restaurant.address,
        "routine": { "open": restaurant.hours.opens, "close": restaurant.hours.closes },
    })
}

/// GET /restaurentUpdate: a GET that changes data, as the seed has it. The
/// restaurant is named by `id` (its oid); `Name`, `Address`, `open` and
/// `close` are the fields to change.
pub async fn update(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Json<Value>, Response> {
    resources::require(&state, &headers, WRITE).await?;
    let params = parse_urlencoded(uri.query().unwrap_or("").as_bytes())
        .and_then(Params::from_pairs)
        .map_err(|error| ApiError::from(error).into_response())?;
    let id = params
        .get("id")
        .ok_or_else(|| invalid("the restaurant id is required"))?;
    let key =
        RestaurantKey::oid(id).ok_or_else(|| invalid("the restaurant id is 24 hex digits"))?;
    let field = |name: &str| params.get(name).map(str::to_owned);
    let patch = RestaurantPatch {
        name: field("Name"),
        address: field("Address"),
        days: None,
        opens: field("open"),
        closes: field("close"),
    };
    resources::apply(&state, &key, &patch).await?;
    Ok(Json(json!({ "message": "Successful" })))
}
