//! The contract of OpenID Connect's rows: user claims, the sign-in context
//! a code hands to its grant, signing keys, remembered consents.

use super::*;
use crate::keys::{KeyEncryptionKey, Retirement, SigningAlg, StoredKey};
use crate::oauth::oidc::claims::UserClaims;

pub(super) async fn a_users_claims_are_replaced_whole(store: &dyn Store) {
    let user = store.create_user("mike", "h").await.unwrap();
    assert_eq!(user.claims, UserClaims::default());
    let claims = UserClaims {
        name: Some("Mike Example".into()),
        email: Some("mike@example.com".into()),
        email_verified: Some(true),
        ..UserClaims::default()
    };
    assert!(store.set_user_claims(user.id, &claims).await.unwrap());
    assert_eq!(
        store.user_by_id(user.id).await.unwrap().unwrap().claims,
        claims
    );
    assert_eq!(
        store.user_by_name("mike").await.unwrap().unwrap().claims,
        claims
    );
    assert!(!store.set_user_claims(i64::MAX, &claims).await.unwrap());
}

pub(super) async fn a_grants_openid_context_travels_from_code_to_tokens(store: &dyn Store) {
    let (user, client) = user_and_client(store).await;
    let with_context = NewGrant {
        oidc: Some(context().for_grant()),
        ..grant(&client.client_id, Some(user.id))
    };
    let token = new_token(TokenKind::Refresh, NOW + 60);
    store
        .issue_grant(&with_context, std::slice::from_ref(&token))
        .await
        .unwrap();
    let record = store.token(&token.key).await.unwrap().unwrap();
    assert_eq!(record.oidc, Some(context().for_grant()));
    let plain = new_token(TokenKind::Access, NOW + 60);
    store
        .issue_grant(
            &grant(&client.client_id, None),
            std::slice::from_ref(&plain),
        )
        .await
        .unwrap();
    assert_eq!(store.token(&plain.key).await.unwrap().unwrap().oidc, None);
    // The code's exchange writes it with the grant too.
    let code = new_code(&client.client_id, user.id);
    store.create_code(&code).await.unwrap();
    let exchanged = new_token(TokenKind::Refresh, NOW + 60);
    store
        .exchange_code(&code.key, &with_context, std::slice::from_ref(&exchanged))
        .await
        .unwrap();
    let record = store.token(&exchanged.key).await.unwrap().unwrap();
    assert_eq!(record.oidc, Some(context().for_grant()));
}

pub(super) async fn signing_keys_are_inserted_retired_and_deleted_by_plan(store: &dyn Store) {
    let kek =
        KeyEncryptionKey::from_base64("MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=").unwrap();
    let first = StoredKey::generate(SigningAlg::Es256, &kek, NOW, NOW).unwrap();
    let second = StoredKey::generate(SigningAlg::EdDsa, &kek, NOW + 1, NOW + 60).unwrap();
    let both = [first.clone(), second.clone()];
    store.apply_key_plan(&both, &[], &[]).await.unwrap();
    // Inserting a key twice (two nodes planning at once) keeps one.
    store.apply_key_plan(&both, &[], &[]).await.unwrap();
    let keys = store.signing_keys().await.unwrap();
    assert_eq!(keys.len(), 2);
    assert_eq!(keys[0].kid, first.kid);
    assert_eq!(keys[0].public_jwk, first.public_jwk);
    assert_eq!(keys[0].encrypted_private, first.encrypted_private);
    assert_eq!((keys[1].activates_at, keys[1].retires_at), (NOW + 60, None));
    let retire = |at: i64| Retirement {
        kid: first.kid.clone(),
        retires_at: at,
        removes_at: at + 100,
    };
    store
        .apply_key_plan(&[], &[retire(NOW + 10)], &[])
        .await
        .unwrap();
    // A key already retired keeps its times.
    store
        .apply_key_plan(&[], &[retire(NOW + 20)], &[])
        .await
        .unwrap();
    let keys = store.signing_keys().await.unwrap();
    assert_eq!(
        (keys[0].retires_at, keys[0].removes_at),
        (Some(NOW + 10), Some(NOW + 110))
    );
    store
        .apply_key_plan(&[], &[], std::slice::from_ref(&first.kid))
        .await
        .unwrap();
    let kids: Vec<String> = store
        .signing_keys()
        .await
        .unwrap()
        .into_iter()
        .map(|k| k.kid)
        .collect();
    assert_eq!(kids, [second.kid]);
}

pub(super) async fn consents_grow_by_union_and_revoking_one_ends_its_grants(store: &dyn Store) {
    let (user, client) = user_and_client(store).await;
    assert_eq!(
        store.consent(user.id, &client.client_id).await.unwrap(),
        None
    );
    store
        .remember_consent(user.id, &client.client_id, "openid profile", NOW)
        .await
        .unwrap();
    store
        .remember_consent(user.id, &client.client_id, "profile email", NOW + 5)
        .await
        .unwrap();
    let held = store.consent(user.id, &client.client_id).await.unwrap();
    assert_eq!(held.as_deref(), Some("openid profile email"));
    let listed = store.consents(user.id).await.unwrap();
    assert_eq!(
        listed,
        [ConsentRecord {
            client_id: client.client_id.clone(),
            client_name: client.client_name.clone(),
            scope: "openid profile email".into(),
            granted_at: NOW + 5,
        }]
    );
    let token = new_token(TokenKind::Refresh, NOW + 60);
    store
        .issue_grant(
            &grant(&client.client_id, Some(user.id)),
            std::slice::from_ref(&token),
        )
        .await
        .unwrap();
    store
        .revoke_consent(user.id, &client.client_id)
        .await
        .unwrap();
    assert_eq!(
        store.consent(user.id, &client.client_id).await.unwrap(),
        None
    );
    assert!(store.token(&token.key).await.unwrap().unwrap().revoked);
    assert!(store.consents(user.id).await.unwrap().is_empty());
}
