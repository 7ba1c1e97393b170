//! The benchmark's ceiling: the paths the workloads call, each answered with
//! a fixed JSON body and no work, served by the same runtime (a default
//! multi-threaded tokio runtime, as `portcullis serve` uses) and the same
//! connection stack ([`portcullis::app::accept_loop`]) as the server. What
//! this reaches on a core is the most axum and hyper can do there; the
//! benchmark reports the server as a fraction of it.
//!
//! Usage: `noop_ceiling [ADDR]` (default 127.0.0.1:9100).

use axum::body::Bytes;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::Router;
use std::time::Duration;

/// Shaped like the server's answers, so that the load generator reads and
/// checks as many bytes here as there.
const TOKEN: &str = r#"{"access_token":"AZqxbm9vcGNlaWxpbmdhY2Nlc3N0b2tlbmZpeGVkYm9keTAwMDAwMDAwMDAwMDAw","token_type":"Bearer","expires_in":3600,"scope":"profile","refresh_token":"AZqxbm9vcGNlaWxpbmdyZWZyZXNodG9rZW5maXhlZGJvZHkwMDAwMDAwMDAwMDAw","refresh_token_expires_in":2592000}"#;
const INTROSPECTION: &str = r#"{"active":true,"scope":"profile","client_id":"noop","username":"mike","sub":"1","token_type":"Bearer","exp":4102444800,"iat":1700000000,"iss":"http://127.0.0.1:9100"}"#;
const ME: &str = r#"{"id":1,"username":"mike"}"#;
const REGISTRATION: &str = r#"{"client_id":"bm9vcGNlaWxpbmdjbGllbnQ","client_name":"bench agent","grant_types":["authorization_code","refresh_token"],"redirect_uris":["http://127.0.0.1:33418/callback"],"response_types":["code"],"scope":"profile","token_endpoint_auth_method":"none","client_id_issued_at":1700000000,"client_secret_expires_at":0,"application_type":"native","registration_client_uri":"http://127.0.0.1:9100/oauth/register/bm9vcGNlaWxpbmdjbGllbnQ","registration_access_token":"AZqxbm9vcGNlaWxpbmdyZWdpc3RyYXRpb250b2tlbmZpeGVkYm9keTAwMDAwMDAw"}"#;
const HEALTH: &str = r#"{"status":"ok"}"#;

fn json(body: &'static str) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], body)
}

fn main() -> anyhow::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:9100".into());
    // The body is read, as the server reads it, so that keep-alive works
    // the same way.
    let router = Router::new()
        .route("/oauth/token", post(|_: Bytes| async { json(TOKEN) }))
        .route(
            "/oauth/introspect",
            post(|_: Bytes| async { json(INTROSPECTION) }),
        )
        .route(
            "/api/me",
            get(|| async { json(ME) }).post(|_: Bytes| async { json(ME) }),
        )
        .route(
            "/oauth/register",
            post(|_: Bytes| async { json(REGISTRATION) }),
        )
        .route("/healthz", get(|| async { json(HEALTH) }));
    tokio::runtime::Runtime::new()?.block_on(async {
        let listener = tokio::net::TcpListener::bind(&addr).await?;
        portcullis::app::accept_loop(
            listener,
            router,
            portcullis::app::Connections {
                header_timeout: Duration::from_secs(10),
                shutdown_timeout: Duration::from_secs(10),
            },
            std::future::pending(),
        )
        .await;
        Ok(())
    })
}
