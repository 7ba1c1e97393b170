//! Seed 002: the aioauth FastAPI example. Client `test_client` / `password`
//! (the demo's), its token endpoint at /oauth/tokenize; the user signs in
//! as the demo's mike / pass.

use super::{assert_token_answer, members};
use crate::common::browser::{location, query_of, Browser};
use crate::common::*;
use serde_json::Value;
use std::collections::HashMap;

backend_tests! {
    authorization_request_approved_and_denied,
    code_exchange_then_refresh_at_tokenize,
}

/// The document's authorization request, verbatim.
const AUTHORIZATION_URL: &str = "/oauth/authorize?client_id=test_client\
    &redirect_uri=https%3A%2F%2Fwww.example.com%2Fredirect&response_type=code\
    &state=somestate&scope=email";

const REDIRECT_URI: &str = "https://www.example.com/redirect";

/// Where the browser goes after answering the consent page with `confirm`:
/// the redirect URI, and its query.
async fn redirect_after(server: &TestServer, confirm: &str) -> HashMap<String, String> {
    let answer = Browser::new(server)
        .authorize_at(AUTHORIZATION_URL, confirm)
        .await;
    let back = location(&answer);
    assert_eq!(back.as_str().split('?').next(), Some(REDIRECT_URI));
    query_of(&back)
}

// https://www.example.com/redirect?state=somestate&code=… on approval,
// …?error=access_denied&state=somestate on denial.
async fn authorization_request_approved_and_denied(backend: Backend) {
    let server = TestServer::start(backend).await;
    // Denied first: once mike allows test_client, his consent is
    // remembered and the same request is approved without asking.
    let denied = redirect_after(&server, "no").await;
    assert_eq!(denied["error"], "access_denied");
    assert_eq!(denied["state"], "somestate");
    assert!(!denied.contains_key("code"));
    let approved = redirect_after(&server, "yes").await;
    assert_eq!(approved["state"], "somestate");
    assert!(!approved["code"].is_empty());
}

/// `curl localhost:8000/oauth/tokenize -u 'test_client:password' -d … -d …`:
/// curl joins the `-d` fields with `&` as they are, unencoded.
async fn tokenize(server: &TestServer, fields: &[&str]) -> Value {
    let response = server
        .http
        .post(server.url("/oauth/tokenize"))
        .basic_auth("test_client", Some("password"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(fields.join("&"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let body: Value = response.json().await.unwrap();
    // The document's answer, member for member.
    assert_eq!(
        members(&body),
        [
            "access_token",
            "expires_in",
            "refresh_token",
            "refresh_token_expires_in",
            "scope",
            "token_type"
        ]
    );
    assert_token_answer(&body, "email", true);
    body
}

// The code exchange, then the refresh, which "returns the same set of data
// before with new tokens".
async fn code_exchange_then_refresh_at_tokenize(backend: Backend) {
    let server = TestServer::start(backend).await;
    let code = redirect_after(&server, "yes").await["code"].clone();
    let issued = tokenize(
        &server,
        &[
            "grant_type=authorization_code",
            &format!("code={code}"),
            &format!("redirect_uri={REDIRECT_URI}"),
        ],
    )
    .await;
    let refreshed = tokenize(
        &server,
        &[
            "grant_type=refresh_token",
            &format!("refresh_token={}", str_field(&issued, "refresh_token")),
        ],
    )
    .await;
    for token in ["access_token", "refresh_token"] {
        assert_ne!(refreshed[token], issued[token], "a new {token}");
    }
    let me = server.me(str_field(&refreshed, "access_token")).await;
    assert_eq!(me.json::<Value>().await.unwrap()["username"], "mike");
}
