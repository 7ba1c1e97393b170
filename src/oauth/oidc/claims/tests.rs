use super::*;

fn full() -> UserClaims {
    UserClaims {
        name: Some("Jane Doe".into()),
        given_name: Some("Jane".into()),
        family_name: Some("Doe".into()),
        middle_name: Some("Q.".into()),
        nickname: Some("JD".into()),
        preferred_username: Some("j.doe".into()),
        profile: Some("https://example.com/janedoe".into()),
        picture: Some("https://example.com/janedoe/me.jpg".into()),
        website: Some("http://blog.example.com".into()),
        email: Some("janedoe@example.com".into()),
        email_verified: Some(true),
        gender: Some("female".into()),
        birthdate: Some("0000-02-29".into()),
        zoneinfo: Some("America/Argentina/Buenos_Aires".into()),
        locale: Some("en-US".into()),
        phone_number: Some("+1 (425) 555-1212;ext=5678".into()),
        phone_number_verified: Some(false),
        address: Some(Address {
            formatted: Some("1234 Hollywood Blvd.\r\nLos Angeles, CA 90210\nUSA".into()),
            street_address: Some("1234 Hollywood Blvd.".into()),
            locality: Some("Los Angeles".into()),
            region: Some("CA".into()),
            postal_code: Some("90210".into()),
            country: Some("US".into()),
        }),
        updated_at: Some(1_311_280_970),
    }
}

fn invalid(claims: UserClaims) -> &'static str {
    claims.validate().unwrap_err().claim
}

#[test]
fn a_user_without_claims_is_stored_as_an_empty_object() {
    assert_eq!(serde_json::to_string(&UserClaims::default()).unwrap(), "{}");
    let read: UserClaims = serde_json::from_str("{}").unwrap();
    assert_eq!(read, UserClaims::default());
}

#[test]
fn stored_claims_round_trip_and_unknown_members_are_ignored() {
    let stored = serde_json::to_string(&full()).unwrap();
    assert_eq!(serde_json::from_str::<UserClaims>(&stored).unwrap(), full());
    let newer: UserClaims =
        serde_json::from_str(r#"{"name":"Jane","shoe_size":38,"address":{"country":"FR","x":1}}"#)
            .unwrap();
    assert_eq!(newer.name.as_deref(), Some("Jane"));
    assert_eq!(newer.address.unwrap().country.as_deref(), Some("FR"));
}

#[test]
fn the_core_example_values_are_valid() {
    assert_eq!(full().validate(), Ok(()));
    assert_eq!(UserClaims::default().validate(), Ok(()));
}

#[test]
fn an_invalid_email_is_refused() {
    for email in [
        "plainaddress",
        "@example.com",
        "jane@",
        "jane doe@example.com",
        "jane@@example.com",
        "jane@exa mple.com",
        "jane@-example.com",
        "jane@example..com",
        ".jane@example.com",
        "jane..doe@example.com",
        "<jane@example.com>",
    ] {
        let claims = UserClaims {
            email: Some(email.into()),
            ..Default::default()
        };
        assert_eq!(invalid(claims), "email", "{email}");
    }
    for email in ["jane+tag@example.com", "root@localhost", "josé@exämple.fr"] {
        let claims = UserClaims {
            email: Some(email.into()),
            ..Default::default()
        };
        assert_eq!(claims.validate(), Ok(()), "{email}");
    }
}

#[test]
fn urls_must_be_http_or_https() {
    for url in [
        "javascript:alert(1)",
        "data:image/png;base64,AAAA",
        "ftp://example.com/me.jpg",
        "example.com/me",
        "https://user:pass@example.com/",
        "https://user@example.com/",
    ] {
        let claims = UserClaims {
            picture: Some(url.into()),
            ..Default::default()
        };
        assert_eq!(invalid(claims), "picture", "{url}");
    }
    let long = UserClaims {
        website: Some(format!(
            "https://example.com/{}",
            "a".repeat(syntax::MAX_URL)
        )),
        ..Default::default()
    };
    assert_eq!(invalid(long), "website");
}

#[test]
fn text_is_bounded_and_free_of_control_characters() {
    let nul = UserClaims {
        name: Some("Jane\0Doe".into()),
        ..Default::default()
    };
    assert_eq!(invalid(nul), "name");
    let newline = UserClaims {
        nickname: Some("JD\n".into()),
        ..Default::default()
    };
    assert_eq!(invalid(newline), "nickname");
    let long = UserClaims {
        family_name: Some("é".repeat(syntax::MAX_TEXT + 1)),
        ..Default::default()
    };
    assert_eq!(invalid(long), "family_name");
    let fits = UserClaims {
        family_name: Some("é".repeat(syntax::MAX_TEXT)),
        ..Default::default()
    };
    assert_eq!(fits.validate(), Ok(()));
    let empty = UserClaims {
        given_name: Some("  ".into()),
        ..Default::default()
    };
    assert_eq!(invalid(empty), "given_name");
}

#[test]
fn address_lines_may_break_but_hold_no_other_control_character() {
    let with = |street: &str| UserClaims {
        address: Some(Address {
            street_address: Some(street.into()),
            ..Default::default()
        }),
        ..Default::default()
    };
    assert_eq!(with("1 Main St\nApt 2").validate(), Ok(()));
    assert_eq!(with("1 Main St\r\nApt 2").validate(), Ok(()));
    assert_eq!(invalid(with("1 Main St\rApt 2")), "address.street_address");
    assert_eq!(invalid(with("1 Main St\0")), "address.street_address");
    let locality = UserClaims {
        address: Some(Address {
            locality: Some("Paris\nFrance".into()),
            ..Default::default()
        }),
        ..Default::default()
    };
    assert_eq!(invalid(locality), "address.locality");
}

#[test]
fn birthdates_follow_section_5_1() {
    let with = |date: &str| UserClaims {
        birthdate: Some(date.into()),
        ..Default::default()
    };
    for date in [
        "1980-01-31",
        "0000-12-24",
        "1980",
        "2000-02-29",
        "0000-02-29",
    ] {
        assert_eq!(with(date).validate(), Ok(()), "{date}");
    }
    for date in [
        "1981-02-29",
        "1980-13-01",
        "1980-04-31",
        "80-01-01",
        "1980-1-1",
        "01/31/1980",
        "1980-00-10",
        "+980-01-01",
    ] {
        assert_eq!(invalid(with(date)), "birthdate", "{date}");
    }
}

#[test]
fn zoneinfo_locale_and_phone_number_have_sane_syntax() {
    for (claims, claim) in [
        (
            UserClaims {
                zoneinfo: Some("Europe/../etc".into()),
                ..Default::default()
            },
            "zoneinfo",
        ),
        (
            UserClaims {
                zoneinfo: Some("Europe/Paris ".into()),
                ..Default::default()
            },
            "zoneinfo",
        ),
        (
            UserClaims {
                locale: Some("e".into()),
                ..Default::default()
            },
            "locale",
        ),
        (
            UserClaims {
                locale: Some("en-US-".into()),
                ..Default::default()
            },
            "locale",
        ),
        (
            UserClaims {
                phone_number: Some("call me".into()),
                ..Default::default()
            },
            "phone_number",
        ),
        (
            UserClaims {
                phone_number: Some("+1 555;ext=".into()),
                ..Default::default()
            },
            "phone_number",
        ),
        (
            UserClaims {
                phone_number: Some("5+55".into()),
                ..Default::default()
            },
            "phone_number",
        ),
    ] {
        assert_eq!(invalid(claims), claim);
    }
    let fine = UserClaims {
        zoneinfo: Some("Etc/GMT+5".into()),
        locale: Some("fr_CA".into()),
        phone_number: Some("+33.1.23.45.67.89".into()),
        ..Default::default()
    };
    assert_eq!(fine.validate(), Ok(()));
}

#[test]
fn updated_at_cannot_be_negative() {
    let claims = UserClaims {
        updated_at: Some(-1),
        ..Default::default()
    };
    assert_eq!(invalid(claims), "updated_at");
}

#[test]
fn an_invalid_claim_is_an_invalid_request() {
    let claims = UserClaims {
        email: Some("nope".into()),
        ..Default::default()
    };
    let error: OAuthError = claims.validate().unwrap_err().into();
    assert_eq!(error.code, crate::oauth::ErrorCode::InvalidRequest);
    assert_eq!(error.description, "claim email: not an email address");
}

#[test]
fn each_scope_releases_the_claims_of_section_5_4() {
    assert_eq!(claims_of_scope("profile").len(), 14);
    assert!(claims_of_scope("profile").contains(&"updated_at"));
    assert_eq!(claims_of_scope("email"), ["email", "email_verified"]);
    assert_eq!(claims_of_scope("address"), ["address"]);
    assert_eq!(
        claims_of_scope("phone"),
        ["phone_number", "phone_number_verified"]
    );
    assert!(claims_of_scope("openid").is_empty());
    assert!(claims_of_scope("restaurants:read").is_empty());
}

#[test]
fn every_scope_claim_is_a_field_of_user_claims() {
    let names: Vec<String> = full().to_map().keys().cloned().collect();
    for scope in ["profile", "email", "address", "phone"] {
        for claim in claims_of_scope(scope) {
            assert!(names.iter().any(|n| n == claim), "{claim}");
        }
    }
    assert_eq!(names.len(), 19);
    assert!(names.iter().all(|name| is_user_claim(name)));
}

#[test]
fn claims_supported_lists_protocol_and_user_claims_once() {
    let supported = claims_supported();
    for claim in [
        "sub",
        "iss",
        "aud",
        "exp",
        "iat",
        "auth_time",
        "nonce",
        "amr",
        "at_hash",
        "email",
        "address",
    ] {
        assert!(supported.contains(&claim), "{claim}");
    }
    let mut distinct = supported.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), supported.len());
    assert!(!supported.contains(&"azp"));
}
