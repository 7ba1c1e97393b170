//! Client registration rules (RFC 7591 §2), shared by the CLI, the client
//! management page and dynamic registration ([`dynamic`]): what the
//! metadata may say, and what may be shown of a registered client.

pub mod dynamic;
pub mod endpoint;
pub mod metadata_document;
pub mod redirect_uri;

use super::scope::is_scope_token;
use super::vocabulary::{AccessTokenFormat, AuthMethod, GrantType, ResponseType};
use super::{ErrorCode, OAuthError};
use crate::crypto;
use crate::keys::SigningAlg;
use crate::store::{Client, Registrant};
use serde::Serialize;
use url::Url;

/// What a client asks to be registered with (RFC 7591 §2), as it arrived:
/// words are parsed by [`register`], which reports unknown ones as RFC 7591
/// errors. Empty lists and missing values take the RFC's defaults.
#[derive(Debug, Clone, Default)]
pub struct ClientMetadata {
    pub client_name: String,
    pub client_uri: Option<String>,
    pub grant_types: Vec<String>,
    pub redirect_uris: Vec<String>,
    /// RP-Initiated Logout 1.0 §3.1; checked like `redirect_uris`.
    pub post_logout_redirect_uris: Vec<String>,
    pub response_types: Vec<String>,
    pub scope: String,
    pub token_endpoint_auth_method: Option<String>,
    /// OpenID Connect Registration §2 (RS256 when absent).
    pub id_token_signed_response_alg: Option<String>,
    /// OpenID Connect Registration §2 (a JSON answer when absent).
    pub userinfo_signed_response_alg: Option<String>,
}

/// The server's rules for registrations.
#[derive(Debug, Clone, Copy)]
pub struct RegistrationPolicy<'a> {
    /// A client may register only scopes the server supports (SPEC §8).
    pub scopes_supported: &'a [String],
    /// `--insecure-http`: plain http redirect URIs on any host.
    pub insecure_http: bool,
}

/// A registered client and, for a confidential one, its secret: shown once,
/// stored only as SHA-256.
pub struct Registered {
    pub client: Client,
    pub client_secret: Option<String>,
}

/// What may be shown of a client, to its owner or the operator (RFC 7591
/// §3.2.1, without the secret): pages and command-line JSON use this, never
/// the stored row, so a new stored secret is never shown by default.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ClientInformation {
    pub client_id: String,
    pub client_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_uri: Option<String>,
    pub grant_types: Vec<GrantType>,
    pub redirect_uris: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub post_logout_redirect_uris: Vec<String>,
    pub response_types: Vec<ResponseType>,
    pub scope: String,
    pub token_endpoint_auth_method: AuthMethod,
    pub client_id_issued_at: i64,
    pub client_secret_expires_at: i64,
    pub id_token_signed_response_alg: SigningAlg,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub userinfo_signed_response_alg: Option<SigningAlg>,
}

impl From<&Client> for ClientInformation {
    fn from(client: &Client) -> Self {
        ClientInformation {
            client_id: client.client_id.clone(),
            client_name: client.client_name.clone(),
            client_uri: client.client_uri.clone(),
            grant_types: client.grant_types.clone(),
            redirect_uris: client.redirect_uris.clone(),
            post_logout_redirect_uris: client.post_logout_redirect_uris.clone(),
            response_types: client.response_types.clone(),
            scope: client.scope.clone(),
            token_endpoint_auth_method: client.token_endpoint_auth_method,
            client_id_issued_at: client.client_id_issued_at,
            client_secret_expires_at: client.client_secret_expires_at,
            id_token_signed_response_alg: client.id_token_signed_response_alg,
            userinfo_signed_response_alg: client.userinfo_signed_response_alg,
        }
    }
}

/// A signing algorithm named in client metadata.
fn signing_alg(field: &str, value: &str) -> Result<SigningAlg, OAuthError> {
    value
        .parse()
        .map_err(|_| metadata_error(format!("unsupported {field} {value}")))
}

fn metadata_error(description: impl Into<String>) -> OAuthError {
    OAuthError::new(ErrorCode::InvalidClientMetadata, description.into())
}

/// Parses each word once, keeping the first of any repeats.
fn parse_distinct<T: std::str::FromStr + PartialEq>(
    words: &[String],
    field: &str,
) -> Result<Vec<T>, OAuthError> {
    let mut parsed: Vec<T> = Vec::with_capacity(words.len());
    for word in words {
        let value = word
            .parse()
            .map_err(|_| metadata_error(format!("unsupported {field} {word}")))?;
        if !parsed.contains(&value) {
            parsed.push(value);
        }
    }
    Ok(parsed)
}

/// RFC 6749 §3.3 syntax, and only scopes this server supports.
fn check_scope(scope: &str, policy: &RegistrationPolicy) -> Result<String, OAuthError> {
    let mut tokens: Vec<&str> = Vec::new();
    for token in scope.split_whitespace() {
        if !is_scope_token(token) {
            return Err(metadata_error("scope contains an invalid character"));
        }
        if !policy.scopes_supported.iter().any(|s| s == token) {
            return Err(metadata_error(format!(
                "scope {token} is not supported by this server"
            )));
        }
        if !tokens.contains(&token) {
            tokens.push(token);
        }
    }
    Ok(tokens.join(" "))
}

pub fn register(
    metadata: ClientMetadata,
    registrant: Registrant,
    policy: &RegistrationPolicy,
) -> Result<Registered, OAuthError> {
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
    let mut grant_types: Vec<GrantType> = parse_distinct(&metadata.grant_types, "grant type")?;
    if grant_types.is_empty() {
        grant_types.push(GrantType::AuthorizationCode);
    }
    // RFC 7591 §2.1: response types follow from the grant types.
    let response_types: Vec<ResponseType> = if metadata.response_types.is_empty() {
        grant_types
            .iter()
            .filter_map(|grant| grant.response_type())
            .collect()
    } else {
        parse_distinct(&metadata.response_types, "response type")?
    };
    for response_type in &response_types {
        let needs = response_type.grant_type();
        if !grant_types.contains(&needs) {
            return Err(metadata_error(format!(
                "response type {response_type} needs the {needs} grant type"
            )));
        }
    }
    let redirecting = grant_types.iter().any(|g| g.response_type().is_some());
    if redirecting && metadata.redirect_uris.is_empty() {
        return Err(OAuthError::new(
            ErrorCode::InvalidRedirectUri,
            "redirect_uris are required for the authorization_code and implicit grants",
        ));
    }
    // A logout redirect is a redirect like any other: the same rules keep
    // it from being an open redirector or a script.
    for uri in metadata
        .redirect_uris
        .iter()
        .chain(&metadata.post_logout_redirect_uris)
    {
        redirect_uri::check(uri, policy.insecure_http)?;
    }
    let auth_method = match &metadata.token_endpoint_auth_method {
        Some(method) => method.parse().map_err(|_| {
            metadata_error(format!("unsupported token_endpoint_auth_method {method}"))
        })?,
        None => AuthMethod::ClientSecretBasic,
    };
    if auth_method == AuthMethod::None && grant_types.contains(&GrantType::ClientCredentials) {
        return Err(metadata_error(
            "a public client cannot use client_credentials",
        ));
    }
    let scope = check_scope(&metadata.scope, policy)?;
    let id_token_signed_response_alg = match &metadata.id_token_signed_response_alg {
        Some(alg) => signing_alg("id_token_signed_response_alg", alg)?,
        None => SigningAlg::Rs256,
    };
    let userinfo_signed_response_alg = metadata
        .userinfo_signed_response_alg
        .as_deref()
        .map(|alg| signing_alg("userinfo_signed_response_alg", alg))
        .transpose()?;
    let client_secret = (auth_method != AuthMethod::None).then(crypto::random_secret);
    let client = Client {
        client_id: crypto::random_id(),
        client_name,
        client_uri: metadata.client_uri,
        secret_hash: client_secret.as_deref().map(crypto::sha256_secret_hash),
        redirect_uris: metadata.redirect_uris,
        post_logout_redirect_uris: metadata.post_logout_redirect_uris,
        grant_types,
        response_types,
        scope,
        token_endpoint_auth_method: auth_method,
        registrant,
        resource_server: false,
        client_id_issued_at: crate::time::now(),
        // RFC 7591 §3.2.1: 0 means the secret does not expire.
        client_secret_expires_at: 0,
        id_token_signed_response_alg,
        userinfo_signed_response_alg,
        access_token_format: AccessTokenFormat::Opaque,
        previous_secret: None,
        version: None,
    };
    Ok(Registered {
        client,
        client_secret,
    })
}

#[cfg(test)]
mod tests;
