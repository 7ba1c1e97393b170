//! The contract of users and clients, and what deleting a client takes along.

use super::*;

pub(super) async fn users_are_unique_and_found_by_name_and_id(store: &dyn Store) {
    let mike = store.create_user("mike", "h1").await.unwrap();
    let alice = store.create_user("alice", "h2").await.unwrap();
    assert_ne!(mike.id, alice.id);
    assert!(matches!(
        store.create_user("mike", "h3").await,
        Err(StoreError::Conflict)
    ));
    let found = store.user_by_name("alice").await.unwrap().unwrap();
    assert_eq!((found.id, found.password_hash.as_str()), (alice.id, "h2"));
    assert_eq!(
        store.user_by_id(mike.id).await.unwrap().unwrap().username,
        "mike"
    );
    assert!(store.user_by_name("nobody").await.unwrap().is_none());
    let listed: Vec<String> = store
        .list_users(0, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.username)
        .collect();
    assert_eq!(listed, ["mike", "alice"]);
    // A page, then the page after its last id.
    let first = store.list_users(0, 1).await.unwrap();
    assert_eq!(first[0].username, "mike");
    let next = store.list_users(first[0].id, 1).await.unwrap();
    assert_eq!(next[0].username, "alice");
    assert!(!next[0].disabled);
}

pub(super) async fn a_client_keeps_every_field(store: &dyn Store) {
    let owner = store.create_user("owner", "h").await.unwrap();
    let stored = client("c1", Registrant::User(owner.id));
    store.create_client(&stored).await.unwrap();
    let read = store.client("c1").await.unwrap().expect("the client");
    assert_eq!(format!("{read:?}"), format!("{stored:?}"));
    assert!(matches!(
        store.create_client(&stored).await,
        Err(StoreError::Conflict)
    ));
    assert!(store.client("c2").await.unwrap().is_none());
}

pub(super) async fn clients_are_listed_per_owner_and_deleted_only_by_their_owner(
    store: &dyn Store,
) {
    let mike = store.create_user("mike", "h").await.unwrap();
    let alice = store.create_user("alice", "h").await.unwrap();
    for (id, registrant) in [
        ("b", Registrant::User(mike.id)),
        ("a", Registrant::User(mike.id)),
        ("c", Registrant::User(alice.id)),
        ("d", Registrant::Operator),
    ] {
        store.create_client(&client(id, registrant)).await.unwrap();
    }
    let ids = |clients: Vec<Client>| -> Vec<String> {
        clients.into_iter().map(|c| c.client_id).collect()
    };
    assert_eq!(
        ids(store.list_clients(Some(mike.id)).await.unwrap()),
        ["a", "b"]
    );
    assert_eq!(
        ids(store.list_clients(None).await.unwrap()),
        ["a", "b", "c", "d"]
    );
    assert!(!store.delete_client("c", Some(mike.id)).await.unwrap());
    assert!(store.delete_client("c", Some(alice.id)).await.unwrap());
    assert!(store.delete_client("d", None).await.unwrap());
    assert!(!store.delete_client("d", None).await.unwrap());
    assert_eq!(ids(store.list_clients(None).await.unwrap()), ["a", "b"]);
}

pub(super) async fn deleting_a_client_takes_its_grants_tokens_and_codes(store: &dyn Store) {
    let (user, client) = user_and_client(store).await;
    let token = new_token(TokenKind::Access, NOW + 3600);
    store
        .issue_grant(
            &grant(&client.client_id, Some(user.id)),
            std::slice::from_ref(&token),
        )
        .await
        .unwrap();
    let code = new_code(&client.client_id, user.id);
    store.create_code(&code).await.unwrap();
    assert!(store.delete_client(&client.client_id, None).await.unwrap());
    assert!(store.token(&token.key).await.unwrap().is_none());
    assert!(store.code(&code.key).await.unwrap().is_none());
}

pub(super) async fn tokens_of_a_missing_client_are_revoked_and_never_revive(store: &dyn Store) {
    let (user, client) = user_and_client(store).await;
    store.delete_client(&client.client_id, None).await.unwrap();
    // Written by a request that read the client just before it went.
    let late = new_token(TokenKind::Access, NOW + 3600);
    store
        .issue_grant(
            &grant(&client.client_id, Some(user.id)),
            std::slice::from_ref(&late),
        )
        .await
        .unwrap();
    let record = store.token(&late.key).await.unwrap().expect("still stored");
    assert!(record.revoked && !record.is_active(NOW));
    store.create_client(&client).await.unwrap();
    let revived = store.token(&late.key).await.unwrap();
    assert!(revived.is_none_or(|r| !r.is_active(NOW)));
}
