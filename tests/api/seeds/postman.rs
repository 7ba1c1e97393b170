//! Seed 000: Authlib's Flask + SQL example driven from Postman, which sends
//! form-data (multipart) bodies and adds the Authorization header from its
//! Authorization tab. Client `mike_id` / `mike_secret`, user mike / pass.

use super::{assert_error, assert_token_answer, form_data};
use crate::common::browser::{location, query_of, Browser, Page};
use crate::common::*;
use serde_json::{json, Value};

backend_tests! {
    password_grant_then_api_me_then_revoke,
    client_credentials_grant,
    authorization_code_grant,
    authorization_request_posted_as_form_data,
}

// POST /oauth/token (form-data: password grant, scope=all), POST /api/me
// with the token, POST /oauth/revoke (form-data) → {} and the token is
// revoked.
async fn password_grant_then_api_me_then_revoke(backend: Backend) {
    let server = TestServer::start(backend).await;
    let response = server
        .http
        .post(server.url("/oauth/token"))
        .multipart(form_data(&[
            ("grant_type", "password"),
            ("username", "mike"),
            ("password", "pass"),
            ("client_id", "mike_id"),
            ("client_secret", "mike_secret"),
            ("scope", "all"),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let tokens: Value = response.json().await.unwrap();
    assert_token_answer(&tokens, "all", true);
    let access = str_field(&tokens, "access_token");

    // The document writes the header as `Bearer: <token>`; Postman's
    // Authorization tab sends `Authorization: Bearer <token>`.
    let api_me = || {
        server
            .http
            .post(server.url("/api/me"))
            .bearer_auth(access)
            .send()
    };
    let me = api_me().await.unwrap();
    assert_eq!(me.status(), 200);
    assert_eq!(
        me.json::<Value>().await.unwrap(),
        json!({ "id": 1, "username": "mike" })
    );

    let revoked = server
        .http
        .post(server.url("/oauth/revoke"))
        .multipart(form_data(&[
            ("token", access),
            ("client_id", "mike_id"),
            ("client_secret", "mike_secret"),
            ("scope", "all"),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 200);
    assert_eq!(revoked.json::<Value>().await.unwrap(), json!({}));
    assert!(!server.is_active(access).await, "the token is revoked");
    assert_eq!(api_me().await.unwrap().status(), 401);
}

// POST /oauth/token (client credentials, scope all): no refresh token.
async fn client_credentials_grant(backend: Backend) {
    let server = TestServer::start(backend).await;
    let response = server
        .http
        .post(server.url("/oauth/token"))
        .multipart(form_data(&[
            ("grant_type", "client_credentials"),
            ("client_id", "mike_id"),
            ("client_secret", "mike_secret"),
            ("scope", "all"),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_token_answer(&response.json().await.unwrap(), "all", false);
}

// /oauth/authorize?response_type=code&client_id=mike_id&scope=all
// &redirect_uri=http://localhost:9000/api/me (the document's URL form),
// confirm=True, then the code exchange with form-data.
async fn authorization_code_grant(backend: Backend) {
    let server = TestServer::start(backend).await;
    let redirect_uri = "http://localhost:9000/api/me";
    let answer = Browser::new(&server)
        .authorize_at(
            &format!(
                "/oauth/authorize?response_type=code&client_id=mike_id&scope=all\
                 &redirect_uri={redirect_uri}"
            ),
            "True",
        )
        .await;
    let back = location(&answer);
    assert_eq!(back.as_str().split('?').next(), Some(redirect_uri));
    let code = query_of(&back)["code"].clone();

    let exchange = |with_secret: bool| {
        let request = server.http.post(server.url("/oauth/token"));
        let request = match with_secret {
            true => request.basic_auth("mike_id", Some("mike_secret")),
            false => request,
        };
        request
            .multipart(form_data(&[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", redirect_uri),
                ("client_id", "mike_id"),
            ]))
            .send()
    };
    // The document's form carries client_id alone, but mike_id is
    // confidential: Postman sends the secret as Basic auth from its
    // Authorization tab. Without any secret the client is not
    // authenticated (RFC 6749 §3.2.1), and the code stays unused.
    assert_error(exchange(false).await.unwrap(), 401, "invalid_client").await;
    let response = exchange(true).await.unwrap();
    assert_eq!(response.status(), 200);
    let tokens: Value = response.json().await.unwrap();
    // mike_id may refresh, so a refresh token comes along (SPEC §2).
    assert_token_answer(&tokens, "all", true);
    let me = server.me(str_field(&tokens, "access_token")).await;
    assert_eq!(
        me.json::<Value>().await.unwrap(),
        json!({ "id": 1, "username": "mike" })
    );
}

// POST /oauth/authorize with form-data response_type=code, client_id=mike_id,
// scope=all, redirect_uri=http://localhost:9000/api/me and confirm=True, as
// Postman sends it: an authorization request like the GET (OpenID Connect
// Core §3.1.2.1). Without a session it shows the login form (confirm=True
// alone approves nothing, SPEC §8); signed in, the approval redirects with
// a code.
async fn authorization_request_posted_as_form_data(backend: Backend) {
    let server = TestServer::start(backend).await;
    let browser = Browser::new(&server);
    let login = Page::read(
        browser
            .http
            .post(browser.url("/oauth/authorize"))
            .multipart(form_data(&[
                ("response_type", "code"),
                ("client_id", "mike_id"),
                ("scope", "all"),
                ("redirect_uri", "http://localhost:9000/api/me"),
                ("confirm", "True"),
            ]))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(login.status, 200, "{}", login.html);
    assert!(login.headers.get("location").is_none(), "nothing approved");
    let form = login
        .form("/oauth/authorize")
        .set("username", "mike")
        .set("password", "pass");
    let consent = Page::read(browser.submit(&form).await).await;
    assert_eq!(consent.status, 200, "{}", consent.html);
    let answer = browser
        .submit(&consent.form("/oauth/authorize").set("confirm", "True"))
        .await;
    let back = location(&answer);
    assert_eq!(
        back.as_str().split('?').next(),
        Some("http://localhost:9000/api/me")
    );
    assert!(query_of(&back).contains_key("code"));
}
