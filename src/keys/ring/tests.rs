use super::*;
use crate::keys::{plan_rotation, RotationPolicy};
use serde_json::{json, Value};

const ISSUER: &str = "https://op.example";

/// One key per algorithm, active from 0.
fn keys(kek: &KeyEncryptionKey, algs: &[SigningAlg]) -> Vec<StoredKey> {
    algs.iter()
        .map(|&alg| StoredKey::generate(alg, kek, 0, 0).unwrap())
        .collect()
}

/// Claims valid for ten minutes by the system clock, which `verify` uses.
fn claims() -> Value {
    let now = crate::time::now();
    json!({"iss": ISSUER, "sub": "1", "aud": "mike_id", "iat": now, "exp": now + 600})
}

fn header(token: &str) -> Value {
    let encoded = token.split('.').next().unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(encoded).unwrap()).unwrap()
}

/// Verifies with nothing but `jsonwebtoken` and the JWK Set as published.
fn verify_independently(token: &str, jwks: &Jwks) -> Value {
    let published: jsonwebtoken::jwk::JwkSet =
        serde_json::from_str(&serde_json::to_string(jwks).unwrap()).unwrap();
    let header = jsonwebtoken::decode_header(token).unwrap();
    let jwk = published.find(header.kid.as_deref().unwrap()).unwrap();
    let key = DecodingKey::from_jwk(jwk).unwrap();
    let mut validation = Validation::new(header.alg);
    validation.set_audience(&["mike_id"]);
    jsonwebtoken::decode::<Value>(token, &key, &validation)
        .unwrap()
        .claims
}

#[test]
fn each_algorithm_signs_and_verifies_with_kid_and_alg_in_the_header() {
    let kek = KeyEncryptionKey::random();
    let ring = KeyRing::load(keys(&kek, &SigningAlg::ALL), &kek).unwrap();
    let claims = claims();
    for alg in SigningAlg::ALL {
        let token = ring.sign(alg, None, &claims, 1).unwrap();
        let kid = &signing_key(&ring.keys, alg, 1).unwrap().kid;
        assert_eq!(header(&token), json!({"alg": alg.as_str(), "kid": kid}));
        let verified: Value = ring.verify(&token, None, ISSUER, 0).unwrap();
        assert_eq!(verified, claims);
        assert_eq!(verify_independently(&token, &ring.jwks(1)), claims);

        // RFC 7518 §3.3-3.4, RFC 8037 §3.1: 256-byte RSA, 64-byte r ‖ s and Ed25519.
        let signature = URL_SAFE_NO_PAD
            .decode(token.rsplit('.').next().unwrap())
            .unwrap();
        let expected = if alg == SigningAlg::Rs256 { 256 } else { 64 };
        assert_eq!(signature.len(), expected, "{alg}");
    }
}

#[test]
fn typ_is_written_when_given_and_must_match_on_verification() {
    let kek = KeyEncryptionKey::random();
    let ring = KeyRing::load(keys(&kek, &[SigningAlg::Es256]), &kek).unwrap();
    let access_token = ring
        .sign(SigningAlg::Es256, Some("at+jwt"), &claims(), 1)
        .unwrap();
    assert_eq!(header(&access_token)["typ"], "at+jwt");
    for typ in ["at+jwt", "application/at+JWT"] {
        assert!(ring
            .verify::<Value>(&access_token, Some(typ), ISSUER, 0)
            .is_ok());
    }
    // An access token is not an ID token, nor the reverse.
    assert!(ring
        .verify::<Value>(&access_token, None, ISSUER, 0)
        .is_err());
    let id_token = ring
        .sign(SigningAlg::Es256, Some("JWT"), &claims(), 1)
        .unwrap();
    assert!(ring.verify::<Value>(&id_token, None, ISSUER, 0).is_ok());
    assert!(ring
        .verify::<Value>(&id_token, Some("at+jwt"), ISSUER, 0)
        .is_err());
}

#[test]
fn verification_refuses_other_issuers_expired_and_unknown_tokens() {
    let kek = KeyEncryptionKey::random();
    let ring = KeyRing::load(keys(&kek, &[SigningAlg::EdDsa]), &kek).unwrap();
    let sign = |claims: &Value| ring.sign(SigningAlg::EdDsa, None, claims, 1).unwrap();
    let refused = |token: &str| {
        matches!(
            ring.verify::<Value>(token, None, ISSUER, 30),
            Err(KeyError::InvalidToken(_))
        )
    };

    let mut other_issuer = claims();
    other_issuer["iss"] = json!("https://evil.example");
    assert!(refused(&sign(&other_issuer)));
    let mut no_issuer = claims();
    no_issuer.as_object_mut().unwrap().remove("iss");
    assert!(refused(&sign(&no_issuer)));
    let mut expired = claims();
    expired["exp"] = json!(crate::time::now() - 31);
    assert!(refused(&sign(&expired)));
    let mut no_expiry = claims();
    no_expiry.as_object_mut().unwrap().remove("exp");
    assert!(refused(&sign(&no_expiry)));
    let mut not_yet = claims();
    not_yet["nbf"] = json!(crate::time::now() + 300);
    assert!(refused(&sign(&not_yet)));
    // Within the leeway, an expired token still passes.
    let mut just_expired = claims();
    just_expired["exp"] = json!(crate::time::now() - 5);
    assert!(ring
        .verify::<Value>(&sign(&just_expired), None, ISSUER, 30)
        .is_ok());

    let other_ring = KeyRing::load(keys(&kek, &[SigningAlg::EdDsa]), &kek).unwrap();
    let foreign = other_ring
        .sign(SigningAlg::EdDsa, None, &claims(), 1)
        .unwrap();
    assert!(refused(&foreign));

    let token = sign(&claims());
    let (signed, _) = token.rsplit_once('.').unwrap();
    let mut tampered = claims();
    tampered["sub"] = json!("2");
    let forged = format!(
        "{}.{}.{}",
        signed.split('.').next().unwrap(),
        URL_SAFE_NO_PAD.encode(tampered.to_string()),
        token.rsplit('.').next().unwrap()
    );
    for bad in ["", "a.b.c", "not a token", &forged, signed] {
        assert!(refused(bad), "{bad}");
    }
}

#[test]
fn alg_none_and_algorithm_swaps_are_refused() {
    let kek = KeyEncryptionKey::random();
    let ring = KeyRing::load(keys(&kek, &[SigningAlg::Rs256, SigningAlg::Es256]), &kek).unwrap();
    let token = ring.sign(SigningAlg::Rs256, None, &claims(), 1).unwrap();
    let rsa_kid = header(&token)["kid"].as_str().unwrap().to_owned();
    let payload = token.split('.').nth(1).unwrap();
    let with_header =
        |header: Value| format!("{}.{payload}", URL_SAFE_NO_PAD.encode(header.to_string()));

    let unsigned = with_header(json!({"alg": "none", "kid": rsa_kid})) + ".";
    // HS256 keyed with the public modulus: the classic confusion attack.
    let hmac_input = with_header(json!({"alg": "HS256", "kid": rsa_kid}));
    let hmac = aws_lc_rs::hmac::sign(
        &aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, rsa_kid.as_bytes()),
        hmac_input.as_bytes(),
    );
    let hmac_token = format!("{hmac_input}.{}", URL_SAFE_NO_PAD.encode(hmac));
    // ES256 claimed for the RSA key's kid.
    let es256 = ring.sign(SigningAlg::Es256, None, &claims(), 1).unwrap();
    let swapped = format!(
        "{}.{}",
        with_header(json!({"alg": "ES256", "kid": rsa_kid})),
        es256.rsplit('.').next().unwrap()
    );
    for bad in [unsigned, hmac_token, swapped] {
        assert!(
            ring.verify::<Value>(&bad, None, ISSUER, 0).is_err(),
            "{bad}"
        );
    }
}

#[test]
fn a_token_signed_before_rotation_verifies_after_it_until_its_key_is_removed() {
    let kek = KeyEncryptionKey::random();
    let policy = RotationPolicy {
        algorithms: vec![SigningAlg::Es256],
        ..RotationPolicy::new(3_600)
    };
    // First start at t = 0.
    let mut stored = plan_rotation(&[], 0, &policy)
        .generate_keys(&kek, 0)
        .unwrap();
    let before = KeyRing::load(stored.clone(), &kek).unwrap();
    let old_token = before.sign(SigningAlg::Es256, None, &claims(), 10).unwrap();
    let old_kid = stored[0].kid.clone();

    // 90 days later a successor is published; a day after that it signs.
    let rotation = policy.rotate_after;
    stored.extend(
        plan_rotation(&stored, rotation, &policy)
            .generate_keys(&kek, rotation)
            .unwrap(),
    );
    let activated = rotation + policy.publication_delay;
    let plan = plan_rotation(&stored, activated, &policy);
    assert_eq!(plan.retire.len(), 1);
    stored[0].retires_at = Some(plan.retire[0].retires_at);
    stored[0].removes_at = Some(plan.retire[0].removes_at);
    // A retired key is never decrypted again.
    stored[0].encrypted_private = b"no longer needed".to_vec();

    let after = KeyRing::load(stored.clone(), &kek).unwrap();
    let new_token = after
        .sign(SigningAlg::Es256, None, &claims(), activated)
        .unwrap();
    assert_ne!(header(&new_token)["kid"], json!(old_kid));
    let published = after.jwks(activated);
    assert_eq!(published.keys.len(), 2);
    for token in [&old_token, &new_token] {
        assert_eq!(verify_independently(token, &published), claims_of(token));
        assert!(after.verify::<Value>(token, None, ISSUER, 0).is_ok());
    }

    let removed = plan.retire[0].removes_at;
    let published = after.jwks(removed);
    assert_eq!(published.keys.len(), 1);
    assert!(published.keys.iter().all(|jwk| jwk.kid != old_kid));
}

fn claims_of(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

#[test]
fn loading_under_another_kek_fails_with_the_clear_error() {
    let stored = keys(&KeyEncryptionKey::random(), &[SigningAlg::EdDsa]);
    let error = KeyRing::load(stored, &KeyEncryptionKey::random()).unwrap_err();
    assert!(error
        .to_string()
        .starts_with("the key-encryption key does not match the stored signing keys"));
}

#[test]
fn signing_without_a_key_of_that_algorithm_fails() {
    let kek = KeyEncryptionKey::random();
    let ring = KeyRing::load(keys(&kek, &[SigningAlg::EdDsa]), &kek).unwrap();
    assert!(matches!(
        ring.sign(SigningAlg::Es256, None, &claims(), 1),
        Err(KeyError::NoSigningKey(SigningAlg::Es256))
    ));
    // Nor before the key activates.
    let late = vec![StoredKey::generate(SigningAlg::EdDsa, &kek, 0, 100).unwrap()];
    let ring = KeyRing::load(late, &kek).unwrap();
    assert!(ring.sign(SigningAlg::EdDsa, None, &claims(), 99).is_err());
    assert!(ring.sign(SigningAlg::EdDsa, None, &claims(), 100).is_ok());
}

#[test]
fn a_thousand_es256_tokens_all_verify() {
    let kek = KeyEncryptionKey::random();
    let ring = KeyRing::load(keys(&kek, &[SigningAlg::Es256]), &kek).unwrap();
    let mut claims = claims();
    for n in 0..1_000 {
        claims["nonce"] = json!(n);
        let token = ring.sign(SigningAlg::Es256, None, &claims, 1).unwrap();
        assert_eq!(
            ring.verify::<Value>(&token, None, ISSUER, 0).unwrap(),
            claims
        );
    }
}

#[test]
fn ring_is_shareable_and_its_debug_shows_only_kids() {
    fn shareable<T: Send + Sync>() {}
    shareable::<KeyRing>();
    let kek = KeyEncryptionKey::random();
    let stored = keys(&kek, &[SigningAlg::Es256]);
    let kid = stored[0].kid.clone();
    let shown = format!("{:?}", KeyRing::load(stored, &kek).unwrap());
    assert!(shown.contains(&kid) && shown.contains("Es256"));
    assert!(!shown.contains("encrypted") && !shown.contains("private"));
}
