//! The contract of what operators use: paged lists, client updates,
//! disabled users, admin keys, audit events, readiness.

use super::*;
use crate::audit::{AuditKind, Outcome};

pub(super) async fn clients_are_paged_by_id_and_updated_but_for_their_origin(store: &dyn Store) {
    let owner = store.create_user("owner", "h").await.unwrap();
    for id in ["c", "a", "b"] {
        store
            .create_client(&client(id, Registrant::User(owner.id)))
            .await
            .unwrap();
    }
    let ids = |clients: Vec<Client>| -> Vec<String> {
        clients.into_iter().map(|c| c.client_id).collect()
    };
    assert_eq!(ids(store.clients_page("", 2).await.unwrap()), ["a", "b"]);
    assert_eq!(ids(store.clients_page("b", 2).await.unwrap()), ["c"]);
    let mut changed = client("a", Registrant::Operator);
    changed.client_name = "renamed".into();
    changed.secret_hash = None;
    changed.previous_secret = None;
    changed.resource_server = false;
    changed.client_id_issued_at = NOW + 5;
    changed.id_token_signed_response_alg = SigningAlg::Rs256;
    changed.userinfo_signed_response_alg = None;
    changed.access_token_format = AccessTokenFormat::Opaque;
    assert!(store.update_client(&changed).await.unwrap());
    let read = store.client("a").await.unwrap().unwrap();
    assert_eq!(read.client_name, "renamed");
    assert_eq!((read.secret_hash, read.previous_secret), (None, None));
    assert!(!read.resource_server);
    assert_eq!(read.id_token_signed_response_alg, SigningAlg::Rs256);
    assert_eq!(read.userinfo_signed_response_alg, None);
    assert_eq!(read.access_token_format, AccessTokenFormat::Opaque);
    // Who registered it and when are not the update's to change.
    assert_eq!(read.registrant, Registrant::User(owner.id));
    assert_eq!(read.client_id_issued_at, NOW);
    let missing = client("zz", Registrant::Operator);
    assert!(!store.update_client(&missing).await.unwrap());
}

pub(super) async fn users_are_renamed_and_disabling_one_kills_its_tokens_sessions_and_codes(
    store: &dyn Store,
) {
    let (user, client) = user_and_client(store).await;
    let other = store.create_user("alice", "h").await.unwrap();
    let rename = |name: &str| UserChange {
        username: Some(name.into()),
        password_hash: None,
    };
    assert!(matches!(
        store.update_user(user.id, &rename("alice")).await,
        Err(StoreError::Conflict)
    ));
    let renamed = store.update_user(user.id, &rename("mick")).await.unwrap();
    assert_eq!(renamed.unwrap().password_hash, "hash");
    let rehashed = UserChange {
        username: None,
        password_hash: Some("new".into()),
    };
    let read = store
        .update_user(user.id, &rehashed)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (read.username.as_str(), read.password_hash.as_str()),
        ("mick", "new")
    );
    assert!(store
        .update_user(i64::MAX, &rehashed)
        .await
        .unwrap()
        .is_none());

    let token = new_token(TokenKind::Refresh, NOW + 3600);
    let others = new_token(TokenKind::Access, NOW + 3600);
    store
        .issue_grant(
            &grant(&client.client_id, Some(user.id)),
            std::slice::from_ref(&token),
        )
        .await
        .unwrap();
    store
        .issue_grant(
            &grant(&client.client_id, Some(other.id)),
            std::slice::from_ref(&others),
        )
        .await
        .unwrap();
    let session = NewSession {
        key: crypto::token_key(&crypto::new_token()),
        user_id: user.id,
        created_at: NOW,
        expires_at: NOW + 60,
    };
    store.create_session(&session).await.unwrap();
    let code = new_code(&client.client_id, user.id);
    store.create_code(&code).await.unwrap();

    assert!(store.set_user_disabled(user.id, true).await.unwrap());
    assert!(store.user_by_id(user.id).await.unwrap().unwrap().disabled);
    assert!(!store
        .token(&token.key)
        .await
        .unwrap()
        .unwrap()
        .is_active(NOW));
    let next = [new_token(TokenKind::Access, NOW + 60)];
    assert!(!store.rotate_refresh(&token.key, &next).await.unwrap());
    assert!(store.session(&session.key).await.unwrap().is_none());
    assert!(store.code(&code.key).await.unwrap().is_none());
    // A token issued meanwhile, by a request that read the user before.
    let late = new_token(TokenKind::Access, NOW + 3600);
    store
        .issue_grant(
            &grant(&client.client_id, Some(user.id)),
            std::slice::from_ref(&late),
        )
        .await
        .unwrap();
    assert!(!store
        .token(&late.key)
        .await
        .unwrap()
        .unwrap()
        .is_active(NOW));
    // Nobody else is touched.
    assert!(store
        .token(&others.key)
        .await
        .unwrap()
        .unwrap()
        .is_active(NOW));
    // Enabled again: new tokens live; the revoked ones stay revoked.
    assert!(store.set_user_disabled(user.id, false).await.unwrap());
    let fresh = new_token(TokenKind::Access, NOW + 3600);
    store
        .issue_grant(
            &grant(&client.client_id, Some(user.id)),
            std::slice::from_ref(&fresh),
        )
        .await
        .unwrap();
    assert!(store
        .token(&fresh.key)
        .await
        .unwrap()
        .unwrap()
        .is_active(NOW));
    assert!(!store
        .token(&token.key)
        .await
        .unwrap()
        .unwrap()
        .is_active(NOW));
    assert!(!store.set_user_disabled(i64::MAX, true).await.unwrap());
}

pub(super) async fn grants_are_listed_by_user_or_client_a_page_at_a_time(store: &dyn Store) {
    let (user, client) = user_and_client(store).await;
    store
        .create_client(&super::client("other", Registrant::Operator))
        .await
        .unwrap();
    let mut issued = Vec::new();
    for (client_id, user_id) in [
        ("app", Some(user.id)),
        ("other", Some(user.id)),
        ("app", None),
    ] {
        let tokens = [new_token(TokenKind::Access, NOW + 60)];
        issued.push(
            store
                .issue_grant(&grant(client_id, user_id), &tokens)
                .await
                .unwrap(),
        );
    }
    store.revoke_grant(issued[0]).await.unwrap();
    let ids = |grants: Vec<GrantRecord>| -> Vec<i64> { grants.iter().map(|g| g.id).collect() };
    let of_user = GrantFilter {
        user_id: Some(user.id),
        client_id: None,
    };
    assert_eq!(
        ids(store.list_grants(&of_user, 0, 10).await.unwrap()),
        issued[..2]
    );
    let of_client = GrantFilter {
        user_id: None,
        client_id: Some(client.client_id.clone()),
    };
    let listed = store.list_grants(&of_client, 0, 10).await.unwrap();
    assert_eq!(ids(listed.clone()), [issued[0], issued[2]]);
    assert_eq!(
        listed[0],
        GrantRecord {
            id: issued[0],
            client_id: "app".into(),
            user_id: Some(user.id),
            created_at: NOW,
            revoked: true,
        }
    );
    let all = GrantFilter::default();
    let first = store.list_grants(&all, 0, 2).await.unwrap();
    assert_eq!(ids(first), issued[..2]);
    assert_eq!(
        ids(store.list_grants(&all, issued[1], 2).await.unwrap()),
        issued[2..]
    );
}

pub(super) async fn admin_keys_are_unique_found_by_hash_and_revoked(store: &dyn Store) {
    let key = |name: &str, secret: &str| AdminKey {
        name: name.into(),
        key_hash: crypto::sha256_secret_hash(secret),
        created_at: NOW,
    };
    store.create_admin_key(&key("ci", "k1")).await.unwrap();
    store.create_admin_key(&key("alice", "k2")).await.unwrap();
    assert!(matches!(
        store.create_admin_key(&key("ci", "k3")).await,
        Err(StoreError::Conflict)
    ));
    let found = store
        .admin_key_by_hash(&crypto::sha256_secret_hash("k1"))
        .await
        .unwrap()
        .expect("the key");
    assert_eq!((found.name.as_str(), found.created_at), ("ci", NOW));
    let names: Vec<String> = store
        .list_admin_keys()
        .await
        .unwrap()
        .into_iter()
        .map(|k| k.name)
        .collect();
    assert_eq!(names, ["alice", "ci"]);
    assert!(store.delete_admin_key("ci").await.unwrap());
    assert!(!store.delete_admin_key("ci").await.unwrap());
    let revoked = crypto::sha256_secret_hash("k1");
    assert!(store.admin_key_by_hash(&revoked).await.unwrap().is_none());
}

pub(super) async fn audit_events_keep_their_order_filter_by_kind_and_time_and_purge(
    store: &dyn Store,
) {
    let event = |at: i64, kind: AuditKind| AuditRecord {
        at,
        kind,
        actor: "user:1".into(),
        client_id: Some("app".into()),
        address: Some("192.0.2.1".into()),
        outcome: Outcome::Success,
        detail: Some("scope profile".into()),
    };
    let recorded = [
        event(NOW - 10, AuditKind::SignIn),
        event(NOW, AuditKind::ConsentGiven),
        AuditRecord {
            client_id: None,
            address: None,
            detail: None,
            outcome: Outcome::Failure,
            ..event(NOW + 10, AuditKind::SignIn)
        },
    ];
    store.record_audit(&recorded[..2]).await.unwrap();
    store.record_audit(&recorded[2..]).await.unwrap();
    let query = |since, kind, after, limit| AuditQuery {
        since,
        kind,
        after,
        limit,
    };
    let all = store.audit_events(&query(0, None, 0, 10)).await.unwrap();
    let records: Vec<AuditRecord> = all.iter().map(|e| e.record.clone()).collect();
    assert_eq!(records, recorded);
    assert!(all.windows(2).all(|pair| pair[0].id < pair[1].id));
    let sign_ins = store
        .audit_events(&query(0, Some(AuditKind::SignIn), 0, 10))
        .await
        .unwrap();
    assert_eq!(sign_ins.len(), 2);
    let recent = store.audit_events(&query(NOW, None, 0, 10)).await.unwrap();
    assert_eq!(recent.len(), 2);
    let page = store
        .audit_events(&query(0, None, all[0].id, 1))
        .await
        .unwrap();
    assert_eq!(page, all[1..2]);
    assert_eq!(store.purge_audit(NOW).await.unwrap(), 1);
    assert_eq!(
        store.audit_events(&query(0, None, 0, 10)).await.unwrap(),
        all[1..]
    );
}

pub(super) async fn a_migrated_store_is_ready(store: &dyn Store) {
    assert!(store.ready().await.unwrap());
}
