//! Hostile and malformed input gets a 4xx with an RFC error, never a 5xx,
//! a panic or a hang, and the server keeps serving (SPEC §7).

use crate::common::*;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Sends `body` to the token endpoint with a content type and optional
/// Authorization header; returns the status and JSON error code.
async fn post_raw(
    server: &TestServer,
    content_type: &str,
    authorization: Option<&str>,
    body: Vec<u8>,
) -> (u16, Value) {
    let mut request = server
        .http
        .post(server.url("/oauth/token"))
        .header("Content-Type", content_type)
        .body(body);
    if let Some(value) = authorization {
        request = request.header("Authorization", value);
    }
    let response = request.send().await.expect("an answer");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

const FORM: &str = "application/x-www-form-urlencoded";
const BASIC: &str = "Basic bWlrZV9pZDptaWtlX3NlY3JldA=="; // mike_id:mike_secret

async fn assert_invalid_request(server: &TestServer, content_type: &str, body: Vec<u8>) {
    let (status, error) = post_raw(server, content_type, Some(BASIC), body).await;
    assert_eq!(status, 400, "{error}");
    assert_eq!(error["error"], "invalid_request", "{error}");
}

async fn body_over_64_kib_is_413_json(backend: Backend) {
    let server = TestServer::start(backend).await;
    let mut body = b"grant_type=client_credentials&pad=".to_vec();
    body.resize(65 * 1024, b'a');
    let (status, error) = post_raw(&server, FORM, Some(BASIC), body).await;
    assert_eq!(status, 413);
    assert_eq!(error["error"], "invalid_request");
}

async fn invalid_utf8_is_invalid_request(backend: Backend) {
    let server = TestServer::start(backend).await;
    assert_invalid_request(
        &server,
        FORM,
        b"grant_type=password&username=%FF%FE&password=x".to_vec(),
    )
    .await;
    let mut raw = b"grant_type=password&username=".to_vec();
    raw.extend_from_slice(&[0xC3, 0x28]);
    assert_invalid_request(&server, FORM, raw).await;
}

async fn nul_byte_is_invalid_request(backend: Backend) {
    let server = TestServer::start(backend).await;
    assert_invalid_request(
        &server,
        FORM,
        b"grant_type=password&username=mi%00ke&password=pass".to_vec(),
    )
    .await;
}

async fn malformed_and_nested_json_is_invalid_request(backend: Backend) {
    let server = TestServer::start(backend).await;
    for body in [
        b"{\"grant_type\": ".to_vec(),
        b"[1,2,3]".to_vec(),
        b"{\"grant_type\": {\"a\": 1}}".to_vec(),
        "{\"a\":".repeat(10_000).into_bytes(),
        b"{\"grant_type\":\"client_credentials\",\"grant_type\":\"password\"}".to_vec(),
    ] {
        assert_invalid_request(&server, "application/json", body).await;
    }
}

async fn empty_body_is_invalid_request(backend: Backend) {
    let server = TestServer::start(backend).await;
    assert_invalid_request(&server, FORM, Vec::new()).await;
    assert_invalid_request(&server, "application/json", Vec::new()).await;
}

async fn absurdly_long_parameter_is_invalid_request(backend: Backend) {
    let server = TestServer::start(backend).await;
    let body = format!(
        "grant_type=password&username={}&password=x",
        "m".repeat(50_000)
    );
    assert_invalid_request(&server, FORM, body.into_bytes()).await;
}

async fn truncated_multipart_is_invalid_request(backend: Backend) {
    let server = TestServer::start(backend).await;
    let body =
        b"--XX\r\nContent-Disposition: form-data; name=\"grant_type\"\r\n\r\nclient_cre".to_vec();
    assert_invalid_request(&server, "multipart/form-data; boundary=XX", body).await;
    assert_invalid_request(&server, "multipart/form-data", b"--XX--".to_vec()).await;
}

async fn unsupported_content_type_is_invalid_request(backend: Backend) {
    let server = TestServer::start(backend).await;
    assert_invalid_request(
        &server,
        "text/plain",
        b"grant_type=client_credentials".to_vec(),
    )
    .await;
}

// RFC 6749 §2.3.1: unreadable Basic credentials fail client authentication.
async fn malformed_basic_credentials_are_invalid_client(backend: Backend) {
    let server = TestServer::start(backend).await;
    let body = || b"grant_type=client_credentials".to_vec();
    for header in [
        "Basic !!!not-base64!!!",
        "Basic bm9jb2xvbg==",     // "nocolon"
        "Basic //46",             // 0xFF 0xFE ":" is not UTF-8
        "Basic OnNlY3JldA==",     // ":secret", empty id
        "Basic JUZGOnNlY3JldA==", // "%FF:secret"
    ] {
        let (status, error) = post_raw(&server, FORM, Some(header), body()).await;
        assert_eq!(status, 401, "{header}: {error}");
        assert_eq!(error["error"], "invalid_client", "{header}");
    }
}

/// Writes raw bytes on a fresh connection and returns the status code of
/// the answer (or None if the server closed without one).
async fn raw_status(server: &TestServer, request: &[u8]) -> Option<u16> {
    let addr = server.base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await.ok()?;
    let _ = stream.write_all(request).await;
    let mut answer = vec![0u8; 1024];
    let read = tokio::time::timeout(std::time::Duration::from_secs(5), stream.read(&mut answer))
        .await
        .ok()?
        .ok()?;
    let text = String::from_utf8_lossy(&answer[..read]).to_string();
    text.split(' ').nth(1)?.parse().ok()
}

async fn huge_headers_and_urls_are_refused_and_server_keeps_serving(backend: Backend) {
    let server = TestServer::start(backend).await;
    let huge_header = format!(
        "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Junk: {}\r\n\r\n",
        "a".repeat(200_000)
    );
    let huge_url = format!("GET /{} HTTP/1.1\r\nHost: x\r\n\r\n", "a".repeat(200_000));
    let nul_header = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Nul: a\0b\r\n\r\n".to_vec();
    for request in [huge_header.into_bytes(), huge_url.into_bytes(), nul_header] {
        if let Some(status) = raw_status(&server, &request).await {
            assert!((400..500).contains(&status), "status {status}");
        }
    }
    let response = server
        .http
        .get(server.url("/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

backend_tests! {
    body_over_64_kib_is_413_json,
    invalid_utf8_is_invalid_request,
    nul_byte_is_invalid_request,
    malformed_and_nested_json_is_invalid_request,
    empty_body_is_invalid_request,
    absurdly_long_parameter_is_invalid_request,
    truncated_multipart_is_invalid_request,
    unsupported_content_type_is_invalid_request,
    malformed_basic_credentials_are_invalid_client,
    huge_headers_and_urls_are_refused_and_server_keeps_serving,
}
