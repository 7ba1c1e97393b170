//! The contract of [`RegistrationStore`] and of what self-registration
//! adds to the other aggregates (the registrant's kind, the purge of
//! unused clients).

use super::{client, grant, new_token, NOW};
use crate::crypto;
use crate::oauth::vocabulary::{ApplicationType, AuthMethod};
use crate::store::*;
use futures::future::join_all;

fn registration(client_id: &str, registered_at: i64) -> ClientRegistration {
    ClientRegistration {
        client: Client {
            client_id_issued_at: registered_at,
            resource_server: false,
            ..client(client_id, Registrant::Dynamic)
        },
        application_type: ApplicationType::Native,
        access_token: crypto::token_key(&crypto::new_token()),
    }
}

fn initial_token(id: &str, expires_at: i64, uses_left: i64) -> InitialAccessToken {
    InitialAccessToken {
        id: id.into(),
        key: crypto::token_key(&crypto::new_token()),
        created_at: NOW,
        expires_at,
        uses_left,
    }
}

pub(super) async fn every_registrant_survives_storage(store: &dyn Store) {
    let owner = store.create_user("owner", "h").await.unwrap();
    for (id, registrant) in [
        ("operator", Registrant::Operator),
        ("user", Registrant::User(owner.id)),
        ("document", Registrant::MetadataDocument),
        ("dynamic", Registrant::Dynamic),
    ] {
        store.create_client(&client(id, registrant)).await.unwrap();
        let read = store.client(id).await.unwrap().expect("the client");
        assert_eq!(read.registrant, registrant);
    }
    // Only a user owns clients.
    let owned = store.list_clients(Some(owner.id)).await.unwrap();
    assert_eq!(owned.len(), 1);
}

pub(super) async fn an_initial_access_token_is_spent_at_most_as_often_as_it_allows(
    store: &dyn Store,
) {
    let token = initial_token("t1", NOW + 60, 2);
    store.create_initial_access_token(&token).await.unwrap();
    assert_eq!(
        store.initial_access_token(&token.key).await.unwrap(),
        Some(token.clone())
    );
    let attempts = (0..6).map(|i| {
        let registration = registration(&format!("c{i}"), NOW);
        async move {
            store
                .register_client(&registration, Some(&token.key), NOW)
                .await
                .unwrap()
        }
    });
    let created = join_all(attempts).await;
    assert_eq!(created.iter().filter(|c| **c).count(), 2, "{created:?}");
    assert_eq!(store.list_clients(None).await.unwrap().len(), 2);
    let spent = store
        .initial_access_token(&token.key)
        .await
        .unwrap()
        .unwrap();
    assert!(spent.uses_left == 0 && !spent.is_usable(NOW));
    // Expired, unknown or revoked: nothing is created.
    let expired = initial_token("t2", NOW, 5);
    store.create_initial_access_token(&expired).await.unwrap();
    let unknown = crypto::token_key(&crypto::new_token());
    for key in [expired.key, unknown] {
        let late = registration("late", NOW);
        assert!(!store.register_client(&late, Some(&key), NOW).await.unwrap());
    }
    assert!(store.client("late").await.unwrap().is_none());
    let listed: Vec<String> = store
        .list_initial_access_tokens()
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.id)
        .collect();
    assert_eq!(listed, ["t1", "t2"]);
    assert!(store.revoke_initial_access_token("t1").await.unwrap());
    assert!(!store.revoke_initial_access_token("t1").await.unwrap());
    assert!(store
        .initial_access_token(&token.key)
        .await
        .unwrap()
        .is_none());
}

pub(super) async fn a_client_registration_is_found_by_its_token_updated_and_deleted(
    store: &dyn Store,
) {
    let stored = registration("dyn", NOW);
    assert!(store.register_client(&stored, None, NOW).await.unwrap());
    let read = store
        .client_registration(&stored.access_token)
        .await
        .unwrap()
        .expect("found by its token");
    assert_eq!(format!("{read:?}"), format!("{stored:?}"));
    let unknown = crypto::token_key(&crypto::new_token());
    assert!(store.client_registration(&unknown).await.unwrap().is_none());
    // The same id twice is a conflict, and leaves the first as it was.
    assert!(matches!(
        store
            .register_client(&registration("dyn", NOW), None, NOW)
            .await,
        Err(StoreError::Conflict)
    ));

    let mut changed = stored.clone();
    changed.client.client_name = "renamed".into();
    changed.client.redirect_uris = vec!["https://new.example/cb".into()];
    changed.client.token_endpoint_auth_method = AuthMethod::None;
    changed.client.secret_hash = None;
    changed.application_type = ApplicationType::Web;
    assert!(store.update_registration(&changed).await.unwrap());
    let read = store
        .client_registration(&stored.access_token)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(format!("{read:?}"), format!("{changed:?}"));
    // Only a self-registered client is updated so.
    store
        .create_client(&client("operator", Registrant::Operator))
        .await
        .unwrap();
    let mut not_dynamic = changed.clone();
    not_dynamic.client.client_id = "operator".into();
    assert!(!store.update_registration(&not_dynamic).await.unwrap());
    assert_eq!(
        store.client("operator").await.unwrap().unwrap().client_name,
        "client operator"
    );
    // Deleting the client takes its registration, and so its token.
    assert!(store.delete_client("dyn", None).await.unwrap());
    assert!(store
        .client_registration(&stored.access_token)
        .await
        .unwrap()
        .is_none());
    assert!(!store.update_registration(&changed).await.unwrap());
}

pub(super) async fn purge_deletes_self_registered_clients_that_never_held_a_grant(
    store: &dyn Store,
) {
    let user = store.create_user("mike", "h").await.unwrap();
    for (id, registered_at) in [("unused", NOW - 100), ("used", NOW - 100), ("new", NOW)] {
        let registration = registration(id, registered_at);
        assert!(store
            .register_client(&registration, None, NOW)
            .await
            .unwrap());
    }
    let operator = Client {
        client_id_issued_at: NOW - 100,
        ..client("operator", Registrant::Operator)
    };
    store.create_client(&operator).await.unwrap();
    // "used" obtained a token, which has expired since.
    let expired = new_token(TokenKind::Access, NOW - 1);
    store
        .issue_grant(
            &grant("used", Some(user.id)),
            std::slice::from_ref(&expired),
        )
        .await
        .unwrap();
    // The expired token, its emptied grant and the unused client.
    assert_eq!(store.purge_expired(NOW, NOW - 50).await.unwrap(), 3);
    assert!(store.client("unused").await.unwrap().is_none());
    // Its grant is gone, but "used" did obtain a token: it stays.
    for kept in ["used", "new", "operator"] {
        assert!(store.client(kept).await.unwrap().is_some(), "{kept}");
    }
    assert_eq!(store.purge_expired(NOW, NOW).await.unwrap(), 1);
    assert!(store.client("new").await.unwrap().is_none());
    assert!(store.client("used").await.unwrap().is_some());
    assert_eq!(store.purge_expired(NOW, NOW).await.unwrap(), 0);
}
