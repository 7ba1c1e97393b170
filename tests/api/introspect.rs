//! POST /oauth/introspect (RFC 7662).

use crate::common::*;
use portcullis::oauth::registration::ClientMetadata;
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

// SPEC §8, RFC 7662 §2.1: a public client proves nothing about itself, so
// it may not introspect, not even its own tokens.
async fn public_client_cannot_introspect(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (spa, _) = server
        .add_client(ClientMetadata {
            client_name: "spa".into(),
            redirect_uris: vec!["http://127.0.0.1:3000/cb".into()],
            token_endpoint_auth_method: Some("none".into()),
            ..Default::default()
        })
        .await;
    let tokens = server.password_token(None).await;
    let response = server
        .http
        .post(server.url("/oauth/introspect"))
        .form(&[
            ("token", str_field(&tokens, "access_token")),
            ("client_id", spa.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_client");
    assert!(body.get("active").is_none() && body.get("username").is_none());
}

/// Introspects `token` as the client `id` / `secret`.
async fn introspect_as(server: &TestServer, id: &str, secret: &str, token: &str) -> Value {
    let response = server
        .http
        .post(server.url("/oauth/introspect"))
        .basic_auth(id, Some(secret))
        .form(&[("token", token)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

// README "Introspection": a client learns about its own tokens only; one
// the operator marked as a resource server learns about every token.
async fn a_client_learns_about_its_own_tokens_and_a_resource_server_about_all(backend: Backend) {
    let server = TestServer::start(backend).await;
    let mikes = server.password_token(None).await;
    let mikes = str_field(&mikes, "access_token");
    let (other, other_secret) = server
        .add_client(ClientMetadata {
            client_name: "other".into(),
            grant_types: vec!["client_credentials".into()],
            scope: "profile".into(),
            ..Default::default()
        })
        .await;
    let other_secret = other_secret.unwrap();
    assert_eq!(
        introspect_as(&server, &other, &other_secret, mikes).await,
        json!({ "active": false })
    );
    let own = server
        .http
        .post(server.url("/oauth/token"))
        .basic_auth(&other, Some(&other_secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    let own: Value = own.json().await.unwrap();
    let own = str_field(&own, "access_token");
    assert_eq!(
        introspect_as(&server, &other, &other_secret, own).await["active"],
        true
    );
    let (api, api_secret) = server.add_resource_server("api").await;
    let seen = introspect_as(&server, &api, &api_secret, mikes).await;
    assert_eq!(seen["active"], true);
    assert_eq!(seen["username"], "mike");
}

backend_tests! {
    active_token_is_described,
    unknown_or_malformed_token_is_inactive,
    expired_token_is_inactive,
    introspection_needs_client_authentication,
    public_client_cannot_introspect,
    a_client_learns_about_its_own_tokens_and_a_resource_server_about_all,
}
