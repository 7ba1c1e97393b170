use super::*;
use crate::oauth::vocabulary::{AuthMethod, GrantType, ResponseType};
use serde_json::{json, Value};

const URL: &str = "https://app.example/oauth/client.json";

fn document() -> Value {
    json!({
        "client_id": URL,
        "client_name": "Example MCP Client",
        "client_uri": "https://app.example",
        "logo_uri": "https://app.example/logo.png",
        "redirect_uris": ["http://127.0.0.1:3000/callback", "http://localhost:3000/callback"],
        "grant_types": ["authorization_code"],
        "response_types": ["code"],
        "token_endpoint_auth_method": "none",
        "software_version": "1.2"
    })
}

fn client(document: &Value) -> Result<Client, OAuthError> {
    let scopes: Vec<String> = ["profile", "email"].map(String::from).to_vec();
    let policy = RegistrationPolicy {
        scopes_supported: &scopes,
        insecure_http: false,
    };
    client_from_document(URL, document.to_string().as_bytes(), &policy)
}

fn refusal(document: &Value) -> String {
    let error = client(document).unwrap_err();
    assert_eq!(error.code, ErrorCode::InvalidClient);
    error.description.into_owned()
}

fn with(member: &str, value: Value) -> Value {
    let mut document = document();
    document[member] = value;
    document
}

#[test]
fn client_identifier_urls_follow_draft_section_3() {
    for id in [
        URL,
        "https://app.example/c",
        "https://app.example:8443/c?v=1",
        "https://127.0.0.1:9443/client",
    ] {
        assert!(is_metadata_document_id(id), "{id}");
    }
    for id in [
        "mike_id",
        "http://app.example/c",
        "https://app.example",
        "https://app.example/",
        "https://app.example/c#x",
        "https://app.example/c#",
        "https://user@app.example/c",
        "https://user:pw@app.example/c",
        "https://app.example/a/../c",
        "https://app.example/a/./c",
        "https://app.example/a/%2E%2e/c",
        "https://app.example/c/..",
        "HTTPS://app.example/c",
        "https://App.Example/c",
        "https://app.example:443/c",
        "https://app.example/a b",
        "https:app.example/c",
        "https://",
    ] {
        assert!(!is_metadata_document_id(id), "{id}");
    }
    let long = format!("https://app.example/{}", "a".repeat(MAX_URL_LENGTH));
    assert!(!is_metadata_document_id(&long));
    // The parser would resolve them away: named as written instead.
    for id in ["https://app.example/a/../c", "https://app.example/a/%2e/c"] {
        let why = client_id_url(id).unwrap_err();
        assert_eq!(why, "it must not contain . or .. path segments", "{id}");
    }
}

#[test]
fn a_valid_document_is_a_public_client_nobody_vouches_for() {
    let client = client(&document()).unwrap();
    assert_eq!(client.client_id, URL);
    assert_eq!(client.client_name, "Example MCP Client");
    assert_eq!(client.client_uri.as_deref(), Some("https://app.example"));
    assert_eq!(client.redirect_uris.len(), 2);
    assert_eq!(client.grant_types, [GrantType::AuthorizationCode]);
    assert_eq!(client.response_types, [ResponseType::Code]);
    assert_eq!(client.token_endpoint_auth_method, AuthMethod::None);
    assert!(client.is_public() && client.secret_hash.is_none());
    assert_eq!(client.registrant, Registrant::MetadataDocument);
    assert!(!client.registrant.is_operator() && client.registrant.owner().is_none());
    assert!(!client.resource_server);
}

#[test]
fn defaults_are_the_code_flow_and_the_allowed_scopes() {
    let mut document = document();
    for member in [
        "grant_types",
        "response_types",
        "token_endpoint_auth_method",
        "client_name",
    ] {
        document.as_object_mut().unwrap().remove(member);
    }
    let client = client(&document).unwrap();
    assert_eq!(client.grant_types, [GrantType::AuthorizationCode]);
    assert_eq!(client.response_types, [ResponseType::Code]);
    assert!(client.is_public());
    assert_eq!(client.scope, "profile email");
    assert_eq!(client.client_name, "app.example");
}

#[test]
fn refresh_tokens_may_be_asked_for() {
    let document = with(
        "grant_types",
        json!(["authorization_code", "refresh_token"]),
    );
    let client = client(&document).unwrap();
    assert!(client.allows_grant(GrantType::RefreshToken));
}

#[test]
fn the_client_id_must_equal_the_url() {
    let other = with("client_id", json!("https://evil.example/oauth/client.json"));
    assert!(refusal(&other).contains("its client_id does not equal its URL"));
    // Simple string comparison (RFC 3986 §6.2.1): no normalization.
    let port = with(
        "client_id",
        json!("https://app.example:443/oauth/client.json"),
    );
    assert!(refusal(&port).contains("does not equal"));
    let mut missing = document();
    missing.as_object_mut().unwrap().remove("client_id");
    assert!(refusal(&missing).contains("no client_id"));
}

#[test]
fn a_document_cannot_hold_a_secret() {
    for method in [
        "client_secret_basic",
        "client_secret_post",
        "client_secret_jwt",
    ] {
        let description = refusal(&with("token_endpoint_auth_method", json!(method)));
        assert!(description.contains("shared secret"), "{description}");
    }
    assert!(refusal(&with("client_secret", json!("s3cret"))).contains("client_secret"));
    assert!(refusal(&with("client_secret_expires_at", json!(0))).contains("client_secret"));
    let jwt = refusal(&with(
        "token_endpoint_auth_method",
        json!("private_key_jwt"),
    ));
    assert!(
        jwt.contains("private_key_jwt is not supported yet"),
        "{jwt}"
    );
    assert!(refusal(&with(
        "token_endpoint_auth_method",
        json!("tls_client_auth")
    ))
    .contains("not supported"));
}

#[test]
fn dangerous_redirect_uris_are_refused() {
    for uri in [
        "javascript:alert(1)",
        "https://app.example/cb#frag",
        "http://evil.example/cb",
        "https://accounts.example@evil.example/cb",
    ] {
        let description = refusal(&with("redirect_uris", json!([uri])));
        assert!(description.contains("redirect URI"), "{uri}: {description}");
    }
    assert!(refusal(&with("redirect_uris", json!([]))).contains("no redirect_uris"));
}

#[test]
fn only_the_code_flow_is_allowed() {
    for grant in [
        "client_credentials",
        "password",
        "implicit",
        "urn:x:unknown",
    ] {
        let description = refusal(&with("grant_types", json!(["authorization_code", grant])));
        assert!(
            description.contains(&format!("grant type {grant} is not allowed")),
            "{description}"
        );
    }
    let refresh_only = refusal(&with("grant_types", json!(["refresh_token"])));
    assert!(refresh_only.contains("must include authorization_code"));
    assert!(refusal(&with("response_types", json!(["token"]))).contains("response type token"));
}

#[test]
fn scope_and_client_uri_follow_the_registration_rules() {
    assert_eq!(
        client(&with("scope", json!("email"))).unwrap().scope,
        "email"
    );
    assert!(refusal(&with("scope", json!("profile admin"))).contains("scope admin"));
    assert!(refusal(&with("client_uri", json!("javascript:alert(1)"))).contains("client_uri"));
}

#[test]
fn malformed_documents_are_refused_with_a_reason() {
    let policy = RegistrationPolicy {
        scopes_supported: &[],
        insecure_http: false,
    };
    for body in ["", "[]", "not json", "{\"client_id\": 5}"] {
        let error = client_from_document(URL, body.as_bytes(), &policy).unwrap_err();
        assert_eq!(error.code, ErrorCode::InvalidClient);
        assert!(error.description.contains("not a JSON object"), "{body}");
    }
    // A repeated member could be read differently by another parser.
    let twice = format!("{{\"client_id\":\"{URL}\",\"client_id\":\"{URL}\"}}");
    assert!(client_from_document(URL, twice.as_bytes(), &policy).is_err());
    let wrong_type = with("redirect_uris", json!("https://app.example/cb"));
    assert!(refusal(&wrong_type).contains("not a JSON object"));
}

#[test]
fn descriptions_stay_in_the_rfc_6749_character_set() {
    let description = refusal(&with("grant_types", json!(["a\"b\\c\u{e9}"])));
    assert!(
        !description.contains(['"', '\\', '\u{e9}']),
        "{description}"
    );
}
