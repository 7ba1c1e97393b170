use super::*;

const NOW: i64 = 10_000;
/// The request arrived a minute ago; the pages carried this time along.
const STARTED: i64 = NOW - 60;
const USER: i64 = 1;

fn request(prompt: &[Prompt], max_age: Option<i64>) -> OidcRequest {
    OidcRequest {
        prompt: prompt.to_vec(),
        max_age,
        ..Default::default()
    }
}

/// Signed in `age` seconds ago.
fn signed_in(age: i64) -> Situation<'static> {
    Situation {
        session: Some(Session {
            user_id: USER,
            auth_time: NOW - age,
        }),
        now: NOW,
        request_started_at: STARTED,
        arrived_now: false,
        consent: Consent::Remembered,
        required_subject: None,
    }
}

fn signed_out() -> Situation<'static> {
    Situation {
        session: None,
        ..signed_in(0)
    }
}

/// Signed in an hour before this request arrived.
fn old_session() -> Situation<'static> {
    signed_in(3_600)
}

/// Signed in on our sign-in page during this request.
fn fresh_session() -> Situation<'static> {
    signed_in(30)
}

fn with_consent(situation: Situation, consent: Consent) -> Situation {
    Situation {
        consent,
        ..situation
    }
}

/// The client requires this subject (`"1"` is [`USER`]).
fn requiring<'a>(situation: Situation<'a>, sub: &'a str) -> Situation<'a> {
    Situation {
        required_subject: Some(sub),
        ..situation
    }
}

fn next(prompt: &[Prompt], max_age: Option<i64>, situation: Situation) -> Next {
    next_step(&request(prompt, max_age), &situation)
}

// prompt=none: never a page.

#[test]
fn prompt_none_without_a_session_is_login_required() {
    assert_eq!(
        next(&[Prompt::None], None, signed_out()),
        Next::Fail(ErrorCode::LoginRequired)
    );
}

#[test]
fn prompt_none_with_a_session_older_than_max_age_is_login_required() {
    assert_eq!(
        next(&[Prompt::None], Some(600), old_session()),
        Next::Fail(ErrorCode::LoginRequired)
    );
    assert_eq!(
        next(&[Prompt::None], Some(7_200), old_session()),
        Next::Approve
    );
}

#[test]
fn prompt_none_when_consent_is_needed_is_consent_required() {
    let situation = with_consent(old_session(), Consent::Needed);
    assert_eq!(
        next(&[Prompt::None], None, situation),
        Next::Fail(ErrorCode::ConsentRequired)
    );
}

#[test]
fn prompt_none_with_a_hint_for_another_user_is_login_required() {
    let situation = requiring(old_session(), "2");
    assert_eq!(
        next(&[Prompt::None], None, situation),
        Next::Fail(ErrorCode::LoginRequired)
    );
}

#[test]
fn prompt_none_with_a_session_remembered_consent_and_the_hinted_user_approves() {
    let situation = requiring(old_session(), "1");
    assert_eq!(next(&[Prompt::None], Some(7_200), situation), Next::Approve);
}

// Signing in.

#[test]
fn without_a_session_the_login_page_is_shown() {
    assert_eq!(next(&[], None, signed_out()), Next::ShowLogin);
    assert_eq!(
        next(&[Prompt::Consent], None, signed_out()),
        Next::ShowLogin
    );
}

#[test]
fn prompt_login_forces_a_sign_in_despite_a_session() {
    assert_eq!(next(&[Prompt::Login], None, old_session()), Next::ShowLogin);
    // Even one made in the second before the request arrived.
    assert_eq!(next(&[Prompt::Login], None, signed_in(61)), Next::ShowLogin);
}

#[test]
fn prompt_login_is_satisfied_by_a_sign_in_during_this_request() {
    assert_eq!(next(&[Prompt::Login], None, fresh_session()), Next::Approve);
    // At the very second the request arrived, too.
    assert_eq!(next(&[Prompt::Login], None, signed_in(60)), Next::Approve);
}

#[test]
fn prompt_select_account_is_answered_by_signing_in() {
    assert_eq!(
        next(&[Prompt::SelectAccount], None, old_session()),
        Next::ShowLogin
    );
    assert_eq!(
        next(&[Prompt::SelectAccount], None, fresh_session()),
        Next::Approve
    );
}

#[test]
fn max_age_forces_a_sign_in_when_the_session_is_older() {
    assert_eq!(next(&[], Some(600), old_session()), Next::ShowLogin);
}

#[test]
fn max_age_accepts_a_session_young_enough() {
    assert_eq!(next(&[], Some(3_600), old_session()), Next::Approve);
}

#[test]
fn max_age_is_satisfied_by_a_sign_in_during_this_request_however_long_ago() {
    // max_age=0 is prompt=login (§3.1.2.1): the consent page's POST comes
    // seconds after the sign-in, and must not loop back to it.
    assert_eq!(next(&[], Some(0), old_session()), Next::ShowLogin);
    assert_eq!(next(&[], Some(0), fresh_session()), Next::Approve);
    assert_eq!(next(&[], Some(10), fresh_session()), Next::Approve);
}

// A session begun in the very second the request arrived was not begun
// for it: whole-second times cannot tell, the first step can.
#[test]
fn on_arrival_no_session_counts_as_a_sign_in_for_this_request() {
    let arriving = Situation {
        request_started_at: NOW,
        arrived_now: true,
        ..signed_in(0)
    };
    assert_eq!(next(&[Prompt::Login], None, arriving), Next::ShowLogin);
    assert_eq!(next(&[], Some(0), arriving), Next::ShowLogin);
    let hinted = requiring(arriving, "2");
    assert_eq!(next(&[], None, hinted), Next::ShowLogin);
    // The next step, after the sign-in page, in that same second.
    let signed_in_now = Situation {
        arrived_now: false,
        ..arriving
    };
    assert_eq!(next(&[Prompt::Login], None, signed_in_now), Next::Approve);
    assert_eq!(next(&[], Some(0), signed_in_now), Next::Approve);
    assert_eq!(
        next(&[Prompt::None], Some(0), arriving),
        Next::Fail(ErrorCode::LoginRequired)
    );
}

#[test]
fn a_request_start_in_the_future_counts_as_now() {
    let situation = Situation {
        request_started_at: NOW + 1_000,
        ..signed_in(0)
    };
    assert_eq!(next(&[Prompt::Login], None, situation), Next::Approve);
}

#[test]
fn a_hint_for_another_user_shows_the_login_page() {
    let situation = requiring(old_session(), "2");
    assert_eq!(next(&[], None, situation), Next::ShowLogin);
}

#[test]
fn signing_in_as_another_user_than_the_hinted_one_is_login_required() {
    let situation = requiring(fresh_session(), "2");
    assert_eq!(
        next(&[], None, situation),
        Next::Fail(ErrorCode::LoginRequired)
    );
}

#[test]
fn the_hinted_user_with_a_session_goes_on() {
    let situation = requiring(old_session(), "1");
    assert_eq!(next(&[], None, situation), Next::Approve);
}

#[test]
fn a_required_sub_naming_none_of_our_users_is_never_met() {
    let situation = requiring(old_session(), "jane");
    assert_eq!(
        next(&[Prompt::None], None, situation),
        Next::Fail(ErrorCode::LoginRequired)
    );
    assert_eq!(
        next(&[], None, requiring(fresh_session(), "jane")),
        Next::Fail(ErrorCode::LoginRequired)
    );
}

fn hint(user_id: i64) -> IdTokenHint {
    IdTokenHint {
        user_id,
        client_id: "rp".into(),
    }
}

#[test]
fn the_required_subject_comes_from_the_hint_or_the_requested_sub() {
    let none = ClaimsRequest::default();
    let sub_1 = ClaimsRequest::parse(r#"{"id_token":{"sub":{"value":"1"}}}"#).unwrap();
    assert_eq!(required_subject(None, &none).unwrap(), None);
    assert_eq!(
        required_subject(Some(&hint(1)), &none).unwrap().as_deref(),
        Some("1")
    );
    assert_eq!(
        required_subject(None, &sub_1).unwrap().as_deref(),
        Some("1")
    );
    assert_eq!(
        required_subject(Some(&hint(1)), &sub_1).unwrap().as_deref(),
        Some("1")
    );
}

#[test]
fn a_hint_and_a_requested_sub_for_different_users_are_invalid_request() {
    let sub_2 = ClaimsRequest::parse(r#"{"id_token":{"sub":{"value":"2"}}}"#).unwrap();
    let error = required_subject(Some(&hint(1)), &sub_2).unwrap_err();
    assert_eq!(error.code, ErrorCode::InvalidRequest);
}

// Consent.

#[test]
fn consent_needed_shows_the_consent_page() {
    let situation = with_consent(old_session(), Consent::Needed);
    assert_eq!(next(&[], None, situation), Next::ShowConsent);
}

#[test]
fn consent_remembered_skips_the_consent_page() {
    assert_eq!(next(&[], None, old_session()), Next::Approve);
}

#[test]
fn prompt_consent_forces_the_consent_page_despite_remembered_consent() {
    assert_eq!(
        next(&[Prompt::Consent], None, old_session()),
        Next::ShowConsent
    );
}

#[test]
fn prompt_consent_is_satisfied_by_consent_given_during_this_request() {
    let situation = with_consent(old_session(), Consent::GivenNow);
    assert_eq!(next(&[Prompt::Consent], None, situation), Next::Approve);
}

#[test]
fn signing_in_comes_before_consent() {
    let situation = with_consent(old_session(), Consent::Needed);
    assert_eq!(
        next(&[Prompt::Login, Prompt::Consent], None, situation),
        Next::ShowLogin
    );
    let fresh = with_consent(fresh_session(), Consent::Needed);
    assert_eq!(
        next(&[Prompt::Login, Prompt::Consent], None, fresh),
        Next::ShowConsent
    );
    let consented = with_consent(fresh_session(), Consent::GivenNow);
    assert_eq!(
        next(&[Prompt::Login, Prompt::Consent], None, consented),
        Next::Approve
    );
}

#[test]
fn consent_given_now_does_not_skip_a_required_sign_in() {
    let situation = with_consent(old_session(), Consent::GivenNow);
    assert_eq!(next(&[Prompt::Login], None, situation), Next::ShowLogin);
    assert_eq!(next(&[], Some(60), situation), Next::ShowLogin);
}

// offline_access (§11).

#[test]
fn offline_access_is_granted_with_consent_given_now_in_the_code_flow() {
    let scope = granted_scope(
        "openid offline_access profile",
        ResponseType::Code,
        Consent::GivenNow,
    );
    assert_eq!(scope, "openid offline_access profile");
}

#[test]
fn offline_access_is_granted_with_a_remembered_consent_that_covers_it() {
    let scope = granted_scope(
        "openid offline_access",
        ResponseType::Code,
        Consent::Remembered,
    );
    assert_eq!(scope, "openid offline_access");
}

#[test]
fn offline_access_without_consent_is_dropped_silently() {
    let scope = granted_scope(
        "openid offline_access profile",
        ResponseType::Code,
        Consent::Needed,
    );
    assert_eq!(scope, "openid profile");
}

#[test]
fn offline_access_is_dropped_unless_the_response_type_returns_a_code() {
    assert!(!offline_access_allowed(
        ResponseType::Token,
        Consent::GivenNow
    ));
    let scope = granted_scope(
        "offline_access profile",
        ResponseType::Token,
        Consent::GivenNow,
    );
    assert_eq!(scope, "profile");
}

#[test]
fn a_scope_without_offline_access_is_granted_as_it_is() {
    assert_eq!(
        granted_scope("openid email", ResponseType::Token, Consent::Needed),
        "openid email"
    );
}
