//! POST /oauth/revoke (RFC 7009).

use crate::common::*;
use portcullis::oauth::registration::ClientMetadata;
use serde_json::Value;

async fn revoke(server: &TestServer, form: &[(&str, &str)]) -> reqwest::Response {
    server.post_form("/oauth/revoke", form).await
}

// §2.2: 200 and the token is no longer usable.
async fn revoked_access_token_is_inactive_and_refused(backend: Backend) {
    let server = TestServer::start(backend).await;
    let tokens = server.password_token(None).await;
    let access = str_field(&tokens, "access_token");
    let response = revoke(&server, &[("token", access)]).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        serde_json::json!({})
    );
    assert!(!server.is_active(access).await);
    assert_eq!(server.me(access).await.status(), 401);
    // Revoking one access token leaves the refresh token alone.
    assert!(server.is_active(str_field(&tokens, "refresh_token")).await);
}

// §2.1: revoking a refresh token also revokes the access tokens of its grant.
async fn revoked_refresh_token_takes_its_access_tokens_along(backend: Backend) {
    let server = TestServer::start(backend).await;
    let tokens = server.password_token(None).await;
    revoke(&server, &[("token", str_field(&tokens, "refresh_token"))]).await;
    assert!(!server.is_active(str_field(&tokens, "refresh_token")).await);
    assert!(!server.is_active(str_field(&tokens, "access_token")).await);
}

// §2.1: the hint is only a hint; every token type is searched.
async fn wrong_hint_still_revokes(backend: Backend) {
    let server = TestServer::start(backend).await;
    let tokens = server.password_token(None).await;
    let refresh = str_field(&tokens, "refresh_token");
    revoke(
        &server,
        &[("token", refresh), ("token_type_hint", "access_token")],
    )
    .await;
    assert!(!server.is_active(refresh).await);
    let access = str_field(&tokens, "access_token");
    let other = server.password_token(None).await;
    let access2 = str_field(&other, "access_token");
    revoke(
        &server,
        &[("token", access2), ("token_type_hint", "refresh_token")],
    )
    .await;
    assert!(!server.is_active(access2).await);
    assert!(!server.is_active(access).await);
}

// §2.2: an unknown token is answered 200 as well.
async fn unknown_token_is_answered_200(backend: Backend) {
    let server = TestServer::start(backend).await;
    let response = revoke(&server, &[("token", "not-a-token")]).await;
    assert_eq!(response.status(), 200);
}

// §2.1: the client must authenticate; it can revoke only its own tokens.
async fn revocation_needs_client_authentication(backend: Backend) {
    let server = TestServer::start(backend).await;
    let tokens = server.password_token(None).await;
    let access = str_field(&tokens, "access_token");
    let response = server
        .http
        .post(server.url("/oauth/revoke"))
        .form(&[("token", access)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert!(server.is_active(access).await);
}

async fn client_cannot_revoke_another_clients_token(backend: Backend) {
    let server = TestServer::start(backend).await;
    let tokens = server.password_token(None).await;
    let access = str_field(&tokens, "access_token");
    let (id, secret) = server
        .add_client(ClientMetadata {
            client_name: "other".into(),
            grant_types: vec!["client_credentials".into()],
            ..Default::default()
        })
        .await;
    let response = server
        .http
        .post(server.url("/oauth/revoke"))
        .basic_auth(&id, secret.as_deref())
        .form(&[("token", access)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(server.is_active(access).await);
}

async fn missing_token_is_invalid_request(backend: Backend) {
    let server = TestServer::start(backend).await;
    let response = revoke(&server, &[]).await;
    assert_eq!(response.status(), 400);
    assert_eq!(
        response.json::<Value>().await.unwrap()["error"],
        "invalid_request"
    );
}

backend_tests! {
    revoked_access_token_is_inactive_and_refused,
    revoked_refresh_token_takes_its_access_tokens_along,
    wrong_hint_still_revokes,
    unknown_token_is_answered_200,
    revocation_needs_client_authentication,
    client_cannot_revoke_another_clients_token,
    missing_token_is_invalid_request,
}
