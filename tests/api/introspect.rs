//! POST /oauth/introspect (RFC 7662).

use crate::common::*;
use serde_json::{json, Value};

// §2.2: the active token's scope, client, user, type, times and issuer.
async fn active_token_is_described(backend: Backend) {
    let server = TestServer::start(backend).await;
    let tokens = server.password_token(Some("profile")).await;
    let response = server
        .post_form(
            "/oauth/introspect",
            &[("token", str_field(&tokens, "access_token"))],
        )
        .await;
    assert_eq!(response.headers()["cache-control"], "no-store");
    let info: Value = response.json().await.unwrap();
    assert_eq!(info["active"], true);
    assert_eq!(info["scope"], "profile");
    assert_eq!(info["client_id"], CLIENT_ID);
    assert_eq!(info["username"], "mike");
    assert_eq!(info["sub"], "1");
    assert_eq!(info["token_type"], "Bearer");
    assert_eq!(info["iss"], server.base.as_str());
    let (iat, exp) = (info["iat"].as_i64().unwrap(), info["exp"].as_i64().unwrap());
    assert_eq!(exp - iat, 3600);
}

// §2.2: anything not active is just {"active":false}.
async fn unknown_or_malformed_token_is_inactive(backend: Backend) {
    let server = TestServer::start(backend).await;
    for token in ["nope", "x".repeat(4000).as_str(), "ünïcödé"] {
        assert_eq!(server.introspect(token).await, json!({ "active": false }));
    }
}

async fn expired_token_is_inactive(backend: Backend) {
    let server = TestServer::start_with(backend, |c| c.access_token_ttl = 2).await;
    let tokens = server.client_credentials_token().await;
    let access = str_field(&tokens, "access_token");
    assert!(server.is_active(access).await);
    tokio::time::sleep(std::time::Duration::from_millis(3100)).await;
    assert_eq!(server.introspect(access).await, json!({ "active": false }));
    assert_eq!(server.me(access).await.status(), 401);
}

// §2.1: the endpoint requires authorization of its caller.
async fn introspection_needs_client_authentication(backend: Backend) {
    let server = TestServer::start(backend).await;
    let tokens = server.client_credentials_token().await;
    let response = server
        .http
        .post(server.url("/oauth/introspect"))
        .form(&[("token", str_field(&tokens, "access_token"))])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!(
        response.json::<Value>().await.unwrap()["error"],
        "invalid_client"
    );
}

backend_tests! {
    active_token_is_described,
    unknown_or_malformed_token_is_inactive,
    expired_token_is_inactive,
    introspection_needs_client_authentication,
}
