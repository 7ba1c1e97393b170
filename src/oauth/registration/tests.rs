use super::*;

fn metadata() -> ClientMetadata {
    ClientMetadata {
        client_name: "app".into(),
        redirect_uris: vec!["https://app.example/cb".into()],
        ..Default::default()
    }
}

const SUPPORTED: [&str; 2] = ["profile", "email"];

fn register(metadata: ClientMetadata, registrant: Option<i64>) -> Result<Registered, OAuthError> {
    let scopes: Vec<String> = SUPPORTED.map(String::from).to_vec();
    let policy = RegistrationPolicy {
        scopes_supported: &scopes,
        insecure_http: false,
    };
    let registrant = registrant.map_or(Registrant::Operator, Registrant::User);
    super::register(metadata, registrant, &policy)
}

#[test]
fn defaults_are_authorization_code_and_basic_auth() {
    let r = register(metadata(), None).unwrap();
    assert_eq!(r.client.grant_types, [GrantType::AuthorizationCode]);
    assert_eq!(r.client.response_types, [ResponseType::Code]);
    assert_eq!(
        r.client.token_endpoint_auth_method,
        AuthMethod::ClientSecretBasic
    );
    let secret = r.client_secret.unwrap();
    assert!(!r.client.secret_hash.unwrap().contains(&secret));
}

#[test]
fn public_client_gets_no_secret() {
    let mut m = metadata();
    m.token_endpoint_auth_method = Some("none".into());
    let r = register(m, None).unwrap();
    assert!(r.client_secret.is_none() && r.client.secret_hash.is_none());
}

#[test]
fn redirect_uri_with_fragment_is_refused() {
    let mut m = metadata();
    m.redirect_uris = vec!["https://app.example/cb#x".into()];
    let err = register(m, None).err().unwrap();
    assert_eq!(err.code, ErrorCode::InvalidRedirectUri);
}

#[test]
fn post_logout_redirect_uris_follow_the_redirect_uri_rules() {
    let mut m = metadata();
    m.post_logout_redirect_uris = vec!["https://app.example/bye".into()];
    let client = register(m.clone(), None).unwrap().client;
    assert_eq!(
        client.post_logout_redirect_uris,
        ["https://app.example/bye"]
    );
    assert_eq!(
        ClientInformation::from(&client).post_logout_redirect_uris,
        ["https://app.example/bye"]
    );
    for uri in [
        "javascript:alert(1)",
        "http://evil.example/bye",
        "https://app.example/bye#x",
    ] {
        m.post_logout_redirect_uris = vec![uri.into()];
        let err = register(m.clone(), None).err().unwrap();
        assert_eq!(err.code, ErrorCode::InvalidRedirectUri, "{uri}");
    }
}

#[test]
fn code_flow_without_redirect_uri_is_refused() {
    let mut m = metadata();
    m.redirect_uris.clear();
    assert!(register(m, None).is_err());
}

#[test]
fn client_uri_must_be_a_web_page() {
    let mut m = metadata();
    m.client_uri = Some("javascript:alert(1)".into());
    assert!(register(m, None).is_err());
}

#[test]
fn repeated_grant_types_are_kept_once() {
    let mut m = metadata();
    m.grant_types = ["authorization_code", "refresh_token", "authorization_code"]
        .map(String::from)
        .to_vec();
    let r = register(m, None).unwrap();
    assert_eq!(
        r.client.grant_types,
        [GrantType::AuthorizationCode, GrantType::RefreshToken]
    );
}

#[test]
fn token_response_type_needs_the_implicit_grant() {
    let mut m = metadata();
    m.response_types = vec!["token".into()];
    assert!(register(m, None).is_err());
}

#[test]
fn scopes_must_be_supported_and_well_formed() {
    let mut m = metadata();
    m.scope = "profile email profile".into();
    assert_eq!(
        register(m.clone(), None).unwrap().client.scope,
        "profile email"
    );
    for scope in ["admin:everything", "profile pro\"file"] {
        m.scope = scope.into();
        let err = register(m.clone(), None).err().unwrap();
        assert_eq!(err.code, ErrorCode::InvalidClientMetadata, "{scope}");
    }
}

#[test]
fn unknown_grant_type_is_invalid_client_metadata() {
    let mut m = metadata();
    m.grant_types = vec!["urn:bogus".into()];
    let err = register(m, None).err().unwrap();
    assert_eq!(err.code, ErrorCode::InvalidClientMetadata);
}

#[test]
fn plain_http_redirect_uri_on_a_network_host_is_refused() {
    let mut m = metadata();
    m.redirect_uris = vec!["http://evil.example.com/cb".into()];
    let err = register(m, Some(1)).err().unwrap();
    assert_eq!(err.code, ErrorCode::InvalidRedirectUri);
}

#[test]
fn the_registrant_is_recorded() {
    assert_eq!(
        register(metadata(), Some(7)).unwrap().client.registrant,
        Registrant::User(7)
    );
    assert!(register(metadata(), None)
        .unwrap()
        .client
        .registrant
        .is_operator());
}
