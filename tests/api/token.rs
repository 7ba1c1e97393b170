//! POST /oauth/token: bodies, client authentication, grants, scope and
//! error shapes (RFC 6749 §2.3, §3.2, §4.3, §4.4, §5).

use crate::common::*;
use portcullis::oauth::registration::ClientMetadata;
use serde_json::Value;

async fn error_of(response: reqwest::Response) -> (u16, String) {
    let status = response.status().as_u16();
    let body: Value = response.json().await.expect("a JSON error");
    assert!(body["error_description"].is_string(), "{body}");
    (
        status,
        body["error"].as_str().unwrap_or_default().to_owned(),
    )
}

// §5.1: Bearer token, lifetime, scope, a refresh token for a user grant.
async fn password_grant_issues_access_and_refresh_tokens(backend: Backend) {
    let server = TestServer::start(backend).await;
    let response = server
        .token(&[
            ("grant_type", "password"),
            ("username", "mike"),
            ("password", "pass"),
        ])
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    assert_eq!(response.headers()["pragma"], "no-cache");
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/json"));
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3600);
    assert_eq!(body["refresh_token_expires_in"], 30 * 24 * 3600);
    // Omitted scope → the client's registered scope (SPEC §2).
    assert_eq!(
        body["scope"],
        "all openid profile email offline_access restaurants:read restaurants:write"
    );
    assert_eq!(str_field(&body, "access_token").len(), 64);
    assert!(server.is_active(str_field(&body, "refresh_token")).await);
}

// §4.3.2: a wrong password is invalid_grant, not invalid_client.
async fn wrong_password_is_invalid_grant(backend: Backend) {
    let server = TestServer::start(backend).await;
    let response = server
        .token(&[
            ("grant_type", "password"),
            ("username", "mike"),
            ("password", "nope"),
        ])
        .await;
    assert_eq!(error_of(response).await, (400, "invalid_grant".into()));
    let response = server
        .token(&[
            ("grant_type", "password"),
            ("username", "nobody"),
            ("password", "pass"),
        ])
        .await;
    assert_eq!(error_of(response).await, (400, "invalid_grant".into()));
}

// §5.2: a missing grant_type is invalid_request.
async fn missing_grant_type_is_invalid_request(backend: Backend) {
    let server = TestServer::start(backend).await;
    let response = server.token(&[("username", "mike")]).await;
    assert_eq!(error_of(response).await, (400, "invalid_request".into()));
}

async fn unknown_grant_type_is_unsupported_grant_type(backend: Backend) {
    let server = TestServer::start(backend).await;
    let response = server.token(&[("grant_type", "magic")]).await;
    assert_eq!(
        error_of(response).await,
        (400, "unsupported_grant_type".into())
    );
}

// §3.1: parameters MUST NOT be included more than once.
async fn repeated_parameter_is_invalid_request(backend: Backend) {
    let server = TestServer::start(backend).await;
    let response = server
        .token(&[
            ("grant_type", "client_credentials"),
            ("scope", "profile"),
            ("scope", "email"),
        ])
        .await;
    assert_eq!(error_of(response).await, (400, "invalid_request".into()));
}

// §2.3: a client MUST NOT use more than one authentication method.
async fn basic_and_body_credentials_together_are_invalid_request(backend: Backend) {
    let server = TestServer::start(backend).await;
    let response = server
        .token(&[
            ("grant_type", "client_credentials"),
            ("client_id", CLIENT_ID),
            ("client_secret", CLIENT_SECRET),
        ])
        .await;
    assert_eq!(error_of(response).await, (400, "invalid_request".into()));
}

// §5.2: invalid_client is 401 with WWW-Authenticate when Basic was used.
async fn wrong_client_secret_is_401_invalid_client_with_challenge(backend: Backend) {
    let server = TestServer::start(backend).await;
    for (id, secret) in [(CLIENT_ID, "wrong"), ("nobody", CLIENT_SECRET)] {
        let response = server
            .http
            .post(server.url("/oauth/token"))
            .basic_auth(id, Some(secret))
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.headers()["www-authenticate"],
            "Basic realm=\"portcullis\""
        );
        assert_eq!(response.headers()["cache-control"], "no-store");
        assert_eq!(error_of(response).await, (401, "invalid_client".into()));
    }
}

// §2.3.1: client_secret_post is accepted as well as Basic.
async fn client_secret_post_authenticates(backend: Backend) {
    let server = TestServer::start(backend).await;
    let response = server
        .http
        .post(server.url("/oauth/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", CLIENT_ID),
            ("client_secret", CLIENT_SECRET),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

// §4.4.3: no refresh token for client_credentials; the token has no user.
async fn client_credentials_has_no_refresh_token(backend: Backend) {
    let server = TestServer::start(backend).await;
    let body = server.client_credentials_token().await;
    assert!(body.get("refresh_token").is_none(), "{body}");
    let info = server.introspect(str_field(&body, "access_token")).await;
    assert_eq!(info["sub"], CLIENT_ID);
    assert!(info.get("username").is_none());
}

// §3.3: a scope beyond the registered one is invalid_scope.
async fn scope_outside_registration_is_invalid_scope(backend: Backend) {
    let server = TestServer::start(backend).await;
    let response = server
        .token(&[
            ("grant_type", "client_credentials"),
            ("scope", "profile admin"),
        ])
        .await;
    assert_eq!(error_of(response).await, (400, "invalid_scope".into()));
    let body = server
        .token(&[("grant_type", "client_credentials"), ("scope", "email")])
        .await
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(body["scope"], "email");
}

// §5.2: a grant the client was not registered for is unauthorized_client.
async fn unregistered_grant_is_unauthorized_client(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (id, secret) = server
        .add_client(ClientMetadata {
            client_name: "machine".into(),
            grant_types: vec!["client_credentials".into()],
            scope: "profile".into(),
            ..Default::default()
        })
        .await;
    let secret = secret.unwrap();
    let response = server
        .http
        .post(server.url("/oauth/token"))
        .basic_auth(&id, Some(&secret))
        .form(&[
            ("grant_type", "password"),
            ("username", "mike"),
            ("password", "pass"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(
        error_of(response).await,
        (400, "unauthorized_client".into())
    );
    // Its server-generated secret works for the grant it has.
    let response = server
        .http
        .post(server.url("/oauth/token"))
        .basic_auth(&id, Some(&secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

// §2.3.1: the id and secret are form-urlencoded before base64.
async fn basic_credentials_are_urldecoded(backend: Backend) {
    let server = TestServer::start(backend).await;
    use base64::Engine;
    let encoded = base64::engine::general_purpose::STANDARD.encode("mike%5Fid:mike%5Fsecret");
    let response = server
        .http
        .post(server.url("/oauth/token"))
        .header("Authorization", format!("Basic {encoded}"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

// §4.4 with §2.1: a public client (no secret) cannot use client_credentials.
// Registration refuses that combination, so the row is written as an older
// version might have: the grant itself must still refuse it.
async fn public_client_cannot_use_client_credentials(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (id, secret) = server
        .add_client(ClientMetadata {
            client_name: "spa".into(),
            grant_types: vec!["authorization_code".into()],
            redirect_uris: vec!["http://127.0.0.1:1/cb".into()],
            token_endpoint_auth_method: Some("none".into()),
            ..Default::default()
        })
        .await;
    assert!(secret.is_none());
    let store = portcullis::store::open(server.database_url(), 1)
        .await
        .unwrap();
    let mut legacy = store.client(&id).await.unwrap().expect("the client");
    legacy.client_id = "legacy-spa".into();
    legacy
        .grant_types
        .push(portcullis::oauth::vocabulary::GrantType::ClientCredentials);
    store.create_client(&legacy).await.unwrap();
    let response = server
        .http
        .post(server.url("/oauth/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "legacy-spa"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "unauthorized_client");
    assert!(
        str_field(&body, "error_description").contains("public"),
        "{body}"
    );
}

backend_tests! {
    password_grant_issues_access_and_refresh_tokens,
    wrong_password_is_invalid_grant,
    missing_grant_type_is_invalid_request,
    unknown_grant_type_is_unsupported_grant_type,
    repeated_parameter_is_invalid_request,
    basic_and_body_credentials_together_are_invalid_request,
    wrong_client_secret_is_401_invalid_client_with_challenge,
    client_secret_post_authenticates,
    client_credentials_has_no_refresh_token,
    scope_outside_registration_is_invalid_scope,
    unregistered_grant_is_unauthorized_client,
    basic_credentials_are_urldecoded,
    public_client_cannot_use_client_credentials,
}
