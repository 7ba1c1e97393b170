//! GET /.well-known/oauth-authorization-server (RFC 8414) and /healthz.

use crate::common::*;
use serde_json::Value;

// §2, §3: absolute URLs under the issuer; what the server supports.
async fn metadata_lists_endpoints_and_capabilities(backend: Backend) {
    let server = TestServer::start(backend).await;
    let response = server
        .http
        .get(server.url("/.well-known/oauth-authorization-server"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let m: Value = response.json().await.unwrap();
    assert_eq!(m["issuer"], server.base.as_str());
    for (field, path) in [
        ("authorization_endpoint", "/oauth/authorize"),
        ("token_endpoint", "/oauth/token"),
        ("revocation_endpoint", "/oauth/revoke"),
        ("introspection_endpoint", "/oauth/introspect"),
    ] {
        assert_eq!(m[field], server.url(path), "{field}");
    }
    let list = |field: &str| -> Vec<String> {
        m[field]
            .as_array()
            .unwrap_or_else(|| panic!("{field}"))
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect()
    };
    for grant in [
        "authorization_code",
        "password",
        "client_credentials",
        "refresh_token",
        // Response type `token` is the implicit grant (RFC 8414 §2).
        "implicit",
    ] {
        assert!(
            list("grant_types_supported").contains(&grant.to_owned()),
            "{grant}"
        );
    }
    // RFC 7662 §2.1: a public client cannot introspect.
    assert!(!list("introspection_endpoint_auth_methods_supported").contains(&"none".into()));
    assert_eq!(list("code_challenge_methods_supported"), ["S256"]);
    assert!(list("token_endpoint_auth_methods_supported").contains(&"client_secret_basic".into()));
    assert!(list("scopes_supported").contains(&"profile".into()));
    assert!(list("response_types_supported").contains(&"code".into()));
}

async fn issuer_setting_drives_every_url(backend: Backend) {
    let server =
        TestServer::start_with(backend, |c| c.set_issuer("https://auth.example.com/")).await;
    let m: Value = server
        .http
        .get(server.url("/.well-known/oauth-authorization-server"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(m["issuer"], "https://auth.example.com");
    assert_eq!(m["token_endpoint"], "https://auth.example.com/oauth/token");
}

/// The metadata of a server with or without the demo data.
async fn metadata_of(backend: Backend, demo: bool) -> Value {
    let server = TestServer::start_with(backend, |c| c.demo = demo).await;
    let response = server
        .http
        .get(server.url("/.well-known/oauth-authorization-server"))
        .send()
        .await
        .unwrap();
    response.json().await.unwrap()
}

// The demo clients' scopes (the Tornado seed's `restaurent`) are advertised
// in demo mode only, and the aioauth seed's /oauth/tokenize never is: the
// standard token endpoint is the one to use.
async fn demo_scopes_and_seed_paths_are_not_advertised_by_plain_serve(backend: Backend) {
    let plain = metadata_of(backend.clone(), false).await;
    let demo = metadata_of(backend, true).await;
    let scopes = |m: &Value| m["scopes_supported"].as_array().unwrap().clone();
    assert!(!scopes(&plain).contains(&"restaurent".into()));
    assert!(scopes(&demo).contains(&"restaurent".into()));
    for m in [plain, demo] {
        assert!(!m.to_string().contains("tokenize"), "{m}");
    }
}

async fn healthz_answers_ok(backend: Backend) {
    let server = TestServer::start(backend).await;
    let response = server
        .http
        .get(server.url("/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

backend_tests! {
    metadata_lists_endpoints_and_capabilities,
    issuer_setting_drives_every_url,
    demo_scopes_and_seed_paths_are_not_advertised_by_plain_serve,
    healthz_answers_ok,
}
