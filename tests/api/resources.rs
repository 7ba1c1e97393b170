//! Protected resources (RFC 6750 §3) and the restaurant API (SPEC §4).

use crate::common::*;
use serde_json::{json, Value};

async fn me_returns_the_tokens_user_on_get_and_post(backend: Backend) {
    let server = TestServer::start(backend).await;
    let tokens = server.password_token(None).await;
    let access = str_field(&tokens, "access_token");
    assert_eq!(
        server.me(access).await.json::<Value>().await.unwrap(),
        json!({ "id": 1, "username": "mike" })
    );
    let posted = server
        .http
        .post(server.url("/api/me"))
        .bearer_auth(access)
        .send()
        .await
        .unwrap();
    assert_eq!(posted.json::<Value>().await.unwrap()["username"], "mike");
}

// §3.1: no credentials → 401 with a challenge and no error code; RFC 9728
// §5.1: the challenge names the resource's metadata.
async fn missing_token_is_401_with_bearer_challenge(backend: Backend) {
    let server = TestServer::start(backend).await;
    let response = server.http.get(server.url("/api/me")).send().await.unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!(
        response.headers()["www-authenticate"],
        &format!(
            "Bearer realm=\"portcullis\", resource_metadata=\"{}\"",
            server.url("/.well-known/oauth-protected-resource/api")
        )
    );
    // "SHOULD NOT include an error code or other error information".
    let body = response.text().await.unwrap();
    assert!(!body.contains("error"), "{body}");
}

// §3.1: a bad token → 401 invalid_token.
async fn bad_token_is_401_invalid_token(backend: Backend) {
    let server = TestServer::start(backend).await;
    let response = server.me("garbage").await;
    assert_eq!(response.status(), 401);
    let challenge = response.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(challenge.contains("error=\"invalid_token\""), "{challenge}");
}

// The seeds' `Bearer: <token>` typo sends no Authorization header at all.
async fn bearer_colon_typo_is_401_not_a_crash(backend: Backend) {
    let server = TestServer::start(backend).await;
    let tokens = server.password_token(None).await;
    let response = server
        .http
        .get(server.url("/api/me"))
        .header("Bearer", str_field(&tokens, "access_token"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
}

// §3.1: a token without a user (client_credentials) → 403 insufficient_scope.
async fn token_without_user_is_403_insufficient_scope(backend: Backend) {
    let server = TestServer::start(backend).await;
    let tokens = server.client_credentials_token().await;
    let response = server.me(str_field(&tokens, "access_token")).await;
    assert_eq!(response.status(), 403);
    let challenge = response.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(challenge.contains("insufficient_scope"), "{challenge}");
    // §3: `scope` lists scope tokens, never a sentence.
    assert!(!challenge.contains("scope=\""), "{challenge}");
}

// A refresh token is not an access token.
async fn refresh_token_is_not_a_bearer_token(backend: Backend) {
    let server = TestServer::start(backend).await;
    let tokens = server.password_token(None).await;
    assert_eq!(
        server
            .me(str_field(&tokens, "refresh_token"))
            .await
            .status(),
        401
    );
}

// SPEC §4: public fields without a token, details with restaurants:read.
async fn restaurants_show_details_only_with_read_scope(backend: Backend) {
    let server = TestServer::start(backend).await;
    let anonymous: Value = server
        .http
        .get(server.url("/api/restaurants"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let first = &anonymous[0];
    assert!(first["name"].is_string() && first["address"].is_string());
    assert!(first.get("id").is_none() && first.get("opening_hours").is_none());

    let tokens = server.password_token(Some("restaurants:read")).await;
    let detailed: Value = server
        .http
        .get(server.url("/api/restaurants"))
        .bearer_auth(str_field(&tokens, "access_token"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(detailed[0]["id"].is_i64() && detailed[0]["opening_hours"].is_string());
    assert_eq!(
        detailed[0],
        json!({ "id": 1, "name": "Chez Mike", "address": "1 Rue de la Paix, Paris",
                "opening_hours": "Mon-Sat 12:00-23:00" })
    );
}

// SPEC §4: PATCH needs restaurants:write.
async fn restaurant_update_needs_write_scope(backend: Backend) {
    let server = TestServer::start(backend).await;
    let patch = json!({ "opening_hours": "Closed for the holidays" });
    let read_only = server.password_token(Some("restaurants:read")).await;
    let refused = server
        .http
        .patch(server.url("/api/restaurants/1"))
        .bearer_auth(str_field(&read_only, "access_token"))
        .json(&patch)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403);

    let writer = server.password_token(Some("restaurants:write")).await;
    let updated = server
        .http
        .patch(server.url("/api/restaurants/1"))
        .bearer_auth(str_field(&writer, "access_token"))
        .json(&patch)
        .send()
        .await
        .unwrap();
    assert_eq!(updated.status(), 200);
    assert_eq!(
        updated.json::<Value>().await.unwrap()["opening_hours"],
        "Closed for the holidays"
    );
    let missing = server
        .http
        .patch(server.url("/api/restaurants/999"))
        .bearer_auth(str_field(&writer, "access_token"))
        .json(&patch)
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    let malformed = server
        .http
        .patch(server.url("/api/restaurants/1"))
        .bearer_auth(str_field(&writer, "access_token"))
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(malformed.status(), 400);
}

// A name another restaurant has is a conflict, and values no restaurant has
// are refused, on both engines (PostgreSQL cannot store a NUL): never a 5xx.
async fn restaurant_update_refuses_a_taken_name_and_bad_values(backend: Backend) {
    let server = TestServer::start(backend).await;
    let writer = server.password_token(Some("restaurants:write")).await;
    let long = "x".repeat(201);
    for (patch, status, error) in [
        (json!({ "name": "The Rusty Crab" }), 409, "conflict"),
        (json!({ "name": "Chez\u{0}Mike" }), 400, "invalid_request"),
        (json!({ "address": long }), 400, "invalid_request"),
        (json!({ "opening_hours": long }), 400, "invalid_request"),
    ] {
        let response = server
            .http
            .patch(server.url("/api/restaurants/1"))
            .bearer_auth(str_field(&writer, "access_token"))
            .json(&patch)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), status, "{patch}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"], error, "{patch}");
        assert!(body["error_description"].is_string());
    }
}

backend_tests! {
    me_returns_the_tokens_user_on_get_and_post,
    missing_token_is_401_with_bearer_challenge,
    bad_token_is_401_invalid_token,
    bearer_colon_typo_is_401_not_a_crash,
    token_without_user_is_403_insufficient_scope,
    refresh_token_is_not_a_bearer_token,
    restaurants_show_details_only_with_read_scope,
    restaurant_update_needs_write_scope,
    restaurant_update_refuses_a_taken_name_and_bad_values,
}
