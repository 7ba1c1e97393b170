//! `/admin/keys`: the signing keys of ID tokens and JWT access tokens, as
//! `portcullis keys list` shows them ([`KeySummary`]: never key material),
//! and rotating them now.

use super::auth::Caller;
use super::problem::Problem;
use super::AdminState;
use crate::audit::AuditEvent;
use crate::keys::KeySummary;
use crate::store::StoreError;
use axum::http::StatusCode;
use axum::{extract::State, Extension, Json};

/// Every stored key: a handful per algorithm, so one plain list, not
/// pages.
async fn summaries(admin: &AdminState, now: i64) -> Result<Json<Vec<KeySummary>>, Problem> {
    let keys = admin.app.provider.store.signing_keys().await?;
    Ok(Json(
        keys.iter().map(|key| KeySummary::of(key, now)).collect(),
    ))
}

/// The signing keys: published (not signing yet), signing, retired (still
/// published until the tokens they signed expire).
#[utoipa::path(get, path = "/admin/keys", tag = "keys", security(("admin_key" = [])),
    responses(
    (status = 200, body = Vec<KeySummary>),
    (status = 401, body = Problem, content_type = "application/problem+json"),
))]
pub async fn list(State(admin): State<AdminState>) -> Result<Json<Vec<KeySummary>>, Problem> {
    summaries(&admin, crate::time::now()).await
}

/// Publishes a successor for every algorithm now (as `portcullis keys
/// rotate`): each signs once the publication delay has passed, and the keys
/// it replaces stay published until their tokens have expired. Answers the
/// keys after the rotation.
#[utoipa::path(post, path = "/admin/keys/rotate", tag = "keys", security(("admin_key" = [])),
    responses(
    (status = 200, body = Vec<KeySummary>),
    (status = 401, body = Problem, content_type = "application/problem+json"),
))]
pub async fn rotate(
    State(admin): State<AdminState>,
    Extension(caller): Extension<Caller>,
) -> Result<Json<Vec<KeySummary>>, Problem> {
    let now = crate::time::now();
    // Through the running server's keys, so that this node signs with the
    // new keys as soon as they activate; the other nodes pick them up at
    // their next refresh, well within the publication delay.
    let created = admin.app.provider.keys.rotate(now).await.map_err(|error| {
        tracing::error!(error = %format!("{error:#}"), "signing keys not rotated");
        // A database that may come back is a 503, like every store fault.
        match error.downcast::<StoreError>() {
            Ok(store) => Problem::from(store),
            Err(_) => Problem::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the signing keys could not be rotated",
            ),
        }
    })?;
    for kid in created {
        let event = AuditEvent::SigningKeyRotated {
            by: caller.actor(),
            kid,
        };
        caller.record(&admin, event);
    }
    summaries(&admin, now).await
}
