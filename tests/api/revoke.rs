//! POST /oauth/revoke (RFC 7009).

use crate::common::*;
use portcullis::oauth::registration::ClientMetadata;
use portcullis::oauth::tokens::{Access, Refresh};
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

// RFC 7009 §2.1: a public client (client_id only) may revoke, but only its
// own tokens: another client's stay active.
async fn public_client_cannot_revoke_another_clients_token(backend: Backend) {
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
    let access = str_field(&tokens, "access_token");
    let response = server
        .http
        .post(server.url("/oauth/revoke"))
        .form(&[("token", access), ("client_id", spa.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(server.is_active(access).await);
}

// SPEC §8: deleting a client ends its tokens at once, including one minted
// while the deletion ran (its grant written after the client's rows went),
// and such a leftover never comes back under a new client of the same id.
async fn deleting_a_client_ends_its_tokens_even_one_minted_meanwhile(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (api, api_secret) = server.add_resource_server("api").await;
    let store = portcullis::store::open(server.database_url(), 1)
        .await
        .unwrap();
    let client = store
        .client(CLIENT_ID)
        .await
        .unwrap()
        .expect("the demo client");
    let issued = server.client_credentials_token().await;
    let issued = str_field(&issued, "access_token");
    assert!(store.delete_client(CLIENT_ID, None).await.unwrap());
    // What a token request that read the client just before would write.
    let now = portcullis::time::now();
    let settings = portcullis::oauth::Settings {
        issuer: server.base.clone(),
        access_token_ttl: 3600,
        refresh_token_ttl: 3600,
        code_ttl: 60,
        self_registered_client_credentials_scopes: Vec::new(),
        id_token_ttl: 3600,
        jwt_access_token_ttl: 300,
    };
    let late =
        portcullis::oauth::tokens::mint(&settings, now, "profile", Refresh::None, Access::opaque())
            .expect("an opaque token needs no key");
    store
        .issue_grant(
            &portcullis::oauth::tokens::new_grant(CLIENT_ID, None, now),
            &late.rows,
        )
        .await
        .unwrap();
    let introspect = |token: String| {
        let (server, api, api_secret) = (&server, api.clone(), api_secret.clone());
        async move {
            let response = server
                .http
                .post(server.url("/oauth/introspect"))
                .basic_auth(api, Some(api_secret))
                .form(&[("token", token)])
                .send()
                .await
                .unwrap();
            response.json::<Value>().await.unwrap()["active"].clone()
        }
    };
    let late = late.response.access_token;
    assert_eq!(introspect(issued.to_owned()).await, false);
    assert_eq!(introspect(late.clone()).await, false);
    assert_eq!(server.me(&late).await.status(), 401);
    store.create_client(&client).await.unwrap();
    assert_eq!(introspect(late).await, false, "no resurrection");
}

backend_tests! {
    public_client_cannot_revoke_another_clients_token,
    deleting_a_client_ends_its_tokens_even_one_minted_meanwhile,
    revoked_access_token_is_inactive_and_refused,
    revoked_refresh_token_takes_its_access_tokens_along,
    wrong_hint_still_revokes,
    unknown_token_is_answered_200,
    revocation_needs_client_authentication,
    client_cannot_revoke_another_clients_token,
    missing_token_is_invalid_request,
}
