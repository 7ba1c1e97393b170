//! A real third-party relying party against the server: the
//! `openidconnect` crate discovers the provider (OpenID Connect Discovery
//! 1.0), builds the authorization URL with a nonce and PKCE, a browser
//! signs in and consents, and the crate exchanges the code, verifies the
//! ID token against the published JWK Set (signature, `iss`, `aud`, `exp`,
//! `nonce`, `at_hash`), reads the UserInfo endpoint and refreshes, for an
//! ID token signed with each algorithm the provider offers.

#[path = "api/common/mod.rs"]
#[macro_use]
mod common;

use common::browser::{location, query_of, Browser, REDIRECT_URI};
use common::{Backend, TestServer};
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreJwsSigningAlgorithm, CoreProviderMetadata,
    CoreUserInfoClaims,
};
use openidconnect::{
    AccessTokenHash, AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce,
    OAuth2TokenResponse, PkceCodeChallenge, RedirectUrl, Scope, TokenResponse,
};
use portcullis::oauth::registration::ClientMetadata;

backend_tests! {
    openidconnect_crate_signs_a_user_in_with_every_signing_algorithm,
}

async fn openidconnect_crate_signs_a_user_in_with_every_signing_algorithm(backend: Backend) {
    let server = TestServer::start(backend).await;
    // The crate's own reqwest client, redirects off as its docs require.
    let http = openidconnect::reqwest::ClientBuilder::new()
        .redirect(openidconnect::reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let issuer = IssuerUrl::new(server.base.clone()).expect("issuer");
    let metadata = CoreProviderMetadata::discover_async(issuer, &http)
        .await
        .expect("discovery, issuer match and JWK Set");

    for (name, alg) in [
        ("RS256", CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256),
        ("ES256", CoreJwsSigningAlgorithm::EcdsaP256Sha256),
        ("EdDSA", CoreJwsSigningAlgorithm::EdDsa),
    ] {
        let (client_id, secret) = server
            .add_client(ClientMetadata {
                client_name: format!("relying party {name}"),
                grant_types: vec!["authorization_code".into(), "refresh_token".into()],
                redirect_uris: vec![REDIRECT_URI.into()],
                scope: "openid profile email offline_access".into(),
                id_token_signed_response_alg: Some(name.into()),
                ..ClientMetadata::default()
            })
            .await;
        let client = CoreClient::from_provider_metadata(
            metadata.clone(),
            ClientId::new(client_id),
            secret.map(ClientSecret::new),
        )
        .set_redirect_uri(RedirectUrl::new(REDIRECT_URI.into()).expect("URL"));

        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (authorize_url, state, nonce) = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .add_scope(Scope::new("profile".into()))
            .add_scope(Scope::new("email".into()))
            .add_scope(Scope::new("offline_access".into()))
            .set_pkce_challenge(challenge)
            .url();

        // The user, in a browser: sign in and allow.
        let path = &authorize_url[url::Position::BeforePath..];
        let answer = Browser::new(&server).authorize_at(path, "yes").await;
        let callback = query_of(&location(&answer));
        assert_eq!(&callback["state"], state.secret());

        let tokens = client
            .exchange_code(AuthorizationCode::new(callback["code"].clone()))
            .expect("a token endpoint")
            .set_pkce_verifier(verifier)
            .request_async(&http)
            .await
            .expect("code exchange");
        let id_token = tokens.id_token().expect("an ID token");
        let id_verifier = client
            .id_token_verifier()
            .set_allowed_algs(vec![alg.clone()]);
        let claims = id_token
            .claims(&id_verifier, &nonce)
            .unwrap_or_else(|e| panic!("{name}: the ID token verifies: {e}"));
        assert_eq!(id_token.signing_alg().expect("alg"), &alg);
        // Core §3.1.3.6: at_hash binds the access token to the ID token.
        let at_hash = AccessTokenHash::from_token(
            tokens.access_token(),
            id_token.signing_alg().expect("alg"),
            id_token.signing_key(&id_verifier).expect("key"),
        )
        .expect("hash");
        assert_eq!(claims.access_token_hash(), Some(&at_hash), "{name}");
        assert!(claims.auth_time().is_some());
        // Scope claims go to the UserInfo endpoint (Core §5.4).
        assert!(claims.email().is_none());

        let userinfo: CoreUserInfoClaims = client
            .user_info(
                tokens.access_token().clone(),
                Some(claims.subject().clone()),
            )
            .expect("a UserInfo endpoint")
            .request_async(&http)
            .await
            .expect("UserInfo");
        assert_eq!(
            userinfo.email().map(|e| e.as_str()),
            Some("mike@example.com")
        );
        assert_eq!(
            userinfo.preferred_username().map(|u| u.as_str()),
            Some("mike")
        );

        // Core §12.2: the refreshed ID token names the same user and
        // sign-in, without a nonce.
        let refreshed = client
            .exchange_refresh_token(tokens.refresh_token().expect("offline_access"))
            .expect("a token endpoint")
            .request_async(&http)
            .await
            .expect("refresh");
        let renewed = refreshed.id_token().expect("a new ID token");
        let renewed = renewed
            .claims(&id_verifier, |nonce: Option<&Nonce>| match nonce {
                None => Ok(()),
                Some(_) => Err("a refreshed ID token carries no nonce".to_owned()),
            })
            .expect("the refreshed ID token verifies");
        assert_eq!(renewed.subject(), claims.subject());
        assert_eq!(renewed.auth_time(), claims.auth_time());
    }
}
