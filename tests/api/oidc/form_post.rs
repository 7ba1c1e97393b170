//! The form post plan (`oidcc-formpost-basic-certification-test-plan`, the
//! Basic OP items with `response_mode=form_post`, OAuth 2.0 Form Post
//! Response Mode §2) and the fragment response mode (OAuth 2.0 Multiple
//! Response Type Encoding Practices §2.1).

use super::{authorize, code_flow, Rp, Shown, NONCE, STATE};
use crate::common::browser::{fragment_of, location, Browser};
use crate::common::{Backend, TestServer};

backend_tests! {
    oidcc_server_form_post,
    oidcc_prompt_none_not_logged_in_form_post,
    response_mode_fragment_puts_the_answer_in_the_fragment,
}

// oidcc-server with form_post: the answer is a page that posts code, state
// and iss to the redirect URI (§2), by a script the page's CSP allows by
// its nonce alone, to the redirect URI's origin only; it cannot be framed.
async fn oidcc_server_form_post(backend: Backend) {
    let server = TestServer::start(backend).await;
    let rp = Rp::demo();
    let request = rp.request("openid").set("response_mode", "form_post");
    let (callback, _, claims) = code_flow(&server, &Browser::new(&server), &rp, &request).await;
    assert_eq!(callback.shown, [Shown::Login, Shown::Consent]);
    assert_eq!(claims["nonce"], NONCE);
    let page = callback.form_post.expect("a form_post page");
    assert_eq!(page.status, 200);
    assert!(page.header("content-type").starts_with("text/html"));
    let form = page.form(&rp.redirect_uri);
    let mut names: Vec<&str> = form.fields.iter().map(|(n, _)| n.as_str()).collect();
    names.sort_unstable();
    assert_eq!(names, ["code", "iss", "state"]);
    assert!(
        page.html.contains(r#"<form method="post""#),
        "{}",
        page.html
    );

    let csp = page.header("content-security-policy");
    assert!(csp.contains("default-src 'none'"), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(csp.contains("form-action http://127.0.0.1:8765"), "{csp}");
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .expect("a script nonce");
    assert!(nonce.len() >= 16, "{nonce}");
    assert_eq!(page.html.matches("<script").count(), 1);
    assert!(page.html.contains(&format!(r#"<script nonce="{nonce}">"#)));
    assert_eq!(page.header("cache-control"), "no-store");
}

// oidcc-prompt-none-not-logged-in with form_post: the error is posted
// too (§2 applies to error responses alike), with state.
async fn oidcc_prompt_none_not_logged_in_form_post(backend: Backend) {
    let server = TestServer::start(backend).await;
    let request = Rp::demo()
        .request("openid")
        .set("response_mode", "form_post")
        .set("prompt", "none");
    let callback = authorize(&server, &Browser::new(&server), &request).await;
    assert!(callback.shown.is_empty());
    assert_eq!(callback.error(), "login_required");
    assert_eq!(callback.params["state"], STATE);
    assert!(callback.form_post.is_some());
}

// response_mode=fragment: code, state and iss in the fragment, nothing in
// the query.
async fn response_mode_fragment_puts_the_answer_in_the_fragment(backend: Backend) {
    let server = TestServer::start(backend).await;
    let rp = Rp::demo();
    let browser = Browser::new(&server);
    let signed_in = rp.request("openid");
    authorize(&server, &browser, &signed_in).await;
    let request = rp.request("openid").set("response_mode", "fragment");
    let url = location(&browser.get(&request.path()).await);
    assert!(url.as_str().starts_with(&rp.redirect_uri));
    assert!(url.query().is_none(), "{url}");
    let fragment = fragment_of(&url);
    assert_eq!(fragment["state"], STATE);
    assert_eq!(fragment["iss"], server.base);
    let tokens = rp.exchange(&server, &fragment["code"]).await;
    let claims = super::verify_id_token(&server, &rp, tokens["id_token"].as_str().unwrap()).await;
    assert_eq!(claims["nonce"], NONCE);
}
