//! The contract of RFC 8707's rows: registered resources, the resources a
//! code and its grant remember, the audience of each token.

use super::*;

pub(super) async fn resources_are_registered_replaced_and_deleted(store: &dyn Store) {
    let api = Resource {
        identifier: API.into(),
        scope: "profile".into(),
        created_at: NOW,
    };
    store.put_resource(&api).await.unwrap();
    let rescoped = Resource {
        scope: "profile email".into(),
        created_at: NOW + 5,
        ..api.clone()
    };
    store.put_resource(&rescoped).await.unwrap();
    let read = store.resource(API).await.unwrap().expect("registered");
    assert_eq!(read.scope, "profile email", "put replaces the scopes");
    assert_eq!(read.created_at, NOW, "and keeps when it was registered");
    assert!(store.resource(OTHER_API).await.unwrap().is_none());
    assert_eq!(store.list_resources().await.unwrap(), [read]);
    assert!(store.delete_resource(API).await.unwrap());
    assert!(!store.delete_resource(API).await.unwrap());
    assert!(store.list_resources().await.unwrap().is_empty());
}

pub(super) async fn resources_travel_from_code_to_grant_and_audiences_to_tokens(store: &dyn Store) {
    let (user, client) = user_and_client(store).await;
    let code = new_code(&client.client_id, user.id);
    store.create_code(&code).await.unwrap();
    let read = store.code(&code.key).await.unwrap().unwrap();
    assert_eq!(read.resources, [API, OTHER_API]);
    let access = NewToken {
        audience: vec![API.into()],
        ..new_token(TokenKind::Access, NOW + 60)
    };
    let refresh = new_token(TokenKind::Refresh, NOW + 60);
    let remembered = NewGrant {
        resources: read.resources.clone(),
        ..grant(&client.client_id, Some(user.id))
    };
    store
        .exchange_code(&code.key, &remembered, &[access.clone(), refresh.clone()])
        .await
        .unwrap();
    let token = store.token(&access.key).await.unwrap().unwrap();
    assert_eq!(token.audience, [API]);
    assert_eq!(token.grant_resources, [API, OTHER_API]);
    let token = store.token(&refresh.key).await.unwrap().unwrap();
    assert!(token.audience.is_empty());
    // A rotation's tokens keep theirs; a grant issued at once too.
    let narrowed = NewToken {
        audience: vec![OTHER_API.into()],
        ..new_token(TokenKind::Access, NOW + 60)
    };
    assert!(store
        .rotate_refresh(&refresh.key, std::slice::from_ref(&narrowed))
        .await
        .unwrap());
    let token = store.token(&narrowed.key).await.unwrap().unwrap();
    assert_eq!(token.audience, [OTHER_API]);
    let direct = NewToken {
        audience: vec![API.into(), OTHER_API.into()],
        ..new_token(TokenKind::Access, NOW + 60)
    };
    let bound = NewGrant {
        resources: direct.audience.clone(),
        ..grant(&client.client_id, None)
    };
    store
        .issue_grant(&bound, std::slice::from_ref(&direct))
        .await
        .unwrap();
    let token = store.token(&direct.key).await.unwrap().unwrap();
    assert_eq!(token.audience, [API, OTHER_API]);
    assert_eq!(token.grant_resources, [API, OTHER_API]);
}
