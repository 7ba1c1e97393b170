//! Audit events: each kind the server emits, produced by a real request
//! and read back from the admin API (and the command line's `audit`).

use crate::common::admin::Admin;
use crate::common::browser::{code_request, Browser, REDIRECT_URI};
use crate::common::*;
use reqwest::Method;
use serde_json::{json, Value};

async fn every_security_event_is_recorded(backend: Backend) {
    let server = TestServer::start_with(backend, |c| c.rate_limit_failures = 2).await;
    let admin = Admin::new(&server).await;
    let password = |username: &'static str, password: &'static str| {
        let server = &server;
        async move {
            server
                .token(&[
                    ("grant_type", "password"),
                    ("username", username),
                    ("password", password),
                ])
                .await
        }
    };
    // Sign-ins: one right, then wrong ones until the lock-out (of another
    // name: mike signs in below).
    let tokens: Value = password("mike", "pass").await.json().await.unwrap();
    for _ in 0..3 {
        password("ghost", "wrong-guess").await;
    }
    // The refused third guess is the lock-out, not another sign-in.
    let sign_ins = admin.events("sign_in", 3).await;
    assert_eq!(sign_ins.len(), 3);
    assert_eq!(sign_ins[0]["outcome"], "success");
    assert_eq!(sign_ins[0]["actor"], "user:1");
    assert_eq!(sign_ins[0]["client_id"], CLIENT_ID);
    assert_eq!(sign_ins[0]["address"], "127.0.0.1");
    assert_eq!(sign_ins[1]["outcome"], "failure");
    assert_eq!(sign_ins[1]["actor"], "anonymous");
    let locked = admin.events("locked_out", 1).await;
    assert_eq!(locked.len(), 1, "one event per lock-out, not per refusal");
    assert_eq!(locked[0]["detail"], "username ghost");

    // A refresh token replayed, then a revocation.
    let refresh = str_field(&tokens, "refresh_token");
    for _ in 0..2 {
        server
            .token(&[("grant_type", "refresh_token"), ("refresh_token", refresh)])
            .await;
    }
    let replayed = admin.events("refresh_token_replayed", 1).await;
    assert_eq!(replayed[0]["client_id"], CLIENT_ID);
    let machine = server.client_credentials_token().await;
    server
        .post_form(
            "/oauth/revoke",
            &[("token", str_field(&machine, "access_token"))],
        )
        .await;
    let revoked = admin.events("tokens_revoked", 1).await;
    assert_eq!(revoked[0]["actor"], format!("client:{CLIENT_ID}"));

    // Consent, and a code used twice.
    let browser = Browser::new(&server);
    let code = browser.code(&code_request("profile", "s")).await;
    let consent = admin.events("consent_given", 1).await;
    assert_eq!(consent[0]["actor"], "user:1");
    assert_eq!(consent[0]["detail"], "scope profile");
    for _ in 0..2 {
        server
            .token(&[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", REDIRECT_URI),
            ])
            .await;
    }
    admin.events("code_replayed", 1).await;

    // What the operator does through the admin API.
    let client = admin
        .expect(
            Method::POST,
            "/admin/clients",
            Some(json!({"client_name": "audited", "grant_types": ["client_credentials"]})),
            201,
        )
        .await;
    let id = str_field(&client, "client_id");
    let body = json!({"client_name": "audited 2", "grant_types": ["client_credentials"]});
    admin
        .expect(
            Method::PUT,
            &format!("/admin/clients/{id}"),
            Some(body),
            200,
        )
        .await;
    let rotate = Some(json!({}));
    admin
        .expect(
            Method::POST,
            &format!("/admin/clients/{id}/secret"),
            rotate,
            200,
        )
        .await;
    admin
        .expect(Method::DELETE, &format!("/admin/clients/{id}"), None, 204)
        .await;
    for kind in [
        "client_created",
        "client_updated",
        "client_secret_rotated",
        "client_deleted",
    ] {
        let event = &admin.events(kind, 1).await[0];
        assert_eq!(event["actor"], "admin_key:tests", "{kind}");
        assert_eq!(event["client_id"], id, "{kind}");
    }
    let user = json!({"username": "eve", "password": "long-password"});
    let user = admin
        .expect(Method::POST, "/admin/users", Some(user), 201)
        .await;
    let path = format!("/admin/users/{}", user["id"]);
    for change in [
        json!({"username": "eva"}),
        json!({"disabled": true}),
        json!({"disabled": false}),
    ] {
        admin.expect(Method::PATCH, &path, Some(change), 200).await;
    }
    for kind in [
        "user_created",
        "user_updated",
        "user_disabled",
        "user_enabled",
    ] {
        admin.events(kind, 1).await;
    }
    let used = admin.events("admin_key_used", 1).await;
    assert_eq!(used.len(), 1, "once a minute, not per request");
    for _ in 0..3 {
        let knock = server
            .http
            .get(server.admin_url("/admin/users"))
            .bearer_auth("pca_guess");
        assert_eq!(knock.send().await.unwrap().status(), 401);
    }
    assert_eq!(admin.events("admin_auth_failed", 1).await.len(), 1);
    // Filters: by time, and by an unknown kind (a problem, not a 5xx).
    let future = admin
        .expect(
            Method::GET,
            &format!("/admin/audit?since={}", i64::MAX / 2),
            None,
            200,
        )
        .await;
    assert!(future["items"].as_array().unwrap().is_empty());
    admin
        .expect(Method::GET, "/admin/audit?kind=nonsense", None, 400)
        .await;
}

async fn the_command_line_records_and_shows_events(backend: Backend) {
    let server = TestServer::start(backend).await;
    let url = server.database_url().to_owned();
    let run = |args: &[&str]| {
        let output = crate::common::process::portcullis(&url, args)
            .output()
            .expect("the binary runs");
        assert!(output.status.success(), "{args:?}");
        serde_json::from_slice::<Value>(&output.stdout).expect("JSON")
    };
    let created = run(&["--json", "admin-key", "create", "--name", "ci"]);
    let key = str_field(&created, "key").to_owned();
    assert!(key.starts_with("pca_"));
    let listed = run(&["--json", "admin-key", "list"]);
    assert_eq!(listed[0]["name"], "ci");
    assert!(
        !listed.to_string().contains(&key),
        "the list never shows a key"
    );
    let answer = server
        .http
        .get(server.admin_url("/admin/users"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    run(&["--json", "admin-key", "revoke", "ci"]);
    let revoked = server
        .http
        .get(server.admin_url("/admin/users"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 401);
    run(&[
        "--json",
        "client",
        "add",
        "--name",
        "cli",
        "--grant-types",
        "client_credentials",
    ]);
    let shown = run(&["--json", "audit", "--since", "1h"]);
    let kinds: Vec<&str> = shown
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    for kind in ["admin_key_created", "admin_key_revoked", "client_created"] {
        assert!(kinds.contains(&kind), "{kind} in {kinds:?}");
    }
    let only = run(&["--json", "audit", "--kind", "client_created"]);
    assert!(only
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["actor"] == "system"));
}

backend_tests! {
    every_security_event_is_recorded,
    the_command_line_records_and_shows_events,
}
