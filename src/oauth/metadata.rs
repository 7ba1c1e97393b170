//! Authorization server metadata (RFC 8414 §2).

use super::Provider;
use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct Metadata {
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: String,
    revocation_endpoint: String,
    introspection_endpoint: String,
    scopes_supported: Vec<String>,
    response_types_supported: Vec<&'static str>,
    response_modes_supported: Vec<&'static str>,
    grant_types_supported: Vec<&'static str>,
    token_endpoint_auth_methods_supported: Vec<&'static str>,
    revocation_endpoint_auth_methods_supported: Vec<&'static str>,
    introspection_endpoint_auth_methods_supported: Vec<&'static str>,
    code_challenge_methods_supported: Vec<&'static str>,
    authorization_response_iss_parameter_supported: bool,
}

pub const AUTH_METHODS: [&str; 3] = ["client_secret_basic", "client_secret_post", "none"];

pub fn metadata(provider: &Provider, scopes_supported: Vec<String>) -> Metadata {
    let issuer = &provider.settings.issuer;
    let url = |path: &str| format!("{issuer}{path}");
    Metadata {
        issuer: issuer.clone(),
        authorization_endpoint: url("/oauth/authorize"),
        token_endpoint: url("/oauth/token"),
        revocation_endpoint: url("/oauth/revoke"),
        introspection_endpoint: url("/oauth/introspect"),
        scopes_supported,
        response_types_supported: vec!["code", "token"],
        response_modes_supported: vec!["query", "fragment"],
        grant_types_supported: provider.grant_types(),
        token_endpoint_auth_methods_supported: AUTH_METHODS.to_vec(),
        revocation_endpoint_auth_methods_supported: AUTH_METHODS.to_vec(),
        introspection_endpoint_auth_methods_supported: AUTH_METHODS.to_vec(),
        code_challenge_methods_supported: vec!["S256"],
        authorization_response_iss_parameter_supported: true,
    }
}
