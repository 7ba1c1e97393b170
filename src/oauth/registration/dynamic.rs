//! Dynamic Client Registration (RFC 7591) and Client Management (RFC 7592):
//! what a client that registers itself may be registered with, and what it
//! is told ([`management`]: updates, and the client information response).
//! No I/O here: the steps over the store are in
//! [`super::endpoint`].
//!
//! A self-registered client may be anyone's, so it gets only what is safe
//! anonymously: the authorization code flow (with refresh tokens), as a
//! public client or with a secret the server generates; scopes among those
//! the operator opens to such clients (`--registration-scopes`); redirect
//! URIs under the rules of [`super::redirect_uri`], narrowed by its
//! `application_type`. It is [`Registrant::Dynamic`], so the rules for
//! clients nobody vouches for apply: no user-less tokens beyond
//! `self_registered_client_credentials_scopes` (it cannot even ask for the
//! client_credentials grant), no redirected errors before sign-in, and
//! "unverified" on the consent page.
//!
//! `application_type` (OpenID Connect Dynamic Client Registration 1.0 §2):
//! - `web`: https redirect URIs only. A web client's callback runs on a
//!   server reachable by name; loopback and private-use schemes are how
//!   apps on the user's device receive codes (RFC 8252 §7.1, §7.3), and a
//!   web client claiming one would be claiming what it cannot own.
//! - `native`: the general rules: https (claimed URLs, RFC 8252 §7.2),
//!   http on a loopback host (§7.3, §8.3), or a private-use scheme in
//!   reverse-domain form (§7.1, §8.4).
//! - omitted: `web` when every redirect URI is https, otherwise `native`.
//!   OpenID Connect makes `web` the default, but MCP clients, the main
//!   users of this endpoint, omit the member and redirect to loopback: the
//!   type their URIs show is the type they are. The answer states it.

use super::{register as register_client, ClientMetadata, RegistrationPolicy};
use crate::crypto;
use crate::oauth::vocabulary::{ApplicationType, AuthMethod, GrantType};
use crate::oauth::{ErrorCode, OAuthError};
use crate::store::{ClientRegistration, Registrant};
use serde::Deserialize;
use url::Url;

/// Where clients register (RFC 7591 §3); each client's
/// `registration_client_uri` (RFC 7592 §1.2) is this followed by
/// `/{client_id}`.
pub const REGISTRATION_PATH: &str = "/oauth/register";

/// The window of the per-address registration limit, in seconds.
pub const RATE_LIMIT_WINDOW: i64 = 3600;

/// At most this many redirect URIs (and as many logout redirect URIs).
pub const MAX_REDIRECT_URIS: usize = 10;
/// The longest value accepted, a URI or any other; a scope and a name are
/// bounded further.
pub const MAX_VALUE_LENGTH: usize = 2048;
/// At most this many grant types or response types, repeats included.
pub const MAX_WORDS: usize = 10;
/// The longest scope value accepted.
pub const MAX_SCOPE_LENGTH: usize = 1024;

/// Who may register at [`REGISTRATION_PATH`] (`--registration`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RegistrationMode {
    /// Nobody: the endpoint does not exist.
    Off,
    /// Anyone.
    Open,
    /// Whoever presents an initial access token (RFC 7591 §3).
    Token,
}

/// The grant types a client nobody vouches for may have: the
/// authorization code flow, which always involves a user, and refreshing
/// what that flow gave.
const ANONYMOUS_GRANT_TYPES: [GrantType; 2] =
    [GrantType::AuthorizationCode, GrantType::RefreshToken];

/// The ways a self-registered client may authenticate: none (public, PKCE)
/// or the secret the server generates for it.
const SELF_REGISTERED_AUTH_METHODS: [AuthMethod; 3] = [
    AuthMethod::None,
    AuthMethod::ClientSecretBasic,
    AuthMethod::ClientSecretPost,
];

/// The grant and response types of a client nobody vouches for (a
/// self-registered one, or one described by a metadata document): the
/// code flow only. The reason when not.
pub(super) fn check_anonymous_flows(
    grant_types: &[String],
    response_types: &[String],
) -> Result<(), String> {
    let allowed = |word: &str| ANONYMOUS_GRANT_TYPES.iter().any(|g| g.as_str() == word);
    if let Some(grant) = grant_types.iter().find(|g| !allowed(g)) {
        return Err(format!(
            "grant type {grant} is not allowed; only authorization_code and refresh_token are"
        ));
    }
    if !grant_types.is_empty() && !grant_types.iter().any(|g| g == "authorization_code") {
        return Err("grant_types must include authorization_code".into());
    }
    if let Some(response_type) = response_types.iter().find(|r| *r != "code") {
        return Err(format!(
            "response type {response_type} is not allowed; only code is"
        ));
    }
    Ok(())
}

/// The members of a registration (RFC 7591 §2, §3.1) or update (RFC 7592
/// §2.2) request this server reads; others are ignored (§2), a repeated
/// member or a value of the wrong type is an error. `null` is an omitted
/// value (RFC 7592 §2.2: a request to delete it).
#[derive(Deserialize)]
struct Members {
    client_id: Option<String>,
    client_secret: Option<String>,
    client_name: Option<String>,
    client_uri: Option<String>,
    redirect_uris: Option<Vec<String>>,
    post_logout_redirect_uris: Option<Vec<String>>,
    grant_types: Option<Vec<String>>,
    response_types: Option<Vec<String>>,
    scope: Option<String>,
    token_endpoint_auth_method: Option<String>,
    application_type: Option<String>,
    /// OpenID Connect Dynamic Client Registration 1.0 §2.
    id_token_signed_response_alg: Option<String>,
    userinfo_signed_response_alg: Option<String>,
}

/// A registration or update request, parsed.
#[derive(Debug, Clone)]
pub struct RegistrationRequest {
    pub metadata: ClientMetadata,
    pub application_type: Option<String>,
    /// RFC 7592 §2.2: an update names the client it updates.
    pub client_id: Option<String>,
    /// RFC 7592 §2.2: if sent, it must be the client's current secret.
    pub client_secret: Option<String>,
}

fn invalid_metadata(description: impl Into<String>) -> OAuthError {
    OAuthError::new(ErrorCode::InvalidClientMetadata, description.into())
}

/// Reads a request body: a JSON object of client metadata (RFC 7591 §3.1).
/// Anything else (another type, malformed or nested junk where a string
/// belongs) is `invalid_client_metadata`, without echoing the body.
pub fn parse(body: &[u8]) -> Result<RegistrationRequest, OAuthError> {
    let members: Members = serde_json::from_slice(body).map_err(|_| {
        invalid_metadata(
            "the body is not a JSON object of client metadata: strings, and arrays of strings \
             for the lists (RFC 7591 section 2)",
        )
    })?;
    Ok(RegistrationRequest {
        metadata: ClientMetadata {
            client_name: members.client_name.unwrap_or_default(),
            client_uri: members.client_uri,
            grant_types: members.grant_types.unwrap_or_default(),
            redirect_uris: members.redirect_uris.unwrap_or_default(),
            post_logout_redirect_uris: members.post_logout_redirect_uris.unwrap_or_default(),
            response_types: members.response_types.unwrap_or_default(),
            scope: members.scope.unwrap_or_default(),
            token_endpoint_auth_method: members.token_endpoint_auth_method,
            id_token_signed_response_alg: members.id_token_signed_response_alg,
            userinfo_signed_response_alg: members.userinfo_signed_response_alg,
        },
        application_type: members.application_type,
        client_id: members.client_id,
        client_secret: members.client_secret,
    })
}

/// Refuses lists and values past this server's bounds (a value is quoted
/// in errors, so its length bounds theirs), and control characters (a NUL, which some databases refuse; a line break in a name
/// shown to users), before any value is parsed further or quoted in an
/// error.
fn check_bounds(request: &RegistrationRequest) -> Result<(), OAuthError> {
    let metadata = &request.metadata;
    let words = [
        Some(&metadata.client_name),
        metadata.client_uri.as_ref(),
        Some(&metadata.scope),
        metadata.token_endpoint_auth_method.as_ref(),
        request.application_type.as_ref(),
        request.client_id.as_ref(),
        request.client_secret.as_ref(),
        metadata.id_token_signed_response_alg.as_ref(),
        metadata.userinfo_signed_response_alg.as_ref(),
    ];
    let lists = [
        &metadata.redirect_uris,
        &metadata.post_logout_redirect_uris,
        &metadata.grant_types,
        &metadata.response_types,
    ];
    let mut values = words
        .into_iter()
        .flatten()
        .chain(lists.into_iter().flatten());
    if values.any(|value| value.len() > MAX_VALUE_LENGTH || value.chars().any(char::is_control)) {
        return Err(invalid_metadata(format!(
            "values must be at most {MAX_VALUE_LENGTH} characters long, without control \
             characters"
        )));
    }
    for (field, uris) in [
        ("redirect_uris", &metadata.redirect_uris),
        (
            "post_logout_redirect_uris",
            &metadata.post_logout_redirect_uris,
        ),
    ] {
        if uris.len() > MAX_REDIRECT_URIS {
            return Err(invalid_metadata(format!(
                "{field} may hold at most {MAX_REDIRECT_URIS} URIs"
            )));
        }
    }
    if metadata.grant_types.len() > MAX_WORDS || metadata.response_types.len() > MAX_WORDS {
        return Err(invalid_metadata(format!(
            "grant_types and response_types may hold at most {MAX_WORDS} values"
        )));
    }
    if metadata.scope.len() > MAX_SCOPE_LENGTH {
        return Err(invalid_metadata(format!(
            "scope may be at most {MAX_SCOPE_LENGTH} characters long"
        )));
    }
    Ok(())
}

/// The client's application_type, given or read from its redirect URIs
/// (see the module's documentation).
fn application_type(
    given: Option<&str>,
    metadata: &ClientMetadata,
) -> Result<ApplicationType, OAuthError> {
    if let Some(given) = given {
        return given.parse().map_err(|_| {
            invalid_metadata(format!(
                "unsupported application_type {given}; use web or native"
            ))
        });
    }
    let all_https = metadata
        .redirect_uris
        .iter()
        .all(|uri| Url::parse(uri).is_ok_and(|url| url.scheme() == "https"));
    Ok(if all_https {
        ApplicationType::Web
    } else {
        ApplicationType::Native
    })
}

/// OpenID Connect Registration §2: a web client redirects to https pages
/// only (plain http on any host with `--insecure-http`, for development).
/// A native client's URIs get the general rules of [`register_client`].
fn check_web_redirect_uris(
    metadata: &ClientMetadata,
    policy: &RegistrationPolicy,
) -> Result<(), OAuthError> {
    let uris = metadata
        .redirect_uris
        .iter()
        .chain(&metadata.post_logout_redirect_uris);
    for uri in uris {
        let scheme = Url::parse(uri).map(|url| url.scheme().to_owned());
        let web = match scheme.as_deref() {
            Ok("https") => true,
            Ok("http") => policy.insecure_http,
            _ => false,
        };
        if !web {
            return Err(OAuthError::new(
                ErrorCode::InvalidRedirectUri,
                format!(
                    "{uri}: a web application redirects to https URIs only; an app on the \
                     user's device registers with application_type native"
                ),
            ));
        }
    }
    Ok(())
}

/// RFC 7591 §2 leaves the client's name optional; the consent page needs
/// one, and the host the user is sent back to is what they should check
/// anyway.
fn default_name(metadata: &ClientMetadata) -> String {
    metadata
        .redirect_uris
        .first()
        .and_then(|uri| Url::parse(uri).ok())
        .and_then(|url| url.host_str().map(str::to_owned))
        .unwrap_or_else(|| "unnamed application".into())
}

/// The client a request describes, under the rules for self-registered
/// clients; `policy.scopes_supported` is what the operator opens to them.
/// The client has a fresh id, and a fresh secret when confidential.
fn checked_client(
    request: RegistrationRequest,
    policy: &RegistrationPolicy,
) -> Result<(super::Registered, ApplicationType), OAuthError> {
    check_bounds(&request)?;
    let mut metadata = request.metadata;
    check_anonymous_flows(&metadata.grant_types, &metadata.response_types)
        .map_err(invalid_metadata)?;
    let method = metadata
        .token_endpoint_auth_method
        .get_or_insert_with(|| AuthMethod::ClientSecretBasic.as_str().to_owned());
    if !SELF_REGISTERED_AUTH_METHODS
        .iter()
        .any(|m| m.as_str() == method)
    {
        return Err(invalid_metadata(format!(
            "unsupported token_endpoint_auth_method {method}; use none, client_secret_basic \
             or client_secret_post"
        )));
    }
    if let Some(scope) = metadata
        .scope
        .split_whitespace()
        .find(|scope| !policy.scopes_supported.iter().any(|s| s == scope))
    {
        return Err(invalid_metadata(format!(
            "scope {scope} is not open to self-registered clients"
        )));
    }
    // RFC 7591 §2: without a scope, the server chooses: all that is open.
    if metadata.scope.trim().is_empty() {
        metadata.scope = policy.scopes_supported.join(" ");
    }
    if metadata.client_name.trim().is_empty() {
        metadata.client_name = default_name(&metadata);
    }
    let application_type = application_type(request.application_type.as_deref(), &metadata)?;
    if application_type == ApplicationType::Web {
        check_web_redirect_uris(&metadata, policy)?;
    }
    let registered = register_client(metadata, Registrant::Dynamic, policy)?;
    Ok((registered, application_type))
}

/// A self-registered client, and what it is told once: its secret (when
/// confidential) and its registration access token (RFC 7592 §1.3), both
/// stored only as hashes.
pub struct SelfRegistered {
    pub registration: ClientRegistration,
    pub client_secret: Option<String>,
    pub registration_access_token: String,
}

/// RFC 7591 §3.1, §3.2: registers the client a request describes.
pub fn register(
    request: RegistrationRequest,
    policy: &RegistrationPolicy,
) -> Result<SelfRegistered, OAuthError> {
    let (registered, application_type) = checked_client(request, policy)?;
    let registration_access_token = crypto::new_token();
    Ok(SelfRegistered {
        registration: ClientRegistration {
            client: registered.client,
            application_type,
            access_token: crypto::token_key(&registration_access_token),
        },
        client_secret: registered.client_secret,
        registration_access_token,
    })
}

mod management;

pub use management::{update, ClientInformationResponse, Updated};

#[cfg(test)]
mod tests;
