//! Liveness, readiness and metrics. `/healthz` and `/readyz` stay open
//! (no key) because orchestrators probe them without credentials; they
//! tell nothing but up or down. `/metrics` needs a key like the rest.

use super::problem::Problem;
use super::AdminState;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct Health {
    /// `ok` or `ready`.
    status: &'static str,
}

/// The process is alive.
#[utoipa::path(get, path = "/healthz", tag = "health",
    responses((status = 200, body = Health)))]
pub async fn healthz() -> Json<Health> {
    Json(Health { status: "ok" })
}

/// The database answers and has this build's schema.
#[utoipa::path(get, path = "/readyz", tag = "health", responses(
    (status = 200, body = Health),
    (status = 503, body = Problem, content_type = "application/problem+json"),
))]
pub async fn readyz(State(admin): State<AdminState>) -> Response {
    match admin.app.provider.store.ready().await {
        Ok(true) => Json(Health { status: "ready" }).into_response(),
        Ok(false) => Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "the database schema is not this version's",
        )
        .into_response(),
        // The probe is open to anyone: the cause goes to the log only.
        Err(error) => {
            tracing::warn!(%error, "not ready: the database does not answer");
            Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "the database does not answer",
            )
            .into_response()
        }
    }
}

/// Prometheus metrics, in the text exposition format 0.0.4.
#[utoipa::path(get, path = "/metrics", tag = "health", security(("admin_key" = [])), responses(
    (status = 200, body = String, content_type = "text/plain; version=0.0.4"),
    (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 404, description = "metrics are off (--metrics false)", body = Problem,
        content_type = "application/problem+json"),
))]
pub async fn metrics(State(admin): State<AdminState>) -> Response {
    match admin.app.provider.metrics.render() {
        Some(text) => (
            [(
                header::CONTENT_TYPE,
                "text/plain; version=0.0.4; charset=utf-8",
            )],
            text,
        )
            .into_response(),
        None => Problem::not_found("metrics are off (--metrics false)").into_response(),
    }
}
