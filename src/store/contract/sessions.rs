//! The contract of sessions, brute-force counters, the server secret and the restaurants.

use super::*;

pub(super) async fn sessions_are_found_with_their_user_and_deleted(store: &dyn Store) {
    let user = store.create_user("mike", "h").await.unwrap();
    let key = crypto::token_key(&crypto::new_token());
    store
        .create_session(&NewSession {
            key,
            user_id: user.id,
            created_at: NOW,
            expires_at: NOW + 60,
        })
        .await
        .unwrap();
    let session = store.session(&key).await.unwrap().expect("the session");
    assert_eq!(session.user_id, user.id);
    assert_eq!(session.username, "mike");
    assert_eq!((session.created_at, session.expires_at), (NOW, NOW + 60));
    store.delete_session(&key).await.unwrap();
    assert!(store.session(&key).await.unwrap().is_none());
}

pub(super) async fn attempts_count_in_windows_and_release_only_their_own(store: &dyn Store) {
    let keys = vec!["a".to_string(), "b".to_string()];
    let first = store.count_attempts(&keys, NOW, 60).await.unwrap();
    assert_eq!(
        first,
        [Failures {
            count: 1,
            window_start: NOW
        }; 2]
    );
    let second = store
        .count_attempts(&keys[..1], NOW + 10, 60)
        .await
        .unwrap();
    assert_eq!(
        second,
        [Failures {
            count: 2,
            window_start: NOW
        }]
    );
    let mut open = store.failures(&keys, NOW + 10, 60).await.unwrap();
    open.sort_by(|x, y| x.0.cmp(&y.0));
    assert_eq!(
        open,
        [
            (
                "a".to_string(),
                Failures {
                    count: 2,
                    window_start: NOW
                }
            ),
            (
                "b".to_string(),
                Failures {
                    count: 1,
                    window_start: NOW
                }
            ),
        ]
    );
    // A closed window does not show, and the next attempt opens a new one.
    assert!(store
        .failures(&keys, NOW + 60, 60)
        .await
        .unwrap()
        .is_empty());
    let reopened = store
        .count_attempts(&keys[1..], NOW + 60, 60)
        .await
        .unwrap();
    assert_eq!(
        reopened,
        [Failures {
            count: 1,
            window_start: NOW + 60
        }]
    );
    // A release counts only against the window it was taken in.
    store
        .release_attempts(&[("a".into(), NOW), ("b".into(), NOW)])
        .await
        .unwrap();
    let after = store.failures(&keys, NOW + 61, 60).await.unwrap();
    assert_eq!(
        after,
        [(
            "b".to_string(),
            Failures {
                count: 1,
                window_start: NOW + 60
            }
        )]
    );
    let released = store.failures(&keys[..1], NOW + 10, 60).await.unwrap();
    assert_eq!(
        released,
        [(
            "a".to_string(),
            Failures {
                count: 1,
                window_start: NOW
            }
        )]
    );
}

pub(super) async fn a_server_secret_is_created_once(store: &dyn Store) {
    let first = store.server_secret("csrf").await.unwrap();
    assert_eq!(first.len(), 32);
    assert_eq!(store.server_secret("csrf").await.unwrap(), first);
    assert_ne!(store.server_secret("other").await.unwrap(), first);
}

pub(super) async fn restaurants_update_by_id_or_oid_and_refuse_a_taken_name(store: &dyn Store) {
    for (oid, name) in [
        ("5aef5a2318d34d27b700b4b3", "Chez Mike"),
        ("0123456789abcdef01234567", "Crab"),
    ] {
        let restaurant = Restaurant {
            id: 0,
            oid: oid.into(),
            name: name.into(),
            address: "1 Road".into(),
            hours: OpeningHours::parse("Mon-Sat 12:00-23:00"),
        };
        store.ensure_restaurant(&restaurant).await.unwrap();
        // Idempotent: seeding twice adds nothing.
        store.ensure_restaurant(&restaurant).await.unwrap();
    }
    let listed = store.restaurants().await.unwrap();
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[0].hours.to_string(), "Mon-Sat 12:00-23:00");
    let by_oid = RestaurantKey::oid("5AEF5A2318D34D27B700B4B3").expect("an oid");
    let patch = RestaurantPatch {
        address: Some("2 Road".into()),
        ..Default::default()
    };
    let updated = store
        .update_restaurant(&by_oid, &patch)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (updated.name.as_str(), updated.address.as_str()),
        ("Chez Mike", "2 Road")
    );
    let by_id = RestaurantKey::Id(listed[1].id);
    let taken = RestaurantPatch {
        name: Some("Chez Mike".into()),
        ..Default::default()
    };
    assert!(matches!(
        store.update_restaurant(&by_id, &taken).await,
        Err(StoreError::Conflict)
    ));
    let missing = RestaurantKey::Id(i64::MAX);
    assert!(store
        .update_restaurant(&missing, &patch)
        .await
        .unwrap()
        .is_none());
}
