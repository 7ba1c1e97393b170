//! Client ID Metadata Documents fetched from a real https server on
//! 127.0.0.1 (draft-ietf-oauth-client-id-metadata-document-02 §5, §8.6,
//! §8.7): what is fetched, cached and refused, and what never reaches the
//! network.

#[path = "metadata_document/server.rs"]
mod server;

use portcullis::oauth::registration::metadata_document::{FetchPolicy, MetadataDocumentFetcher};
use portcullis::oauth::registration::RegistrationPolicy;
use portcullis::oauth::{ErrorCode, OAuthError};
use portcullis::store::{Client, Registrant};
use serde_json::{json, Value};
use server::{answer, chunked, json, Reply, TestServer};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

fn document(server: &TestServer, path: &str) -> Value {
    json!({
        "client_id": server.url(path),
        "client_name": "Test MCP client",
        "redirect_uris": ["http://127.0.0.1:3000/callback"],
        "token_endpoint_auth_method": "none"
    })
}

/// A fetcher that trusts the test CA and, with `allow`, 127.0.0.1.
fn fetcher(
    server: &TestServer,
    allow: bool,
    tune: impl FnOnce(&mut FetchPolicy),
) -> MetadataDocumentFetcher {
    let mut policy = FetchPolicy {
        allow: if allow {
            vec!["127.0.0.1".parse().unwrap()]
        } else {
            Vec::new()
        },
        extra_root_certificates: vec![server.ca_pem.clone()],
        timeout: Duration::from_secs(5),
        ..FetchPolicy::default()
    };
    tune(&mut policy);
    MetadataDocumentFetcher::new(policy).unwrap()
}

async fn fetch(fetcher: &MetadataDocumentFetcher, client_id: &str) -> Result<Client, OAuthError> {
    let scopes = vec!["profile".to_owned()];
    let policy = RegistrationPolicy {
        scopes_supported: &scopes,
        insecure_http: false,
    };
    fetcher.client(client_id, &policy).await
}

async fn refusal(fetcher: &MetadataDocumentFetcher, client_id: &str) -> String {
    let error = fetch(fetcher, client_id).await.unwrap_err();
    assert_eq!(error.code, ErrorCode::InvalidClient, "{error}");
    error.description.into_owned()
}

#[tokio::test]
async fn a_valid_document_is_fetched_validated_and_cached() {
    let server = TestServer::start().await;
    server.route(
        "/client",
        json(
            &document(&server, "/client"),
            &["Cache-Control: max-age=600"],
        ),
    );
    let fetcher = fetcher(&server, true, |_| {});
    let client = fetch(&fetcher, &server.url("/client")).await.unwrap();
    assert_eq!(client.client_id, server.url("/client"));
    assert_eq!(client.client_name, "Test MCP client");
    assert_eq!(client.registrant, Registrant::MetadataDocument);
    assert!(client.is_public());
    let again = fetch(&fetcher, &server.url("/client")).await.unwrap();
    assert_eq!(again.redirect_uris, client.redirect_uris);
    assert_eq!(server.requests("/client"), 1);
}

#[tokio::test]
async fn concurrent_requests_share_one_fetch() {
    let server = TestServer::start().await;
    let reply = json(&document(&server, "/client"), &[]);
    server.route(
        "/client",
        Reply::Slow(Duration::from_millis(300), Box::new(reply)),
    );
    let fetcher = Arc::new(fetcher(&server, true, |_| {}));
    let url = server.url("/client");
    let tasks: Vec<_> = (0..5)
        .map(|_| {
            let (fetcher, url) = (fetcher.clone(), url.clone());
            tokio::spawn(async move { fetch(&fetcher, &url).await.is_ok() })
        })
        .collect();
    for task in tasks {
        assert!(task.await.unwrap());
    }
    assert_eq!(server.requests("/client"), 1);
}

#[tokio::test]
async fn without_the_allow_list_loopback_is_never_connected_to() {
    let server = TestServer::start().await;
    server.route("/client", json(&document(&server, "/client"), &[]));
    let fetcher = fetcher(&server, false, |_| {});
    let description = refusal(&fetcher, &server.url("/client")).await;
    assert!(
        description.contains("could not be fetched"),
        "{description}"
    );
    assert!(description.contains("special-use address"), "{description}");
    let localhost = format!("https://localhost:{}/client", server.addr.port());
    assert!(refusal(&fetcher, &localhost).await.contains("this machine"));
    assert_eq!(server.connections(), 0);
}

/// Only loopback forms here: were the check to break, a test must not send
/// a packet anywhere else. Private, link-local and metadata addresses
/// (10.0.0.1, 169.254.169.254, …) are refused by the same check, tested
/// without any I/O in the `address` unit tests.
#[tokio::test]
async fn internal_and_non_https_urls_are_refused_before_any_connection() {
    let server = TestServer::start().await;
    let fetcher = fetcher(&server, false, |_| {});
    let port = server.addr.port();
    for url in [
        format!("http://127.0.0.1:{port}/client"),
        format!("https://127.0.0.2:{port}/client"),
        format!("https://[::1]:{port}/client"),
        format!("https://[::ffff:7f00:1]:{port}/client"),
        format!("https://[::ffff:127.0.0.1]:{port}/client"),
        format!("https://localhost:{port}/client"),
        format!("https://0.0.0.0:{port}/client"),
    ] {
        let started = std::time::Instant::now();
        let description = refusal(&fetcher, &url).await;
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "{url} took the network"
        );
        assert!(
            ["special-use", "this machine", "not a client identifier URL"]
                .iter()
                .any(|why| description.contains(why)),
            "{url}: {description}"
        );
    }
    assert_eq!(server.connections(), 0);
}

#[tokio::test]
async fn a_redirect_is_refused_and_its_target_never_requested() {
    let server = TestServer::start().await;
    server.route("/client", json(&document(&server, "/client"), &[]));
    let location = format!("Location: {}", server.url("/client"));
    server.route("/moved", answer("302 Found", &[&location], b""));
    let fetcher = fetcher(&server, true, |_| {});
    let description = refusal(&fetcher, &server.url("/moved")).await;
    assert!(
        description.contains("redirect (302 Found)"),
        "{description}"
    );
    assert_eq!(server.requests("/moved"), 1);
    assert_eq!(server.requests("/client"), 0);
}

#[tokio::test]
async fn oversized_documents_are_refused_however_they_are_framed() {
    let server = TestServer::start().await;
    let mut big = document(&server, "/big");
    big["padding"] = json!("x".repeat(6 * 1024));
    let big_body = big.to_string().into_bytes();
    let ct = "Content-Type: application/json";
    server.route("/big", answer("200 OK", &[ct], &big_body));
    let chunked_head = [ct, "Transfer-Encoding: chunked"];
    server.route(
        "/big-chunked",
        answer("200 OK", &chunked_head, &chunked(&big_body)),
    );
    // No length at all: the body runs until the connection closes.
    let mut unframed = format!("HTTP/1.1 200 OK\r\n{ct}\r\nConnection: close\r\n\r\n").into_bytes();
    unframed.extend_from_slice(&big_body);
    server.route("/big-unframed", Reply::Raw(unframed));
    server.route("/endless", Reply::Endless);
    let fetcher = fetcher(&server, true, |_| {});
    for path in ["/big", "/big-chunked", "/big-unframed", "/endless"] {
        let description = refusal(&fetcher, &server.url(path)).await;
        assert!(
            description.contains("larger than 5 KiB"),
            "{path}: {description}"
        );
    }
    // The endless body was abandoned, not buffered.
    let written = server.counters.endless_bytes.load(Ordering::SeqCst);
    assert!(written < 16 * 1024 * 1024, "{written} bytes were written");

    // A Content-Length smaller than the body: only that much is read.
    let lying = answer("200 OK", &[ct, "Content-Length: 40"], &big_body);
    server.route("/lying", lying);
    assert!(refusal(&fetcher, &server.url("/lying"))
        .await
        .contains("not a JSON object"));

    // Just under the limit is fine.
    let mut small = document(&server, "/small");
    small["padding"] = json!("x".repeat(4 * 1024));
    server.route("/small", json(&small, &[]));
    assert!(fetch(&fetcher, &server.url("/small")).await.is_ok());
}

#[tokio::test]
async fn a_document_for_another_url_is_refused() {
    let server = TestServer::start().await;
    server.route("/copy", json(&document(&server, "/client"), &[]));
    let fetcher = fetcher(&server, true, |_| {});
    let description = refusal(&fetcher, &server.url("/copy")).await;
    assert!(
        description.contains("its client_id does not equal its URL"),
        "{description}"
    );
}

#[tokio::test]
async fn invalid_documents_are_refused_and_not_cached() {
    let server = TestServer::start().await;
    let mut secret = document(&server, "/secret");
    secret["token_endpoint_auth_method"] = json!("client_secret_basic");
    server.route("/secret", json(&secret, &["Cache-Control: max-age=600"]));
    let mut script = document(&server, "/script");
    script["redirect_uris"] = json!(["javascript:alert(1)"]);
    server.route("/script", json(&script, &[]));
    let mut fragment = document(&server, "/fragment");
    fragment["redirect_uris"] = json!(["https://app.example/cb#x"]);
    server.route("/fragment", json(&fragment, &[]));
    let mut grant = document(&server, "/grant");
    grant["grant_types"] = json!(["authorization_code", "urn:example:unknown"]);
    server.route("/grant", json(&grant, &[]));
    server.route(
        "/text",
        answer("200 OK", &["Content-Type: text/html"], b"<html>"),
    );
    server.route("/gone", answer("404 Not Found", &[], b""));
    let fetcher = fetcher(&server, true, |_| {});
    for (path, why) in [
        ("/secret", "shared secret"),
        ("/script", "redirect URI javascript:alert(1)"),
        ("/fragment", "fragment"),
        ("/grant", "grant type urn:example:unknown is not allowed"),
        ("/text", "content type is text/html"),
        ("/gone", "HTTP status 404"),
    ] {
        let description = refusal(&fetcher, &server.url(path)).await;
        assert!(description.contains(why), "{path}: {description}");
    }
    refusal(&fetcher, &server.url("/secret")).await;
    assert_eq!(server.requests("/secret"), 2);
}

#[tokio::test]
async fn an_unknown_certificate_authority_is_refused() {
    let server = TestServer::start().await;
    server.route("/client", json(&document(&server, "/client"), &[]));
    let fetcher = fetcher(&server, true, |policy| {
        policy.extra_root_certificates.clear()
    });
    let description = refusal(&fetcher, &server.url("/client")).await;
    assert!(description.contains("certificate"), "{description}");
    assert_eq!(server.requests("/client"), 0);
}

#[tokio::test]
async fn the_cache_honors_max_age_and_no_store() {
    let server = TestServer::start().await;
    server.route(
        "/short",
        json(&document(&server, "/short"), &["Cache-Control: max-age=1"]),
    );
    server.route(
        "/never",
        json(&document(&server, "/never"), &["Cache-Control: no-store"]),
    );
    let fetcher = fetcher(&server, true, |policy| {
        policy.min_cache = Duration::from_secs(1)
    });
    for _ in 0..2 {
        fetch(&fetcher, &server.url("/short")).await.unwrap();
        fetch(&fetcher, &server.url("/never")).await.unwrap();
    }
    assert_eq!(server.requests("/short"), 1);
    assert_eq!(server.requests("/never"), 2);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    fetch(&fetcher, &server.url("/short")).await.unwrap();
    assert_eq!(server.requests("/short"), 2);
}

#[tokio::test]
async fn the_cache_is_bounded() {
    let server = TestServer::start().await;
    for path in ["/a", "/b", "/c"] {
        server.route(
            path,
            json(&document(&server, path), &["Cache-Control: max-age=600"]),
        );
    }
    let fetcher = fetcher(&server, true, |policy| policy.cache_capacity = 2);
    for path in ["/a", "/b", "/c", "/c", "/a"] {
        fetch(&fetcher, &server.url(path)).await.unwrap();
    }
    // /a was the least recently used when /c came in.
    assert_eq!(server.requests("/a"), 2);
    assert_eq!(server.requests("/c"), 1);
}
