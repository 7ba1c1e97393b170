//! Beyond the plans: RFC 9068 JWT access tokens, for a client the operator
//! registered for them (admin API, `access_token_format: jwt`). A resource
//! server verifies them offline with the published keys; the server's own
//! endpoints treat them like opaque tokens, revocation included.

use super::{assert_at_hash, code_flow, header, verify_id_token, verify_jwt, Rp};
use crate::common::admin::Admin;
use crate::common::browser::Browser;
use crate::common::{str_field, Backend, TestServer};
use reqwest::Method;
use serde_json::{json, Value};

backend_tests! {
    rfc9068_jwt_access_token_from_the_code_flow,
    rfc9068_revoked_jwt_is_refused_online_but_verifies_offline,
    rfc9068_client_credentials_jwt_is_about_the_client,
    an_id_token_is_not_an_access_token,
}

/// A client registered for JWT access tokens signed with ES256.
async fn jwt_client(server: &TestServer) -> Rp {
    let admin = Admin::new(server).await;
    let body = json!({
        "client_name": "resource-minded RP",
        "grant_types": ["authorization_code", "client_credentials", "refresh_token"],
        "redirect_uris": ["https://rp.example/callback"],
        "scope": "openid profile offline_access",
        "id_token_signed_response_alg": "ES256",
        "access_token_format": "jwt",
    });
    let created = admin
        .expect(Method::POST, "/admin/clients", Some(body), 201)
        .await;
    assert_eq!(created["access_token_format"], "jwt");
    Rp {
        client_id: str_field(&created, "client_id").to_owned(),
        secret: str_field(&created, "client_secret").to_owned(),
        redirect_uri: "https://rp.example/callback".into(),
    }
}

/// RFC 9068 §2.1-2.2, §4: `typ` at+jwt (so it is never taken for an ID
/// token), a published key, and the claims a resource server needs, for
/// the default resource (`<issuer>/api`), short-lived. Returns the claims.
async fn verify_access_token(server: &TestServer, rp: &Rp, token: &str) -> Value {
    let head = header(token);
    assert_eq!(head.typ.as_deref(), Some("at+jwt"));
    assert_eq!(head.alg, jsonwebtoken::Algorithm::ES256);
    let claims = verify_jwt(server, token, &server.url("/api")).await;
    assert_eq!(claims["iss"], server.base);
    assert_eq!(claims["client_id"], rp.client_id.as_str());
    let (iat, exp) = (
        claims["iat"].as_i64().unwrap(),
        claims["exp"].as_i64().unwrap(),
    );
    assert!(iat <= portcullis::time::now() + 1);
    assert!(exp > iat && exp - iat <= 300, "short-lived: {claims}");
    assert!(claims["jti"].as_str().is_some_and(|jti| jti.len() >= 16));
    claims
}

async fn revoke(server: &TestServer, rp: &Rp, token: &str) {
    let response = server
        .http
        .post(server.url("/oauth/revoke"))
        .basic_auth(&rp.client_id, Some(&rp.secret))
        .form(&[("token", token)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

async fn introspect(server: &TestServer, rp: &Rp, token: &str) -> Value {
    let response = server
        .http
        .post(server.url("/oauth/introspect"))
        .basic_auth(&rp.client_id, Some(&rp.secret))
        .form(&[("token", token)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

async fn userinfo_status(server: &TestServer, token: &str) -> u16 {
    let response = server
        .http
        .get(server.url("/oauth/userinfo"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    response.status().as_u16()
}

/// The code flow for `openid profile` with the JWT client: its tokens.
async fn jwt_tokens(server: &TestServer, rp: &Rp) -> Value {
    let browser = Browser::new(server);
    let (_, tokens, _) = code_flow(server, &browser, rp, &rp.request("openid profile")).await;
    tokens
}

// RFC 9068 §2: the code flow's access token is a JWT about mike; the ID
// token's at_hash covers it (Core §3.1.3.6: the token as sent); UserInfo,
// /api/me and introspection accept it like an opaque one.
async fn rfc9068_jwt_access_token_from_the_code_flow(backend: Backend) {
    let server = TestServer::start(backend).await;
    let rp = jwt_client(&server).await;
    let tokens = jwt_tokens(&server, &rp).await;
    let access = str_field(&tokens, "access_token");
    let claims = verify_access_token(&server, &rp, access).await;
    assert_eq!(claims["sub"], "1");
    assert_eq!(claims["scope"], "openid profile");
    let id_token = str_field(&tokens, "id_token");
    let id_claims = verify_id_token(&server, &rp, id_token).await;
    assert_at_hash(id_token, &id_claims, access);
    assert_eq!(id_claims["sub"], claims["sub"]);

    assert_eq!(userinfo_status(&server, access).await, 200);
    assert_eq!(server.me(access).await.status(), 200);
    let introspected = introspect(&server, &rp, access).await;
    assert_eq!(introspected["active"], true);
    assert_eq!(introspected["client_id"], rp.client_id.as_str());
    assert_eq!(introspected["sub"], "1");
}

// The documented trade-off: revocation is seen by every endpoint of ours
// at once, but the JWT still verifies offline until its (short) expiry.
async fn rfc9068_revoked_jwt_is_refused_online_but_verifies_offline(backend: Backend) {
    let server = TestServer::start(backend).await;
    let rp = jwt_client(&server).await;
    let tokens = jwt_tokens(&server, &rp).await;
    let access = str_field(&tokens, "access_token");
    revoke(&server, &rp, access).await;
    assert_eq!(introspect(&server, &rp, access).await["active"], false);
    assert_eq!(userinfo_status(&server, access).await, 401);
    assert_eq!(server.me(access).await.status(), 401);
    verify_access_token(&server, &rp, access).await;
}

// RFC 9068 §2.2: without a user, `sub` is the client's id.
async fn rfc9068_client_credentials_jwt_is_about_the_client(backend: Backend) {
    let server = TestServer::start(backend).await;
    let rp = jwt_client(&server).await;
    let response = rp
        .token(
            &server,
            &[("grant_type", "client_credentials"), ("scope", "profile")],
        )
        .await;
    let tokens = super::token_response(response).await;
    assert!(tokens.get("id_token").is_none());
    let claims = verify_access_token(&server, &rp, str_field(&tokens, "access_token")).await;
    assert_eq!(claims["sub"], rp.client_id.as_str());
    assert_eq!(claims["scope"], "profile");
}

// RFC 8725 §3.11, RFC 9068 §4: a JWT of ours without `typ: at+jwt` (an ID
// token) is no access token, at any endpoint, even for a client that gets
// JWT access tokens.
async fn an_id_token_is_not_an_access_token(backend: Backend) {
    let server = TestServer::start(backend).await;
    for rp in [Rp::demo(), jwt_client(&server).await] {
        let tokens = jwt_tokens(&server, &rp).await;
        let id_token = str_field(&tokens, "id_token");
        assert_eq!(userinfo_status(&server, id_token).await, 401);
        assert_eq!(server.me(id_token).await.status(), 401);
        assert_eq!(introspect(&server, &rp, id_token).await["active"], false);
    }
}
