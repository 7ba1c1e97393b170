//! Security headers on every answer.

use crate::common::*;

async fn answers_carry_nosniff(backend: Backend) {
    let server = TestServer::start(backend).await;
    for path in [
        "/healthz",
        "/api/me",
        "/.well-known/oauth-authorization-server",
        "/nowhere",
    ] {
        let response = server.http.get(server.url(path)).send().await.unwrap();
        assert_eq!(
            response.headers()["x-content-type-options"],
            "nosniff",
            "{path}"
        );
    }
}

// RFC 6797: HSTS only when the issuer is https (it is ignored over http).
async fn hsts_is_sent_only_for_an_https_issuer(backend: Backend) {
    let http_server = TestServer::start(backend.clone()).await;
    let response = http_server
        .http
        .get(http_server.url("/healthz"))
        .send()
        .await
        .unwrap();
    assert!(response
        .headers()
        .get("strict-transport-security")
        .is_none());
    let https_server =
        TestServer::start_with(backend, |c| c.set_issuer("https://auth.example.com")).await;
    let response = https_server
        .http
        .get(https_server.url("/healthz"))
        .send()
        .await
        .unwrap();
    assert!(response.headers()["strict-transport-security"]
        .to_str()
        .unwrap()
        .starts_with("max-age="));
}

/// Every answer carries a request id: a new one, or behind a trusted
/// proxy (`--trust-forwarded-for`) the proxy's, if it is plain.
async fn answers_carry_a_request_id_that_only_a_trusted_proxy_sets(backend: Backend) {
    let request_id = |server: &TestServer, sent: &'static str| {
        let request = server
            .http
            .get(server.url("/healthz"))
            .header("x-request-id", sent);
        async move {
            let answer = request.send().await.unwrap();
            answer.headers()["x-request-id"]
                .to_str()
                .unwrap()
                .to_owned()
        }
    };
    let direct = TestServer::start(backend.clone()).await;
    let generated = request_id(&direct, "from-the-client").await;
    assert_eq!(generated.len(), 32, "{generated}");
    assert_ne!(generated, request_id(&direct, "from-the-client").await);
    let proxied = TestServer::start_with(backend, |c| c.trust_forwarded_for = true).await;
    assert_eq!(request_id(&proxied, "req-42.a:b").await, "req-42.a:b");
    assert_ne!(request_id(&proxied, "bad id\"").await, "bad id\"");
}

backend_tests! {
    answers_carry_nosniff,
    hsts_is_sent_only_for_an_https_issuer,
    answers_carry_a_request_id_that_only_a_trusted_proxy_sets,
}
