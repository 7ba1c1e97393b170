//! The contract of grants, tokens and codes: the single-use claims that must hold across
//! nodes, and the purge.

use super::*;

pub(super) async fn a_token_is_found_with_its_grant_and_user(store: &dyn Store) {
    let (user, client) = user_and_client(store).await;
    let access = new_token(TokenKind::Access, NOW + 3600);
    let refresh = new_token(TokenKind::Refresh, NOW + 7200);
    let grant_id = store
        .issue_grant(
            &grant(&client.client_id, Some(user.id)),
            &[access.clone(), refresh.clone()],
        )
        .await
        .unwrap();
    let record = store.token(&access.key).await.unwrap().expect("the token");
    assert_eq!(record.kind, TokenKind::Access);
    assert_eq!(record.grant_id, grant_id);
    assert_eq!(record.client_id, "app");
    assert_eq!(record.user_id, Some(user.id));
    assert_eq!(record.username.as_deref(), Some("mike"));
    assert_eq!(record.scope, "profile");
    assert_eq!((record.issued_at, record.expires_at), (NOW, NOW + 3600));
    assert!(record.is_active(NOW) && !record.is_active(NOW + 3600));
    let record = store.token(&refresh.key).await.unwrap().expect("the token");
    assert_eq!(record.kind, TokenKind::Refresh);
    // Without a user (client_credentials).
    let userless = new_token(TokenKind::Access, NOW + 3600);
    store
        .issue_grant(
            &grant(&client.client_id, None),
            std::slice::from_ref(&userless),
        )
        .await
        .unwrap();
    let record = store
        .token(&userless.key)
        .await
        .unwrap()
        .expect("the token");
    assert_eq!((record.user_id, record.username), (None, None));
    // Revoking one token leaves its grant's others alone.
    store.revoke_token(&access.key).await.unwrap();
    assert!(store.token(&access.key).await.unwrap().unwrap().revoked);
    assert!(!store.token(&refresh.key).await.unwrap().unwrap().revoked);
    let unknown = crypto::token_key(&crypto::new_token());
    assert!(store.token(&unknown).await.unwrap().is_none());
}

pub(super) async fn a_client_is_read_with_a_token_or_without_one(store: &dyn Store) {
    let (user, client) = user_and_client(store).await;
    let access = new_token(TokenKind::Access, NOW + 3600);
    store
        .issue_grant(
            &grant(&client.client_id, Some(user.id)),
            std::slice::from_ref(&access),
        )
        .await
        .unwrap();
    let (found, token) = store
        .client_with_token(&client.client_id, &access.key)
        .await
        .unwrap()
        .expect("the client");
    assert_eq!(format!("{found:?}"), format!("{client:?}"));
    let token = format!("{:?}", token.expect("the token"));
    let alone = store.token(&access.key).await.unwrap().unwrap();
    assert_eq!(token, format!("{alone:?}"));
    let unknown = crypto::token_key(&crypto::new_token());
    let (found, token) = store
        .client_with_token(&client.client_id, &unknown)
        .await
        .unwrap()
        .expect("the client without a token");
    assert_eq!(found.client_id, client.client_id);
    assert!(token.is_none());
    assert!(store
        .client_with_token("nobody", &access.key)
        .await
        .unwrap()
        .is_none());
}

pub(super) async fn a_cached_client_is_used_only_while_unchanged(store: &dyn Store) {
    let (_, client) = user_and_client(store).await;
    let Some(cached) = store.cached_client("app").await.unwrap() else {
        // This engine has no cache.
        return;
    };
    let version = cached.version.expect("a cached copy has a version");
    let issue = |version: Option<i64>| {
        let token = new_token(TokenKind::Access, NOW + 60);
        let grant = NewGrant {
            client_version: version,
            ..grant("app", None)
        };
        async move {
            let issued = store
                .issue_grant(&grant, std::slice::from_ref(&token))
                .await;
            let stored = store.token(&token.key).await.unwrap();
            (issued, stored.is_some())
        }
    };
    let (issued, stored) = issue(Some(version)).await;
    assert!(issued.is_ok() && stored, "unchanged: issued");
    let token = new_token(TokenKind::Access, NOW + 60);
    store
        .issue_grant(&grant("app", None), std::slice::from_ref(&token))
        .await
        .unwrap();
    let unknown = crypto::token_key(&crypto::new_token());
    let checked = |key: TokenKey, version: i64| async move {
        store.token_checked(&key, "app", version).await.unwrap()
    };
    let read = checked(token.key, version).await;
    let read = read.expect("unchanged").expect("the token");
    assert_eq!(read.client_id, "app");
    assert!(checked(unknown, version)
        .await
        .expect("unchanged")
        .is_none());
    let changed = Client {
        scope: "profile email".into(),
        ..client.clone()
    };
    assert!(store.update_client(&changed).await.unwrap());
    let (issued, stored) = issue(Some(version)).await;
    assert!(
        matches!(issued, Err(StoreError::Stale)) && !stored,
        "changed: nothing written"
    );
    assert!(
        checked(token.key, version).await.is_none(),
        "changed: no token read"
    );
    store.forget_cached_client("app");
    let fresh = store.cached_client("app").await.unwrap().unwrap();
    assert_eq!(fresh.scope, "profile email");
    assert!(fresh.version.is_some() && fresh.version != Some(version));
    assert!(issue(fresh.version).await.0.is_ok());
    // Deleted and registered again under its id: a version never seen.
    assert!(store.delete_client("app", None).await.unwrap());
    store.create_client(&client).await.unwrap();
    assert!(matches!(
        issue(fresh.version).await.0,
        Err(StoreError::Stale)
    ));
    // Without a version (a fresh read), the grant is issued as ever.
    assert!(issue(None).await.0.is_ok());
}

pub(super) async fn a_refresh_token_rotates_at_most_once(store: &dyn Store) {
    let (user, client) = user_and_client(store).await;
    let refresh = new_token(TokenKind::Refresh, NOW + 3600);
    store
        .issue_grant(
            &grant(&client.client_id, Some(user.id)),
            std::slice::from_ref(&refresh),
        )
        .await
        .unwrap();
    let attempts = (0..8).map(|_| {
        let next = [
            new_token(TokenKind::Access, NOW + 60),
            new_token(TokenKind::Refresh, NOW + 60),
        ];
        async move {
            (
                store.rotate_refresh(&refresh.key, &next).await.unwrap(),
                next,
            )
        }
    });
    let outcomes = join_all(attempts).await;
    let winners: Vec<_> = outcomes.iter().filter(|(won, _)| *won).collect();
    assert_eq!(winners.len(), 1, "exactly one rotation wins");
    let (_, minted) = winners[0];
    assert!(store.token(&refresh.key).await.unwrap().unwrap().used);
    for token in minted {
        assert!(store
            .token(&token.key)
            .await
            .unwrap()
            .unwrap()
            .is_active(NOW));
    }
    for (_, lost) in outcomes.iter().filter(|(won, _)| !*won) {
        assert!(store.token(&lost[0].key).await.unwrap().is_none());
    }
    // An access token never rotates.
    let access = new_token(TokenKind::Access, NOW + 60);
    store
        .issue_grant(
            &grant(&client.client_id, Some(user.id)),
            std::slice::from_ref(&access),
        )
        .await
        .unwrap();
    assert!(!store.rotate_refresh(&access.key, &[]).await.unwrap());
}

pub(super) async fn revoking_a_grant_revokes_its_tokens_and_stops_rotation(store: &dyn Store) {
    let (user, client) = user_and_client(store).await;
    let access = new_token(TokenKind::Access, NOW + 60);
    let refresh = new_token(TokenKind::Refresh, NOW + 60);
    let grant_id = store
        .issue_grant(
            &grant(&client.client_id, Some(user.id)),
            &[access.clone(), refresh.clone()],
        )
        .await
        .unwrap();
    store.revoke_grant(grant_id).await.unwrap();
    for key in [access.key, refresh.key] {
        assert!(store.token(&key).await.unwrap().unwrap().revoked);
    }
    let next = [new_token(TokenKind::Access, NOW + 60)];
    assert!(!store.rotate_refresh(&refresh.key, &next).await.unwrap());
}

pub(super) async fn a_code_is_exchanged_at_most_once(store: &dyn Store) {
    let (user, client) = user_and_client(store).await;
    let code = new_code(&client.client_id, user.id);
    store.create_code(&code).await.unwrap();
    let read = store.code(&code.key).await.unwrap().expect("the code");
    assert_eq!(read.client_id, "app");
    assert_eq!(read.user_id, user.id);
    assert_eq!(read.redirect_uri, "https://app.example/cb");
    assert!(!read.redirect_uri_given && !read.used && read.grant_id.is_none());
    assert_eq!(read.oidc, Some(context()));
    assert_eq!(read.code_challenge, code.code_challenge);
    assert_eq!(
        (read.scope.as_str(), read.expires_at),
        ("profile", NOW + 60)
    );
    let attempts = (0..8).map(|_| {
        let tokens = [new_token(TokenKind::Access, NOW + 60)];
        let grant = grant(&client.client_id, Some(user.id));
        async move {
            store
                .exchange_code(&code.key, &grant, &tokens)
                .await
                .unwrap()
        }
    });
    let outcomes = join_all(attempts).await;
    let won: Vec<i64> = outcomes
        .iter()
        .filter_map(|o| match o {
            CodeExchange::Exchanged { grant_id } => Some(*grant_id),
            CodeExchange::AlreadyUsed { .. } => None,
        })
        .collect();
    assert_eq!(won.len(), 1, "{outcomes:?}");
    for outcome in &outcomes {
        if let CodeExchange::AlreadyUsed { grant_id } = outcome {
            assert_eq!(*grant_id, Some(won[0]), "the loser learns what to revoke");
        }
    }
    let read = store.code(&code.key).await.unwrap().unwrap();
    assert!(read.used && read.grant_id == Some(won[0]));
}

pub(super) async fn purge_deletes_what_expired_and_the_grants_it_empties(store: &dyn Store) {
    let (user, client) = user_and_client(store).await;
    let expired = new_token(TokenKind::Access, NOW - 1);
    store
        .issue_grant(
            &grant(&client.client_id, Some(user.id)),
            std::slice::from_ref(&expired),
        )
        .await
        .unwrap();
    let live = new_token(TokenKind::Refresh, NOW + 60);
    let half = new_token(TokenKind::Access, NOW - 1);
    store
        .issue_grant(
            &grant(&client.client_id, Some(user.id)),
            &[live.clone(), half.clone()],
        )
        .await
        .unwrap();
    let session_key = crypto::token_key(&crypto::new_token());
    store
        .create_session(&NewSession {
            key: session_key,
            user_id: user.id,
            created_at: NOW - 100,
            expires_at: NOW - 1,
        })
        .await
        .unwrap();
    // Two expired tokens, one session, one emptied grant.
    assert_eq!(store.purge_expired(NOW, NOW - 86400).await.unwrap(), 4);
    assert!(store.token(&expired.key).await.unwrap().is_none());
    assert!(store.token(&half.key).await.unwrap().is_none());
    assert!(store
        .token(&live.key)
        .await
        .unwrap()
        .unwrap()
        .is_active(NOW));
    assert!(store.session(&session_key).await.unwrap().is_none());
    assert_eq!(store.purge_expired(NOW, NOW - 86400).await.unwrap(), 0);
}
