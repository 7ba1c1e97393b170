//! Basic OP: the ID token of the code flow and of a refresh (Core §2,
//! §3.1.3.3, §3.1.3.6-7, §12.2): `oidcc-server`, `oidcc-idtoken-rs256`,
//! `oidcc-idtoken-signature`, the nonce and scope-order items, and
//! `oidcc-refresh-token`.

use super::{assert_at_hash, code_flow, header, token_response, verify_id_token, Rp, NONCE};
use crate::common::browser::Browser;
use crate::common::{Backend, TestServer};
use jsonwebtoken::Algorithm;
use serde_json::{json, Value};

backend_tests! {
    oidcc_server,
    oidcc_idtoken_rs256,
    oidcc_idtoken_signature,
    oidcc_ensure_request_without_nonce_succeeds_for_code_flow,
    oidcc_ensure_other_scope_order_succeeds,
    oidcc_refresh_token,
}

// OP-Response-code with OP-nonce-code, VerifyState and the ID token checks
// of every code-flow test: sign in, consent, a code with `state` and `iss`,
// an ID token that verifies against the JWKS, with our nonce unchanged
// (§3.1.3.7 item 11), `at_hash` (§3.1.3.6), `auth_time` of this sign-in
// and `amr` (RFC 8176 `pwd`); no refresh token without offline_access
// (§11).
async fn oidcc_server(backend: Backend) {
    let server = TestServer::start(backend).await;
    let rp = Rp::demo();
    let browser = Browser::new(&server);
    let before = portcullis::time::now();
    let (callback, tokens, claims) = code_flow(&server, &browser, &rp, &rp.request("openid")).await;
    assert_eq!(callback.shown, [super::Shown::Login, super::Shown::Consent]);
    assert_eq!(tokens["scope"], "openid");
    assert!(tokens.get("refresh_token").is_none(), "{tokens}");
    assert_eq!(claims["nonce"], NONCE);
    assert_eq!(claims["sub"], "1", "mike's stable subject");
    let auth_time = claims["auth_time"].as_i64().unwrap();
    assert!(auth_time >= before - 1, "the sign-in just made: {claims}");
    assert_eq!(claims["amr"], json!(["pwd"]));
    // Scope claims go to the UserInfo endpoint when an access token is
    // issued (§5.4): the ID token has the protocol's claims only.
    for claim in ["name", "email", "preferred_username"] {
        assert!(claims.get(claim).is_none(), "{claim}: {claims}");
    }
}

// OP-IDToken-RS256: a client that registered no algorithm gets RS256
// (OpenID Connect Registration §2's default), from an RSA key.
async fn oidcc_idtoken_rs256(backend: Backend) {
    let server = TestServer::start(backend).await;
    let rp = Rp::openid(&server, None).await;
    let (_, tokens, _) =
        code_flow(&server, &Browser::new(&server), &rp, &rp.request("openid")).await;
    let head = header(tokens["id_token"].as_str().unwrap());
    assert_eq!(head.alg, Algorithm::RS256);
    let jwks = super::jwks(&server).await;
    let jwk = jwks.find(head.kid.as_deref().unwrap()).unwrap();
    assert!(matches!(
        jwk.algorithm,
        jsonwebtoken::jwk::AlgorithmParameters::RSA(_)
    ));
}

// OP-IDToken-Signature and OP-IDToken-kid: each algorithm a client may
// register signs its ID tokens, with a `kid` of the published set, and
// `at_hash` uses that algorithm's hash (SHA-512 for EdDSA).
async fn oidcc_idtoken_signature(backend: Backend) {
    let server = TestServer::start(backend).await;
    let browser = Browser::new(&server);
    for (name, alg) in [
        ("RS256", Algorithm::RS256),
        ("ES256", Algorithm::ES256),
        ("EdDSA", Algorithm::EdDSA),
    ] {
        let rp = Rp::openid(&server, Some(name)).await;
        let (_, tokens, claims) = code_flow(&server, &browser, &rp, &rp.request("openid")).await;
        let id_token = tokens["id_token"].as_str().unwrap();
        assert_eq!(header(id_token).alg, alg, "{name}");
        let at_hash = claims["at_hash"].as_str().unwrap();
        // Half of SHA-256 is 16 bytes, of SHA-512 32: 22 or 43 characters.
        let expected_len = if alg == Algorithm::EdDSA { 43 } else { 22 };
        assert_eq!(at_hash.len(), expected_len, "{name}");
    }
}

// OP-nonce-NoReq-code: nonce is optional in the code flow (§3.1.2.1); the
// ID token then has none.
async fn oidcc_ensure_request_without_nonce_succeeds_for_code_flow(backend: Backend) {
    let server = TestServer::start(backend).await;
    let rp = Rp::demo();
    let request = rp.request("openid").without("nonce");
    let (_, _, claims) = code_flow(&server, &Browser::new(&server), &rp, &request).await;
    assert!(claims.get("nonce").is_none(), "{claims}");
}

// Scope is a set (RFC 6749 §3.3): `openid` need not come first.
async fn oidcc_ensure_other_scope_order_succeeds(backend: Backend) {
    let server = TestServer::start(backend).await;
    let rp = Rp::demo();
    let request = rp.request("email openid");
    let (_, tokens, _) = code_flow(&server, &Browser::new(&server), &rp, &request).await;
    let scope = tokens["scope"].as_str().unwrap();
    let mut granted: Vec<&str> = scope.split(' ').collect();
    granted.sort_unstable();
    assert_eq!(granted, ["email", "openid"]);
}

/// Refreshes as `rp`.
async fn refresh(server: &TestServer, rp: &Rp, refresh_token: &str) -> reqwest::Response {
    rp.token(
        server,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ],
    )
    .await
}

fn int(claims: &Value, name: &str) -> i64 {
    claims[name].as_i64().unwrap()
}

// oidcc-refresh-token: offline_access with prompt=consent (§11) gives a
// refresh token of RFC 6749 A.17's characters; a refresh answers a new ID
// token with the same iss, sub, aud and auth_time, a new iat, no nonce
// (§12.2), and at_hash of the new access token; a client cannot use
// another client's refresh token (RFC 6749 §6, §10.4).
async fn oidcc_refresh_token(backend: Backend) {
    let server = TestServer::start(backend).await;
    let rp = Rp::openid(&server, Some("ES256")).await;
    let browser = Browser::new(&server);
    let request = rp.request("openid offline_access").set("prompt", "consent");
    let (_, tokens, first) = code_flow(&server, &browser, &rp, &request).await;
    let refresh_token = tokens["refresh_token"].as_str().expect("a refresh token");
    assert!(refresh_token.bytes().all(|b| (0x20..=0x7e).contains(&b)));

    let refreshed = token_response(refresh(&server, &rp, refresh_token).await).await;
    let id_token = refreshed["id_token"].as_str().expect("a new ID token");
    let second = verify_id_token(&server, &rp, id_token).await;
    assert_at_hash(
        id_token,
        &second,
        refreshed["access_token"].as_str().unwrap(),
    );
    for claim in ["iss", "sub", "aud", "auth_time"] {
        assert_eq!(second[claim], first[claim], "{claim}");
    }
    assert!(int(&second, "iat") >= int(&first, "iat"));
    assert!(second.get("nonce").is_none(), "{second}");
    assert_eq!(header(id_token).alg, Algorithm::ES256);
    let rotated = refreshed["refresh_token"].as_str().expect("rotated");
    assert_ne!(rotated, refresh_token);

    // The second client's refresh token, presented by the first client.
    let other = Rp::openid(&server, None).await;
    let request = other
        .request("openid offline_access")
        .set("prompt", "consent");
    let (_, other_tokens, _) = code_flow(&server, &browser, &other, &request).await;
    let others = other_tokens["refresh_token"].as_str().unwrap();
    let stolen = refresh(&server, &rp, others).await;
    assert_eq!(stolen.status(), 400);
    let error: Value = stolen.json().await.unwrap();
    assert_eq!(error["error"], "invalid_grant");
    // ... which stays the second client's to use.
    token_response(refresh(&server, &other, others).await).await;
}
