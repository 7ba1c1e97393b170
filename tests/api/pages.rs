//! The start page (SPEC §5): signing in and out, registering, listing and
//! deleting clients (RFC 7591 §2, §3.2), and the protections every page has.

use crate::common::browser::{set_cookie, Browser, Form, Page};
use crate::common::{Backend, TestServer};
use serde_json::Value;

backend_tests! {
    start_page_is_an_accessible_sign_in_form,
    next_after_login_stays_on_this_origin,
    client_page_registers_a_client_whose_secret_works_and_is_shown_once,
    registration_errors_are_shown_with_the_values_kept,
    another_user_cannot_delete_your_client,
    signing_out_ends_the_session_for_every_node,
    every_page_post_needs_the_csrf_token,
    stylesheet_is_served_from_the_binary,
}

/// A browser signed in as `username`, on its start page.
async fn signed_in(server: &TestServer, username: &str, password: &str) -> (Browser, Page) {
    let browser = Browser::new(server);
    let answer = browser.sign_in(username, password).await;
    assert_eq!(answer.status(), 303);
    let page = browser.page("/").await;
    assert_eq!(page.status, 200);
    assert!(page.html.contains("Your clients"), "{}", page.html);
    (browser, page)
}

// SPEC §5: usable without JavaScript, with labels, a language and a heading.
async fn start_page_is_an_accessible_sign_in_form(backend: Backend) {
    let server = TestServer::start(backend).await;
    let page = Browser::new(&server).page("/").await;
    assert_eq!(page.status, 200);
    assert!(page.header("content-type").starts_with("text/html"));
    assert!(page.html.contains(r#"<html lang="en">"#));
    assert!(page.html.contains("<h1>Sign in</h1>"));
    for field in ["username", "password"] {
        assert!(page.html.contains(&format!(r#"<label for="{field}">"#)));
        assert!(page.html.contains(&format!(r#"id="{field}""#)));
    }
    assert!(!page.html.contains("<script"));
    let csp = page.header("content-security-policy");
    assert!(csp.contains("frame-ancestors 'none'") && csp.contains("default-src 'self'"));
    assert!(page.form("/login").get("csrf_token").is_some());
}

// RFC 6749 §10.15 (open redirectors): `next` is a path on this origin.
async fn next_after_login_stays_on_this_origin(backend: Backend) {
    let server = TestServer::start(backend).await;
    for next in [
        "//evil.example",
        "/\\evil.example",
        "https://evil.example/",
        "/\t/evil.example",
    ] {
        let browser = Browser::new(&server);
        let form = browser
            .page("/")
            .await
            .form("/login")
            .set("next", next)
            .set("username", "mike")
            .set("password", "pass");
        let answer = browser.submit(&form).await;
        assert_eq!(answer.status(), 303);
        assert_eq!(answer.headers()["location"], "/", "{next:?}");
    }
    // A path of ours is kept, from the query to the form to the redirect.
    let browser = Browser::new(&server);
    let form = browser
        .page("/?next=%2Foauth%2Fauthorize%3Fstate%3Dx")
        .await
        .form("/login");
    assert_eq!(form.get("next"), Some("/oauth/authorize?state=x"));
    let form = form.set("username", "mike").set("password", "pass");
    let answer = browser.submit(&form).await;
    assert_eq!(answer.headers()["location"], "/oauth/authorize?state=x");
}

fn registration(page: &Page) -> Form {
    page.form("/clients")
        .without("grant_types")
        .set("client_name", "Reports")
        .set("client_uri", "https://reports.example")
        .set("redirect_uris", "")
        .set("scope", "profile email")
        .set("token_endpoint_auth_method", "client_secret_basic")
}

/// Lets clients registered by users get `profile` and `email` without a
/// user (SPEC §8: none by default).
fn open_profile_and_email(config: &mut portcullis::config::Config) {
    config.self_registered_client_credentials_scopes = vec!["profile".into(), "email".into()];
}

async fn client_credentials(server: &TestServer, id: &str, secret: &str) -> reqwest::Response {
    server
        .http
        .post(server.url("/oauth/token"))
        .basic_auth(id, Some(secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .expect("request")
}

// RFC 7591 §3.2.1: the client's id, its secret (once: only a hash is kept),
// the issue time, the secret's expiry (0: never) and the metadata.
async fn client_page_registers_a_client_whose_secret_works_and_is_shown_once(backend: Backend) {
    let server = TestServer::start_with(backend, open_profile_and_email).await;
    let (browser, page) = signed_in(&server, "mike", "pass").await;
    let form = registration(&page).add("grant_types", "client_credentials");
    let created = Page::read(browser.submit(&form).await).await;
    assert_eq!(created.status, 201, "{}", created.html);
    let client_id = created.text_after("<dt>client_id</dt><dd>");
    let secret = created.text_after("<dt>client_secret</dt><dd>");
    assert_eq!(secret.len(), 43);
    assert!(created.html.contains("<dt>client_id_issued_at</dt>"));
    assert_eq!(
        created.text_after("<dt>client_secret_expires_at</dt><dd>"),
        "0 (never)"
    );
    assert!(created.html.contains("client_credentials"));
    assert!(created.html.contains("profile email"));

    let token = client_credentials(&server, &client_id, &secret).await;
    assert_eq!(token.status(), 200);
    let token: Value = token.json().await.expect("JSON");
    assert_eq!(token["scope"], "profile email");

    let listed = browser.page("/").await;
    assert!(listed.html.contains(&client_id));
    assert!(
        !listed.html.contains(&secret),
        "the secret is shown only once"
    );

    let delete = listed
        .forms()
        .into_iter()
        .find(|f| f.action == "/clients/delete" && f.get("client_id") == Some(&client_id))
        .expect("a delete button for the client");
    let deleted = browser.submit(&delete).await;
    assert_eq!(deleted.status(), 303);
    assert!(!browser.page("/").await.html.contains(&client_id));
    let token = client_credentials(&server, &client_id, &secret).await;
    assert_eq!(token.status(), 401);
}

// RFC 7591 §3.2.2: invalid_redirect_uri and invalid_client_metadata, shown
// on the page with what was typed.
async fn registration_errors_are_shown_with_the_values_kept(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (browser, page) = signed_in(&server, "mike", "pass").await;
    let form = registration(&page)
        .add("grant_types", "authorization_code")
        .set("redirect_uris", "not a URL <b>");
    let answer = Page::read(browser.submit(&form).await).await;
    assert_eq!(answer.status, 400);
    assert!(answer.html.contains("invalid_redirect_uri"));
    assert!(answer.html.contains(r#"value="Reports""#));
    assert!(answer.html.contains("not a URL &lt;b&gt;</textarea>"));
    assert!(answer
        .html
        .contains(r#"value="authorization_code" checked"#));

    let form = registration(&page)
        .add("grant_types", "client_credentials")
        .set("token_endpoint_auth_method", "none");
    let answer = Page::read(browser.submit(&form).await).await;
    assert_eq!(answer.status, 400);
    assert!(answer.html.contains("invalid_client_metadata"));
    assert!(!browser.page("/").await.html.contains("<h2>Reports</h2>"));
}

async fn add_user(server: &TestServer, username: &str, password: &str) {
    let store = portcullis::store::open(server.database_url(), 1)
        .await
        .expect("open store");
    let hash = portcullis::crypto::hash_password(password.into())
        .await
        .expect("hash");
    store.create_user(username, &hash).await.expect("user");
}

// A user manages only the clients they own.
async fn another_user_cannot_delete_your_client(backend: Backend) {
    let server = TestServer::start_with(backend, open_profile_and_email).await;
    let (mike, page) = signed_in(&server, "mike", "pass").await;
    let form = registration(&page).add("grant_types", "client_credentials");
    let created = Page::read(mike.submit(&form).await).await;
    let client_id = created.text_after("<dt>client_id</dt><dd>");
    let secret = created.text_after("<dt>client_secret</dt><dd>");

    add_user(&server, "alice", "wonderland").await;
    let (alice, page) = signed_in(&server, "alice", "wonderland").await;
    assert!(!page.html.contains(&client_id), "not in her list");
    let forged = Form {
        action: "/clients/delete".into(),
        fields: vec![],
    }
    .set(
        "csrf_token",
        page.form("/clients").get("csrf_token").expect("token"),
    )
    .set("client_id", &client_id);
    let answer = Page::read(alice.submit(&forged).await).await;
    assert_eq!(answer.status, 404);
    assert!(mike.page("/").await.html.contains(&client_id));
    assert_eq!(
        client_credentials(&server, &client_id, &secret)
            .await
            .status(),
        200
    );
}

// The session lives in the store: signing out ends it for every node, and
// a copy of the old cookie is worthless.
async fn signing_out_ends_the_session_for_every_node(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (browser, page) = signed_in(&server, "mike", "pass").await;
    let session = browser.cookie("portcullis_session").expect("session");
    let answer = browser.submit(&page.form("/logout")).await;
    assert_eq!(answer.status(), 303);
    let removal = set_cookie(answer.headers(), "portcullis_session").expect("removal");
    assert!(removal.contains("Max-Age=0"), "{removal}");
    assert!(browser.page("/").await.html.contains("<h1>Sign in</h1>"));

    let replay = server
        .http
        .get(server.url("/"))
        .header("cookie", format!("portcullis_session={session}"))
        .send()
        .await
        .expect("request");
    assert!(replay
        .text()
        .await
        .expect("body")
        .contains("<h1>Sign in</h1>"));
}

// RFC 6749 §10.12 and SPEC §5: every form POST checks the CSRF token.
async fn every_page_post_needs_the_csrf_token(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (browser, page) = signed_in(&server, "mike", "pass").await;
    let empty = |action: &str| Form {
        action: action.into(),
        fields: vec![],
    };
    for form in [
        empty("/login"),
        page.form("/logout"),
        registration(&page).add("grant_types", "client_credentials"),
        empty("/clients/delete").set("client_id", "mike_id"),
    ] {
        let form = form.set("username", "mike").set("password", "pass");
        let action = form.action.clone();
        let forged = form.without("csrf_token");
        let answer = Page::read(browser.submit(&forged).await).await;
        assert_eq!(answer.status, 403, "{action}");
        assert!(answer.html.contains("did not come from this site"));
    }
    // Nothing happened: still signed in, no client registered.
    let page = browser.page("/").await;
    assert!(page.html.contains("You have no clients yet."));
}

async fn stylesheet_is_served_from_the_binary(backend: Backend) {
    let server = TestServer::start(backend).await;
    let css = server
        .http
        .get(server.url("/static/style.css"))
        .send()
        .await
        .expect("request");
    assert_eq!(css.status(), 200);
    assert!(css.headers()["content-type"]
        .to_str()
        .expect("ASCII")
        .starts_with("text/css"));
}
