//! Basic OP: what an authorization request must carry and how the code is
//! redeemed (Core §3.1.2.1-2, §3.1.3.1-2, §6; RFC 6749 §3.1.2, §4.1.2;
//! RFC 7636): `oidcc-response-type-missing`, `oidcc-codereuse(-30seconds)`,
//! `oidcc-ensure-registered-redirect-uri`,
//! `oidcc-ensure-redirect-uri-in-authorization-request`,
//! `oidcc-server-client-secret-post`,
//! `oidcc-ensure-request-with-valid-pkce-succeeds`,
//! `oidcc-ensure-post-request-succeeds`, and the request object items.

use super::{authorize, follow, token_response, verify_id_token, AuthRequest, Rp, Shown, STATE};
use crate::common::browser::{location, query_of, Browser, Page};
use crate::common::{Backend, TestServer};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::Value;

backend_tests! {
    oidcc_response_type_missing,
    oidcc_codereuse,
    oidcc_ensure_registered_redirect_uri,
    oidcc_ensure_redirect_uri_in_authorization_request,
    oidcc_server_client_secret_post,
    oidcc_ensure_request_with_valid_pkce_succeeds,
    oidcc_ensure_post_request_succeeds,
    oidcc_unsigned_request_object_supported_correctly_or_rejected_as_unsupported,
    oidcc_request_uri_unsigned_supported_correctly_or_rejected_as_unsupported,
}

/// The error the client is redirected with (Core §3.1.2.6), with its
/// state, and no code.
async fn redirected_error(server: &TestServer, request: &AuthRequest) -> String {
    let answer = Browser::new(server).get(&request.path()).await;
    let url = location(&answer);
    assert!(url
        .as_str()
        .starts_with(request.get("redirect_uri").unwrap()));
    let params = query_of(&url);
    assert_eq!(params["state"], STATE);
    assert_eq!(params["iss"], server.base);
    assert!(!params.contains_key("code"), "{params:?}");
    params["error"].clone()
}

/// An error page for the user, never a redirect (RFC 6749 §3.1.2.4,
/// §4.1.2.1).
async fn assert_error_page(server: &TestServer, request: &AuthRequest) -> Page {
    let page = Browser::new(server).page(&request.path()).await;
    assert_eq!(page.status, 400, "{}", page.html);
    assert!(page.headers.get("location").is_none());
    assert!(page.header("content-type").starts_with("text/html"));
    page
}

// OP-Response-Missing: the error goes back to the client (§3.1.2.6).
async fn oidcc_response_type_missing(backend: Backend) {
    let server = TestServer::start(backend).await;
    let request = Rp::demo().request("openid").without("response_type");
    assert_eq!(redirected_error(&server, &request).await, "invalid_request");
}

// OP-OAuth-2nd and OP-OAuth-2nd-30s (with OP-OAuth-2nd-Revokes): a code
// is good once (RFC 6749 §4.1.2); its second use is invalid_grant and
// revokes what the first gave (§10.5). The suite waits 30 s before the
// second use, to catch servers that only forget codes later; here a code
// is refused because it was used, whenever, so no wait is needed.
async fn oidcc_codereuse(backend: Backend) {
    let server = TestServer::start(backend).await;
    let rp = Rp::demo();
    let request = rp.request("openid offline_access");
    let callback = authorize(&server, &Browser::new(&server), &request).await;
    let tokens = rp.exchange(&server, callback.code()).await;
    let access = tokens["access_token"].as_str().unwrap();
    let refresh = tokens["refresh_token"].as_str().unwrap();
    let userinfo = |token: &str| {
        server
            .http
            .get(server.url("/oauth/userinfo"))
            .bearer_auth(token)
            .send()
    };
    assert_eq!(userinfo(access).await.unwrap().status(), 200);

    let again = rp
        .token(
            &server,
            &[
                ("grant_type", "authorization_code"),
                ("code", callback.code()),
                ("redirect_uri", &rp.redirect_uri),
            ],
        )
        .await;
    assert_eq!(again.status(), 400);
    assert_eq!(
        again.json::<Value>().await.unwrap()["error"],
        "invalid_grant"
    );
    assert_eq!(userinfo(access).await.unwrap().status(), 401, "revoked");
    assert!(!server.is_active(refresh).await, "refresh token revoked");
}

// OP-redirect_uri-NotReg: an unregistered redirect URI, even one that
// only adds a query or a slash, is never redirected to (§3.1.2.1: exact
// match).
async fn oidcc_ensure_registered_redirect_uri(backend: Backend) {
    let server = TestServer::start(backend).await;
    let rp = Rp::openid(&server, None).await;
    for uri in [
        "https://evil.example/callback",
        "https://rp.example/callback?x=1",
        "https://rp.example/callback/",
    ] {
        let request = rp.request("openid").set("redirect_uri", uri);
        let page = assert_error_page(&server, &request).await;
        assert!(page.html.contains("not registered"), "{}", page.html);
    }
}

// OP-redirect_uri-Missing: redirect_uri is REQUIRED in an OpenID request
// (Core §3.1.2.1), even when the client registered only one (RFC 6749
// §3.1.2.3 lets a plain OAuth request leave it out, and that still works).
async fn oidcc_ensure_redirect_uri_in_authorization_request(backend: Backend) {
    let server = TestServer::start(backend).await;
    let single = Rp::openid(&server, None).await;
    for rp in [single.clone(), Rp::demo()] {
        let request = rp.request("openid").without("redirect_uri");
        let page = assert_error_page(&server, &request).await;
        assert!(page.html.contains("redirect_uri"), "{}", page.html);
    }
    let oauth = single
        .request("profile")
        .without("redirect_uri")
        .without("nonce");
    let browser = Browser::new(&server);
    let answer = browser.get(&oauth.path()).await;
    let callback = follow(
        &server,
        &browser,
        &oauth.clone().set("redirect_uri", &single.redirect_uri),
        answer,
        "mike",
        "pass",
    )
    .await;
    assert!(callback.params.contains_key("code"));
}

// OP-ClientAuth-SecretPost-Static: the client's credentials in the body
// (RFC 6749 §2.3.1).
async fn oidcc_server_client_secret_post(backend: Backend) {
    let server = TestServer::start(backend).await;
    let rp = Rp::openid(&server, None).await;
    let callback = authorize(&server, &Browser::new(&server), &rp.request("openid")).await;
    let response = server
        .http
        .post(server.url("/oauth/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", callback.code()),
            ("redirect_uri", &rp.redirect_uri),
            ("client_id", &rp.client_id),
            ("client_secret", &rp.secret),
        ])
        .send()
        .await
        .unwrap();
    let tokens = token_response(response).await;
    verify_id_token(&server, &rp, tokens["id_token"].as_str().unwrap()).await;
}

// RFC 7636 §4.1-4.6 (Appendix B's verifier and challenge): S256 PKCE with
// an OpenID request.
async fn oidcc_ensure_request_with_valid_pkce_succeeds(backend: Backend) {
    let server = TestServer::start(backend).await;
    let rp = Rp::demo();
    let request = rp
        .request("openid")
        .set(
            "code_challenge",
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        )
        .set("code_challenge_method", "S256");
    let callback = authorize(&server, &Browser::new(&server), &request).await;
    let response = rp
        .token(
            &server,
            &[
                ("grant_type", "authorization_code"),
                ("code", callback.code()),
                ("redirect_uri", &rp.redirect_uri),
                (
                    "code_verifier",
                    "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
                ),
            ],
        )
        .await;
    let tokens = token_response(response).await;
    verify_id_token(&server, &rp, tokens["id_token"].as_str().unwrap()).await;
}

// Core §3.1.2.1: the authorization endpoint MUST support POST, with the
// parameters form-encoded (§13.2); the answer is the same as for GET.
async fn oidcc_ensure_post_request_succeeds(backend: Backend) {
    let server = TestServer::start(backend).await;
    let rp = Rp::demo();
    let request = rp.request("openid");
    let browser = Browser::new(&server);
    let posted = browser
        .http
        .post(server.url("/oauth/authorize"))
        .form(&request.0)
        .send()
        .await
        .unwrap();
    let callback = follow(&server, &browser, &request, posted, "mike", "pass").await;
    assert_eq!(callback.shown, [Shown::Login, Shown::Consent]);
    let tokens = rp.exchange(&server, callback.code()).await;
    let claims = verify_id_token(&server, &rp, tokens["id_token"].as_str().unwrap()).await;
    assert_eq!(claims["nonce"], super::NONCE);
}

/// An unsigned request object (Core §6.1, `alg: none`) of `request`.
fn unsigned_request_object(request: &AuthRequest) -> String {
    let claims: serde_json::Map<String, Value> = request
        .0
        .iter()
        .map(|(n, v)| (n.clone(), Value::String(v.clone())))
        .collect();
    let encode = |value: &Value| URL_SAFE_NO_PAD.encode(value.to_string());
    format!(
        "{}.{}.",
        encode(&serde_json::json!({"alg": "none"})),
        encode(&Value::Object(claims))
    )
}

// OP-request-Unsigned: request objects are not supported, and the client
// is told so with §6.3's error, not a silent ignore.
async fn oidcc_unsigned_request_object_supported_correctly_or_rejected_as_unsupported(
    backend: Backend,
) {
    let server = TestServer::start(backend).await;
    let request = Rp::demo().request("openid");
    let object = unsigned_request_object(&request);
    let request = request.set("request", &object);
    assert_eq!(
        redirected_error(&server, &request).await,
        "request_not_supported"
    );
}

// OP-request_uri-Unsigned: the same for request objects by reference.
async fn oidcc_request_uri_unsigned_supported_correctly_or_rejected_as_unsupported(
    backend: Backend,
) {
    let server = TestServer::start(backend).await;
    let request = Rp::demo()
        .request("openid")
        .set("request_uri", "https://rp.example/request.jwt");
    assert_eq!(
        redirected_error(&server, &request).await,
        "request_uri_not_supported"
    );
}
