//! `/metrics` after a scripted workload: the counters moved by exactly
//! what the workload did, and the text parses as Prometheus's format.

use crate::common::admin::Admin;
use crate::common::*;
use prometheus_parse::{Scrape, Value};
use reqwest::Method;

/// The value of `name` whose labels include all of `labels`.
fn value(scrape: &Scrape, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    scrape
        .samples
        .iter()
        .find(|s| s.metric == name && labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
        .map(|s| match &s.value {
            Value::Counter(v) | Value::Gauge(v) | Value::Untyped(v) => *v,
            Value::Histogram(buckets) => buckets.last().map_or(0.0, |b| b.count),
            Value::Summary(_) => f64::NAN,
        })
}

async fn scrape(admin: &Admin<'_>) -> Scrape {
    let response = admin.send(Method::GET, "/metrics", None).await;
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain; version=0.0.4"));
    let text = response.text().await.unwrap();
    Scrape::parse(text.lines().map(|l| Ok(l.to_owned()))).expect("the Prometheus text format")
}

async fn metrics_count_the_workload(backend: Backend) {
    let sqlite = matches!(backend, Backend::Sqlite);
    let server = TestServer::start_with(backend, |c| c.rate_limit_failures = 3).await;
    let admin = Admin::new(&server).await;
    for _ in 0..5 {
        server.client_credentials_token().await;
    }
    server.password_token(None).await;
    for _ in 0..4 {
        server
            .token(&[
                ("grant_type", "password"),
                ("username", "mike"),
                ("password", "wrong"),
            ])
            .await;
    }
    for _ in 0..2 {
        let wrong = server
            .http
            .post(server.url("/oauth/token"))
            .basic_auth("no-such-client", Some("x"))
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .unwrap();
        assert_eq!(wrong.status(), 401);
    }
    server
        .http
        .get(server.url("/no/such/path?code=secret"))
        .send()
        .await
        .unwrap();
    let scrape = scrape(&admin).await;
    let tokens = |grant| {
        value(
            &scrape,
            "portcullis_tokens_issued_total",
            &[("grant_type", grant)],
        )
    };
    assert_eq!(tokens("client_credentials"), Some(5.0));
    assert_eq!(tokens("password"), Some(1.0));
    let requests = |route, status| {
        value(
            &scrape,
            "portcullis_http_request_duration_seconds_count",
            &[
                ("listener", "public"),
                ("route", route),
                ("method", "POST"),
                ("status", status),
            ],
        )
    };
    assert_eq!(requests("/oauth/token", "200"), Some(6.0));
    // Three wrong passwords, then the fourth is refused by the lock-out.
    assert_eq!(requests("/oauth/token", "400"), Some(3.0));
    assert_eq!(requests("/oauth/token", "429"), Some(1.0));
    assert_eq!(requests("/oauth/token", "401"), Some(2.0));
    let unmatched = value(
        &scrape,
        "portcullis_http_request_duration_seconds_count",
        &[("route", "unmatched"), ("status", "404")],
    );
    assert_eq!(unmatched, Some(1.0));
    assert!(
        !scrape
            .samples
            .iter()
            .any(|s| s.labels.values().any(|v| v.contains("secret"))),
        "raw paths and queries never become labels"
    );
    let failures = |counter| {
        value(
            &scrape,
            "portcullis_authentication_failures_total",
            &[("counter", counter)],
        )
    };
    assert_eq!(failures("username"), Some(3.0));
    assert_eq!(failures("client_address"), Some(2.0));
    let lockouts = value(
        &scrape,
        "portcullis_lockouts_total",
        &[("counter", "username")],
    );
    assert_eq!(lockouts, Some(1.0));
    // The hashing pool is the process's, shared with the tests running
    // beside this one: its depth is exported, its value is theirs too.
    assert!(value(&scrape, "portcullis_argon2_queue_depth", &[]).is_some_and(|depth| depth >= 0.0));
    assert!(value(&scrape, "portcullis_db_pool", &[("state", "max")]).unwrap() >= 1.0);
    // The test keys were made at the start of the test binary: some
    // seconds old, never in the future, one per algorithm.
    for alg in ["RS256", "ES256", "EdDSA"] {
        let age = value(
            &scrape,
            "portcullis_signing_key_age_seconds",
            &[("alg", alg)],
        );
        assert!(
            age.is_some_and(|age| (0.0..3600.0).contains(&age)),
            "{alg}: {age:?}"
        );
    }
    if sqlite {
        let commits = value(&scrape, "portcullis_sqlite_commit_batch_size_count", &[]);
        assert!(commits.unwrap() >= 1.0, "group commits are measured");
        assert!(value(&scrape, "portcullis_sqlite_commit_seconds_count", &[]).unwrap() >= 1.0);
    }
    // The scrape itself is counted on the admin listener.
    let again = scrape_admin_count(&admin).await;
    assert!(again >= 1.0);
}

async fn scrape_admin_count(admin: &Admin<'_>) -> f64 {
    let scrape = scrape(admin).await;
    value(
        &scrape,
        "portcullis_http_request_duration_seconds_count",
        &[
            ("listener", "admin"),
            ("route", "/metrics"),
            ("status", "200"),
        ],
    )
    .unwrap_or(0.0)
}

async fn metrics_can_be_turned_off(backend: Backend) {
    let server = TestServer::start_with(backend, |c| c.metrics = false).await;
    let admin = Admin::new(&server).await;
    admin.expect(Method::GET, "/metrics", None, 404).await;
}

backend_tests! {
    metrics_count_the_workload,
    metrics_can_be_turned_off,
}
