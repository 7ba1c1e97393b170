//! Dynamic Client Registration (RFC 7591) as the operator sets it up: off,
//! open or behind initial access tokens; what a self-registered client may
//! be registered with; the rate limit.

use crate::common::process::portcullis;
use crate::common::*;
use portcullis::oauth::registration::dynamic::RegistrationMode;
use serde_json::{json, Value};

backend_tests! {
    registration_is_off_unless_opened_and_advertised_only_when_on,
    open_registration_answers_201_with_the_registered_metadata,
    token_registration_needs_an_unspent_unexpired_initial_access_token,
    initial_access_tokens_from_the_command_line_work_once,
    refused_metadata_gets_rfc_7591_errors,
    registrations_are_rate_limited_per_address,
}

/// An MCP client's registration: public, loopback, the code flow.
pub fn mcp_client() -> Value {
    json!({
        "client_name": "Agent",
        "redirect_uris": ["http://127.0.0.1:33418/callback"],
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "token_endpoint_auth_method": "none",
        "scope": "profile",
    })
}

fn mode(mode: RegistrationMode) -> impl FnOnce(&mut portcullis::config::Config) {
    move |config| config.registration = Some(mode)
}

async fn metadata(server: &TestServer) -> Value {
    let url = server.url("/.well-known/oauth-authorization-server");
    server
        .http
        .get(url)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn assert_invalid_token(response: reqwest::Response) {
    assert_eq!(response.status(), 401);
    let challenge = response.headers()["www-authenticate"].to_str().unwrap();
    assert!(challenge.starts_with("Bearer ") && challenge.contains("invalid_token"));
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_token", "{body}");
}

// RFC 8414 §2: the endpoint is advertised exactly when it exists; off by
// default (README, "Dynamic client registration").
async fn registration_is_off_unless_opened_and_advertised_only_when_on(backend: Backend) {
    let server = TestServer::start_with(backend.clone(), mode(RegistrationMode::Off)).await;
    assert!(metadata(&server)
        .await
        .get("registration_endpoint")
        .is_none());
    assert_eq!(server.register(&mcp_client(), None).await.status(), 404);
    for on in [RegistrationMode::Open, RegistrationMode::Token] {
        let server = TestServer::start_with(backend.clone(), mode(on)).await;
        let advertised = metadata(&server).await["registration_endpoint"].clone();
        assert_eq!(advertised, server.url("/oauth/register"), "{on:?}");
    }
}

// RFC 7591 §3.2.1: 201, the metadata as registered, the credentials once,
// never cached.
async fn open_registration_answers_201_with_the_registered_metadata(backend: Backend) {
    // serve --demo opens registration.
    let server = TestServer::start(backend).await;
    let response = server.register(&mcp_client(), None).await;
    assert_eq!(response.status(), 201);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let body: Value = response.json().await.unwrap();
    for member in ["redirect_uris", "grant_types", "response_types", "scope"] {
        assert_eq!(body[member], mcp_client()[member], "{member}");
    }
    assert_eq!(body["token_endpoint_auth_method"], "none");
    assert_eq!(body["application_type"], "native");
    assert!(body.get("client_secret").is_none());
    assert_eq!(body["client_secret_expires_at"], 0);
    let id = str_field(&body, "client_id");
    assert_eq!(
        body["registration_client_uri"],
        server.url(&format!("/oauth/register/{id}"))
    );
    assert!(str_field(&body, "registration_access_token").len() >= 43);
    // A confidential client gets a secret that works at the token endpoint.
    let mut confidential = mcp_client();
    confidential["token_endpoint_auth_method"] = json!("client_secret_post");
    let body = server.registered(&confidential).await;
    let secret = str_field(&body, "client_secret");
    let answer = server
        .http
        .post(server.url("/oauth/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", "unknown"),
            ("client_id", str_field(&body, "client_id")),
            ("client_secret", secret),
        ])
        .send()
        .await
        .unwrap();
    let error: Value = answer.json().await.unwrap();
    assert_eq!(error["error"], "invalid_grant", "authenticated: {error}");
}

async fn initial_token(server: &TestServer, expires_at: i64, uses: i64) -> String {
    let token = portcullis::crypto::new_token();
    let store = portcullis::store::open(server.database_url(), 1)
        .await
        .unwrap();
    store
        .create_initial_access_token(&portcullis::store::InitialAccessToken {
            id: portcullis::crypto::random_id(),
            key: portcullis::crypto::token_key(&token),
            created_at: portcullis::time::now(),
            expires_at,
            uses_left: uses,
        })
        .await
        .unwrap();
    token
}

// RFC 7591 §3: in token mode, a missing or bad initial access token is a
// 401 invalid_token; each token registers as many clients as it allows.
async fn token_registration_needs_an_unspent_unexpired_initial_access_token(backend: Backend) {
    let server = TestServer::start_with(backend, mode(RegistrationMode::Token)).await;
    assert_invalid_token(server.register(&mcp_client(), None).await).await;
    assert_invalid_token(server.register(&mcp_client(), Some("guess")).await).await;
    let now = portcullis::time::now();
    let expired = initial_token(&server, now - 1, 5).await;
    assert_invalid_token(server.register(&mcp_client(), Some(&expired)).await).await;
    // The token is checked first: without one, metadata is not even read.
    let invalid = json!({ "redirect_uris": ["javascript:alert(1)"] });
    for token in [None, Some(expired.as_str())] {
        assert_invalid_token(server.register(&invalid, token).await).await;
    }
    let twice = initial_token(&server, now + 600, 2).await;
    for _ in 0..2 {
        let response = server.register(&mcp_client(), Some(&twice)).await;
        assert_eq!(response.status(), 201);
    }
    assert_invalid_token(server.register(&mcp_client(), Some(&twice)).await).await;
}

pub fn cli(database_url: &str, args: &[&str]) -> Value {
    let output = portcullis(database_url, args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .output()
        .expect("the binary runs");
    assert!(output.status.success(), "{args:?}: {output:?}");
    serde_json::from_slice(&output.stdout).expect("JSON")
}

// `registration token create` prints a token once; `list` shows its uses
// and never the token; `revoke` ends it.
async fn initial_access_tokens_from_the_command_line_work_once(backend: Backend) {
    let server = TestServer::start_with(backend, mode(RegistrationMode::Token)).await;
    let url = server.database_url().to_owned();
    let created = cli(&url, &["--json", "registration", "token", "create"]);
    let token = str_field(&created, "token");
    let id = str_field(&created, "id");
    assert_eq!(created["uses_left"], 1);
    assert_eq!(
        server.register(&mcp_client(), Some(token)).await.status(),
        201
    );
    assert_invalid_token(server.register(&mcp_client(), Some(token)).await).await;
    let listed = cli(&url, &["--json", "registration", "token", "list"]);
    assert_eq!(listed[0]["id"], id);
    assert_eq!(listed[0]["uses_left"], 0);
    assert!(!listed.to_string().contains(token));
    let more = cli(
        &url,
        &[
            "--json",
            "registration",
            "token",
            "create",
            "--uses",
            "3",
            "--expires-in",
            "60",
        ],
    );
    let expires = more["expires_at"].as_i64().unwrap() - more["created_at"].as_i64().unwrap();
    assert_eq!((more["uses_left"].as_i64(), expires), (Some(3), 60));
    cli(
        &url,
        &[
            "--json",
            "registration",
            "token",
            "revoke",
            str_field(&more, "id"),
        ],
    );
    let revoked = str_field(&more, "token");
    assert_invalid_token(server.register(&mcp_client(), Some(revoked)).await).await;
}

// RFC 7591 §3.2.2: 400 with invalid_redirect_uri or invalid_client_metadata.
async fn refused_metadata_gets_rfc_7591_errors(backend: Backend) {
    let server = TestServer::start(backend).await;
    let with = |member: &str, value: Value| {
        let mut body = mcp_client();
        body[member] = value;
        body
    };
    for (body, error) in [
        (
            with("grant_types", json!(["client_credentials"])),
            "invalid_client_metadata",
        ),
        (
            with("grant_types", json!(["authorization_code", "password"])),
            "invalid_client_metadata",
        ),
        (
            with("response_types", json!(["token"])),
            "invalid_client_metadata",
        ),
        (
            with("token_endpoint_auth_method", json!("private_key_jwt")),
            "invalid_client_metadata",
        ),
        (
            with("scope", json!("profile restaurants:write")),
            "invalid_client_metadata",
        ),
        (
            with("application_type", json!("web")),
            "invalid_redirect_uri",
        ),
        (
            with("redirect_uris", json!(["javascript:alert(1)"])),
            "invalid_redirect_uri",
        ),
        (
            with("redirect_uris", json!(["https://app.example/cb#f"])),
            "invalid_redirect_uri",
        ),
        (
            with("redirect_uris", json!(["https://*.example.com/cb"])),
            "invalid_redirect_uri",
        ),
        (
            with("redirect_uris", json!(["http://evil.example/cb"])),
            "invalid_redirect_uri",
        ),
    ] {
        let response = server.register(&body, None).await;
        assert_eq!(response.status(), 400, "{body}");
        let answer: Value = response.json().await.unwrap();
        assert_eq!(answer["error"], error, "{body}: {answer}");
    }
}

// README: registrations per address per hour, 429 with Retry-After past
// the limit; other addresses are not delayed.
async fn registrations_are_rate_limited_per_address(backend: Backend) {
    let server = TestServer::start_with(backend, |config| {
        config.registration_rate_limit = 3;
        config.trust_forwarded_for = true;
    })
    .await;
    let from = |address: &'static str| {
        server
            .http
            .post(server.url("/oauth/register"))
            .header("X-Forwarded-For", address)
            .json(&mcp_client())
    };
    for _ in 0..3 {
        assert_eq!(from("198.51.100.7").send().await.unwrap().status(), 201);
    }
    let refused = from("198.51.100.7").send().await.unwrap();
    assert_eq!(refused.status(), 429);
    let retry_after: u64 = refused.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=3600).contains(&retry_after), "{retry_after}");
    assert_eq!(from("198.51.100.8").send().await.unwrap().status(), 201);
}
