//! The operators' listener (`--admin-addr`): health, metrics and the admin
//! API, never on the public port. One file per resource; the OpenAPI 3.1
//! document is generated from the handlers' annotations (utoipa) and
//! served at `/openapi.json`, so it cannot drift from the routes. Every
//! route needs an admin key ([`auth`]) but `/healthz` and `/readyz`.

mod audit;
mod auth;
mod clients;
mod grants;
mod health;
mod keys;
pub mod problem;
mod resources;
mod users;

use super::AppState;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::header;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::Router;
use problem::Problem;
use std::sync::Arc;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// What the admin handlers share.
#[derive(Clone)]
pub struct AdminState {
    app: AppState,
    /// Uses and failures already audited this minute ([`auth`]).
    seen: Arc<auth::OncePerMinute>,
    /// The OpenAPI document, serialized once.
    openapi: Arc<String>,
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Portcullis admin API",
        description = "The operators' API of Portcullis, on the admin listener. \
            Authenticate with an admin key (`portcullis admin-key create`) as \
            `Authorization: Bearer <key>`. Errors are RFC 9457 problem details; \
            lists are read a page at a time (`limit`, then `after` = the \
            previous page's `next`)."
    ),
    modifiers(&AdminKeyScheme),
    tags(
        (name = "clients"), (name = "users"), (name = "grants"), (name = "audit"),
        (name = "keys", description = "Signing keys of ID tokens and JWT access tokens"),
        (name = "resources", description = "Protected resources (RFC 8707)"),
        (name = "health", description = "Probes and metrics")
    )
)]
struct ApiDoc;

struct AdminKeyScheme;

impl Modify for AdminKeyScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let scheme =
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build());
        openapi
            .components
            .get_or_insert_with(Default::default)
            .add_security_scheme("admin_key", scheme);
    }
}

/// The admin listener's routes, on the shared application state.
pub fn router(app: AppState) -> Router {
    let (keyed, mut document) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(clients::list, clients::create))
        .routes(routes!(clients::read, clients::update, clients::delete))
        .routes(routes!(clients::rotate_secret))
        .routes(routes!(users::list, users::create))
        .routes(routes!(users::read, users::update))
        .routes(routes!(users::set_password))
        .routes(routes!(grants::list))
        .routes(routes!(grants::revoke))
        .routes(routes!(keys::list))
        .routes(routes!(keys::rotate))
        .routes(routes!(resources::list, resources::put, resources::delete))
        .routes(routes!(audit::list))
        .routes(routes!(health::metrics))
        .routes(routes!(openapi_document))
        .split_for_parts();
    let (open, open_document) = OpenApiRouter::new()
        .routes(routes!(health::healthz))
        .routes(routes!(health::readyz))
        .split_for_parts();
    document.merge(open_document);
    document_control_character_refusals(&mut document);
    let openapi = document.to_json().unwrap_or_else(|error| {
        tracing::error!(%error, "the OpenAPI document could not be serialized");
        "{}".into()
    });
    let state = AdminState {
        app: app.clone(),
        seen: Arc::default(),
        openapi: Arc::new(openapi),
    };
    Router::new()
        .merge(keyed.route_layer(middleware::from_fn_with_state(
            state.clone(),
            auth::require_key,
        )))
        .merge(open)
        .fallback(not_found)
        .with_state(state)
        .layer(middleware::from_fn(refuse_control_characters))
        .layer(DefaultBodyLimit::max(super::extract::BODY_LIMIT))
        .layer(super::observe::layer(app, "admin"))
}

/// This API's OpenAPI 3.1 document.
#[utoipa::path(get, path = "/openapi.json", tag = "health", security(("admin_key" = [])),
    responses(
    (status = 200, description = "the OpenAPI document", content_type = "application/json"),
    (status = 401, body = Problem, content_type = "application/problem+json"),
))]
async fn openapi_document(State(admin): State<AdminState>) -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        admin.openapi.as_str().to_owned(),
    )
        .into_response()
}

/// No id, name or cursor of ours holds a control character, and
/// PostgreSQL refuses a NUL in text: a path or query that decodes to one is
/// the caller's mistake (400), never a store error (500).
async fn refuse_control_characters(request: Request, next: Next) -> Response {
    if holds_control_characters(request.uri()) {
        return Problem::bad_request("the path or query holds a control character").into_response();
    }
    next.run(request).await
}

/// Every operation may answer [`refuse_control_characters`]'s 400: say so
/// in the document, so that clients (and schemathesis) expect it.
fn document_control_character_refusals(document: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
    let problem = ResponseBuilder::new()
        .description("a malformed request, such as a control character in the path or query")
        .content(
            "application/problem+json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Problem")))
                .build(),
        )
        .build();
    for item in document.paths.paths.values_mut() {
        let operations = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ];
        for operation in operations.into_iter().flatten() {
            operation
                .responses
                .responses
                .entry("400".into())
                .or_insert_with(|| problem.clone().into());
        }
    }
}

fn holds_control_characters(uri: &axum::http::Uri) -> bool {
    let path = percent_encoding::percent_decode_str(uri.path()).decode_utf8_lossy();
    let query = form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes());
    let mut decoded = std::iter::once(path).chain(query.flat_map(|(name, value)| [name, value]));
    decoded.any(|text| text.chars().any(char::is_control))
}

async fn not_found() -> Problem {
    Problem::not_found("no such endpoint on the admin listener")
}
