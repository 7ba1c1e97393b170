//! Refresh tokens: rotation and reuse detection (RFC 6749 §6, RFC 9700 §4.14).

use crate::common::*;
use serde_json::Value;

async fn refresh(server: &TestServer, token: &str, scope: Option<&str>) -> reqwest::Response {
    let mut form = vec![("grant_type", "refresh_token"), ("refresh_token", token)];
    if let Some(scope) = scope {
        form.push(("scope", scope));
    }
    server.token(&form).await
}

// RFC 9700 §4.14.2: every refresh returns a new refresh token and ends the old one.
async fn refresh_rotates_the_refresh_token(backend: Backend) {
    let server = TestServer::start(backend).await;
    let first = server.password_token(Some("profile email")).await;
    let old = str_field(&first, "refresh_token");
    let response = refresh(&server, old, None).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let second: Value = response.json().await.unwrap();
    assert_ne!(str_field(&second, "refresh_token"), old);
    assert_eq!(second["scope"], "profile email");
    assert!(!server.is_active(old).await);
    assert!(server.is_active(str_field(&second, "refresh_token")).await);
    assert_eq!(
        server.me(str_field(&second, "access_token")).await.status(),
        200
    );
}

// RFC 9700 §4.14.2: a used refresh token revokes the whole family.
async fn reused_refresh_token_revokes_the_family(backend: Backend) {
    let server = TestServer::start(backend).await;
    let first = server.password_token(None).await;
    let old = str_field(&first, "refresh_token");
    let second: Value = refresh(&server, old, None).await.json().await.unwrap();
    let replay = refresh(&server, old, None).await;
    assert_eq!(replay.status(), 400);
    assert_eq!(
        replay.json::<Value>().await.unwrap()["error"],
        "invalid_grant"
    );
    for token in [
        str_field(&first, "access_token"),
        str_field(&second, "access_token"),
        str_field(&second, "refresh_token"),
    ] {
        assert!(!server.is_active(token).await, "{token} should be revoked");
    }
    let after = refresh(&server, str_field(&second, "refresh_token"), None).await;
    assert_eq!(after.status(), 400);
}

// §6: the new access token may be narrower than the original grant; the
// refresh token keeps the original scope.
async fn refresh_may_narrow_scope(backend: Backend) {
    let server = TestServer::start(backend).await;
    let first = server.password_token(Some("profile email")).await;
    let second: Value = refresh(&server, str_field(&first, "refresh_token"), Some("email"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(second["scope"], "email");
    let info = server.introspect(str_field(&second, "refresh_token")).await;
    assert_eq!(info["scope"], "profile email");
}

// §6: a refresh MUST NOT widen the scope.
async fn refresh_cannot_widen_scope(backend: Backend) {
    let server = TestServer::start(backend).await;
    let first = server.password_token(Some("email")).await;
    let response = refresh(
        &server,
        str_field(&first, "refresh_token"),
        Some("email profile"),
    )
    .await;
    assert_eq!(response.status(), 400);
    assert_eq!(
        response.json::<Value>().await.unwrap()["error"],
        "invalid_scope"
    );
}

// §6: a refresh token only works for the client it was issued to.
async fn refresh_token_of_another_client_is_invalid_grant(backend: Backend) {
    let server = TestServer::start(backend).await;
    let first = server.password_token(None).await;
    let (id, secret) = server
        .add_client(portcullis::oauth::registration::ClientMetadata {
            client_name: "other".into(),
            grant_types: vec!["password".into(), "refresh_token".into()],
            scope: "profile".into(),
            ..Default::default()
        })
        .await;
    let response = server
        .http
        .post(server.url("/oauth/token"))
        .basic_auth(&id, secret.as_deref())
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", str_field(&first, "refresh_token")),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    assert_eq!(
        response.json::<Value>().await.unwrap()["error"],
        "invalid_grant"
    );
    // The rightful owner can still use it: the failed attempt did not burn it.
    assert_eq!(
        refresh(&server, str_field(&first, "refresh_token"), None)
            .await
            .status(),
        200
    );
}

// An access token is not a refresh token.
async fn access_token_as_refresh_token_is_invalid_grant(backend: Backend) {
    let server = TestServer::start(backend).await;
    let first = server.password_token(None).await;
    let response = refresh(&server, str_field(&first, "access_token"), None).await;
    assert_eq!(response.status(), 400);
}

backend_tests! {
    refresh_rotates_the_refresh_token,
    reused_refresh_token_revokes_the_family,
    refresh_may_narrow_scope,
    refresh_cannot_widen_scope,
    refresh_token_of_another_client_is_invalid_grant,
    access_token_as_refresh_token_is_invalid_grant,
}
