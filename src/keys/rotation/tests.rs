use super::*;
use crate::keys::jwk::{Jwk, KeyUse, PublicKeyParams};
use crate::keys::KeyState;

const DAY: i64 = 86_400;
const LIFETIME: i64 = 3_600;

fn policy() -> RotationPolicy {
    RotationPolicy::new(LIFETIME)
}

/// A row for the pure rules: no real key material is needed.
fn key(kid: &str, alg: SigningAlg, created_at: i64, activates_at: i64) -> StoredKey {
    StoredKey {
        kid: kid.to_owned(),
        alg,
        public_jwk: Jwk {
            key: PublicKeyParams::ed25519(&[0; 32]),
            kid: kid.to_owned(),
            alg,
            key_use: KeyUse::Signature,
        },
        encrypted_private: Vec::new(),
        created_at,
        activates_at,
        retires_at: None,
        removes_at: None,
    }
}

fn retired(mut key: StoredKey, retires_at: i64, removes_at: i64) -> StoredKey {
    key.retires_at = Some(retires_at);
    key.removes_at = Some(removes_at);
    key
}

fn kids(keys: Vec<&StoredKey>) -> Vec<&str> {
    keys.into_iter().map(|key| key.kid.as_str()).collect()
}

#[test]
fn default_policy_publishes_a_day_ahead_and_rotates_every_90_days() {
    let policy = policy();
    assert_eq!(policy.algorithms, SigningAlg::ALL);
    assert_eq!(policy.publication_delay, DAY);
    assert_eq!(policy.rotate_after, 90 * DAY);
    assert_eq!(policy.max_token_lifetime, LIFETIME);
}

#[test]
fn first_start_creates_a_key_per_algorithm_that_signs_at_once() {
    let plan = plan_rotation(&[], 1_000, &policy());
    let created: Vec<_> = plan
        .create
        .iter()
        .map(|new| (new.alg, new.activates_at))
        .collect();
    assert_eq!(
        created,
        [
            (SigningAlg::Rs256, 1_000),
            (SigningAlg::Es256, 1_000),
            (SigningAlg::EdDsa, 1_000)
        ]
    );
    assert!(plan.retire.is_empty() && plan.delete.is_empty());
}

#[test]
fn a_young_signing_key_needs_nothing() {
    let keys = [key("a", SigningAlg::Es256, 0, 0)];
    let policy = RotationPolicy {
        algorithms: vec![SigningAlg::Es256],
        ..policy()
    };
    let plan = plan_rotation(&keys, 90 * DAY - 1, &policy);
    assert!(plan.is_empty(), "{plan:?}");
    assert!(!RotationPlan {
        delete: vec!["a".into()],
        ..RotationPlan::default()
    }
    .is_empty());
}

#[test]
fn an_old_signing_key_gets_one_successor_published_before_it_signs() {
    let policy = RotationPolicy {
        algorithms: vec![SigningAlg::Es256],
        ..policy()
    };
    let mut keys = vec![key("a", SigningAlg::Es256, 0, 0)];
    let now = 90 * DAY;
    let plan = plan_rotation(&keys, now, &policy);
    assert_eq!(
        plan.create,
        [NewKey {
            alg: SigningAlg::Es256,
            activates_at: now + DAY
        }]
    );
    assert!(plan.retire.is_empty());

    // Stored: published at once, but "a" signs until the delay is over,
    // and no second successor is planned meanwhile.
    keys.push(key("b", SigningAlg::Es256, now, now + DAY));
    for t in [now, now + DAY - 1] {
        assert_eq!(kids(published(&keys, t)), ["a", "b"]);
        assert_eq!(signing_key(&keys, SigningAlg::Es256, t).unwrap().kid, "a");
        assert!(plan_rotation(&keys, t, &policy).is_empty());
    }
    assert_eq!(
        signing_key(&keys, SigningAlg::Es256, now + DAY)
            .unwrap()
            .kid,
        "b"
    );
}

#[test]
fn a_superseded_key_is_retired_then_published_until_its_tokens_expire() {
    let policy = RotationPolicy {
        algorithms: vec![SigningAlg::Rs256],
        ..policy()
    };
    let keys = vec![
        key("old", SigningAlg::Rs256, 0, 0),
        key("new", SigningAlg::Rs256, 100, 200),
    ];
    let plan = plan_rotation(&keys, 250, &policy);
    assert_eq!(
        plan.retire,
        [Retirement {
            kid: "old".into(),
            retires_at: 250,
            removes_at: 250 + LIFETIME
        }]
    );
    assert!(plan.create.is_empty() && plan.delete.is_empty());

    let keys = vec![
        retired(keys[0].clone(), 250, 250 + LIFETIME),
        keys[1].clone(),
    ];
    assert!(plan_rotation(&keys, 250 + LIFETIME - 1, &policy).is_empty());
    assert_eq!(kids(published(&keys, 250 + LIFETIME - 1)), ["old", "new"]);
    assert_eq!(
        signing_key(&keys, SigningAlg::Rs256, 250).unwrap().kid,
        "new"
    );

    // Removed: out of the JWKS, and its row goes.
    assert_eq!(kids(published(&keys, 250 + LIFETIME)), ["new"]);
    let plan = plan_rotation(&keys, 250 + LIFETIME, &policy);
    assert_eq!(plan.delete, ["old"]);
    assert!(plan.create.is_empty() && plan.retire.is_empty());
}

#[test]
fn a_retired_key_never_signs_and_its_algorithm_gets_an_active_key() {
    let policy = RotationPolicy {
        algorithms: vec![SigningAlg::EdDsa],
        ..policy()
    };
    let keys = [retired(
        key("a", SigningAlg::EdDsa, 0, 0),
        10,
        10 + LIFETIME,
    )];
    assert!(signing_key(&keys, SigningAlg::EdDsa, 20).is_none());
    let plan = plan_rotation(&keys, 20, &policy);
    assert_eq!(
        plan.create,
        [NewKey {
            alg: SigningAlg::EdDsa,
            activates_at: 20
        }]
    );
}

#[test]
fn keys_of_an_algorithm_no_longer_configured_are_retired() {
    let policy = RotationPolicy {
        algorithms: vec![SigningAlg::Rs256],
        ..policy()
    };
    let keys = [
        key("rsa", SigningAlg::Rs256, 0, 0),
        key("ec", SigningAlg::Es256, 0, 0),
        key("ec-next", SigningAlg::Es256, 50, 500),
    ];
    let plan = plan_rotation(&keys, 100, &policy);
    let retired: Vec<_> = plan.retire.iter().map(|r| r.kid.as_str()).collect();
    assert_eq!(retired, ["ec", "ec-next"]);
    assert!(plan.create.is_empty());
}

#[test]
fn two_first_keys_at_once_resolve_to_one_signer_everywhere() {
    let policy = RotationPolicy {
        algorithms: vec![SigningAlg::Es256],
        ..policy()
    };
    let keys = [
        key("k1", SigningAlg::Es256, 5, 5),
        key("k2", SigningAlg::Es256, 5, 5),
    ];
    assert_eq!(signing_key(&keys, SigningAlg::Es256, 5).unwrap().kid, "k2");
    let plan = plan_rotation(&keys, 6, &policy);
    assert_eq!(plan.retire.len(), 1);
    assert_eq!(plan.retire[0].kid, "k1");
}

#[test]
fn rotate_now_publishes_a_successor_for_every_configured_algorithm() {
    let policy = RotationPolicy {
        algorithms: vec![SigningAlg::Rs256, SigningAlg::Es256],
        ..policy()
    };
    // A young RS256 signer, no ES256 key at all.
    let keys = [key("rsa", SigningAlg::Rs256, 0, 0)];
    let plan = rotate_now(&keys, 10, &policy);
    assert_eq!(
        plan.create,
        [
            NewKey {
                alg: SigningAlg::Es256,
                activates_at: 10
            },
            NewKey {
                alg: SigningAlg::Rs256,
                activates_at: 10 + DAY
            },
        ]
    );
}

#[test]
fn planned_keys_are_generated_with_their_activation_times() {
    let plan = RotationPlan {
        create: vec![
            NewKey {
                alg: SigningAlg::Es256,
                activates_at: 7,
            },
            NewKey {
                alg: SigningAlg::EdDsa,
                activates_at: 7 + DAY,
            },
        ],
        ..RotationPlan::default()
    };
    let keys = plan.generate_keys(&KeyEncryptionKey::random(), 7).unwrap();
    let got: Vec<_> = keys
        .iter()
        .map(|k| (k.alg, k.created_at, k.activates_at))
        .collect();
    assert_eq!(
        got,
        [(SigningAlg::Es256, 7, 7), (SigningAlg::EdDsa, 7, 7 + DAY)]
    );
}

#[test]
fn a_key_is_published_then_signing_then_retired() {
    let successor = key("b", SigningAlg::Es256, 1_000, 1_000 + DAY);
    assert_eq!(successor.state(1_000), KeyState::Published);
    assert_eq!(successor.state(1_000 + DAY), KeyState::Signing);
    let old = retired(successor, 2_000 + DAY, 2_000 + DAY + LIFETIME);
    assert_eq!(old.state(2_000 + DAY - 1), KeyState::Signing);
    assert_eq!(old.state(2_000 + DAY), KeyState::Retired);
}
