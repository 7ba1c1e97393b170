use super::*;
use crate::oauth::oidc::claims::Address;
use crate::oauth::ErrorCode;
use serde_json::json;

const CODE_FLOW_ID_TOKEN: Target = Target::IdToken {
    access_token_issued: true,
};
const ID_TOKEN_ONLY: Target = Target::IdToken {
    access_token_issued: false,
};

fn user() -> UserClaims {
    UserClaims {
        name: Some("Jane Doe".into()),
        email: Some("jane@example.com".into()),
        email_verified: Some(true),
        phone_number: Some("+1 555 0100".into()),
        address: Some(Address {
            country: Some("US".into()),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn names(map: &Map<String, Value>) -> Vec<&str> {
    map.keys().map(String::as_str).collect()
}

fn request(json: &str) -> ClaimsRequest {
    ClaimsRequest::parse(json).unwrap()
}

#[test]
fn the_core_example_request_parses() {
    // §5.5, the example (with the unsupported acr request left out).
    let parsed = request(
        r#"{"userinfo":{"given_name":{"essential":true},"nickname":null,
            "email":{"essential":true},"email_verified":{"essential":true},
            "picture":null,"http://example.info/claims/groups":null},
           "id_token":{"auth_time":{"essential":true},
            "acr":{"values":["urn:mace:incommon:iap:silver"]}}}"#,
    );
    assert_eq!(parsed.userinfo.len(), 5);
    assert!(parsed.userinfo["given_name"].essential);
    assert_eq!(parsed.userinfo["nickname"], ClaimRequest::default());
    assert!(!parsed
        .userinfo
        .contains_key("http://example.info/claims/groups"));
    // auth_time and acr are the ID token builder's, not released claims.
    assert!(parsed.id_token.is_empty());
}

#[test]
fn value_and_values_are_kept() {
    let parsed = request(
        r#"{"id_token":{"sub":{"value":"248289761001"},
            "locale":{"values":["fr-CA","fr"],"essential":false,"other":1}}}"#,
    );
    assert_eq!(parsed.id_token["sub"].value, Some(json!("248289761001")));
    assert_eq!(parsed.required_subject(), Some("248289761001"));
    assert_eq!(
        parsed.id_token["locale"].values,
        Some(vec![json!("fr-CA"), json!("fr")])
    );
    assert!(!parsed.id_token["locale"].essential);
}

#[test]
fn malformed_claims_are_invalid_request() {
    for json in [
        "",
        "{",
        "[]",
        "\"userinfo\"",
        r#"{"userinfo":[]}"#,
        r#"{"id_token":"email"}"#,
        r#"{"userinfo":{"email":true}}"#,
        r#"{"userinfo":{"email":{"essential":"yes"}}}"#,
        r#"{"userinfo":{"email":{"values":"a@b.c"}}}"#,
    ] {
        let error = ClaimsRequest::parse(json).unwrap_err();
        assert_eq!(error.code, ErrorCode::InvalidRequest, "{json}");
    }
}

#[test]
fn unknown_members_and_claims_are_ignored() {
    let parsed = request(r#"{"userinfo":null,"verified_claims":{},"id_token":{"shoe_size":null}}"#);
    assert_eq!(parsed, ClaimsRequest::default());
    assert_eq!(parsed.required_subject(), None);
}

#[test]
fn oversized_claims_are_refused() {
    let long = format!(
        r#"{{"userinfo":{{"name":{{"value":"{}"}}}}}}"#,
        "a".repeat(MAX_CLAIMS_REQUEST_LEN)
    );
    let error = ClaimsRequest::parse(&long).unwrap_err();
    assert_eq!(error.code, ErrorCode::InvalidRequest);
}

#[test]
fn scope_claims_go_to_userinfo_when_an_access_token_is_issued() {
    let none = ClaimsRequest::default();
    let userinfo = released(&user(), &["openid", "email"], &none, Target::UserInfo);
    assert_eq!(names(&userinfo), ["email", "email_verified"]);
    assert!(released(&user(), &["openid", "email"], &none, CODE_FLOW_ID_TOKEN).is_empty());
}

#[test]
fn scope_claims_go_to_the_id_token_when_no_access_token_is_issued() {
    let none = ClaimsRequest::default();
    let id_token = released(&user(), &["openid", "email", "phone"], &none, ID_TOKEN_ONLY);
    assert_eq!(
        names(&id_token),
        ["email", "email_verified", "phone_number"]
    );
}

#[test]
fn claims_parameter_sends_a_consented_claim_where_it_asks() {
    let asked = request(r#"{"id_token":{"email":null}}"#);
    let id_token = released(&user(), &["openid", "email"], &asked, CODE_FLOW_ID_TOKEN);
    assert_eq!(id_token["email"], json!("jane@example.com"));
    assert_eq!(names(&id_token), ["email"]);
    // Asked for the ID token only, it is still at the UserInfo endpoint,
    // where the email scope puts it.
    let userinfo = released(&user(), &["openid", "email"], &asked, Target::UserInfo);
    assert_eq!(names(&userinfo), ["email", "email_verified"]);
}

#[test]
fn claims_parameter_never_releases_a_claim_no_granted_scope_covers() {
    let asked = request(r#"{"id_token":{"email":{"essential":true}},"userinfo":{"name":null}}"#);
    assert!(released(&user(), &["openid"], &asked, CODE_FLOW_ID_TOKEN).is_empty());
    assert!(released(&user(), &["openid"], &asked, Target::UserInfo).is_empty());
}

#[test]
fn essential_and_voluntary_claims_are_both_released_when_the_user_has_them() {
    let asked = request(r#"{"id_token":{"email":{"essential":true},"name":null}}"#);
    let id_token = released(
        &user(),
        &["openid", "email", "profile"],
        &asked,
        CODE_FLOW_ID_TOKEN,
    );
    assert_eq!(names(&id_token), ["email", "name"]);
}

#[test]
fn a_missing_essential_claim_is_left_out_not_an_error() {
    let asked = request(r#"{"id_token":{"birthdate":{"essential":true}}}"#);
    let id_token = released(&user(), &["openid", "profile"], &asked, CODE_FLOW_ID_TOKEN);
    assert!(id_token.is_empty());
    let userinfo = released(&user(), &["openid", "profile"], &asked, Target::UserInfo);
    assert_eq!(names(&userinfo), ["name"]);
}

#[test]
fn non_standard_scopes_release_nothing() {
    let none = ClaimsRequest::default();
    assert!(released(
        &user(),
        &["restaurants:read", "all"],
        &none,
        Target::UserInfo
    )
    .is_empty());
    let address = released(&user(), &["address"], &none, Target::UserInfo);
    assert_eq!(address["address"], json!({"country": "US"}));
}
