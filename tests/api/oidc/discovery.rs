//! Config OP: `oidcc-discovery-endpoint-verification` (Discovery 1.0 §3,
//! §4) and the JWK Set behind its `jwks_uri` (RFC 7517 §5), plus RFC 8414's
//! document, which is the same one, and RP-Initiated Logout 1.0 §2.1's
//! `end_session_endpoint`.

use super::{discovery, get_json};
use crate::common::{Backend, TestServer};
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::DecodingKey;
use serde_json::{json, Value};
use std::collections::HashSet;

backend_tests! {
    oidcc_discovery_endpoint_verification,
    oidcc_discovery_endpoints_are_https,
    oidcc_discovery_jwks,
}

fn strings(value: &Value) -> Vec<&str> {
    value
        .as_array()
        .unwrap_or_else(|| panic!("not an array: {value}"))
        .iter()
        .map(|v| v.as_str().expect("a string"))
        .collect()
}

/// Every member of the document that is an endpoint's URL.
fn endpoints(document: &Value) -> Vec<(&str, &str)> {
    document
        .as_object()
        .unwrap()
        .iter()
        .filter(|(name, _)| name.ends_with("_endpoint") || name.ends_with("_uri"))
        .map(|(name, value)| (name.as_str(), value.as_str().expect("a URL")))
        .collect()
}

async fn oidcc_discovery_endpoint_verification(backend: Backend) {
    let server = TestServer::start(backend).await;
    let response = server
        .http
        .get(server.url("/.well-known/openid-configuration"))
        .send()
        .await
        .unwrap();
    // EnsureDiscoveryEndpointResponseStatusCodeIs200,
    // CheckDiscoveryEndpointReturnedJsonContentType (Discovery §4.2).
    assert_eq!(response.status(), 200);
    let content_type = response.headers()["content-type"].to_str().unwrap();
    assert!(
        content_type.starts_with("application/json"),
        "{content_type}"
    );
    let document: Value = response.json().await.unwrap();

    // CheckDiscEndpointIssuer (§4.3: exactly the issuer the document was
    // fetched for) and CheckDiscEndpointIssuerIsValidUrl (RFC 8414 §2:
    // no query, no fragment).
    assert_eq!(document["issuer"], server.base);
    let issuer = url::Url::parse(&server.base).unwrap();
    assert!(issuer.query().is_none() && issuer.fragment().is_none());

    // CheckDiscEndpoint{Authorization,Token,Userinfo}Endpoint, CheckJwksUri
    // and the logout plan's end_session_endpoint: absolute, ours.
    for (name, path) in [
        ("authorization_endpoint", "/oauth/authorize"),
        ("token_endpoint", "/oauth/token"),
        ("userinfo_endpoint", "/oauth/userinfo"),
        ("jwks_uri", "/oauth/jwks"),
        ("end_session_endpoint", "/oauth/logout"),
    ] {
        assert_eq!(document[name], server.url(path), "{name}");
    }

    // OIDCCCheckDiscEndpointResponseTypesSupported: `code`, and none of
    // the ID-token response types we do not offer.
    let response_types = strings(&document["response_types_supported"]);
    assert!(response_types.contains(&"code"));
    assert!(!response_types.iter().any(|t| t.contains("id_token")));
    assert!(strings(&document["response_modes_supported"]).contains(&"form_post"));
    // CheckDiscEndpointSubjectTypesSupported.
    assert_eq!(document["subject_types_supported"], json!(["public"]));
    // OIDCCCheckDiscEndpointIdTokenSigningAlgValuesSupported: RS256 is
    // mandatory (Core §15.1), `none` is never offered (so
    // oidcc-idtoken-unsigned does not apply).
    let algs = strings(&document["id_token_signing_alg_values_supported"]);
    assert_eq!(algs, ["RS256", "ES256", "EdDSA"]);
    let userinfo_algs = strings(&document["userinfo_signing_alg_values_supported"]);
    assert!(!userinfo_algs.contains(&"none"));
    // CheckDiscEndpointScopesSupportedContainsOpenId and the syntax of
    // each scope token (RFC 6749 §3.3).
    let scopes = strings(&document["scopes_supported"]);
    for scope in [
        "openid",
        "profile",
        "email",
        "address",
        "phone",
        "offline_access",
    ] {
        assert!(scopes.contains(&scope), "{scope}");
    }
    for scope in &scopes {
        assert!(!scope.is_empty() && scope.bytes().all(|b| b > 0x20 && b != b'"' && b != b'\\'));
    }
    // OIDCCCheckDiscEndpointClaimsSupported (recommended) and
    // CheckDiscEndpointClaimsParameterSupported.
    let claims = strings(&document["claims_supported"]);
    for claim in ["sub", "iss", "auth_time", "name", "email", "email_verified"] {
        assert!(claims.contains(&claim), "{claim}");
    }
    assert_eq!(document["claims_parameter_supported"], true);
    // CheckDiscEndpointRequest(Uri)ParameterSupported: both written out as
    // false (§3 makes an omitted request_uri_parameter_supported true).
    assert_eq!(document["request_parameter_supported"], false);
    assert_eq!(document["request_uri_parameter_supported"], false);
    // OIDCCCheckDiscEndpointGrantTypesSupported.
    let grants = strings(&document["grant_types_supported"]);
    assert!(grants.contains(&"authorization_code") && grants.contains(&"refresh_token"));
    // Both client authentications the Basic OP plan runs.
    let methods = strings(&document["token_endpoint_auth_methods_supported"]);
    assert!(methods.contains(&"client_secret_basic") && methods.contains(&"client_secret_post"));
    // EnsureServerConfigurationCodeChallengeMethodsSupportedIsAnArray.
    assert_eq!(
        document["code_challenge_methods_supported"],
        json!(["S256"])
    );
    assert_eq!(
        document["authorization_response_iss_parameter_supported"],
        true
    );
    assert_eq!(
        strings(&document["prompt_values_supported"]),
        ["none", "login", "consent", "select_account"]
    );

    // RFC 8414 §3 at its own address: the same document (RFC 8414 §2 lets
    // it carry OpenID Connect's members).
    let oauth = get_json(&server, "/.well-known/oauth-authorization-server").await;
    assert_eq!(oauth, document);
}

// CheckDiscEndpointAllEndpointsAreHttps: with an https issuer every
// endpoint is https, under the issuer (RFC 8414 §2).
async fn oidcc_discovery_endpoints_are_https(backend: Backend) {
    let server =
        TestServer::start_with(backend, |config| config.set_issuer("https://op.example")).await;
    let document = discovery(&server).await;
    assert_eq!(document["issuer"], "https://op.example");
    let endpoints = endpoints(&document);
    assert!(endpoints.len() >= 5, "{endpoints:?}");
    for (name, url) in endpoints {
        assert!(url.starts_with("https://op.example/"), "{name}: {url}");
    }
}

// FetchServerKeys, ValidateServerJWKs and
// EnsureServerJwksDoesNotContainPrivateOrSymmetricKeys (RFC 7517 §4-5,
// RFC 7518 §6): public signing keys only, each with a unique kid, its alg
// and `use: sig`, usable as published.
async fn oidcc_discovery_jwks(backend: Backend) {
    let server = TestServer::start(backend).await;
    let response = server
        .http
        .get(server.url("/oauth/jwks"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let headers = response.headers().clone();
    assert!(headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/json"));
    let cache = headers["cache-control"].to_str().unwrap();
    assert!(cache.contains("max-age"), "{cache}");
    let raw: Value = response.json().await.unwrap();
    let keys = raw["keys"].as_array().expect("keys");
    let mut kids = HashSet::new();
    let mut algs = HashSet::new();
    for key in keys {
        let kid = key["kid"].as_str().expect("a kid");
        assert!(kids.insert(kid), "kid {kid} twice");
        assert_eq!(key["use"], "sig", "{key}");
        let (kty, alg) = (key["kty"].as_str().unwrap(), key["alg"].as_str().unwrap());
        let expected_kty = match alg {
            "RS256" => "RSA",
            "ES256" => "EC",
            "EdDSA" => "OKP",
            other => panic!("unexpected alg {other}"),
        };
        assert_eq!(kty, expected_kty, "{key}");
        algs.insert(alg);
        // No private or symmetric key material (RFC 7518 §6.2.2, §6.3.2, §6.4).
        for private in ["d", "p", "q", "dp", "dq", "qi", "oth", "k"] {
            assert!(key.get(private).is_none(), "{private} published: {key}");
        }
    }
    assert_eq!(algs, HashSet::from(["RS256", "ES256", "EdDSA"]));
    let parsed: JwkSet = serde_json::from_value(raw).expect("a JWK Set");
    for jwk in &parsed.keys {
        DecodingKey::from_jwk(jwk).expect("a usable public key");
    }
}
