use super::*;
use crate::oauth::vocabulary::ResponseType;
use serde_json::{json, Value};

const OPEN: [&str; 3] = ["openid", "profile", "email"];

fn with_policy<T>(insecure_http: bool, run: impl FnOnce(&RegistrationPolicy) -> T) -> T {
    let scopes: Vec<String> = OPEN.map(String::from).to_vec();
    run(&RegistrationPolicy {
        scopes_supported: &scopes,
        insecure_http,
    })
}

/// An MCP client's registration, as such clients send it.
fn mcp() -> Value {
    json!({
        "client_name": "Agent",
        "redirect_uris": ["http://127.0.0.1:33418/callback"],
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "token_endpoint_auth_method": "none",
        "logo_uri": "https://agent.example/logo.png",
        "software_statement": "ignored.jwt.value",
    })
}

fn with(member: &str, value: Value) -> Value {
    let mut body = mcp();
    body[member] = value;
    body
}

fn outcome(body: &Value) -> Result<SelfRegistered, OAuthError> {
    with_policy(false, |policy| {
        register(parse(body.to_string().as_bytes())?, policy)
    })
}

fn refusal(body: &Value) -> OAuthError {
    outcome(body).err().expect("refused")
}

fn code(body: &Value) -> ErrorCode {
    refusal(body).code
}

#[test]
fn an_mcp_client_registers_as_a_public_native_client_nobody_vouches_for() {
    let registered = outcome(&mcp()).unwrap();
    let client = &registered.registration.client;
    assert_eq!(client.registrant, Registrant::Dynamic);
    assert!(!client.registrant.is_operator() && client.registrant.owner().is_none());
    assert!(client.is_public() && registered.client_secret.is_none());
    assert_eq!(
        client.grant_types,
        [GrantType::AuthorizationCode, GrantType::RefreshToken]
    );
    assert_eq!(client.response_types, [ResponseType::Code]);
    assert_eq!(
        registered.registration.application_type,
        ApplicationType::Native
    );
    // RFC 7591 §2: without a scope, all that is open.
    assert_eq!(client.scope, "openid profile email");
    assert!(!client.resource_server);
    // Only the token's key is kept.
    assert_eq!(
        registered.registration.access_token,
        crypto::token_key(&registered.registration_access_token)
    );
}

#[test]
fn a_confidential_client_gets_a_generated_secret_shown_once() {
    for method in ["client_secret_basic", "client_secret_post"] {
        let mut body = with("token_endpoint_auth_method", json!(method));
        body["redirect_uris"] = json!(["https://app.example/cb"]);
        let registered = outcome(&body).unwrap();
        let secret = registered.client_secret.expect("a secret");
        let stored = registered.registration.client.secret_hash.unwrap();
        assert!(
            crypto::verify_generated_secret(&stored, &secret),
            "{method}"
        );
    }
    // RFC 7591 §2: client_secret_basic when omitted.
    let body = with("token_endpoint_auth_method", Value::Null);
    let client = outcome(&body).unwrap().registration.client;
    assert_eq!(
        client.token_endpoint_auth_method,
        AuthMethod::ClientSecretBasic
    );
}

#[test]
fn only_the_code_flow_is_open_to_self_registered_clients() {
    for grants in [
        json!(["client_credentials"]),
        json!(["authorization_code", "password"]),
        json!(["implicit"]),
        json!(["urn:ietf:params:oauth:grant-type:device_code"]),
        json!(["refresh_token"]),
    ] {
        let body = with("grant_types", grants.clone());
        assert_eq!(code(&body), ErrorCode::InvalidClientMetadata, "{grants}");
    }
    let body = with("response_types", json!(["token"]));
    assert_eq!(code(&body), ErrorCode::InvalidClientMetadata);
    for method in ["private_key_jwt", "client_secret_jwt", "tls_client_auth"] {
        let body = with("token_endpoint_auth_method", json!(method));
        assert_eq!(code(&body), ErrorCode::InvalidClientMetadata, "{method}");
    }
}

#[test]
fn scopes_must_be_open_to_self_registered_clients() {
    let body = with("scope", json!("profile email"));
    assert_eq!(
        outcome(&body).unwrap().registration.client.scope,
        "profile email"
    );
    for scope in ["profile restaurants:write", "all", "profile pro\"file"] {
        let body = with("scope", json!(scope));
        let error = refusal(&body);
        assert_eq!(error.code, ErrorCode::InvalidClientMetadata, "{scope}");
    }
    // Said as it is: the server supports it, but not for such clients.
    let error = refusal(&with("scope", json!("profile restaurants:write")));
    assert!(
        error
            .description
            .contains("restaurants:write is not open to self-registered clients"),
        "{}",
        error.description
    );
}

#[test]
fn web_clients_redirect_to_https_only_and_native_clients_as_the_general_rules_say() {
    let web = |uri: &str| {
        let mut body = with("application_type", json!("web"));
        body["redirect_uris"] = json!([uri]);
        body
    };
    assert!(outcome(&web("https://app.example/cb")).is_ok());
    for uri in ["http://127.0.0.1:3000/cb", "com.example.app:/cb"] {
        assert_eq!(code(&web(uri)), ErrorCode::InvalidRedirectUri, "{uri}");
    }
    // --insecure-http: plain http for web clients too, in development.
    let body = web("http://dev.example/cb");
    let allowed = with_policy(true, |policy| {
        register(parse(body.to_string().as_bytes()).unwrap(), policy)
    });
    assert!(allowed.is_ok());
    let native = |uri: &str| {
        let mut body = with("application_type", json!("native"));
        body["redirect_uris"] = json!([uri]);
        body
    };
    for uri in [
        "http://127.0.0.1:3000/cb",
        "http://[::1]/cb",
        "com.example.app:/cb",
        "https://app.example/cb",
    ] {
        assert!(outcome(&native(uri)).is_ok(), "{uri}");
    }
    assert_eq!(
        code(&native("http://app.example/cb")),
        ErrorCode::InvalidRedirectUri
    );
    assert_eq!(
        code(&with("application_type", json!("browser"))),
        ErrorCode::InvalidClientMetadata
    );
}

#[test]
fn an_omitted_application_type_is_the_one_the_redirect_uris_show() {
    let registered = outcome(&mcp()).unwrap();
    assert_eq!(
        registered.registration.application_type,
        ApplicationType::Native
    );
    let body = with("redirect_uris", json!(["https://app.example/cb"]));
    assert_eq!(
        outcome(&body).unwrap().registration.application_type,
        ApplicationType::Web
    );
}

#[test]
fn hostile_redirect_uris_are_invalid_redirect_uri() {
    for uri in [
        "javascript:alert(1)",
        "data:text/html,x",
        "https://app.example/cb#fragment",
        "https://*.example.com/cb",
        "http://evil.example/cb",
        "https://user@evil.example/cb",
        "not a url",
    ] {
        let body = with("redirect_uris", json!([uri]));
        assert_eq!(code(&body), ErrorCode::InvalidRedirectUri, "{uri}");
    }
    let body = with("redirect_uris", json!([]));
    assert_eq!(code(&body), ErrorCode::InvalidRedirectUri);
}

#[test]
fn lists_and_values_past_the_bounds_are_refused() {
    let many: Vec<String> = (0..=MAX_REDIRECT_URIS)
        .map(|i| format!("http://127.0.0.1/cb{i}"))
        .collect();
    let long = format!("https://app.example/{}", "a".repeat(MAX_VALUE_LENGTH));
    for body in [
        with("redirect_uris", json!(many)),
        with("post_logout_redirect_uris", json!(many)),
        with("redirect_uris", json!([long])),
        with("client_uri", json!(long)),
        with("client_name", json!("n".repeat(201))),
        with(
            "grant_types",
            json!(vec!["authorization_code"; MAX_WORDS + 1]),
        ),
        with("scope", json!("profile ".repeat(200))),
        with("client_name", json!("nul\u{0}byte")),
        with("client_name", json!("two\nlines")),
        with("redirect_uris", json!(["http://127.0.0.1/c\u{0}b"])),
        with("application_type", json!("native\u{0}")),
        with(
            "token_endpoint_auth_method",
            json!("x".repeat(MAX_VALUE_LENGTH + 1)),
        ),
    ] {
        assert_eq!(code(&body), ErrorCode::InvalidClientMetadata);
    }
    let ten: Vec<String> = many[..MAX_REDIRECT_URIS].to_vec();
    assert!(outcome(&with("redirect_uris", json!(ten))).is_ok());
}

#[test]
fn bodies_that_are_not_metadata_objects_are_invalid_client_metadata() {
    for body in [
        "",
        "not json",
        "[1, 2]",
        "\"a string\"",
        "{\"redirect_uris\": ",
        "{\"redirect_uris\": \"http://127.0.0.1/cb\"}",
        "{\"client_name\": {\"nested\": [1, {\"deeper\": null}]}}",
        "{\"grant_types\": [1]}",
        "{\"client_name\": \"a\", \"client_name\": \"b\"}",
        &"[".repeat(10_000),
    ] {
        let error = parse(body.as_bytes()).expect_err(body);
        assert_eq!(error.code, ErrorCode::InvalidClientMetadata, "{body}");
    }
    // Unknown members are ignored, nested or not; null is an omitted value.
    let parsed =
        parse(br#"{"contacts":["a@b"],"jwks":{"keys":[]},"client_uri":null,"scope":null}"#)
            .unwrap();
    assert!(parsed.metadata.client_uri.is_none() && parsed.metadata.scope.is_empty());
}

#[test]
fn a_nameless_client_is_named_after_its_redirect_host() {
    let body = with("client_name", Value::Null);
    let client = outcome(&body).unwrap().registration.client;
    assert_eq!(client.client_name, "127.0.0.1");
}

fn registered_confidential() -> (SelfRegistered, String) {
    let mut body = with("token_endpoint_auth_method", json!("client_secret_basic"));
    body["redirect_uris"] = json!(["https://app.example/cb"]);
    let registered = outcome(&body).unwrap();
    let secret = registered.client_secret.clone().unwrap();
    (registered, secret)
}

fn updated(current: &ClientRegistration, body: Value) -> Result<Updated, OAuthError> {
    with_policy(false, |policy| {
        update(current, parse(body.to_string().as_bytes())?, policy)
    })
}

#[test]
fn an_update_names_its_client_and_cannot_choose_a_secret() {
    let (registered, secret) = registered_confidential();
    let current = &registered.registration;
    let id = current.client.client_id.clone();
    let body = |id: Value, secret: Value| {
        json!({
            "client_id": id,
            "client_secret": secret,
            "redirect_uris": ["https://app.example/new"],
            "client_name": "Renamed",
        })
    };
    for wrong in [Value::Null, json!("someone-else")] {
        let error = updated(current, body(wrong, Value::Null)).err().unwrap();
        assert_eq!(error.code, ErrorCode::InvalidClientMetadata);
    }
    let chosen = updated(current, body(json!(id), json!("my-own-secret")));
    assert_eq!(chosen.err().unwrap().code, ErrorCode::InvalidClientMetadata);
    // The current secret (or none) is accepted, and kept.
    for presented in [json!(secret), Value::Null] {
        let done = updated(current, body(json!(id), presented)).unwrap();
        let client = &done.registration.client;
        assert!(done.client_secret.is_none());
        assert_eq!(client.secret_hash, current.client.secret_hash);
        assert_eq!(client.client_id, id);
        assert_eq!(
            client.client_id_issued_at,
            current.client.client_id_issued_at
        );
        assert_eq!(client.client_name, "Renamed");
        assert_eq!(client.redirect_uris, ["https://app.example/new"]);
        assert_eq!(done.registration.access_token, current.access_token);
    }
}

#[test]
fn an_update_replaces_every_value_and_secrets_follow_the_auth_method() {
    let public = outcome(&mcp()).unwrap().registration;
    let id = json!(public.client.client_id);
    // Omitted values take their defaults (RFC 7592 §2.2): a secret now.
    let body = json!({ "client_id": id, "redirect_uris": ["https://app.example/cb"] });
    let done = updated(&public, body).unwrap();
    let secret = done.client_secret.expect("a new secret");
    let stored = done.registration.client.secret_hash.as_deref().unwrap();
    assert!(crypto::verify_generated_secret(stored, &secret));
    assert_eq!(done.registration.application_type, ApplicationType::Web);
    assert_eq!(done.registration.client.client_name, "app.example");
    // And back to public: the secret goes.
    let body = json!({
        "client_id": id,
        "redirect_uris": ["http://127.0.0.1/cb"],
        "token_endpoint_auth_method": "none",
    });
    let back = updated(&done.registration, body).unwrap();
    assert!(back.client_secret.is_none() && back.registration.client.secret_hash.is_none());
    // The same rules as a registration.
    let body = json!({ "client_id": id, "redirect_uris": ["javascript:alert(1)"] });
    assert_eq!(
        updated(&public, body).err().unwrap().code,
        ErrorCode::InvalidRedirectUri
    );
}

#[test]
fn the_answer_echoes_the_registered_metadata_and_how_to_manage_it() {
    let registered = outcome(&mcp()).unwrap();
    let answer = ClientInformationResponse::new(
        &registered.registration,
        "https://op.example",
        &registered.registration_access_token,
        None,
    );
    let answer = serde_json::to_value(&answer).unwrap();
    let id = registered.registration.client.client_id.as_str();
    assert_eq!(answer["client_id"], id);
    assert_eq!(answer["redirect_uris"], mcp()["redirect_uris"]);
    assert_eq!(answer["grant_types"], mcp()["grant_types"]);
    assert_eq!(answer["token_endpoint_auth_method"], "none");
    assert_eq!(answer["application_type"], "native");
    assert_eq!(answer["client_secret_expires_at"], 0);
    assert!(answer["client_id_issued_at"].is_i64());
    assert!(answer.get("client_secret").is_none());
    assert!(answer.get("logo_uri").is_none());
    assert_eq!(
        answer["registration_client_uri"],
        format!("https://op.example/oauth/register/{id}")
    );
    assert_eq!(
        answer["registration_access_token"],
        registered.registration_access_token
    );
}

#[test]
fn anonymous_flows_are_the_code_flow() {
    let words = |w: &[&str]| w.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert!(check_anonymous_flows(&[], &[]).is_ok());
    assert!(check_anonymous_flows(&words(&["authorization_code"]), &words(&["code"])).is_ok());
    assert!(check_anonymous_flows(&words(&["refresh_token"]), &[]).is_err());
    assert!(check_anonymous_flows(&[], &words(&["token"])).is_err());
}
