//! What a client may be registered with, on the client page and from the
//! command line (SPEC §8): scopes the server supports, redirect URIs a
//! client controls, and no user-less tokens for clients the operator did
//! not register beyond the scopes it opened to them.

use crate::common::browser::{Browser, Form, Page};
use crate::common::process::portcullis;
use crate::common::*;
use serde_json::Value;
use std::process::Output;

/// The page's registration form for a client named `name`.
async fn page_registration(server: &TestServer, name: &str) -> (Browser, Form) {
    let browser = Browser::new(server);
    assert_eq!(browser.sign_in("mike", "pass").await.status(), 303);
    let form = browser
        .page("/")
        .await
        .form("/clients")
        .without("grant_types")
        .set("client_name", name)
        .set("redirect_uris", "")
        .set("scope", "")
        .set("token_endpoint_auth_method", "client_secret_basic");
    (browser, form)
}

fn cli_add(database_url: &str, extra: &[&str]) -> Output {
    let mut args = vec!["--json", "client", "add", "--name", "cli"];
    args.extend_from_slice(extra);
    portcullis(database_url, &args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .output()
        .expect("the binary runs")
}

async fn client_credentials(server: &TestServer, id: &str, secret: &str) -> reqwest::Response {
    server
        .http
        .post(server.url("/oauth/token"))
        .basic_auth(id, Some(secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap()
}

// SPEC §8: scopes at registration are among scopes_supported and follow
// RFC 6749 §3.3.
async fn scopes_outside_scopes_supported_are_refused(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (browser, form) = page_registration(&server, "greedy").await;
    let form = form
        .add("grant_types", "client_credentials")
        .set("scope", "profile admin:everything");
    let page = Page::read(browser.submit(&form).await).await;
    assert_eq!(page.status, 400);
    assert!(
        page.html.contains("invalid_client_metadata"),
        "{}",
        page.html
    );
    assert!(page.html.contains("admin:everything is not supported"));

    let output = cli_add(
        server.database_url(),
        &[
            "--grant-types",
            "client_credentials",
            "--scope",
            "admin:everything",
        ],
    );
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("admin:everything"));
}

// SPEC §8: a client any signed-in user registered gets no token without a
// user for scopes the operator did not open; the operator's clients do.
async fn user_registered_clients_get_no_userless_tokens_unless_opened(backend: Backend) {
    for opened in [false, true] {
        let server = TestServer::start_with(backend.clone(), |c| {
            if opened {
                c.self_registered_client_credentials_scopes = vec!["profile".into()];
            }
        })
        .await;
        let (browser, form) = page_registration(&server, "writer").await;
        let form = form
            .add("grant_types", "client_credentials")
            .set("scope", "profile restaurants:write");
        let created = Page::read(browser.submit(&form).await).await;
        assert_eq!(created.status, 201, "{}", created.html);
        let id = created.text_after("<dt>client_id</dt><dd>");
        let secret = created.text_after("<dt>client_secret</dt><dd>");
        let response = client_credentials(&server, &id, &secret).await;
        let body: Value = response.json().await.unwrap();
        if opened {
            assert_eq!(body["scope"], "profile", "only the opened scope: {body}");
        } else {
            assert_eq!(body["error"], "invalid_scope", "{body}");
        }
        let asked = server
            .http
            .post(server.url("/oauth/token"))
            .basic_auth(&id, Some(&secret))
            .form(&[
                ("grant_type", "client_credentials"),
                ("scope", "restaurants:write"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(asked.status(), 400);
    }
    // The same client from the operator's command line gets its scope.
    let server = TestServer::start(backend).await;
    let added: Value = serde_json::from_slice(
        &cli_add(
            server.database_url(),
            &[
                "--grant-types",
                "client_credentials",
                "--scope",
                "profile restaurants:write",
            ],
        )
        .stdout,
    )
    .expect("JSON");
    let response = client_credentials(
        &server,
        str_field(&added, "client_id"),
        str_field(&added, "client_secret"),
    )
    .await;
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["scope"], "profile restaurants:write");
}

// SPEC §8; RFC 8252 §7; RFC 9700 §4.1: https, http only on loopback, or a
// private-use scheme; nothing a browser would run or read locally.
async fn redirect_uris_must_be_https_loopback_or_private_use(backend: Backend) {
    let server = TestServer::start(backend).await;
    for uri in [
        "http://evil.example.com/cb",
        "vbscript:msgbox(1)",
        "file:///etc/passwd",
        "javascript:alert(1)",
        "https://*.example.com/cb",
        "https://accounts.google.com@evil.example/cb",
    ] {
        let (browser, form) = page_registration(&server, "app").await;
        let form = form
            .add("grant_types", "authorization_code")
            .set("redirect_uris", uri);
        let page = Page::read(browser.submit(&form).await).await;
        assert_eq!(page.status, 400, "{uri}");
        assert!(page.html.contains("invalid_redirect_uri"), "{uri}");
        let output = cli_add(server.database_url(), &["--redirect-uri", uri]);
        assert!(!output.status.success(), "{uri}");
    }
    for uri in [
        "https://app.example/cb",
        "http://127.0.0.1:3000/cb",
        "http://localhost:8080/cb",
        "com.example.app:/oauth2redirect",
    ] {
        let output = cli_add(server.database_url(), &["--redirect-uri", uri]);
        assert!(output.status.success(), "{uri}: {output:?}");
    }
    // Development only: --insecure-http allows plain http on any host.
    let output = cli_add(
        server.database_url(),
        &[
            "--insecure-http",
            "--redirect-uri",
            "http://dev.example.com/cb",
        ],
    );
    assert!(output.status.success(), "{output:?}");
}

backend_tests! {
    scopes_outside_scopes_supported_are_refused,
    user_registered_clients_get_no_userless_tokens_unless_opened,
    redirect_uris_must_be_https_loopback_or_private_use,
}
