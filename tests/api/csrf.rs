//! Cross-site request forgery (RFC 6749 §10.12, SPEC §5): the token is tied
//! to the session under a server key, cross-origin POSTs are refused, and a
//! planted cookie is worth nothing.

use crate::common::browser::{authorize_path, code_request, Browser, Form, Page};
use crate::common::{Backend, TestServer};

backend_tests! {
    a_planted_cookie_and_matching_field_approve_nothing,
    cross_origin_posts_are_refused_even_with_a_valid_token,
    a_token_works_only_for_the_session_it_was_made_for,
    a_doubled_session_cookie_signs_nobody_in,
}

/// A signed-in browser on the consent page of the demo client.
async fn at_consent(server: &TestServer) -> (Browser, Form) {
    let browser = Browser::new(server);
    let login = browser
        .page(&authorize_path(&code_request("profile", "s")))
        .await;
    let form = login
        .form("/oauth/authorize")
        .set("username", "mike")
        .set("password", "pass");
    let consent = Page::read(browser.submit(&form).await).await;
    assert_eq!(consent.status, 200, "{}", consent.html);
    (
        browser,
        consent.form("/oauth/authorize").set("confirm", "yes"),
    )
}

// The attack the review reproduced: another site, having planted a CSRF
// cookie of its choosing, posts the victim's approval with the same value
// in the form.
async fn a_planted_cookie_and_matching_field_approve_nothing(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (victim, approval) = at_consent(&server).await;
    let session = victim.cookie("portcullis_session").expect("a session");
    let planted = "A".repeat(43);
    let forged = approval.set("csrf_token", &planted);
    let answer = server
        .http
        .post(server.url("/oauth/authorize"))
        .header(
            "Cookie",
            format!("portcullis_session={session}; portcullis_csrf={planted}"),
        )
        .form(&forged.fields)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 403);
    assert!(answer.headers().get("location").is_none());
}

// Fetch Metadata and Origin: a POST another site made the browser send is
// refused, whatever token it carries.
async fn cross_origin_posts_are_refused_even_with_a_valid_token(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (browser, approval) = at_consent(&server).await;
    for (header, value) in [
        ("Sec-Fetch-Site", "cross-site"),
        ("Sec-Fetch-Site", "same-site"),
        ("Origin", "https://evil.example"),
        ("Origin", "null"),
    ] {
        let answer = browser
            .http
            .post(browser.url("/oauth/authorize"))
            .header(header, value)
            .form(&approval.fields)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 403, "{header}: {value}");
    }
    let answer = browser
        .http
        .post(browser.url("/oauth/authorize"))
        .header("Sec-Fetch-Site", "same-origin")
        .header("Origin", &server.base)
        .form(&approval.fields)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 303, "our own page's POST is served");
}

// The token is derived from the session: one from before signing in, or
// from another session, does not pass.
async fn a_token_works_only_for_the_session_it_was_made_for(backend: Backend) {
    let server = TestServer::start(backend).await;
    let browser = Browser::new(&server);
    let login = browser
        .page(&authorize_path(&code_request("profile", "s")))
        .await;
    let before = login.form("/oauth/authorize");
    let before_token = before.get("csrf_token").expect("a token").to_owned();
    let consent = Page::read(
        browser
            .submit(&before.set("username", "mike").set("password", "pass"))
            .await,
    )
    .await;
    let approval = consent.form("/oauth/authorize").set("confirm", "yes");
    assert_ne!(approval.get("csrf_token"), Some(before_token.as_str()));
    let stale = approval.clone().set("csrf_token", &before_token);
    assert_eq!(browser.submit(&stale).await.status(), 403);

    let (_, other) = at_consent(&server).await;
    let borrowed = approval.set("csrf_token", other.get("csrf_token").expect("a token"));
    assert_eq!(browser.submit(&borrowed).await.status(), 403);
}

// Two cookies of one name mean one was planted beside ours: neither counts.
async fn a_doubled_session_cookie_signs_nobody_in(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (browser, _) = at_consent(&server).await;
    let session = browser.cookie("portcullis_session").expect("a session");
    let page = server
        .http
        .get(server.url("/"))
        .header(
            "Cookie",
            format!(
                "portcullis_session={session}; portcullis_session={}",
                "B".repeat(64)
            ),
        )
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("<h1>Sign in</h1>"), "{page}");
}
