//! Basic OP: what the authorization request asks of the user's session
//! (Core §3.1.2.1, §3.1.2.3, §3.1.2.6): `prompt`, `max_age`,
//! `id_token_hint`, `login_hint`, and the parameters an OP may ignore
//! (`display`, `ui_locales`, `claims_locales`, `acr_values`, unknown ones).

use super::{add_jane, code_flow, follow, AuthRequest, Rp, Shown};
use crate::common::browser::{location, query_of, Browser};
use crate::common::{Backend, TestServer};
use serde_json::Value;
use std::time::Duration;

backend_tests! {
    oidcc_prompt_login,
    prompt_login_and_max_age_0_right_after_a_sign_in_ask_again,
    oidcc_prompt_none_not_logged_in,
    oidcc_prompt_none_logged_in,
    oidcc_max_age_1,
    oidcc_max_age_10000,
    oidcc_id_token_hint,
    id_token_hint_of_another_user_is_login_required,
    oidcc_login_hint,
    oidcc_display_page,
    oidcc_display_popup,
    oidcc_ui_locales,
    oidcc_claims_locales,
    oidcc_ensure_request_with_acr_values_succeeds,
    oidcc_ensure_request_with_unknown_parameter_succeeds,
}

/// `auth_time` has whole seconds: waiting past the next second is the only
/// way for a second sign-in to have a later one.
async fn next_second() {
    tokio::time::sleep(Duration::from_millis(1_100)).await;
}

fn auth_time(claims: &Value) -> i64 {
    claims["auth_time"].as_i64().expect("auth_time")
}

/// The error a `prompt=none` request is answered with, without a page
/// (§3.1.2.6), with `state` and `iss`.
async fn silent_error(server: &TestServer, browser: &Browser, request: &AuthRequest) -> String {
    let answer = browser.get(&request.path()).await;
    assert!(answer.status().is_redirection(), "no page may be shown");
    let params = query_of(&location(&answer));
    assert_eq!(params["state"], super::STATE);
    assert_eq!(params["iss"], server.base);
    assert!(!params.contains_key("code"));
    params["error"].clone()
}

// OP-prompt-login: signed in, and still asked to sign in again; the second
// ID token has a later auth_time (CheckIdTokenAuthTimeClaimsDifferIfPresent)
// and the same subject. Consent is remembered: only the sign-in page.
async fn oidcc_prompt_login(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (rp, browser) = (Rp::demo(), Browser::new(&server));
    let (_, _, first) = code_flow(&server, &browser, &rp, &rp.request("openid")).await;
    next_second().await;
    let request = rp.request("openid").set("prompt", "login");
    let (callback, _, second) = code_flow(&server, &browser, &rp, &request).await;
    assert_eq!(callback.shown, [Shown::Login]);
    assert!(auth_time(&second) > auth_time(&first));
    assert_eq!(second["sub"], first["sub"]);
}

// What a script does (and the suite, quickly enough): a second request
// right after the first sign-in, often in the same second. prompt=login
// and max_age=0 (§3.1.2.1: the same as prompt=login) show the sign-in page
// all the same, though auth_time has whole seconds.
async fn prompt_login_and_max_age_0_right_after_a_sign_in_ask_again(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (rp, browser) = (Rp::demo(), Browser::new(&server));
    code_flow(&server, &browser, &rp, &rp.request("openid")).await;
    for (name, value) in [("prompt", "login"), ("max_age", "0")] {
        let request = rp.request("openid").set(name, value);
        let (callback, _, _) = code_flow(&server, &browser, &rp, &request).await;
        assert_eq!(callback.shown, [Shown::Login], "{name}={value}");
    }
}

// OP-prompt-none-NotLoggedIn: no session, no page: login_required.
async fn oidcc_prompt_none_not_logged_in(backend: Backend) {
    let server = TestServer::start(backend).await;
    let request = Rp::demo().request("openid").set("prompt", "none");
    let error = silent_error(&server, &Browser::new(&server), &request).await;
    assert_eq!(error, "login_required");
}

// OP-prompt-none-LoggedIn: signed in and consented: the code comes back
// at once, for the same user and sign-in.
async fn oidcc_prompt_none_logged_in(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (rp, browser) = (Rp::demo(), Browser::new(&server));
    let (_, _, first) = code_flow(&server, &browser, &rp, &rp.request("openid")).await;
    let request = rp.request("openid").set("prompt", "none");
    let (callback, _, second) = code_flow(&server, &browser, &rp, &request).await;
    assert!(callback.shown.is_empty(), "{:?}", callback.shown);
    assert_eq!(second["sub"], first["sub"]);
    assert_eq!(auth_time(&second), auth_time(&first));
}

// OP-Req-max_age=1: a sign-in older than max_age must be made again, and
// the ID token then carries the new auth_time (§3.1.2.1). The suite waits
// 2 s and sends max_age=1; auth_time has whole seconds, so after our
// 1.1 s wait the elapsed time is 1 or 2, and only max_age=0 (§3.1.2.1: the
// same as prompt=login) is exceeded for certain: the same rule, elapsed >
// max_age, at a bound we can reach in a second.
async fn oidcc_max_age_1(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (rp, browser) = (Rp::demo(), Browser::new(&server));
    let (_, _, first) = code_flow(&server, &browser, &rp, &rp.request("openid")).await;
    next_second().await;
    let request = rp.request("openid").set("max_age", "0");
    let (callback, _, second) = code_flow(&server, &browser, &rp, &request).await;
    assert_eq!(callback.shown, [Shown::Login]);
    // CheckIdTokenAuthTimeClaimPresentDueToMaxAge,
    // CheckSecondIdTokenAuthTimeIsLaterIfPresent,
    // CheckIdTokenAuthTimeIsRecentIfPresent.
    assert!(auth_time(&second) > auth_time(&first));
    assert!(auth_time(&second) >= portcullis::time::now() - 5);
}

// OP-Req-max_age=10000: a recent sign-in is good enough: no page.
async fn oidcc_max_age_10000(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (rp, browser) = (Rp::demo(), Browser::new(&server));
    let (_, _, first) = code_flow(&server, &browser, &rp, &rp.request("openid")).await;
    let request = rp.request("openid").set("max_age", "10000");
    let (callback, _, second) = code_flow(&server, &browser, &rp, &request).await;
    assert!(callback.shown.is_empty(), "{:?}", callback.shown);
    assert_eq!(auth_time(&second), auth_time(&first));
}

// OP-Req-id_token_hint: prompt=none with the ID token of the first
// authorization as the hint succeeds silently for the same user, with the
// same sub and auth_time.
async fn oidcc_id_token_hint(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (rp, browser) = (Rp::demo(), Browser::new(&server));
    let (_, tokens, first) = code_flow(&server, &browser, &rp, &rp.request("openid")).await;
    let request = rp
        .request("openid")
        .set("prompt", "none")
        .set("id_token_hint", tokens["id_token"].as_str().unwrap());
    let (callback, _, second) = code_flow(&server, &browser, &rp, &request).await;
    assert!(callback.shown.is_empty());
    assert_eq!(second["sub"], first["sub"]);
    assert_eq!(auth_time(&second), auth_time(&first));
}

// §3.1.2.1: with a hint naming another user than the signed-in one, the
// OP must not answer for the one signed in: login_required with
// prompt=none, the sign-in page otherwise. A hint that is not our ID token
// (a tampered signature) is invalid_request (§3.1.2.6).
async fn id_token_hint_of_another_user_is_login_required(backend: Backend) {
    let server = TestServer::start(backend).await;
    add_jane(&server).await;
    let rp = Rp::demo();
    let jane = Browser::new(&server);
    let response = jane.get(&rp.request("openid").path()).await;
    let callback = follow(
        &server,
        &jane,
        &rp.request("openid"),
        response,
        "jane",
        "pass",
    )
    .await;
    let tokens = rp.exchange(&server, callback.code()).await;
    let janes_hint = tokens["id_token"].as_str().unwrap();

    let mike = Browser::new(&server);
    code_flow(&server, &mike, &rp, &rp.request("openid")).await;
    let silent = rp
        .request("openid")
        .set("prompt", "none")
        .set("id_token_hint", janes_hint);
    assert_eq!(
        silent_error(&server, &mike, &silent).await,
        "login_required"
    );
    let page = mike.page(&silent.without("prompt").path()).await;
    assert_eq!(page.status, 200);
    assert!(page.html.contains(r#"name="password""#), "{}", page.html);

    let mut tampered = janes_hint.to_owned();
    let last = tampered.pop().unwrap();
    tampered.push(if last == 'A' { 'B' } else { 'A' });
    let request = rp.request("openid").set("id_token_hint", &tampered);
    assert_eq!(
        silent_error(&server, &mike, &request).await,
        "invalid_request"
    );
}

// OP-Req-login_hint: the hint pre-fills the sign-in form (§3.1.2.1); it
// chooses nothing by itself.
async fn oidcc_login_hint(backend: Backend) {
    let server = TestServer::start(backend).await;
    let rp = Rp::demo();
    let browser = Browser::new(&server);
    let request = rp.request("openid").set("login_hint", "mike");
    let page = browser.page(&request.path()).await;
    assert_eq!(page.status, 200);
    let username = page
        .html
        .split("<input")
        .find(|input| input.contains(r#"name="username""#))
        .expect("a username field");
    assert!(username.contains(r#"value="mike""#), "{username}");
    assert!(
        browser.cookie("portcullis_session").is_none(),
        "nobody signed in"
    );
    code_flow(&server, &browser, &rp, &request).await;
}

/// A request with `name=value` added completes as usual: sign-in, consent,
/// a verified ID token, whose claims it returns.
async fn succeeds_with(backend: Backend, name: &str, value: &str) -> Value {
    let server = TestServer::start(backend).await;
    let rp = Rp::demo();
    let request = rp.request("openid").set(name, value);
    let browser = Browser::new(&server);
    let (callback, _, claims) = code_flow(&server, &browser, &rp, &request).await;
    assert_eq!(callback.shown, [Shown::Login, Shown::Consent], "{name}");
    assert_eq!(claims["nonce"], super::NONCE);
    claims
}

// OP-display-page.
async fn oidcc_display_page(backend: Backend) {
    succeeds_with(backend, "display", "page").await;
}

// OP-display-popup: our pages have one layout (§3.1.2.1 leaves it to us).
async fn oidcc_display_popup(backend: Backend) {
    succeeds_with(backend, "display", "popup").await;
}

// OP-Req-ui_locales: one language, so the preference is ignored.
async fn oidcc_ui_locales(backend: Backend) {
    succeeds_with(backend, "ui_locales", "se").await;
}

// OP-Req-claims_locales (§5.2): claims have one language.
async fn oidcc_claims_locales(backend: Backend) {
    succeeds_with(backend, "claims_locales", "se").await;
}

// OP-Req-acr_values: no ACR is defined, so the voluntary request is
// ignored (§3.1.2.1) and no acr claimed.
async fn oidcc_ensure_request_with_acr_values_succeeds(backend: Backend) {
    let claims = succeeds_with(backend, "acr_values", "1 2").await;
    assert!(claims.get("acr").is_none(), "{claims}");
}

// OP-Req-NotUnderstood: unknown parameters are ignored (§3.1.2.1; RFC
// 6749 §3.1).
async fn oidcc_ensure_request_with_unknown_parameter_succeeds(backend: Backend) {
    succeeds_with(backend, "extra", "foobar").await;
}
