//! What a relying party checks of the server's JWTs, with `jsonwebtoken`
//! and `sha2` only (never the server's own code): the discovery document,
//! the JWK Set at its `jwks_uri`, signatures, ID token claims and
//! `at_hash`.

use crate::common::TestServer;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Header, Validation};
use serde_json::Value;
use sha2::{Digest, Sha256, Sha512};

use super::Rp;

/// The discovery document (Discovery §4).
pub async fn discovery(server: &TestServer) -> Value {
    get_json(server, "/.well-known/openid-configuration").await
}

pub async fn get_json(server: &TestServer, path: &str) -> Value {
    let response = server.http.get(server.url(path)).send().await.unwrap();
    assert_eq!(response.status(), 200, "{path}");
    response.json().await.expect("JSON")
}

/// The JWK Set at the discovered `jwks_uri`.
pub async fn jwks(server: &TestServer) -> JwkSet {
    let jwks_uri = discovery(server).await["jwks_uri"]
        .as_str()
        .expect("jwks_uri")
        .to_owned();
    let response = server.http.get(&jwks_uri).send().await.unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.expect("a JWK Set")
}

/// The JOSE header of a compact JWS.
pub fn header(token: &str) -> Header {
    jsonwebtoken::decode_header(token).expect("a JWS header")
}

/// Verifies a JWT of the server's as a relying party does: the `kid` of
/// its header names a key of the published JWK Set, whose algorithm is
/// the header's (never `none`, RFC 8725 §3.1); the signature, `iss` (the
/// discovered issuer), `aud` and `exp` are checked by `jsonwebtoken`.
/// Returns the claims.
pub async fn verify_jwt(server: &TestServer, token: &str, audience: &str) -> Value {
    let header = header(token);
    let kid = header.kid.as_deref().expect("a kid (OP-IDToken-kid)");
    let keys = jwks(server).await;
    let jwk = keys.find(kid).expect("the kid is published");
    let published_alg = jwk.common.key_algorithm.expect("the key names its alg");
    assert_eq!(format!("{published_alg:?}"), format!("{:?}", header.alg));
    let key = DecodingKey::from_jwk(jwk).expect("a usable key");
    let issuer = discovery(server).await["issuer"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut validation = Validation::new(header.alg);
    validation.set_audience(&[audience]);
    validation.set_issuer(&[issuer]);
    // `exp` is checked when present; ID tokens and access tokens must
    // have it (their checks below), a signed UserInfo answer need not.
    validation.set_required_spec_claims(&["iss", "aud", "sub"]);
    validation.leeway = 0;
    jsonwebtoken::decode::<Value>(token, &key, &validation)
        .unwrap_or_else(|e| panic!("the JWT does not verify: {e}"))
        .claims
}

/// Verifies an ID token issued to `rp` (Core §3.1.3.7): signature with the
/// published key, `iss`, `aud`, `exp` by [`verify_jwt`]; then `iat` is
/// now, `sub` is at most 255 ASCII characters (§2), `auth_time` is not in
/// the future, and `azp`, if any, is the client (§2). Returns the claims.
pub async fn verify_id_token(server: &TestServer, rp: &Rp, id_token: &str) -> Value {
    let head = header(id_token);
    // An ID token is a plain JWT (no `typ`, or `JWT`): never `at+jwt`.
    assert!(
        matches!(head.typ.as_deref(), None | Some("JWT")),
        "{head:?}"
    );
    let claims = verify_jwt(server, id_token, &rp.client_id).await;
    let now = portcullis::time::now();
    let int = |name: &str| {
        claims[name]
            .as_i64()
            .unwrap_or_else(|| panic!("no {name} in {claims}"))
    };
    assert!((now - 60..=now + 1).contains(&int("iat")), "{claims}");
    assert!(int("exp") > int("iat"), "{claims}");
    assert!(int("auth_time") <= now + 1, "{claims}");
    let sub = claims["sub"].as_str().expect("sub");
    assert!(!sub.is_empty() && sub.len() <= 255 && sub.is_ascii());
    assert_eq!(claims["aud"], rp.client_id.as_str(), "one audience");
    if let Some(azp) = claims.get("azp") {
        assert_eq!(azp, rp.client_id.as_str());
    }
    claims
}

/// `at_hash` as Core §3.1.3.6 defines it, computed here: base64url of the
/// left half of the hash of the access token's ASCII, with the hash of the
/// ID token's `alg` (SHA-256 for RS256 and ES256; SHA-512 for EdDSA with
/// Ed25519, as the OpenID Foundation's errata settle it).
pub fn expected_at_hash(alg: Algorithm, access_token: &str) -> String {
    let hash: Vec<u8> = match alg {
        Algorithm::RS256 | Algorithm::ES256 => Sha256::digest(access_token).to_vec(),
        Algorithm::EdDSA => Sha512::digest(access_token).to_vec(),
        other => panic!("unexpected alg {other:?}"),
    };
    URL_SAFE_NO_PAD.encode(&hash[..hash.len() / 2])
}

/// Checks the ID token's `at_hash` against the access token issued with it.
pub fn assert_at_hash(id_token: &str, claims: &Value, access_token: &str) {
    let expected = expected_at_hash(header(id_token).alg, access_token);
    assert_eq!(claims["at_hash"], expected.as_str(), "at_hash");
}
