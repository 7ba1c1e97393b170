//! Beyond the plans: consent remembered per user and client (Core
//! §3.1.2.4), asked again with `prompt=consent` or for a new scope,
//! `offline_access` (§11), and withdrawing consent at `/account`.

use super::{authorize, code_flow, signed_in_browser, AuthRequest, Rp, Shown};
use crate::common::browser::{location, query_of, Browser, Page};
use crate::common::{Backend, TestServer};

backend_tests! {
    consent_is_remembered_and_prompt_consent_asks_again,
    prompt_none_without_consent_is_consent_required,
    offline_access_needs_consent_and_gives_the_refresh_token,
    account_page_withdraws_consent_and_revokes_its_tokens,
}

/// The error of a `prompt=none` request, redirected without a page.
async fn silent_error(browser: &Browser, request: &AuthRequest) -> String {
    let answer = browser
        .get(&request.clone().set("prompt", "none").path())
        .await;
    let params = query_of(&location(&answer));
    assert_eq!(params["state"], super::STATE);
    params["error"].clone()
}

// §3.1.2.4: the OP may remember consent; prompt=consent (§3.1.2.1) asks
// again even then.
async fn consent_is_remembered_and_prompt_consent_asks_again(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (rp, browser) = (Rp::demo(), Browser::new(&server));
    let first = authorize(&server, &browser, &rp.request("openid profile")).await;
    assert_eq!(first.shown, [Shown::Login, Shown::Consent]);
    let again = authorize(&server, &browser, &rp.request("openid")).await;
    assert!(again.shown.is_empty(), "within the remembered scopes");
    let forced = rp.request("openid").set("prompt", "consent");
    let (callback, _, _) = code_flow(&server, &browser, &rp, &forced).await;
    assert_eq!(callback.shown, [Shown::Consent]);
    let wider = authorize(&server, &browser, &rp.request("openid email")).await;
    assert_eq!(wider.shown, [Shown::Consent], "a new scope is asked for");
}

// §3.1.2.6: signed in but never consented to this client: consent_required.
async fn prompt_none_without_consent_is_consent_required(backend: Backend) {
    let server = TestServer::start(backend).await;
    let browser = signed_in_browser(&server).await;
    let rp = Rp::openid(&server, None).await;
    assert_eq!(
        silent_error(&browser, &rp.request("openid")).await,
        "consent_required"
    );
}

// §11: offline_access is granted only with the user's consent to it (the
// consent page says so), and only then does an OpenID grant get a refresh
// token; a consent remembered without it does not cover it.
async fn offline_access_needs_consent_and_gives_the_refresh_token(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (rp, browser) = (Rp::demo(), Browser::new(&server));
    let (_, tokens, _) = code_flow(&server, &browser, &rp, &rp.request("openid")).await;
    assert!(tokens.get("refresh_token").is_none(), "{tokens}");
    let offline = rp.request("openid offline_access");
    assert_eq!(silent_error(&browser, &offline).await, "consent_required");

    let page = browser.page(&offline.path()).await;
    assert!(page.html.contains(r#"name="confirm""#), "{}", page.html);
    assert!(page.html.contains("keep this access while you are away"));
    let (callback, tokens, _) = code_flow(&server, &browser, &rp, &offline).await;
    assert_eq!(callback.shown, [Shown::Consent]);
    assert!(tokens["refresh_token"].is_string(), "{tokens}");
    assert_eq!(tokens["scope"], "openid offline_access");
}

// /account lists the consent and its Revoke button withdraws it: every
// token of the client's grants is revoked, and the next request asks
// again. The button is a form of ours (CSRF token checked).
async fn account_page_withdraws_consent_and_revokes_its_tokens(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (rp, browser) = (Rp::demo(), Browser::new(&server));
    let offline = rp.request("openid offline_access");
    let (_, tokens, _) = code_flow(&server, &browser, &rp, &offline).await;
    let access = tokens["access_token"].as_str().unwrap();
    let refresh = tokens["refresh_token"].as_str().unwrap();

    let account = browser.page("/account").await;
    assert_eq!(account.status, 200);
    assert!(
        account.html.contains("<code>mike_id</code>"),
        "{}",
        account.html
    );
    assert!(account.html.contains("<code>offline_access</code>"));
    let form = account.form("/account/revoke");
    assert_eq!(form.get("client_id"), Some("mike_id"));

    let forged = browser.submit(&form.clone().without("csrf_token")).await;
    assert_eq!(forged.status(), 403);
    assert!(server.is_active(access).await, "nothing revoked");

    let revoked = Page::read(browser.submit(&form).await).await;
    assert_eq!(revoked.status, 200);
    assert!(
        revoked.html.contains("can no longer act for you"),
        "{}",
        revoked.html
    );
    assert!(!server.is_active(access).await);
    assert!(!server.is_active(refresh).await);
    let userinfo = server
        .http
        .get(server.url("/oauth/userinfo"))
        .bearer_auth(access)
        .send()
        .await
        .unwrap();
    assert_eq!(userinfo.status(), 401);
    assert_eq!(
        silent_error(&browser, &rp.request("openid")).await,
        "consent_required"
    );
    let again = authorize(&server, &browser, &rp.request("openid")).await;
    assert_eq!(again.shown, [Shown::Consent]);
}
