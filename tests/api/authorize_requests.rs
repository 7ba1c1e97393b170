//! How authorization requests arrive and whom they may send the browser to:
//! POST like GET (OpenID Connect Core §3.1.2.1; the full POST flow is seed
//! 000's test in seeds/postman.rs), no open redirect through
//! clients nobody vouched for (RFC 9700 §4.11.2), a consent page that shows
//! what a client's name cannot fake, and `redirect_uri` at the token
//! endpoint exactly as the authorization request carried it (RFC 6749
//! §4.1.3).

use crate::common::browser::{authorize_path, code_request, location, Browser, Page, REDIRECT_URI};
use crate::common::{str_field, Backend, TestServer, CLIENT_ID};
use portcullis::oauth::registration::ClientMetadata;
use portcullis::store::Registrant;
use serde_json::Value;

backend_tests! {
    confirm_without_a_session_approves_nothing,
    errors_of_user_registered_clients_are_not_redirected_before_sign_in,
    consent_page_shows_client_id_registrant_and_punycode_host,
    redirect_uri_is_required_at_the_token_endpoint_when_the_request_had_it,
    redirect_uri_may_be_left_out_when_the_request_left_it_out,
}

/// Seed 000's Postman request: the authorization request as a form POST.
fn seed_request() -> Vec<(&'static str, &'static str)> {
    vec![
        ("response_type", "code"),
        ("client_id", CLIENT_ID),
        ("scope", "all"),
        ("redirect_uri", "http://localhost:9000/api/me"),
    ]
}

// SPEC §8: `confirm=True` without a signed-in session and our CSRF token
// never approves anything: it is an authorization request, answered with
// the login form.
async fn confirm_without_a_session_approves_nothing(backend: Backend) {
    let server = TestServer::start(backend).await;
    let mut request = seed_request();
    request.push(("confirm", "True"));
    let response = server
        .http
        .post(server.url("/oauth/authorize"))
        .form(&request)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers().get("location").is_none());
    let html = response.text().await.unwrap();
    assert!(html.contains(r#"name="password""#), "{html}");
}

/// A client registered by the user mike, as the client page does.
async fn user_client(server: &TestServer, redirect_uri: &str) -> String {
    let (id, _) = server
        .add_client_as(
            ClientMetadata {
                client_name: "Apple".into(),
                redirect_uris: vec![redirect_uri.into()],
                scope: "profile".into(),
                ..Default::default()
            },
            Registrant::User(1),
        )
        .await;
    id
}

// RFC 9700 §4.11.2: before the user has authenticated, a client nobody
// vouched for gets an error page, not a redirect to its (anyone's) URI.
async fn errors_of_user_registered_clients_are_not_redirected_before_sign_in(backend: Backend) {
    let server = TestServer::start(backend).await;
    let id = user_client(&server, "https://evil.example/landing").await;
    let path = authorize_path(&[("client_id", &id), ("response_type", "x")]);
    let browser = Browser::new(&server);
    let page = browser.page(&path).await;
    assert_eq!(page.status, 400, "{}", page.html);
    assert!(page.headers.get("location").is_none());
    assert!(page.html.contains("unsupported_response_type"));
    // The operator's clients are redirected as RFC 6749 §4.1.2.1 says.
    let path = authorize_path(&[
        ("client_id", CLIENT_ID),
        ("response_type", "x"),
        ("redirect_uri", REDIRECT_URI),
    ]);
    assert_eq!(browser.page(&path).await.status, 302);
    // Once the user has signed in, the client's own errors go back to it.
    assert_eq!(browser.sign_in("mike", "pass").await.status(), 303);
    let path = authorize_path(&[("client_id", &id), ("response_type", "x")]);
    let answer = browser.get(&path).await;
    let url = location(&answer);
    assert!(
        url.as_str().starts_with("https://evil.example/landing?"),
        "{url}"
    );
}

// SPEC §8: the consent page shows the client_id, who registered the client
// (or that nobody vouched for it), and the destination's host parsed and in
// punycode, so a Cyrillic look-alike does not read as the real name.
async fn consent_page_shows_client_id_registrant_and_punycode_host(backend: Backend) {
    let server = TestServer::start(backend).await;
    let id = user_client(&server, "https://аpple.com/callback").await;
    let browser = Browser::new(&server);
    let login = browser
        .page(&authorize_path(&[
            ("client_id", &id),
            ("response_type", "code"),
            ("scope", "profile"),
        ]))
        .await;
    let form = login
        .form("/oauth/authorize")
        .set("username", "mike")
        .set("password", "pass");
    let consent = Page::read(browser.submit(&form).await).await;
    assert_eq!(consent.status, 200, "{}", consent.html);
    assert!(consent.html.contains(&id), "shows the client_id");
    assert!(consent.html.contains("registered by the user mike"));
    assert!(consent.html.contains("unverified"));
    assert!(
        consent
            .html
            .contains("<strong class=\"host\">xn--pple-43d.com</strong>"),
        "{}",
        consent.html
    );
    // The operator's client is marked as such.
    let browser = Browser::new(&server);
    let login = browser
        .page(&authorize_path(&code_request("profile", "s")))
        .await;
    let form = login
        .form("/oauth/authorize")
        .set("username", "mike")
        .set("password", "pass");
    let consent = Page::read(browser.submit(&form).await).await;
    assert!(consent.html.contains("registered by the operator"));
    assert!(consent
        .html
        .contains("<strong class=\"host\">127.0.0.1</strong>"));
}

// RFC 6749 §4.1.3: "REQUIRED, if the redirect_uri parameter was included in
// the authorization request": even for a client with a single URI.
async fn redirect_uri_is_required_at_the_token_endpoint_when_the_request_had_it(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (id, secret) = server
        .add_client(ClientMetadata {
            client_name: "one".into(),
            redirect_uris: vec![REDIRECT_URI.into()],
            scope: "profile".into(),
            ..Default::default()
        })
        .await;
    let secret = secret.expect("a secret");
    let code = Browser::new(&server)
        .code(&[
            ("response_type", "code"),
            ("client_id", &id),
            ("redirect_uri", REDIRECT_URI),
        ])
        .await;
    let response = server
        .http
        .post(server.url("/oauth/token"))
        .basic_auth(&id, Some(&secret))
        .form(&[("grant_type", "authorization_code"), ("code", &code)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_grant");
    assert!(str_field(&body, "error_description").contains("redirect_uri"));
}

// RFC 6749 §4.1.3: a request that left redirect_uri out (the client has
// one) is exchanged without it, as seeds 001 and 003 do.
async fn redirect_uri_may_be_left_out_when_the_request_left_it_out(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (id, secret) = server
        .add_client(ClientMetadata {
            client_name: "one".into(),
            redirect_uris: vec![REDIRECT_URI.into()],
            scope: "profile".into(),
            ..Default::default()
        })
        .await;
    let secret = secret.expect("a secret");
    for with_uri in [false, true] {
        // prompt=consent: the consent given the first time is remembered.
        let code = Browser::new(&server)
            .code(&[
                ("response_type", "code"),
                ("client_id", &id),
                ("prompt", "consent"),
            ])
            .await;
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
        ];
        if with_uri {
            form.push(("redirect_uri", REDIRECT_URI));
        }
        let response = server
            .http
            .post(server.url("/oauth/token"))
            .basic_auth(&id, Some(&secret))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "with redirect_uri: {with_uri}");
    }
}
