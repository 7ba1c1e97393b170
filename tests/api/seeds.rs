//! The seed servers' walkthrough requests, replayed literally: the README
//! promises they work unchanged.

use crate::common::*;
use reqwest::multipart::Form;
use serde_json::{json, Value};

// curl -u mike_id:mike_secret -XPOST /oauth/token -F grant_type=password
//      -F username=mike -F password=pass -F scope=profile
async fn multipart_password_grant_with_basic_auth(backend: Backend) {
    let server = TestServer::start(backend).await;
    let form = Form::new()
        .text("grant_type", "password")
        .text("username", "mike")
        .text("password", "pass")
        .text("scope", "profile");
    let response = server
        .http
        .post(server.url("/oauth/token"))
        .basic_auth(CLIENT_ID, Some(CLIENT_SECRET))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["scope"], "profile");
}

// curl -XPOST /oauth/token -F grant_type=password -F username=mike
//      -F password=pass -F client_id=mike_id -F client_secret=mike_secret
// then curl -H "Authorization: Bearer $token" /api/me
async fn multipart_password_grant_with_credentials_in_the_form(backend: Backend) {
    let server = TestServer::start(backend).await;
    let form = Form::new()
        .text("grant_type", "password")
        .text("username", "mike")
        .text("password", "pass")
        .text("client_id", CLIENT_ID)
        .text("client_secret", CLIENT_SECRET);
    let response = server
        .http
        .post(server.url("/oauth/token"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    let me: Value = server
        .me(str_field(&body, "access_token"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me, json!({ "id": 1, "username": "mike" }));
}

// A seed posts {"client_id", "client_secret", "grant_type", "scope"} as JSON.
async fn json_client_credentials_body(backend: Backend) {
    let server = TestServer::start(backend).await;
    let response = server
        .http
        .post(server.url("/oauth/token"))
        .json(&json!({
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "grant_type": "client_credentials",
            "scope": "profile",
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["scope"], "profile");
}

// curl -XPOST /oauth/revoke -F token=$token -F client_id=mike_id
//      -F client_secret=mike_secret
async fn revoke_with_credentials_in_the_form(backend: Backend) {
    let server = TestServer::start(backend).await;
    let tokens = server.password_token(None).await;
    let access = str_field(&tokens, "access_token");
    let form = Form::new()
        .text("token", access.to_owned())
        .text("client_id", CLIENT_ID)
        .text("client_secret", CLIENT_SECRET);
    let response = server
        .http
        .post(server.url("/oauth/revoke"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(server.me(access).await.status(), 401);
}

// curl -d grant_type=password -d username=mike -d password=pass -u …
async fn urlencoded_password_grant(backend: Backend) {
    let server = TestServer::start(backend).await;
    let body = server.password_token(None).await;
    assert!(body["refresh_token"].is_string());
}

backend_tests! {
    multipart_password_grant_with_basic_auth,
    multipart_password_grant_with_credentials_in_the_form,
    json_client_credentials_body,
    revoke_with_credentials_in_the_form,
    urlencoded_password_grant,
}
