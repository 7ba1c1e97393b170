//! The RP-Initiated Logout plan (`oidcc-rp-initiated-logout-certification-
//! test-plan`): the end-session endpoint of RP-Initiated Logout 1.0 §2-4.
//! A redirect only to a registered `post_logout_redirect_uri`, exactly
//! (§3), with `state` (§2); a request that cannot prove which relying
//! party sent it is confirmed by the user first; an ID token hint that is
//! not ours is treated as absent (§4), so it never earns a redirect.

use super::{code_flow, Rp};
use crate::common::browser::{location, query_of, Browser, Page};
use crate::common::{Backend, TestServer};
use jsonwebtoken::{EncodingKey, Header};
use serde_json::json;

backend_tests! {
    oidcc_rp_initiated_logout,
    oidcc_rp_initiated_logout_bad_post_logout_redirect_uri,
    oidcc_rp_initiated_logout_query_added_to_post_logout_redirect_uri,
    oidcc_rp_initiated_logout_modified_id_token_hint,
    oidcc_rp_initiated_logout_bad_id_token_hint,
    oidcc_rp_initiated_logout_no_id_token_hint,
    oidcc_rp_initiated_logout_no_params,
    oidcc_rp_initiated_logout_no_post_logout_redirect_uri,
    oidcc_rp_initiated_logout_only_state,
    oidcc_rp_initiated_logout_no_state,
}

/// The demo client's registered post_logout_redirect_uri.
const SIGNED_OUT: &str = "http://127.0.0.1:8765/signed-out";
const LOGOUT_STATE: &str = "logout state &=";

/// mike signed in through the demo client: the browser and its ID token.
async fn signed_in(server: &TestServer) -> (Browser, String) {
    let (rp, browser) = (Rp::demo(), Browser::new(server));
    let (_, tokens, _) = code_flow(server, &browser, &rp, &rp.request("openid")).await;
    let id_token = tokens["id_token"].as_str().unwrap().to_owned();
    (browser, id_token)
}

async fn logout(browser: &Browser, params: &[(&str, &str)]) -> reqwest::Response {
    let query = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params)
        .finish();
    browser.get(&format!("/oauth/logout?{query}")).await
}

/// Whether the browser still has a session: a `prompt=none` request of the
/// demo client (consented) gets a code, or login_required.
async fn still_signed_in(browser: &Browser) -> bool {
    let request = Rp::demo().request("openid").set("prompt", "none");
    let params = query_of(&location(&browser.get(&request.path()).await));
    match params.get("error").map(String::as_str) {
        None => params.contains_key("code"),
        Some("login_required") => false,
        Some(other) => panic!("unexpected {other}"),
    }
}

/// An error page, no redirect (§3, §4); the user stays signed in.
async fn assert_refused(browser: &Browser, response: reqwest::Response) {
    let page = Page::read(response).await;
    assert_eq!(page.status, 400, "{}", page.html);
    assert!(page.headers.get("location").is_none());
    assert!(still_signed_in(browser).await);
}

/// The "Sign out?" page; the user's own form on it.
async fn confirmation(
    browser: &Browser,
    response: reqwest::Response,
) -> crate::common::browser::Form {
    let page = Page::read(response).await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert!(page.html.contains("Sign out?"), "{}", page.html);
    assert!(still_signed_in(browser).await, "not before confirming");
    page.form("/oauth/logout").set("confirm", "yes")
}

/// The "signed out" page.
async fn assert_signed_out_page(browser: &Browser, response: reqwest::Response) {
    let page = Page::read(response).await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert!(page.html.contains("You are signed out"), "{}", page.html);
    assert!(!still_signed_in(browser).await);
}

// OP-RpInitLogout: with a valid hint for the signed-in user, the session
// ends at once (server-side: the old cookie is worth nothing after) and
// the browser goes to the registered URI with our state (§2, §3).
async fn oidcc_rp_initiated_logout(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (browser, id_token) = signed_in(&server).await;
    let old_session = browser.cookie("portcullis_session").expect("a session");
    let answer = logout(
        &browser,
        &[
            ("id_token_hint", &id_token),
            ("post_logout_redirect_uri", SIGNED_OUT),
            ("state", LOGOUT_STATE),
        ],
    )
    .await;
    let url = location(&answer);
    assert_eq!(url.as_str().split('?').next(), Some(SIGNED_OUT));
    assert_eq!(query_of(&url)["state"], LOGOUT_STATE);
    assert!(!still_signed_in(&browser).await);
    // The session is gone from the store, not only from this browser.
    let replay = Browser::new(&server);
    let cookie = format!("portcullis_session={old_session}; Path=/");
    replay
        .cookies
        .add_cookie_str(&cookie, &url::Url::parse(&server.base).unwrap());
    assert!(!still_signed_in(&replay).await);
}

// OP-RpInitLogout-Wrong-post_logout_redirect_uri.
async fn oidcc_rp_initiated_logout_bad_post_logout_redirect_uri(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (browser, id_token) = signed_in(&server).await;
    let answer = logout(
        &browser,
        &[
            ("id_token_hint", &id_token),
            (
                "post_logout_redirect_uri",
                "https://evil.example/signed-out",
            ),
            ("state", LOGOUT_STATE),
        ],
    )
    .await;
    assert_refused(&browser, answer).await;
}

// OP-RpInitLogout-Query-added-to-post_logout_redirect_uri: exact match.
async fn oidcc_rp_initiated_logout_query_added_to_post_logout_redirect_uri(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (browser, id_token) = signed_in(&server).await;
    let uri = format!("{SIGNED_OUT}?x=1");
    let answer = logout(
        &browser,
        &[
            ("id_token_hint", &id_token),
            ("post_logout_redirect_uri", &uri),
        ],
    )
    .await;
    assert_refused(&browser, answer).await;
}

// A hint of ours with its signature changed names no client (§4): no
// redirect.
async fn oidcc_rp_initiated_logout_modified_id_token_hint(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (browser, id_token) = signed_in(&server).await;
    let (signed, signature) = id_token.rsplit_once('.').unwrap();
    let flipped: String = signature.chars().rev().collect();
    let modified = format!("{signed}.{flipped}");
    let answer = logout(
        &browser,
        &[
            ("id_token_hint", &modified),
            ("post_logout_redirect_uri", SIGNED_OUT),
            ("state", LOGOUT_STATE),
        ],
    )
    .await;
    assert_refused(&browser, answer).await;
}

// OP-RpInitLogout-Wrong-id_token_hint: an ID token with the right claims,
// signed by someone else's key.
async fn oidcc_rp_initiated_logout_bad_id_token_hint(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (browser, _) = signed_in(&server).await;
    let now = portcullis::time::now();
    let mut header = Header::new(jsonwebtoken::Algorithm::HS256);
    header.kid = Some("not-ours".into());
    let claims = json!({"iss": server.base, "sub": "1", "aud": "mike_id",
                        "iat": now, "exp": now + 600, "auth_time": now});
    let fake = jsonwebtoken::encode(
        &header,
        &claims,
        &EncodingKey::from_secret(b"suite").unwrap(),
    )
    .expect("a fake ID token");
    let answer = logout(
        &browser,
        &[
            ("id_token_hint", &fake),
            ("post_logout_redirect_uri", SIGNED_OUT),
            ("state", LOGOUT_STATE),
        ],
    )
    .await;
    assert_refused(&browser, answer).await;
}

// OP-RpInitLogout-No-id_token_hint: the client is named but nothing proves
// it sent the request, so the user confirms first (the plan accepts a
// confirmation or an error); then the redirect, with state. The
// confirmation is our form: without its CSRF token it signs nobody out.
async fn oidcc_rp_initiated_logout_no_id_token_hint(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (browser, _) = signed_in(&server).await;
    let answer = logout(
        &browser,
        &[
            ("client_id", "mike_id"),
            ("post_logout_redirect_uri", SIGNED_OUT),
            ("state", LOGOUT_STATE),
        ],
    )
    .await;
    let form = confirmation(&browser, answer).await;
    let forged = browser.submit(&form.clone().without("csrf_token")).await;
    assert_eq!(forged.status(), 403);
    assert!(still_signed_in(&browser).await);
    let url = location(&browser.submit(&form).await);
    assert_eq!(url.as_str().split('?').next(), Some(SIGNED_OUT));
    assert_eq!(query_of(&url)["state"], LOGOUT_STATE);
    assert!(!still_signed_in(&browser).await);
}

// OP-RpInitLogout-NoParams: confirm, then our own "signed out" page.
async fn oidcc_rp_initiated_logout_no_params(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (browser, _) = signed_in(&server).await;
    let form = confirmation(&browser, logout(&browser, &[]).await).await;
    let answer = browser.submit(&form).await;
    assert_signed_out_page(&browser, answer).await;
}

// No post_logout_redirect_uri: signed out at once (the hint proves the
// relying party), shown our page.
async fn oidcc_rp_initiated_logout_no_post_logout_redirect_uri(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (browser, id_token) = signed_in(&server).await;
    let answer = logout(&browser, &[("id_token_hint", &id_token)]).await;
    assert_signed_out_page(&browser, answer).await;
}

// OP-RpInitLogout-OnlyState: state alone is no reason to redirect.
async fn oidcc_rp_initiated_logout_only_state(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (browser, id_token) = signed_in(&server).await;
    let answer = logout(
        &browser,
        &[("id_token_hint", &id_token), ("state", LOGOUT_STATE)],
    )
    .await;
    assert_signed_out_page(&browser, answer).await;
}

// OP-RpInitLogout-NoState: the redirect carries no state of its own
// making. Sent by POST (§2: the OP MUST support GET and POST).
async fn oidcc_rp_initiated_logout_no_state(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (browser, id_token) = signed_in(&server).await;
    let answer = browser
        .http
        .post(browser.url("/oauth/logout"))
        .form(&[
            ("id_token_hint", id_token.as_str()),
            ("post_logout_redirect_uri", SIGNED_OUT),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&answer).as_str(), SIGNED_OUT);
    assert!(!still_signed_in(&browser).await);
}
