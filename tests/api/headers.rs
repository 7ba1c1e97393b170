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

backend_tests! {
    answers_carry_nosniff,
    hsts_is_sent_only_for_an_https_issuer,
}
