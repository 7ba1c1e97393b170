//! Every grant's rules, and every way each one fails (RFC 6749 §4, §5.2,
//! §6; RFC 7636; RFC 9700), against the in-memory store. Long because it
//! is the one list of the grants' error branches, grant by grant.

use super::token_request;
use crate::crypto;
use crate::oauth::testing::*;
use crate::oauth::tokens::TokenResponse;
use crate::oauth::vocabulary::{AuthMethod, GrantType};
use crate::oauth::{ErrorCode, OAuthError};
use crate::store::{Client, NewCode, Registrant, TokenKind};

/// Sends a token request with Basic credentials.
async fn token(
    core: &Core,
    client: &Client,
    secret: &str,
    form: &[(&str, &str)],
) -> Result<TokenResponse, OAuthError> {
    let params = params(form);
    let basic = basic(client, secret);
    token_request(&core.provider, &request(&params, Some(&basic))).await
}

async fn active(core: &Core, token: &str) -> bool {
    let record = core.provider.store.token(&crypto::token_key(token)).await;
    record.unwrap().is_some_and(|r| r.is_active(NOW))
}

mod dispatch {
    use super::*;

    #[tokio::test]
    async fn a_missing_grant_type_is_invalid_request() {
        let core = Core::new().await;
        let (client, secret) = core.confidential().await;
        assert_code(
            token(&core, &client, &secret, &[]).await,
            ErrorCode::InvalidRequest,
        );
    }

    #[tokio::test]
    async fn an_unknown_grant_type_is_unsupported_grant_type() {
        let core = Core::new().await;
        let (client, secret) = core.confidential().await;
        for grant_type in ["urn:x", "implicit", "Password"] {
            let result = token(&core, &client, &secret, &[("grant_type", grant_type)]).await;
            assert_code(result, ErrorCode::UnsupportedGrantType);
        }
    }

    #[tokio::test]
    async fn a_grant_the_client_was_not_registered_for_is_unauthorized_client() {
        let core = Core::new().await;
        let (client, secret) = core
            .client(
                Registrant::Operator,
                AuthMethod::ClientSecretBasic,
                &[GrantType::ClientCredentials],
            )
            .await;
        let secret = secret.unwrap();
        let form = [
            ("grant_type", "password"),
            ("username", "u"),
            ("password", "p"),
        ];
        let result = token(&core, &client, &secret, &form).await;
        assert_code(result, ErrorCode::UnauthorizedClient);
    }

    #[tokio::test]
    async fn a_client_that_fails_authentication_gets_invalid_client_first() {
        let core = Core::new().await;
        let (client, _) = core.confidential().await;
        let result = token(&core, &client, "wrong", &[("grant_type", "urn:x")]).await;
        assert_code(result, ErrorCode::InvalidClient);
    }
}

mod client_credentials {
    use super::*;

    #[tokio::test]
    async fn the_operators_client_gets_its_scope_and_no_refresh_token() {
        let core = Core::new().await;
        let (client, secret) = core.confidential().await;
        let answer = token(
            &core,
            &client,
            &secret,
            &[("grant_type", "client_credentials")],
        )
        .await
        .unwrap();
        assert_eq!(answer.scope, "openid profile email write");
        assert!(answer.refresh_token.is_none());
        assert!(active(&core, &answer.access_token).await);
    }

    #[tokio::test]
    async fn a_scope_outside_the_clients_is_invalid_scope() {
        let core = Core::new().await;
        let (client, secret) = core.confidential().await;
        let form = [("grant_type", "client_credentials"), ("scope", "admin")];
        assert_code(
            token(&core, &client, &secret, &form).await,
            ErrorCode::InvalidScope,
        );
    }

    #[tokio::test]
    async fn a_user_registered_client_gets_only_the_opened_scopes() {
        let core = Core::new().await;
        let (client, secret) = core
            .client(
                Registrant::User(1),
                AuthMethod::ClientSecretBasic,
                &[GrantType::ClientCredentials],
            )
            .await;
        let secret = secret.unwrap();
        let answer = token(
            &core,
            &client,
            &secret,
            &[("grant_type", "client_credentials")],
        )
        .await
        .unwrap();
        assert_eq!(answer.scope, "profile", "only what the operator opened");
        let form = [("grant_type", "client_credentials"), ("scope", "write")];
        assert_code(
            token(&core, &client, &secret, &form).await,
            ErrorCode::InvalidScope,
        );
    }

    #[tokio::test]
    async fn a_user_registered_client_with_no_opened_scope_gets_invalid_scope() {
        let mut core = Core::new().await;
        core.provider
            .settings
            .self_registered_client_credentials_scopes
            .clear();
        let (client, secret) = core
            .client(
                Registrant::User(1),
                AuthMethod::ClientSecretBasic,
                &[GrantType::ClientCredentials],
            )
            .await;
        let secret = secret.unwrap();
        let result = token(
            &core,
            &client,
            &secret,
            &[("grant_type", "client_credentials")],
        )
        .await;
        assert_code(result, ErrorCode::InvalidScope);
    }

    /// Registration refuses public clients this grant, but a row written by
    /// hand or by an older version must still be refused at the grant.
    #[tokio::test]
    async fn a_public_client_is_refused_even_if_registered_for_it() {
        let core = Core::new().await;
        let (mut client, _) = core
            .client(
                Registrant::Operator,
                AuthMethod::None,
                &[GrantType::AuthorizationCode],
            )
            .await;
        client.client_id = "legacy-public".into();
        client.grant_types.push(GrantType::ClientCredentials);
        core.store_client(&client).await;
        let params = params(&[
            ("grant_type", "client_credentials"),
            ("client_id", "legacy-public"),
        ]);
        let result = token_request(&core.provider, &request(&params, None)).await;
        let error = result.unwrap_err();
        assert_eq!(error.code, ErrorCode::UnauthorizedClient);
        assert!(error.description.contains("public"), "{error}");
    }
}

mod password {
    use super::*;

    #[tokio::test]
    async fn the_right_password_gets_tokens_with_a_refresh_token() {
        let core = Core::new().await;
        let (client, secret) = core.confidential().await;
        core.user("mike", "pass").await;
        let form = [
            ("grant_type", "password"),
            ("username", "mike"),
            ("password", "pass"),
        ];
        let answer = token(&core, &client, &secret, &form).await.unwrap();
        assert!(answer.refresh_token.is_some(), "the client may refresh");
        let record = core
            .provider
            .store
            .token(&crypto::token_key(&answer.access_token))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(record.username.as_deref(), Some("mike"));
    }

    #[tokio::test]
    async fn a_wrong_password_or_unknown_user_is_invalid_grant() {
        let core = Core::new().await;
        let (client, secret) = core.confidential().await;
        core.user("mike", "pass").await;
        for (username, password) in [("mike", "wrong"), ("nobody", "pass")] {
            let form = [
                ("grant_type", "password"),
                ("username", username),
                ("password", password),
            ];
            assert_code(
                token(&core, &client, &secret, &form).await,
                ErrorCode::InvalidGrant,
            );
        }
    }

    #[tokio::test]
    async fn a_missing_username_or_password_is_invalid_request() {
        let core = Core::new().await;
        let (client, secret) = core.confidential().await;
        for form in [
            vec![("grant_type", "password"), ("password", "pass")],
            vec![("grant_type", "password"), ("username", "mike")],
        ] {
            assert_code(
                token(&core, &client, &secret, &form).await,
                ErrorCode::InvalidRequest,
            );
        }
    }
}

mod authorization_code {
    use super::*;

    const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    /// Stores a code for `client`; returns its value.
    async fn code(core: &Core, client: &Client, given: bool, challenge: Option<&str>) -> String {
        let code = crypto::new_token();
        core.provider
            .store
            .create_code(&NewCode {
                key: crypto::token_key(&code),
                client_id: client.client_id.clone(),
                user_id: 1,
                redirect_uri: REDIRECT_URI.into(),
                redirect_uri_given: given,
                scope: "profile".into(),
                code_challenge: challenge.map(str::to_owned),
                expires_at: NOW + 60,
                oidc: None,
                resources: Vec::new(),
            })
            .await
            .unwrap();
        code
    }

    async fn exchange(
        core: &Core,
        client: &Client,
        secret: &str,
        code: &str,
        extra: &[(&str, &str)],
    ) -> Result<TokenResponse, OAuthError> {
        let mut form = vec![("grant_type", "authorization_code"), ("code", code)];
        form.extend_from_slice(extra);
        token(core, client, secret, &form).await
    }

    #[tokio::test]
    async fn a_code_gives_tokens_once_and_its_replay_revokes_them() {
        let core = Core::new().await;
        let (client, secret) = core.confidential().await;
        let code = code(&core, &client, true, None).await;
        let uri = [("redirect_uri", REDIRECT_URI)];
        let answer = exchange(&core, &client, &secret, &code, &uri)
            .await
            .unwrap();
        assert_eq!(answer.scope, "profile");
        assert!(active(&core, &answer.access_token).await);
        let replay = exchange(&core, &client, &secret, &code, &uri).await;
        assert_code(replay, ErrorCode::InvalidGrant);
        assert!(!active(&core, &answer.access_token).await, "RFC 6749 §10.5");
        assert!(!active(&core, answer.refresh_token.as_deref().unwrap()).await);
    }

    #[tokio::test]
    async fn an_unknown_expired_or_other_clients_code_is_invalid_grant() {
        let core = Core::new().await;
        let (client, secret) = core.confidential().await;
        let (other, _) = core.confidential().await;
        let missing = [("grant_type", "authorization_code")];
        assert_code(
            token(&core, &client, &secret, &missing).await,
            ErrorCode::InvalidRequest,
        );
        let unknown = crypto::new_token();
        assert_code(
            exchange(&core, &client, &secret, &unknown, &[]).await,
            ErrorCode::InvalidGrant,
        );
        let others = code(&core, &other, false, None).await;
        assert_code(
            exchange(&core, &client, &secret, &others, &[]).await,
            ErrorCode::InvalidGrant,
        );
        let expiring = code(&core, &client, false, None).await;
        core.provider.clock.advance(60);
        assert_code(
            exchange(&core, &client, &secret, &expiring, &[]).await,
            ErrorCode::InvalidGrant,
        );
    }

    #[tokio::test]
    async fn redirect_uri_is_required_and_equal_exactly_when_the_request_had_it() {
        let core = Core::new().await;
        let (client, secret) = core.confidential().await;
        let given = code(&core, &client, true, None).await;
        let result = exchange(&core, &client, &secret, &given, &[]).await;
        assert_code(result, ErrorCode::InvalidGrant);
        let other = [("redirect_uri", "https://app.example/other")];
        let result = exchange(&core, &client, &secret, &given, &other).await;
        assert_code(result, ErrorCode::InvalidGrant);
        let omitted = code(&core, &client, false, None).await;
        assert!(exchange(&core, &client, &secret, &omitted, &[])
            .await
            .is_ok());
    }

    #[tokio::test]
    async fn pkce_needs_the_matching_verifier_and_nothing_else() {
        let core = Core::new().await;
        let (client, secret) = core.confidential().await;
        for (challenge, verifier) in [
            (Some(CHALLENGE), None),
            (Some(CHALLENGE), Some(&*"x".repeat(43))),
            (Some(CHALLENGE), Some("short")),
            // RFC 9700 §2.1.1: a verifier for a code without a challenge.
            (None, Some(VERIFIER)),
        ] {
            let code = code(&core, &client, false, challenge).await;
            let extra: Vec<(&str, &str)> =
                verifier.map(|v| ("code_verifier", v)).into_iter().collect();
            let result = exchange(&core, &client, &secret, &code, &extra).await;
            assert_code(result, ErrorCode::InvalidGrant);
        }
        let code = code(&core, &client, false, Some(CHALLENGE)).await;
        let verified = [("code_verifier", VERIFIER)];
        assert!(exchange(&core, &client, &secret, &code, &verified)
            .await
            .is_ok());
    }

    #[tokio::test]
    async fn no_refresh_token_for_a_client_without_the_refresh_grant() {
        let core = Core::new().await;
        let (client, secret) = core
            .client(
                Registrant::Operator,
                AuthMethod::ClientSecretBasic,
                &[GrantType::AuthorizationCode],
            )
            .await;
        let code = code(&core, &client, false, None).await;
        let answer = exchange(&core, &client, &secret.unwrap(), &code, &[])
            .await
            .unwrap();
        assert!(answer.refresh_token.is_none());
    }
}

mod refresh_token {
    use super::*;

    /// Tokens from the password grant, for `client`.
    async fn tokens(core: &Core, client: &Client, secret: &str, scope: &str) -> TokenResponse {
        core.user("mike", "pass").await;
        let form = [
            ("grant_type", "password"),
            ("username", "mike"),
            ("password", "pass"),
            ("scope", scope),
        ];
        token(core, client, secret, &form).await.unwrap()
    }

    async fn refresh(
        core: &Core,
        client: &Client,
        secret: &str,
        refresh_token: &str,
        scope: Option<&str>,
    ) -> Result<TokenResponse, OAuthError> {
        let mut form = vec![
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ];
        form.extend(scope.map(|s| ("scope", s)));
        token(core, client, secret, &form).await
    }

    #[tokio::test]
    async fn a_refresh_rotates_and_may_narrow_but_not_widen_the_scope() {
        let core = Core::new().await;
        let (client, secret) = core.confidential().await;
        let first = tokens(&core, &client, &secret, "profile email").await;
        let old = first.refresh_token.unwrap();
        let wider = refresh(&core, &client, &secret, &old, Some("profile write")).await;
        assert_code(wider, ErrorCode::InvalidScope);
        let narrower = refresh(&core, &client, &secret, &old, Some("email"))
            .await
            .unwrap();
        assert_eq!(narrower.scope, "email");
        assert!(!active(&core, &old).await, "the old refresh token is used");
        // §6: the new refresh token keeps the original scope.
        let next = narrower.refresh_token.unwrap();
        let again = refresh(&core, &client, &secret, &next, None).await.unwrap();
        assert_eq!(again.scope, "profile email");
    }

    #[tokio::test]
    async fn a_reused_refresh_token_revokes_its_whole_family() {
        let core = Core::new().await;
        let (client, secret) = core.confidential().await;
        let first = tokens(&core, &client, &secret, "profile").await;
        let old = first.refresh_token.unwrap();
        let rotated = refresh(&core, &client, &secret, &old, None).await.unwrap();
        assert_code(
            refresh(&core, &client, &secret, &old, None).await,
            ErrorCode::InvalidGrant,
        );
        for token in [
            &first.access_token,
            &rotated.access_token,
            rotated.refresh_token.as_ref().unwrap(),
        ] {
            assert!(!active(&core, token).await, "RFC 9700 §4.14.2");
        }
    }

    #[tokio::test]
    async fn an_access_token_another_clients_or_an_expired_token_is_invalid_grant() {
        let core = Core::new().await;
        let (client, secret) = core.confidential().await;
        let (other, other_secret) = core.confidential().await;
        let issued = tokens(&core, &client, &secret, "profile").await;
        let refresh_token = issued.refresh_token.unwrap();
        let result = refresh(&core, &client, &secret, &issued.access_token, None).await;
        assert_code(result, ErrorCode::InvalidGrant);
        let result = refresh(&core, &other, &other_secret, &refresh_token, None).await;
        assert_code(result, ErrorCode::InvalidGrant);
        assert!(
            active(&core, &refresh_token).await,
            "another client cannot burn it"
        );
        core.provider.clock.advance(7200);
        let result = refresh(&core, &client, &secret, &refresh_token, None).await;
        assert_code(result, ErrorCode::InvalidGrant);
        let missing = [("grant_type", "refresh_token")];
        assert_code(
            token(&core, &client, &secret, &missing).await,
            ErrorCode::InvalidRequest,
        );
    }

    #[tokio::test]
    async fn rotation_mints_an_access_and_a_refresh_token() {
        let core = Core::new().await;
        let (client, secret) = core.confidential().await;
        let first = tokens(&core, &client, &secret, "profile").await;
        let rotated = refresh(
            &core,
            &client,
            &secret,
            first.refresh_token.as_deref().unwrap(),
            None,
        )
        .await
        .unwrap();
        let kind = |token: String| {
            let store = core.provider.store.clone();
            async move {
                store
                    .token(&crypto::token_key(&token))
                    .await
                    .unwrap()
                    .unwrap()
                    .kind
            }
        };
        assert_eq!(kind(rotated.access_token).await, TokenKind::Access);
        assert_eq!(
            kind(rotated.refresh_token.unwrap()).await,
            TokenKind::Refresh
        );
    }
}
