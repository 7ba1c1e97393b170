//! Client ID Metadata Documents end to end, on SQLite and PostgreSQL
//! (draft-ietf-oauth-client-id-metadata-document; MCP authorization
//! 2025-11-25, "Client ID Metadata Documents"): a client that registered
//! nowhere uses the https URL of its document as its client_id. The
//! document is served over TLS from 127.0.0.1 by the test server of
//! tests/metadata_document/server.rs, whose test certificate authority
//! Portcullis is configured to trust (`--metadata-document-ca`), with
//! 127.0.0.1 on the allow-list (`--metadata-document-allow`); without it
//! the same URL is refused before any connection (§8.6, SSRF).

#[path = "api/common/mod.rs"]
#[macro_use]
mod common;
#[path = "metadata_document/server.rs"]
#[allow(dead_code)]
mod server;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use common::browser::{authorize_path, location, query_of, Browser, Page};
use common::{str_field, Backend, TestServer};
use serde_json::{json, Value};
use server::TestServer as DocumentServer;
use sha2::{Digest, Sha256};
use std::io::Write;

/// The document's redirect URI: a native MCP client's loopback listener.
const REDIRECT_URI: &str = "http://127.0.0.1:33421/callback";
const DOCUMENT_PATH: &str = "/oauth/client-metadata.json";

/// Serves the metadata document of a public MCP client at DOCUMENT_PATH;
/// returns its URL, the client_id.
fn serve_document(documents: &DocumentServer) -> String {
    let client_id = documents.url(DOCUMENT_PATH);
    let document = json!({
        "client_id": client_id,
        "client_name": "Document-described MCP client",
        "client_uri": documents.url("/"),
        "redirect_uris": [REDIRECT_URI],
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "token_endpoint_auth_method": "none",
    });
    documents.route(
        DOCUMENT_PATH,
        server::json(&document, &["Cache-Control: max-age=300"]),
    );
    client_id
}

/// The test CA, in a PEM file for `metadata_document_ca`.
fn ca_file(documents: &DocumentServer) -> tempfile::NamedTempFile {
    let mut file = tempfile::NamedTempFile::new().expect("a temporary file");
    file.write_all(documents.ca_pem.as_bytes())
        .expect("write the CA");
    file
}

/// A Portcullis that accepts metadata documents and trusts the test CA;
/// 127.0.0.1 is on its allow-list when `allow` says so.
async fn portcullis(backend: Backend, ca: &tempfile::NamedTempFile, allow: bool) -> TestServer {
    let ca = ca.path().to_owned();
    TestServer::start_with(backend, move |config| {
        config.client_metadata_documents = Some(true);
        config.metadata_document_ca = Some(ca);
        config.metadata_document_allow = if allow {
            vec!["127.0.0.1".parse().expect("an allow-list entry")]
        } else {
            Vec::new()
        };
    })
    .await
}

/// RFC 7636 §4.2: (verifier, S256 challenge).
fn pkce() -> (String, String) {
    let verifier = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    (verifier, challenge)
}

async fn a_document_url_is_a_client_id_without_any_registration(backend: Backend) {
    let documents = DocumentServer::start().await;
    let client_id = serve_document(&documents);
    let ca = ca_file(&documents);
    let server = portcullis(backend, &ca, true).await;
    let store = portcullis::store::open(server.database_url(), 1)
        .await
        .expect("open the store");
    assert!(
        store.client(&client_id).await.unwrap().is_none(),
        "nothing is registered beforehand"
    );

    // The authorization request, as an MCP client sends it (PKCE, resource).
    let (verifier, challenge) = pkce();
    let api = server.url("/api");
    let browser = Browser::new(&server);
    let path = authorize_path(&[
        ("response_type", "code"),
        ("client_id", &client_id),
        ("redirect_uri", REDIRECT_URI),
        ("scope", "profile"),
        ("state", "cimd-state"),
        ("code_challenge", &challenge),
        ("code_challenge_method", "S256"),
        ("resource", &api),
    ]);
    let login = browser.page(&path).await;
    assert_eq!(login.status, 200, "{}", login.html);
    let form = login
        .form("/oauth/authorize")
        .set("username", "mike")
        .set("password", "pass");
    let consent = Page::read(browser.submit(&form).await).await;
    assert_eq!(consent.status, 200, "{}", consent.html);
    // The consent page names the client by its document and says where
    // the user will be sent (the redirect URI's host), and that nobody
    // vouched for it.
    assert!(consent.html.contains("Document-described MCP client"));
    assert_eq!(consent.text_after("<dt>Application</dt>"), client_id);
    assert_eq!(
        consent.text_after("<dt>You will be sent to</dt>"),
        "127.0.0.1"
    );
    assert!(consent.html.contains("unverified"), "{}", consent.html);
    let approved = browser
        .submit(&consent.form("/oauth/authorize").set("confirm", "yes"))
        .await;
    let callback = location(&approved);
    assert_eq!(
        &callback[..url::Position::AfterPath],
        REDIRECT_URI,
        "sent to the document's redirect URI"
    );
    let params = query_of(&callback);
    assert_eq!(params["state"], "cimd-state");
    assert_eq!(params["iss"], server.base);

    // A public client: no secret, the verifier proves it (RFC 7636 §4.5).
    let response = server
        .http
        .post(server.url("/oauth/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &params["code"]),
            ("redirect_uri", REDIRECT_URI),
            ("client_id", &client_id),
            ("code_verifier", &verifier),
            ("resource", &api),
        ])
        .send()
        .await
        .unwrap();
    let status = response.status();
    let tokens: Value = response.json().await.unwrap();
    assert_eq!(status, 200, "{tokens}");
    assert_eq!(tokens["scope"], "profile");
    let access = str_field(&tokens, "access_token");

    // The token works at the resource it was asked for, for this client.
    let called = server
        .http
        .get(&api)
        .bearer_auth(access)
        .send()
        .await
        .unwrap();
    assert_eq!(called.status(), 200);
    let answer: Value = called.json().await.unwrap();
    assert_eq!(answer["client_id"], client_id.as_str(), "{answer}");
    assert_eq!(answer["username"], "mike", "{answer}");

    // And a refresh, also without a secret, rotates as for any client.
    let refreshed = server
        .http
        .post(server.url("/oauth/token"))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", str_field(&tokens, "refresh_token")),
            ("client_id", &client_id),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(refreshed.status(), 200);

    // Kept as a client row (for its grants), marked as described by a
    // document, and fetched once: the cache headers held it for the rest.
    let kept = store.client(&client_id).await.unwrap().expect("stored");
    assert_eq!(
        kept.registrant,
        portcullis::store::Registrant::MetadataDocument
    );
    assert_eq!(documents.requests(DOCUMENT_PATH), 1);
}

async fn a_loopback_document_without_the_allow_list_is_refused_unfetched(backend: Backend) {
    let documents = DocumentServer::start().await;
    let client_id = serve_document(&documents);
    let ca = ca_file(&documents);
    let server = portcullis(backend, &ca, false).await;
    let (_, challenge) = pkce();

    // At the authorization endpoint: an error page for the user, never a
    // redirect to the document's redirect URI (RFC 6749 §4.1.2.1: the
    // client is not known to be what it says).
    let page = Browser::new(&server)
        .page(&authorize_path(&[
            ("response_type", "code"),
            ("client_id", &client_id),
            ("redirect_uri", REDIRECT_URI),
            ("state", "s"),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
        ]))
        .await;
    assert_eq!(page.status, 400, "{}", page.html);
    assert!(page.headers.get("location").is_none());
    assert!(page.html.contains("could not be fetched"), "{}", page.html);
    assert!(page.html.contains("special-use address"), "{}", page.html);

    // At the token endpoint: invalid_client, saying why.
    let response = server
        .http
        .post(server.url("/oauth/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", "anything"),
            ("redirect_uri", REDIRECT_URI),
            ("client_id", &client_id),
            ("code_verifier", &"v".repeat(43)),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_client", "{body}");
    assert!(
        str_field(&body, "error_description").contains("special-use address"),
        "{body}"
    );

    // Nothing reached the document's server, not even a TCP connection.
    assert_eq!(documents.connections(), 0);
    let store = portcullis::store::open(server.database_url(), 1)
        .await
        .unwrap();
    assert!(store.client(&client_id).await.unwrap().is_none());
}

backend_tests!(
    a_document_url_is_a_client_id_without_any_registration,
    a_loopback_document_without_the_allow_list_is_refused_unfetched,
);
