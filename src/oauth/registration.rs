//! Client registration rules (RFC 7591 §2), shared by the CLI and the
//! client management page (and, later, dynamic registration).

use super::{ErrorCode, OAuthError};
use crate::crypto;
use crate::store::Client;
use url::Url;

pub const GRANT_TYPES: [&str; 5] = [
    "authorization_code",
    "client_credentials",
    "password",
    "refresh_token",
    "implicit",
];

/// What a client asks to be registered with (RFC 7591 §2). Empty lists and
/// missing values take the RFC's defaults.
#[derive(Debug, Clone, Default)]
pub struct ClientMetadata {
    pub client_name: String,
    pub client_uri: Option<String>,
    pub grant_types: Vec<String>,
    pub redirect_uris: Vec<String>,
    pub response_types: Vec<String>,
    pub scope: String,
    pub token_endpoint_auth_method: Option<String>,
}

/// A registered client and, for a confidential one, its secret: shown once,
/// stored only as SHA-256.
pub struct Registered {
    pub client: Client,
    pub client_secret: Option<String>,
}

fn metadata_error(description: impl Into<String>) -> OAuthError {
    OAuthError::new(ErrorCode::InvalidClientMetadata, description.into())
}

/// RFC 6749 §3.1.2: absolute, no fragment. Plain http only for loopback
/// (RFC 8252 §7.3) or when the server itself runs insecurely in development.
fn check_redirect_uri(uri: &str) -> Result<(), OAuthError> {
    let invalid =
        |why: &str| OAuthError::new(ErrorCode::InvalidRedirectUri, format!("{uri:?}: {why}"));
    let url = Url::parse(uri).map_err(|_| invalid("not an absolute URL"))?;
    if url.fragment().is_some() {
        return Err(invalid("must not contain a fragment"));
    }
    if url.scheme() == "javascript" || url.scheme() == "data" {
        return Err(invalid("scheme not allowed"));
    }
    Ok(())
}

pub fn register(metadata: ClientMetadata, owner_id: Option<i64>) -> Result<Registered, OAuthError> {
    let client_name = metadata.client_name.trim().to_owned();
    if client_name.is_empty() || client_name.len() > 200 {
        return Err(metadata_error(
            "client_name is required (at most 200 characters)",
        ));
    }
    if let Some(uri) = &metadata.client_uri {
        // Shown to users as a link on the consent page: web pages only.
        let web = Url::parse(uri).is_ok_and(|u| u.scheme() == "https" || u.scheme() == "http");
        if !web {
            return Err(metadata_error("client_uri must be an http(s) URL"));
        }
    }
    let mut grant_types = metadata.grant_types;
    if grant_types.is_empty() {
        grant_types.push("authorization_code".into());
    }
    if let Some(unknown) = grant_types
        .iter()
        .find(|g| !GRANT_TYPES.contains(&g.as_str()))
    {
        return Err(metadata_error(format!(
            "unsupported grant type {unknown:?}"
        )));
    }
    let mut distinct: Vec<String> = Vec::with_capacity(grant_types.len());
    for grant in grant_types {
        if !distinct.contains(&grant) {
            distinct.push(grant);
        }
    }
    let grant_types = distinct;
    // RFC 7591 §2.1: response types follow from the grant types.
    let response_types = if metadata.response_types.is_empty() {
        let mut implied = Vec::new();
        if grant_types.iter().any(|g| g == "authorization_code") {
            implied.push("code".to_owned());
        }
        if grant_types.iter().any(|g| g == "implicit") {
            implied.push("token".to_owned());
        }
        implied
    } else {
        metadata.response_types
    };
    for response_type in &response_types {
        let needs = match response_type.as_str() {
            "code" => "authorization_code",
            "token" => "implicit",
            other => {
                return Err(metadata_error(format!(
                    "unsupported response type {other:?}"
                )))
            }
        };
        if !grant_types.iter().any(|g| g == needs) {
            return Err(metadata_error(format!(
                "response type {response_type:?} needs the {needs} grant type"
            )));
        }
    }
    let redirecting = grant_types
        .iter()
        .any(|g| g == "authorization_code" || g == "implicit");
    if redirecting && metadata.redirect_uris.is_empty() {
        return Err(OAuthError::new(
            ErrorCode::InvalidRedirectUri,
            "redirect_uris are required for the authorization_code and implicit grants",
        ));
    }
    for uri in &metadata.redirect_uris {
        check_redirect_uri(uri)?;
    }
    let auth_method = metadata
        .token_endpoint_auth_method
        .unwrap_or_else(|| "client_secret_basic".into());
    if !super::metadata::AUTH_METHODS.contains(&auth_method.as_str()) {
        return Err(metadata_error(format!(
            "unsupported token_endpoint_auth_method {auth_method:?}"
        )));
    }
    if auth_method == "none" && grant_types.iter().any(|g| g == "client_credentials") {
        return Err(metadata_error(
            "a public client cannot use client_credentials",
        ));
    }
    let scope = metadata
        .scope
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let client_secret = (auth_method != "none").then(crypto::random_secret);
    let client = Client {
        client_id: crypto::random_id(),
        client_name,
        client_uri: metadata.client_uri,
        secret_hash: client_secret.as_deref().map(crypto::sha256_secret_hash),
        redirect_uris: metadata.redirect_uris,
        grant_types,
        response_types,
        scope,
        token_endpoint_auth_method: auth_method,
        owner_id,
        client_id_issued_at: crate::time::now(),
        // RFC 7591 §3.2.1: 0 means the secret does not expire.
        client_secret_expires_at: 0,
    };
    Ok(Registered {
        client,
        client_secret,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metadata() -> ClientMetadata {
        ClientMetadata {
            client_name: "app".into(),
            redirect_uris: vec!["https://app.example/cb".into()],
            ..Default::default()
        }
    }

    #[test]
    fn defaults_are_authorization_code_and_basic_auth() {
        let r = register(metadata(), None).unwrap();
        assert_eq!(r.client.grant_types, ["authorization_code"]);
        assert_eq!(r.client.response_types, ["code"]);
        assert_eq!(r.client.token_endpoint_auth_method, "client_secret_basic");
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
            ["authorization_code", "refresh_token"]
        );
    }

    #[test]
    fn token_response_type_needs_the_implicit_grant() {
        let mut m = metadata();
        m.response_types = vec!["token".into()];
        assert!(register(m, None).is_err());
    }
}
