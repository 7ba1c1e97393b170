//! Client ID Metadata Documents (draft-ietf-oauth-client-id-metadata-document-02,
//! "the draft" below; MCP authorization 2025-11-25, "Client ID Metadata
//! Documents"): a client whose `client_id` is an https URL describes itself
//! in the JSON document at that URL, and the server treats it as a public
//! client that nobody here registered or vouches for.
//!
//! This file holds the rules: which client_ids are such URLs (draft §3) and
//! which documents are acceptable (§4, §4.1). [`MetadataDocumentFetcher`]
//! gets documents off the network and caches them; [`AllowEntry`] is the
//! operator's exception to its address rules.
//!
//! # Threat model
//!
//! The client_id comes from whoever sends an authorization request, so
//! fetching it makes this server send a request of an outsider's choosing
//! from inside the operator's network: server-side request forgery (draft
//! §8.6; MCP "Authorization Server Abuse Protection"). The fetcher refuses:
//! - every scheme but https, and URLs that break draft §3;
//! - special-use addresses (RFC 6890 and the IANA special-purpose
//!   registries: loopback, RFC 1918 and fc00::/7, link-local including the
//!   cloud metadata address 169.254.169.254, 100.64/10, unspecified,
//!   multicast, broadcast, documentation and benchmarking ranges, and
//!   IPv4-mapped, NAT64 and 6to4 forms of them), unless the operator
//!   allowed the host or network. An IP literal is checked before any
//!   connection (the connector skips the resolver for literals); a name is
//!   resolved by the fetcher's own resolver, which refuses the name when any
//!   of its addresses is special-use; `localhost` names are refused by name;
//! - redirects (draft §5): a public URL cannot bounce the fetch inward;
//! - proxies from the environment: a proxy would resolve the name itself,
//!   out of the resolver's sight;
//! - anything but a 200 answer with a JSON media type; the body is read
//!   while it streams and the fetch stops at the size limit (5 KiB, draft
//!   §8.7), whatever Content-Length says; one deadline covers the whole
//!   fetch. Errors name a status or a cause, never the body, so a refused
//!   fetch reveals no content.
//!
//! DNS rebinding (a name that answers with a public address when checked
//! and a private one when connected to) finds no second lookup: reqwest's
//! connector (hyper-util's `HttpConnector`) calls the resolver once per new
//! connection and connects to exactly the addresses it returned, so what was
//! checked is what is connected to. The fetcher keeps no idle connections,
//! so every fetch resolves and checks again.
//!
//! The document itself is untrusted input: its client_id must equal its URL
//! (§4); it may not hold a secret (§4.1), so the client is public and the
//! existing rules require PKCE of it; its redirect URIs, client_uri and
//! scope pass the same checks as a registration, with only the
//! authorization_code and refresh_token grants; and it is never vouched for
//! ([`Registrant::MetadataDocument`]). `logo_uri` is ignored: never fetched
//! nor shown, so it cannot track users or change under them (§8.8, §9.2).
//! No same-origin rule ties redirect URIs to the URL (§8.1): MCP clients
//! redirect to loopback, and the consent page shows the redirect host
//! (MCP "Localhost Redirect URI Risks").
//!
//! Memory stays bounded under a flood of distinct URLs: a capped cache, a
//! cap on concurrent fetches, a cap on URL length; failed fetches and
//! invalid documents are never cached (§5.2).
//!
//! # What the operator configures
//!
//! Suggested names: `--client-metadata-documents` (off by default; on, the
//! RFC 8414 metadata says `client_id_metadata_document_supported: true`,
//! draft §6); `--metadata-document-allow HOST|IP|CIDR`, repeatable, for
//! documents on private networks (loopback only for development: draft §8.6
//! forbids it in production); `--metadata-document-ca FILE`, PEM roots
//! trusted besides the Mozilla roots compiled in. The scopes such clients
//! may hold are the [`RegistrationPolicy`] passed to each call.

mod address;
mod cache;
mod fetch;

pub use address::AllowEntry;
pub use fetch::{FetchPolicy, MetadataDocumentFetcher};

use super::dynamic::check_anonymous_flows;
use super::{register, ClientMetadata, RegistrationPolicy};
use crate::oauth::{ErrorCode, OAuthError};
use crate::store::{Client, Registrant};
use serde::de::IgnoredAny;
use serde::Deserialize;
use url::Url;

/// The longest client_id URL accepted: it keys the cache and is quoted in
/// error descriptions, so its length bounds both.
pub const MAX_URL_LENGTH: usize = 2048;

/// Whether `client_id` is a Client Identifier URL (draft §3) that this
/// server would fetch a document from.
pub fn is_metadata_document_id(client_id: &str) -> bool {
    client_id_url(client_id).is_ok()
}

/// The URL of a client_id, or the rule of draft §3 it breaks.
fn client_id_url(client_id: &str) -> Result<Url, &'static str> {
    if client_id.len() > MAX_URL_LENGTH {
        return Err("it is longer than 2048 characters");
    }
    if !client_id.starts_with("https://") {
        return Err("it is not an https URL");
    }
    let url = Url::parse(client_id).map_err(|_| "it is not a valid URL")?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err("it must not contain user information");
    }
    if url.fragment().is_some() {
        return Err("it must not contain a fragment");
    }
    if url.path() == "/" {
        return Err("it must have a path, not just /");
    }
    // The URL parser resolves dot segments away, so look at them as written.
    let after_host = &client_id["https://".len()..];
    let path = after_host.find('/').map_or("", |at| &after_host[at..]);
    let path = path.split(['?', '#']).next().unwrap_or_default();
    if path.split('/').any(is_dot_segment) {
        return Err("it must not contain . or .. path segments");
    }
    // §3, §4: the document's client_id, the client_id and the URL fetched
    // must be equal as strings; fetching a normalized form would break that.
    if url.as_str() != client_id {
        return Err(
            "it must be written in normalized form (lowercase scheme and host, \
                    no default port, percent-encoded)",
        );
    }
    Ok(url)
}

/// RFC 3986 §5.2.4 dot segments, with their percent-encoded spellings
/// (which the URL parser resolves too).
fn is_dot_segment(segment: &str) -> bool {
    let segment = segment.to_ascii_lowercase().replace("%2e", ".");
    segment == "." || segment == ".."
}

/// The members of a document this server reads (RFC 7591 §2 names);
/// unknown members are ignored, a repeated member is an error.
#[derive(Deserialize)]
struct ClientMetadataDocument {
    client_id: Option<String>,
    client_name: Option<String>,
    client_uri: Option<String>,
    redirect_uris: Option<Vec<String>>,
    post_logout_redirect_uris: Option<Vec<String>>,
    grant_types: Option<Vec<String>>,
    response_types: Option<Vec<String>>,
    scope: Option<String>,
    token_endpoint_auth_method: Option<String>,
    client_secret: Option<IgnoredAny>,
    client_secret_expires_at: Option<IgnoredAny>,
}

fn invalid_client(client_id: &str, why: impl std::fmt::Display) -> OAuthError {
    OAuthError::invalid_client(format!(
        "the client metadata document at {client_id} is not acceptable: {why}"
    ))
}

/// The client a fetched document describes, as a public client (draft §4,
/// §4.1) checked by the registration rules under `policy`; a document
/// without `scope` gets all of `policy.scopes_supported` (RFC 7591 §2 lets
/// the server choose). Errors are `invalid_client`, which the authorization
/// endpoint shows on its error page.
pub fn client_from_document(
    client_id: &str,
    document: &[u8],
    policy: &RegistrationPolicy,
) -> Result<Client, OAuthError> {
    let invalid = |why: &dyn std::fmt::Display| invalid_client(client_id, why);
    let url = client_id_url(client_id).map_err(|why| {
        OAuthError::invalid_client(format!(
            "client_id {client_id} is not a client identifier URL: {why}"
        ))
    })?;
    let document: ClientMetadataDocument = serde_json::from_slice(document)
        .map_err(|e| invalid(&format!("it is not a JSON object of client metadata ({e})")))?;
    match document.client_id.as_deref() {
        None => return Err(invalid(&"it has no client_id")),
        Some(id) if id != client_id => {
            return Err(invalid(&"its client_id does not equal its URL"))
        }
        Some(_) => {}
    }
    if document.client_secret.is_some() || document.client_secret_expires_at.is_some() {
        return Err(invalid(
            &"it contains a client_secret, which a public document cannot keep (draft section 4.1)",
        ));
    }
    match document.token_endpoint_auth_method.as_deref() {
        None | Some("none") => {}
        Some("private_key_jwt") => {
            return Err(invalid(
                &"token_endpoint_auth_method private_key_jwt is not supported yet; use none (a public client with PKCE)",
            ))
        }
        Some(method) if method.starts_with("client_secret") => {
            return Err(invalid(&format!(
                "token_endpoint_auth_method {method} needs a shared secret, which a public document cannot hold (draft section 4.1); use none"
            )))
        }
        Some(method) => {
            return Err(invalid(&format!(
                "token_endpoint_auth_method {method} is not supported; use none"
            )))
        }
    }
    let grant_types = document.grant_types.unwrap_or_default();
    let response_types = document.response_types.unwrap_or_default();
    check_anonymous_flows(&grant_types, &response_types).map_err(|why| invalid(&why))?;
    // §4.2: the redirect URIs are registered by the document, and every
    // grant allowed here redirects.
    let redirect_uris = document.redirect_uris.unwrap_or_default();
    if redirect_uris.is_empty() {
        return Err(invalid(&"it has no redirect_uris"));
    }
    // MCP requires client_name of clients; the host stands in without one,
    // as it is what the user should check anyway (draft §8.5).
    let client_name = document
        .client_name
        .filter(|name| !name.trim().is_empty())
        .unwrap_or_else(|| url.host_str().unwrap_or_default().to_owned());
    let metadata = ClientMetadata {
        client_name,
        client_uri: document.client_uri,
        grant_types,
        redirect_uris,
        post_logout_redirect_uris: document.post_logout_redirect_uris.unwrap_or_default(),
        response_types,
        scope: document
            .scope
            .unwrap_or_else(|| policy.scopes_supported.join(" ")),
        token_endpoint_auth_method: Some("none".to_owned()),
        ..ClientMetadata::default()
    };
    let registered = register(metadata, Registrant::MetadataDocument, policy).map_err(|e| {
        if e.code == ErrorCode::InvalidRedirectUri {
            invalid(&format!("redirect URI {}", e.description))
        } else {
            invalid(&e.description)
        }
    })?;
    Ok(Client {
        client_id: client_id.to_owned(),
        ..registered.client
    })
}

#[cfg(test)]
mod tests;
