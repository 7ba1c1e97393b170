use super::*;
use crate::keys::{KeyEncryptionKey, KeyRing, StoredKey};
use crate::oauth::ErrorCode;
use serde_json::json;

const ISSUER: &str = "https://op.example";

fn signed_in() -> Authentication {
    Authentication {
        user_id: 1,
        auth_time: 1_000,
        amr: vec![AuthenticationMethod::Password],
        acr: None,
    }
}

fn json_of(claims: &IdTokenClaims) -> Value {
    serde_json::to_value(claims).unwrap()
}

#[test]
fn sub_is_the_user_id_in_decimal_and_reads_back() {
    assert_eq!(subject(1), "1");
    assert_eq!(user_id(&subject(1)), Some(1));
    assert_eq!(user_id(&subject(i64::MAX)), Some(i64::MAX));
    assert!(subject(i64::MAX).len() <= 255);
}

#[test]
fn only_the_canonical_form_of_a_sub_names_a_user() {
    for sub in [
        "",
        "01",
        "+1",
        "-1",
        " 1",
        "1 ",
        "1.0",
        "1e3",
        "abc",
        "99999999999999999999",
    ] {
        assert_eq!(user_id(sub), None, "{sub:?}");
    }
}

#[test]
fn id_token_has_iss_sub_aud_exp_iat_auth_time_and_amr() {
    let claims = IdTokenClaims::new(ISSUER, "mike_id", &signed_in(), 2_000, 3_600);
    assert_eq!(
        json_of(&claims),
        json!({
            "iss": ISSUER, "sub": "1", "aud": "mike_id",
            "exp": 5_600, "iat": 2_000, "auth_time": 1_000, "amr": ["pwd"]
        })
    );
}

#[test]
fn nonce_is_echoed_unchanged_when_the_request_had_one() {
    let nonce = " n-0S6_WzA2Mj \u{e9} ";
    let claims =
        IdTokenClaims::new(ISSUER, "mike_id", &signed_in(), 2_000, 60).with_nonce(Some(nonce));
    assert_eq!(json_of(&claims)["nonce"], nonce);
    let without = IdTokenClaims::new(ISSUER, "mike_id", &signed_in(), 2_000, 60).with_nonce(None);
    assert!(json_of(&without).get("nonce").is_none());
}

#[test]
fn at_hash_is_the_left_half_hash_of_the_access_token_for_the_alg() {
    // Core Appendix A.3's access token and at_hash (RS256).
    let token = "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y";
    let claims = IdTokenClaims::new(ISSUER, "mike_id", &signed_in(), 2_000, 60)
        .with_access_token(SigningAlg::Rs256, token);
    assert_eq!(claims.at_hash.as_deref(), Some("77QmUPtjPfzWtF2AnpK9RQ"));
    let eddsa = IdTokenClaims::new(ISSUER, "mike_id", &signed_in(), 2_000, 60)
        .with_access_token(SigningAlg::EdDsa, token);
    assert_eq!(eddsa.at_hash.unwrap().len(), 43);
}

#[test]
fn aud_is_a_single_string_and_there_is_no_azp() {
    let claims = IdTokenClaims::new(ISSUER, "mike_id", &signed_in(), 2_000, 60);
    let json = json_of(&claims);
    assert_eq!(json["aud"], "mike_id");
    assert!(json.get("azp").is_none());
}

#[test]
fn acr_is_present_only_when_known() {
    let mut authentication = signed_in();
    assert!(
        json_of(&IdTokenClaims::new(ISSUER, "c", &authentication, 0, 60))
            .get("acr")
            .is_none()
    );
    authentication.acr = Some("urn:example:loa:1".into());
    assert_eq!(
        json_of(&IdTokenClaims::new(ISSUER, "c", &authentication, 0, 60))["acr"],
        "urn:example:loa:1"
    );
}

#[test]
fn released_claims_are_added_but_never_shadow_protocol_claims() {
    let mut released = Map::new();
    released.insert("email".into(), json!("jane@example.com"));
    released.insert("sub".into(), json!("2"));
    released.insert("azp".into(), json!("evil"));
    let claims =
        IdTokenClaims::new(ISSUER, "mike_id", &signed_in(), 2_000, 60).with_claims(released);
    let json = json_of(&claims);
    assert_eq!(json["email"], "jane@example.com");
    assert_eq!(json["sub"], "1");
    assert!(json.get("azp").is_none());
    // One `sub` member in the JSON text, not two.
    assert_eq!(
        serde_json::to_string(&claims)
            .unwrap()
            .matches("\"sub\"")
            .count(),
        1
    );
}

#[test]
fn a_refreshed_id_token_keeps_iss_sub_aud_and_auth_time_and_has_no_nonce() {
    let original =
        IdTokenClaims::new(ISSUER, "mike_id", &signed_in(), 2_000, 60).with_nonce(Some("n"));
    let refreshed = IdTokenClaims::refreshed(ISSUER, "mike_id", &signed_in(), 9_000, 60);
    assert_eq!(
        (
            &refreshed.iss,
            &refreshed.sub,
            &refreshed.aud,
            refreshed.auth_time
        ),
        (
            &original.iss,
            &original.sub,
            &original.aud,
            original.auth_time
        )
    );
    assert_eq!(refreshed.iat, 9_000);
    assert_eq!(refreshed.nonce, None);
}

fn hint(sub: &str, aud: Value) -> HintClaims {
    serde_json::from_value(json!({"sub": sub, "aud": aud, "iss": ISSUER, "exp": 1})).unwrap()
}

#[test]
fn a_hint_names_its_user_and_client() {
    let read = hint("7", json!("mike_id")).read(Some("mike_id")).unwrap();
    assert_eq!(
        read,
        IdTokenHint {
            user_id: 7,
            client_id: "mike_id".into()
        }
    );
    let without_client = hint("7", json!(["mike_id"])).read(None).unwrap();
    assert_eq!(without_client.client_id, "mike_id");
}

#[test]
fn a_hint_issued_to_another_client_is_invalid_request() {
    let error = hint("7", json!("mike_id")).read(Some("other")).unwrap_err();
    assert_eq!(error.code, ErrorCode::InvalidRequest);
}

#[test]
fn a_hint_naming_no_user_of_ours_or_several_audiences_is_invalid_request() {
    assert!(hint("mike", json!("mike_id")).read(None).is_err());
    assert!(hint("7", json!(["mike_id", "other"])).read(None).is_err());
}

#[test]
fn an_expired_hint_still_verifies_with_the_hint_leeway() {
    let kek = KeyEncryptionKey::random();
    let key = StoredKey::generate(SigningAlg::Es256, &kek, 0, 0).unwrap();
    let ring = KeyRing::load(vec![key], &kek).unwrap();
    let now = crate::time::now();
    let day = 24 * 60 * 60;
    let old = IdTokenClaims::new(ISSUER, "mike_id", &signed_in(), now - 30 * day, 3_600);
    let token = ring.sign(SigningAlg::Es256, None, &old, now).unwrap();
    assert!(ring.verify::<HintClaims>(&token, None, ISSUER, 0).is_err());
    let claims: HintClaims = ring
        .verify(&token, None, ISSUER, ID_TOKEN_HINT_LEEWAY)
        .unwrap();
    assert_eq!(claims.read(Some("mike_id")).unwrap().user_id, 1);
    // Still only ours: another issuer's token is refused whatever its age.
    assert!(ring
        .verify::<HintClaims>(&token, None, "https://evil.example", ID_TOKEN_HINT_LEEWAY)
        .is_err());
}
