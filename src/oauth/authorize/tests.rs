//! The authorization endpoint's rules (RFC 6749 §4.1.1–§4.1.2.1, §4.2,
//! §10.15; RFC 7636; RFC 9207; RFC 9700 §4.11.2), without a browser.

use super::*;
use crate::crypto;
use crate::oauth::oidc::response_mode::Answer;
use crate::oauth::testing::*;
use crate::oauth::vocabulary::{AuthMethod, GrantType};
use crate::oauth::ErrorCode;
use crate::store::Registrant;
use url::Url;

async fn validated(
    core: &Core,
    query: &[(&str, &str)],
    signed_in: bool,
) -> Result<AuthorizationRequest, AuthorizeError> {
    validate(&core.provider, &params(query), signed_in).await
}

/// The redirect an error was answered with, parsed.
fn redirected(result: Result<AuthorizationRequest, AuthorizeError>) -> Url {
    match result {
        Err(AuthorizeError::ToClient(answer)) => location(answer),
        other => panic!("expected a redirect, got {other:?}"),
    }
}

/// Where an answer sends the browser (query or fragment response mode).
fn location(answer: Answer) -> Url {
    match answer {
        Answer::Redirect(location) => Url::parse(&location).expect("a URL"),
        other => panic!("expected a redirect, got {other:?}"),
    }
}

/// User 7, signed in just now.
const USER: SignedIn = SignedIn {
    user_id: 7,
    auth_time: NOW,
};

/// The outcome of `request` for [`USER`], who has or has not just pressed
/// Allow.
async fn outcome(core: &Core, request: &AuthorizationRequest, allowed_now: bool) -> Outcome {
    proceed(
        &core.provider,
        request,
        Some(USER),
        Some(NOW),
        allowed_now,
        None,
    )
    .await
    .expect("no store failure")
}

/// [`USER`] has just pressed Allow.
async fn approved(core: &Core, request: &AuthorizationRequest) -> Url {
    match outcome(core, request, true).await {
        Outcome::Answer(answer) => location(answer),
        other => panic!("expected an answer, got {other:?}"),
    }
}

/// A parameter of the answer, in the query or, for the implicit grant
/// (§4.2.2), the fragment.
fn query(url: &Url, name: &str) -> Option<String> {
    let answer = url.query().or(url.fragment()).unwrap_or_default();
    form_urlencoded::parse(answer.as_bytes())
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.into_owned())
}

#[track_caller]
fn assert_no_redirect(result: Result<AuthorizationRequest, AuthorizeError>) {
    assert!(
        matches!(result, Err(AuthorizeError::NoRedirect(_))),
        "{result:?}"
    );
}

#[tokio::test]
async fn an_unknown_client_or_redirect_uri_is_never_redirected_to() {
    let core = Core::new().await;
    let (client, _) = core.confidential().await;
    let id = client.client_id.as_str();
    assert_no_redirect(validated(&core, &[("response_type", "code")], false).await);
    assert_no_redirect(validated(&core, &[("client_id", "nobody")], false).await);
    for uri in [
        "https://evil.example/cb",
        "https://app.example/cb/",
        "https://app.example/cb?x=1",
    ] {
        let result = validated(&core, &[("client_id", id), ("redirect_uri", uri)], false).await;
        assert_no_redirect(result);
    }
}

#[tokio::test]
async fn a_client_with_several_uris_must_name_one_and_one_with_a_single_uri_need_not() {
    let core = Core::new().await;
    let (mut client, _) = core.confidential().await;
    let single = [
        ("client_id", client.client_id.as_str()),
        ("response_type", "code"),
    ];
    let request = validated(&core, &single, false).await.unwrap();
    assert_eq!(request.redirect_uri, REDIRECT_URI);
    assert!(!request.redirect_uri_given);
    client.client_id = "several".into();
    client
        .redirect_uris
        .push("https://app.example/other".into());
    core.store_client(&client).await;
    let several = [("client_id", "several"), ("response_type", "code")];
    assert_no_redirect(validated(&core, &several, false).await);
}

// OpenID Connect Core §3.1.2.1: redirect_uri is REQUIRED in an OpenID
// request, even for a client with a single registered URI.
#[tokio::test]
async fn an_openid_request_must_name_its_redirect_uri() {
    let core = Core::new().await;
    let (client, _) = core.confidential().await;
    let id = client.client_id.as_str();
    let openid = [
        ("client_id", id),
        ("response_type", "code"),
        ("scope", "openid profile"),
    ];
    assert_no_redirect(validated(&core, &openid, true).await);
    let mut named = openid.to_vec();
    named.push(("redirect_uri", REDIRECT_URI));
    assert!(validated(&core, &named, true).await.is_ok());
}

#[tokio::test]
async fn request_errors_go_back_to_the_client_with_state_and_iss() {
    let core = Core::new().await;
    let (client, _) = core.confidential().await;
    let id = client.client_id.as_str();
    for (extra, error) in [
        (vec![], "invalid_request"),
        (
            vec![("response_type", "bogus")],
            "unsupported_response_type",
        ),
        // The client is not registered for the implicit grant.
        (vec![("response_type", "token")], "unauthorized_client"),
        (
            vec![("response_type", "code"), ("scope", "admin")],
            "invalid_scope",
        ),
        (
            vec![
                ("response_type", "code"),
                (
                    "code_challenge",
                    "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
                ),
                ("code_challenge_method", "plain"),
            ],
            "invalid_request",
        ),
    ] {
        let mut request = vec![("client_id", id), ("state", "s1")];
        request.extend(extra);
        let url = redirected(validated(&core, &request, false).await);
        assert_eq!(query(&url, "error").as_deref(), Some(error), "{url}");
        assert_eq!(query(&url, "state").as_deref(), Some("s1"));
        assert_eq!(query(&url, "iss").as_deref(), Some("https://auth.example"));
    }
}

#[tokio::test]
async fn a_public_client_must_use_pkce() {
    let core = Core::new().await;
    let (client, _) = core
        .client(
            Registrant::Operator,
            AuthMethod::None,
            &[GrantType::AuthorizationCode],
        )
        .await;
    let request = [
        ("client_id", client.client_id.as_str()),
        ("response_type", "code"),
    ];
    let url = redirected(validated(&core, &request, false).await);
    assert_eq!(query(&url, "error").as_deref(), Some("invalid_request"));
}

#[tokio::test]
async fn a_user_registered_clients_errors_are_redirected_only_after_sign_in() {
    let core = Core::new().await;
    let (client, _) = core
        .client(
            Registrant::User(1),
            AuthMethod::ClientSecretBasic,
            &[GrantType::AuthorizationCode],
        )
        .await;
    let request = [
        ("client_id", client.client_id.as_str()),
        ("response_type", "x"),
    ];
    assert_no_redirect(validated(&core, &request, false).await);
    let url = redirected(validated(&core, &request, true).await);
    assert_eq!(
        query(&url, "error").as_deref(),
        Some("unsupported_response_type")
    );
}

#[tokio::test]
async fn approval_stores_a_code_bound_to_the_request_and_denial_says_access_denied() {
    let core = Core::new().await;
    let (client, _) = core.confidential().await;
    let query_pairs = [
        ("client_id", client.client_id.as_str()),
        ("response_type", "code"),
        ("redirect_uri", REDIRECT_URI),
        ("scope", "email"),
        ("state", "s2"),
        (
            "code_challenge",
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        ),
        ("code_challenge_method", "S256"),
    ];
    let request = validated(&core, &query_pairs, true).await.unwrap();
    let url = approved(&core, &request).await;
    assert_eq!(query(&url, "state").as_deref(), Some("s2"));
    let code = query(&url, "code").expect("a code");
    let stored = core
        .provider
        .store
        .code(&crypto::token_key(&code))
        .await
        .unwrap()
        .expect("stored");
    assert_eq!((stored.user_id, stored.scope.as_str()), (7, "email"));
    assert!(stored.redirect_uri_given);
    assert_eq!(stored.expires_at, NOW + 60);
    assert!(stored.code_challenge.is_some());
    let denied = location(deny(&core.provider, &request, ErrorCode::AccessDenied));
    assert_eq!(query(&denied, "error").as_deref(), Some("access_denied"));
    assert_eq!(query(&denied, "state").as_deref(), Some("s2"));
}

#[tokio::test]
async fn the_implicit_grant_answers_in_the_fragment_without_a_refresh_token() {
    let core = Core::new().await;
    let (client, _) = core
        .client(
            Registrant::Operator,
            AuthMethod::ClientSecretBasic,
            &[GrantType::Implicit, GrantType::RefreshToken],
        )
        .await;
    let request = [
        ("client_id", client.client_id.as_str()),
        ("response_type", "token"),
    ];
    let request = validated(&core, &request, true).await.unwrap();
    let url = approved(&core, &request).await;
    assert!(url.query().is_none(), "{url}");
    assert!(query(&url, "access_token").is_some());
    assert!(query(&url, "refresh_token").is_none());
}
