//! Basic OP: the UserInfo endpoint (Core §5.3) and the claims it releases
//! by scope (§5.4) and by the `claims` parameter (§5.5):
//! `oidcc-userinfo-get`, `-post-header`, `-post-body`, `oidcc-scope-*`,
//! `oidcc-claims-essential`; and its bearer rules (RFC 6750 §2-3) and
//! signed answers (§5.3.2).

use super::{code_flow, verify_jwt, Rp};
use crate::common::browser::Browser;
use crate::common::{Backend, TestServer};
use portcullis::oauth::registration::ClientMetadata;
use serde_json::{json, Map, Value};

backend_tests! {
    oidcc_userinfo_get,
    oidcc_userinfo_post_header,
    oidcc_userinfo_post_body,
    oidcc_scope_profile,
    oidcc_scope_email,
    oidcc_scope_address,
    oidcc_scope_phone,
    oidcc_scope_all,
    oidcc_claims_essential,
    userinfo_token_in_header_and_body_is_invalid_request,
    userinfo_without_a_valid_token_is_401_invalid_token,
    userinfo_needs_an_openid_token_of_a_user,
    userinfo_is_a_signed_jwt_when_the_client_registered_an_alg,
}

/// How the access token travels (RFC 6750 §2.1, §2.2).
#[derive(Clone, Copy)]
enum Method {
    Get,
    PostHeader,
    PostBody,
}

async fn userinfo(server: &TestServer, token: &str, method: Method) -> reqwest::Response {
    let url = server.url("/oauth/userinfo");
    let request = match method {
        Method::Get => server.http.get(url).bearer_auth(token),
        Method::PostHeader => server.http.post(url).bearer_auth(token),
        Method::PostBody => server.http.post(url).form(&[("access_token", token)]),
    };
    request.send().await.expect("the UserInfo endpoint answers")
}

/// A JSON UserInfo answer (§5.3.2): 200, `application/json`, not cached.
async fn json_claims(response: reqwest::Response) -> Map<String, Value> {
    assert_eq!(response.status(), 200);
    let headers = response.headers();
    assert!(headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/json"));
    assert_eq!(headers["cache-control"], "no-store");
    response.json().await.expect("a JSON object")
}

/// The code flow for `scope` (and `extra` parameters) with `rp`; the
/// access token and the ID token's claims.
async fn tokens_for(
    server: &TestServer,
    rp: &Rp,
    scope: &str,
    extra: &[(&str, &str)],
) -> (String, Value) {
    let mut request = rp.request(scope);
    for (name, value) in extra {
        request = request.set(name, value);
    }
    let (_, tokens, claims) = code_flow(server, &Browser::new(server), rp, &request).await;
    (tokens["access_token"].as_str().unwrap().to_owned(), claims)
}

/// The UserInfo endpoint's answer, by `method`, for `openid profile email`:
/// mike's claims (src/demo.rs), `sub` the ID token's (§5.3.2), with the
/// types of §5.1.
async fn profile_and_email(backend: Backend, method: Method) {
    let server = TestServer::start(backend).await;
    let (access, id_token) = tokens_for(&server, &Rp::demo(), "openid profile email", &[]).await;
    let claims = json_claims(userinfo(&server, &access, method).await).await;
    assert_eq!(claims["sub"], id_token["sub"]);
    assert_eq!(claims["name"], "Mike Example");
    assert_eq!(claims["given_name"], "Mike");
    assert_eq!(claims["family_name"], "Example");
    assert_eq!(claims["preferred_username"], "mike");
    assert_eq!(claims["email"], "mike@example.com");
    assert_eq!(claims["email_verified"], true);
}

// OP-UserInfo-Endpoint.
async fn oidcc_userinfo_get(backend: Backend) {
    profile_and_email(backend, Method::Get).await;
}

// OP-UserInfo-Header.
async fn oidcc_userinfo_post_header(backend: Backend) {
    profile_and_email(backend, Method::PostHeader).await;
}

// OP-UserInfo-Body.
async fn oidcc_userinfo_post_body(backend: Backend) {
    profile_and_email(backend, Method::PostBody).await;
}

/// The names of the claims UserInfo answers for `scope`, asked by a client
/// that may have every standard scope.
async fn claims_for_scope(backend: Backend, scope: &str) -> Map<String, Value> {
    let server = TestServer::start(backend).await;
    let rp = Rp::openid(&server, None).await;
    let (access, _) = tokens_for(&server, &rp, scope, &[]).await;
    json_claims(userinfo(&server, &access, Method::Get).await).await
}

fn names(claims: &Map<String, Value>) -> Vec<&str> {
    let mut names: Vec<&str> = claims.keys().map(String::as_str).collect();
    names.sort_unstable();
    names
}

// OP-scope-profile: §5.4's profile claims mike has, and nothing else.
async fn oidcc_scope_profile(backend: Backend) {
    let claims = claims_for_scope(backend, "openid profile").await;
    assert_eq!(
        names(&claims),
        [
            "family_name",
            "given_name",
            "name",
            "preferred_username",
            "sub"
        ]
    );
}

// OP-scope-email.
async fn oidcc_scope_email(backend: Backend) {
    let claims = claims_for_scope(backend, "openid email").await;
    assert_eq!(names(&claims), ["email", "email_verified", "sub"]);
}

// OP-scope-address: mike has no address; a claim without a value is left
// out, never null (§5.3.2), and no other scope's claim comes instead. (The
// suite only warns when the claim is missing.)
async fn oidcc_scope_address(backend: Backend) {
    let claims = claims_for_scope(backend, "openid address").await;
    assert_eq!(names(&claims), ["sub"]);
}

// OP-scope-phone: likewise.
async fn oidcc_scope_phone(backend: Backend) {
    let claims = claims_for_scope(backend, "openid phone").await;
    assert_eq!(names(&claims), ["sub"]);
}

// OP-scope-All.
async fn oidcc_scope_all(backend: Backend) {
    let claims = claims_for_scope(backend, "openid profile email address phone").await;
    assert_eq!(
        names(&claims),
        [
            "email",
            "email_verified",
            "family_name",
            "given_name",
            "name",
            "preferred_username",
            "sub"
        ]
    );
}

// OP-claims-essential (§5.5, §5.5.1): `name` asked as Essential for
// UserInfo comes from UserInfo, not in the ID token
// (EnsureIdTokenDoesNotContainName); asked for the ID token, it comes in
// the ID token. Claims are released within the consented scopes only (the
// consent page names scopes, not claims), so with `openid` alone the
// request still succeeds but releases no name (the suite only warns).
async fn oidcc_claims_essential(backend: Backend) {
    let server = TestServer::start(backend).await;
    let rp = Rp::demo();
    let for_userinfo = json!({"userinfo": {"name": {"essential": true}}}).to_string();
    let extra = [("claims", for_userinfo.as_str())];
    let (access, id_token) = tokens_for(&server, &rp, "openid profile", &extra).await;
    let claims = json_claims(userinfo(&server, &access, Method::Get).await).await;
    assert_eq!(claims["name"], "Mike Example");
    assert!(id_token.get("name").is_none(), "{id_token}");

    let for_id_token = json!({"id_token": {"name": {"essential": true}}}).to_string();
    let extra = [("claims", for_id_token.as_str())];
    let (_, id_token) = tokens_for(&server, &rp, "openid profile", &extra).await;
    assert_eq!(id_token["name"], "Mike Example");
    assert!(id_token.get("email").is_none(), "only what was asked");

    let (access, id_token) = tokens_for(&server, &rp, "openid", &extra).await;
    assert!(id_token.get("name").is_none(), "{id_token}");
    let claims = json_claims(userinfo(&server, &access, Method::Get).await).await;
    assert_eq!(names(&claims), ["sub"]);
}

fn challenge(response: &reqwest::Response) -> String {
    response.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_owned()
}

// RFC 6750 §2: a client MUST NOT use more than one method per request.
async fn userinfo_token_in_header_and_body_is_invalid_request(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (access, _) = tokens_for(&server, &Rp::demo(), "openid", &[]).await;
    let both = server
        .http
        .post(server.url("/oauth/userinfo"))
        .bearer_auth(&access)
        .form(&[("access_token", access.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(both.status(), 400);
    assert!(challenge(&both).contains(r#"error="invalid_request""#));
    // Either alone is fine.
    json_claims(userinfo(&server, &access, Method::PostBody).await).await;
}

// §5.3.3 with RFC 6750 §3.1: no token is a bare challenge; a bad one is
// invalid_token, both 401.
async fn userinfo_without_a_valid_token_is_401_invalid_token(backend: Backend) {
    let server = TestServer::start(backend).await;
    let none = server
        .http
        .get(server.url("/oauth/userinfo"))
        .send()
        .await
        .unwrap();
    assert_eq!(none.status(), 401);
    let bare = challenge(&none);
    assert!(
        bare.starts_with("Bearer") && !bare.contains("error="),
        "{bare}"
    );
    for method in [Method::Get, Method::PostHeader, Method::PostBody] {
        let bad = userinfo(&server, "not-a-token", method).await;
        assert_eq!(bad.status(), 401);
        assert!(challenge(&bad).contains(r#"error="invalid_token""#));
    }
}

// §5.3.1: the token must be for OpenID Connect (scope `openid`) and about
// a user: a plain OAuth token or a client's own token gets
// insufficient_scope / 403.
async fn userinfo_needs_an_openid_token_of_a_user(backend: Backend) {
    let server = TestServer::start(backend).await;
    let oauth_only = server.password_token(Some("profile")).await;
    let response = userinfo(
        &server,
        oauth_only["access_token"].as_str().unwrap(),
        Method::Get,
    )
    .await;
    assert_eq!(response.status(), 403);
    assert!(challenge(&response).contains(r#"error="insufficient_scope""#));
    let clients = server.client_credentials_token().await;
    let response = userinfo(
        &server,
        clients["access_token"].as_str().unwrap(),
        Method::Get,
    )
    .await;
    assert_eq!(response.status(), 403);
}

// §5.3.2: for a client registered with userinfo_signed_response_alg, the
// answer is a JWT (`application/jwt`) signed by a published key, with
// `iss` and `aud` besides the claims.
async fn userinfo_is_a_signed_jwt_when_the_client_registered_an_alg(backend: Backend) {
    let server = TestServer::start(backend).await;
    let rp = Rp::register(
        &server,
        ClientMetadata {
            userinfo_signed_response_alg: Some("EdDSA".into()),
            ..super::openid_metadata(None)
        },
    )
    .await;
    let (access, id_token) = tokens_for(&server, &rp, "openid email", &[]).await;
    let response = userinfo(&server, &access, Method::Get).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/jwt");
    let jwt = response.text().await.unwrap();
    assert_eq!(super::header(&jwt).alg, jsonwebtoken::Algorithm::EdDSA);
    let claims = verify_jwt(&server, &jwt, &rp.client_id).await;
    assert_eq!(claims["sub"], id_token["sub"]);
    assert_eq!(claims["email"], "mike@example.com");
}
