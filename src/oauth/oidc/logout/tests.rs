use super::*;
use crate::oauth::vocabulary::{AuthMethod, GrantType, ResponseType};
use crate::oauth::ErrorCode;
use crate::store::Registrant;

const USER: i64 = 1;
const BYE: &str = "https://rp.example/bye";

fn client() -> Client {
    Client {
        client_id: "rp".into(),
        client_name: "RP".into(),
        client_uri: None,
        secret_hash: None,
        redirect_uris: vec!["https://rp.example/cb".into()],
        post_logout_redirect_uris: vec![BYE.into(), "https://rp.example/bye?lang=fr".into()],
        grant_types: vec![GrantType::AuthorizationCode],
        response_types: vec![ResponseType::Code],
        scope: "openid".into(),
        token_endpoint_auth_method: AuthMethod::ClientSecretBasic,
        registrant: Registrant::Operator,
        resource_server: false,
        client_id_issued_at: 0,
        client_secret_expires_at: 0,
        id_token_signed_response_alg: crate::keys::SigningAlg::Rs256,
        userinfo_signed_response_alg: None,
        access_token_format: crate::oauth::vocabulary::AccessTokenFormat::Opaque,
        previous_secret: None,
        version: None,
    }
}

fn hint_for(user_id: i64, client_id: &str) -> Hint {
    Hint::Verified(IdTokenHint {
        user_id,
        client_id: client_id.into(),
    })
}

fn request(pairs: &[(&str, &str)]) -> EndSessionRequest {
    let pairs = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string()));
    EndSessionRequest::parse(&Params::from_pairs(pairs).unwrap())
}

/// Decides as the endpoint would: the client looked up by [`client_id`].
fn decide_with(
    request: &EndSessionRequest,
    hint: &Hint,
    session_user: Option<i64>,
    confirmed: bool,
) -> LogoutDecision {
    let registered = client();
    let client = (client_id(request, hint) == Some("rp")).then_some(&registered);
    decide(
        request,
        &LogoutContext {
            hint,
            client,
            session_user,
            confirmed,
        },
    )
}

fn invalid(decision: LogoutDecision) -> OAuthError {
    match decision {
        LogoutDecision::Invalid(error) => error,
        other => panic!("expected Invalid, got {other:?}"),
    }
}

#[test]
fn the_request_parameters_are_read() {
    let parsed = request(&[
        ("id_token_hint", "eyJ.eyJ.sig"),
        ("logout_hint", "jane"),
        ("client_id", "rp"),
        ("post_logout_redirect_uri", BYE),
        ("state", "s"),
        ("ui_locales", "fr"),
    ]);
    assert_eq!(parsed.id_token_hint.as_deref(), Some("eyJ.eyJ.sig"));
    assert_eq!(parsed.logout_hint.as_deref(), Some("jane"));
    assert_eq!(parsed.client_id.as_deref(), Some("rp"));
    assert_eq!(parsed.post_logout_redirect_uri.as_deref(), Some(BYE));
    assert_eq!(parsed.state.as_deref(), Some("s"));
}

#[test]
fn a_valid_hint_for_the_signed_in_user_logs_out_and_redirects_with_state() {
    let req = request(&[("post_logout_redirect_uri", BYE), ("state", "af0ifjsldkj")]);
    assert_eq!(
        decide_with(&req, &hint_for(USER, "rp"), Some(USER), false),
        LogoutDecision::LogOutAndRedirect {
            uri: "https://rp.example/bye?state=af0ifjsldkj".into()
        }
    );
}

#[test]
fn state_joins_the_registered_uris_own_query() {
    let req = request(&[
        ("post_logout_redirect_uri", "https://rp.example/bye?lang=fr"),
        ("state", "a b"),
    ]);
    assert_eq!(
        decide_with(&req, &hint_for(USER, "rp"), Some(USER), false),
        LogoutDecision::LogOutAndRedirect {
            uri: "https://rp.example/bye?lang=fr&state=a+b".into()
        }
    );
}

#[test]
fn without_a_redirect_uri_the_logged_out_page_is_shown() {
    let req = request(&[]);
    assert_eq!(
        decide_with(&req, &hint_for(USER, "rp"), Some(USER), false),
        LogoutDecision::LogOutAndShowPage
    );
}

#[test]
fn without_a_hint_the_user_confirms_first() {
    let req = request(&[("client_id", "rp"), ("post_logout_redirect_uri", BYE)]);
    assert_eq!(
        decide_with(&req, &Hint::Absent, Some(USER), false),
        LogoutDecision::ConfirmFirst
    );
    assert_eq!(
        decide_with(&req, &Hint::Absent, Some(USER), true),
        LogoutDecision::LogOutAndRedirect { uri: BYE.into() }
    );
}

#[test]
fn an_unverifiable_hint_proves_nothing_and_the_user_confirms_first() {
    let req = request(&[("id_token_hint", "forged"), ("client_id", "rp")]);
    assert_eq!(
        decide_with(&req, &Hint::Unverifiable, Some(USER), false),
        LogoutDecision::ConfirmFirst
    );
    assert_eq!(
        decide_with(&req, &Hint::Unverifiable, Some(USER), true),
        LogoutDecision::LogOutAndShowPage
    );
}

#[test]
fn a_hint_for_another_user_than_the_signed_in_one_needs_confirmation() {
    let req = request(&[]);
    assert_eq!(
        decide_with(&req, &hint_for(USER + 1, "rp"), Some(USER), false),
        LogoutDecision::ConfirmFirst
    );
}

#[test]
fn with_nobody_signed_in_there_is_nothing_to_confirm() {
    let req = request(&[("client_id", "rp"), ("post_logout_redirect_uri", BYE)]);
    assert_eq!(
        decide_with(&req, &Hint::Absent, None, false),
        LogoutDecision::LogOutAndRedirect { uri: BYE.into() }
    );
}

#[test]
fn client_id_and_the_hints_audience_must_agree() {
    // The client_id is registered, but the hint was issued to another.
    let req = request(&[("client_id", "rp")]);
    let error = invalid(decide_with(
        &req,
        &hint_for(USER, "other"),
        Some(USER),
        true,
    ));
    assert_eq!(error.code, ErrorCode::InvalidRequest);
}

#[test]
fn an_unregistered_post_logout_redirect_uri_is_never_redirected_to() {
    for uri in [
        "https://evil.example/",
        "https://rp.example/bye/",
        "https://rp.example/BYE",
        "https://rp.example/cb",
    ] {
        let req = request(&[("post_logout_redirect_uri", uri)]);
        let decision = decide_with(&req, &hint_for(USER, "rp"), Some(USER), true);
        assert_eq!(invalid(decision).code, ErrorCode::InvalidRequest, "{uri}");
    }
}

#[test]
fn a_post_logout_redirect_uri_needs_a_known_client() {
    let req = request(&[("post_logout_redirect_uri", BYE)]);
    assert!(matches!(
        decide_with(&req, &Hint::Absent, Some(USER), true),
        LogoutDecision::Invalid(_)
    ));
    assert!(matches!(
        decide_with(&req, &Hint::Unverifiable, None, true),
        LogoutDecision::Invalid(_)
    ));
    // A hint issued to a client since deleted names no registered URI.
    assert!(matches!(
        decide_with(&req, &hint_for(USER, "gone"), Some(USER), true),
        LogoutDecision::Invalid(_)
    ));
}

#[test]
fn an_unknown_client_id_is_invalid() {
    let req = request(&[("client_id", "nobody")]);
    assert!(matches!(
        decide_with(&req, &Hint::Absent, Some(USER), true),
        LogoutDecision::Invalid(_)
    ));
}

#[test]
fn the_client_is_found_from_client_id_or_the_hint() {
    let hint = hint_for(USER, "rp");
    assert_eq!(client_id(&request(&[]), &hint), Some("rp"));
    assert_eq!(client_id(&request(&[("client_id", "x")]), &hint), Some("x"));
    assert_eq!(client_id(&request(&[]), &Hint::Unverifiable), None);
}

#[test]
fn a_client_record_for_another_client_than_the_named_one_is_not_used() {
    let req = request(&[("client_id", "other"), ("post_logout_redirect_uri", BYE)]);
    let registered = client();
    let decision = decide(
        &req,
        &LogoutContext {
            hint: &Hint::Absent,
            client: Some(&registered),
            session_user: None,
            confirmed: true,
        },
    );
    assert!(matches!(decision, LogoutDecision::Invalid(_)));
}
