//! The HTTP layer: thin handlers that decode the wire, call the protocol
//! core and render its answer. One file per endpoint.

pub mod admin;
mod authorize;
pub mod client_address;
pub mod error;
pub mod extract;
mod introspect;
mod metadata;
pub mod observe;
pub mod pages;
mod registration;
mod resources;
mod revoke;
mod seed_restaurants;
mod token;
mod userinfo;

use crate::config::Config;
use crate::oauth::oidc::discovery::{DISCOVERY_PATH, END_SESSION_PATH, JWKS_PATH, USERINFO_PATH};
use crate::oauth::registration::dynamic::{RegistrationMode, REGISTRATION_PATH};
use crate::oauth::Provider;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post};
use axum::{Json, Router};
use std::ops::Deref;
use std::sync::Arc;
use std::time::Duration;
use tower_http::cors::{Any, CorsLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;

/// What every handler shares: the protocol core, the configuration, the
/// page templates and the pages' CSRF defences.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

pub struct Shared {
    pub provider: Provider,
    pub config: Config,
    pub templates: pages::Templates,
    pub csrf: pages::Csrf,
}

impl AppState {
    pub async fn new(provider: Provider, config: Config) -> anyhow::Result<Self> {
        let templates = pages::Templates::load()?;
        let csrf = pages::Csrf::load(provider.store.as_ref(), config.issuer()).await?;
        Ok(AppState(Arc::new(Shared {
            provider,
            config,
            templates,
            csrf,
        })))
    }
}

impl Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

pub fn router(state: AppState) -> Router {
    let request_timeout = Duration::from_secs(state.config.request_timeout);
    let hsts = state
        .config
        .secure_cookies()
        .then(|| HeaderValue::from_static("max-age=31536000; includeSubDomains"));
    // The back channel reads the client and often a token in a row: on
    // SQLite, one snapshot for them all.
    let back_channel = Router::new()
        .route("/oauth/token", post(token::token))
        // The aioauth example server's name for the token endpoint (seed
        // 002), kept for its users' scripts; the metadata names only
        // /oauth/token.
        .route("/oauth/tokenize", post(token::token))
        .route("/oauth/revoke", post(revoke::revoke))
        .route("/oauth/introspect", post(introspect::introspect))
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            store_poll_scope,
        ));
    // RFC 7591: registration only when the operator opened it; RFC 7592:
    // a client registered while it was open can always manage itself.
    let mut registration = Router::new().route(
        &format!("{REGISTRATION_PATH}/{{client_id}}"),
        get(registration::read)
            .put(registration::update)
            .delete(registration::delete),
    );
    if state.config.registration_mode() != RegistrationMode::Off {
        registration = registration.route(REGISTRATION_PATH, post(registration::register));
    }
    // What browser-based clients call across origins: no cookies are
    // involved, so any origin may (the token or client secret is the
    // credential).
    let cross_origin = Router::new()
        .merge(back_channel)
        .merge(registration)
        .route(DISCOVERY_PATH, get(metadata::metadata))
        .route(
            "/.well-known/oauth-authorization-server",
            get(metadata::metadata),
        )
        .route(JWKS_PATH, get(metadata::jwks))
        .route(
            USERINFO_PATH,
            get(userinfo::userinfo).post(userinfo::userinfo),
        )
        .route("/api", get(resources::api).post(resources::api))
        .route(resources::METADATA_PATH, get(resources::metadata))
        .layer(
            CorsLayer::new()
                .allow_origin(Any)
                .allow_methods([Method::GET, Method::POST, Method::PUT, Method::DELETE])
                .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
                .expose_headers([header::WWW_AUTHENTICATE]),
        );
    Router::new()
        .merge(cross_origin)
        .route("/api/me", get(resources::me).post(resources::me))
        .route("/api/restaurants", get(resources::list_restaurants))
        .route("/api/restaurants/{id}", patch(resources::update_restaurant))
        .route("/restaurent", get(seed_restaurants::list))
        // The seed updates with GET; a HEAD (which axum would otherwise
        // answer by running the GET) must not change anything.
        .route(
            "/restaurentUpdate",
            get(seed_restaurants::update).head(StatusCode::METHOD_NOT_ALLOWED),
        )
        .route("/healthz", get(healthz))
        .route("/static/style.css", get(pages::stylesheet))
        .merge(pages::secure_headers(
            Router::new()
                .route("/", get(pages::clients::home))
                .route("/login", post(pages::session::login))
                .route("/logout", post(pages::session::logout))
                .route("/clients", post(pages::clients::create))
                .route("/clients/delete", post(pages::clients::delete))
                .route(
                    "/oauth/authorize",
                    get(authorize::authorize).post(authorize::authorize),
                )
                .route(
                    END_SESSION_PATH,
                    get(pages::end_session::end_session).post(pages::end_session::end_session),
                )
                .route("/account", get(pages::account::show))
                .route("/account/revoke", post(pages::account::revoke)),
        ))
        .fallback(not_found)
        .with_state(state.clone())
        .layer(DefaultBodyLimit::max(extract::BODY_LIMIT))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::STRICT_TRANSPORT_SECURITY,
            hsts,
        ))
        .layer(TimeoutLayer::with_status_code(
            // A slow client is cut off, body included.
            StatusCode::REQUEST_TIMEOUT,
            request_timeout,
        ))
        .layer(observe::layer(state, "public"))
}

/// Runs each back-channel request in its store's poll scope, if it has one
/// (SQLite: one read snapshot per step of the request).
async fn store_poll_scope(
    State(state): State<AppState>,
    request: axum::extract::Request,
    next: Next,
) -> Response {
    match state.provider.store.poll_scope() {
        Some(scope) => crate::store::in_poll_scope(scope, next.run(request)).await,
        None => next.run(request).await,
    }
}

async fn healthz() -> Json<serde_json::Value> {
    Json(serde_json::json!({ "status": "ok" }))
}

async fn not_found() -> impl IntoResponse {
    (
        StatusCode::NOT_FOUND,
        Json(serde_json::json!({ "error": "not_found", "error_description": "no such endpoint" })),
    )
}
