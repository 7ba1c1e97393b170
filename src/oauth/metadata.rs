//! Authorization server metadata (RFC 8414 §2).

use super::vocabulary::{AuthMethod, GrantType, ResponseType};
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
    response_types_supported: &'static [ResponseType],
    response_modes_supported: Vec<&'static str>,
    grant_types_supported: &'static [GrantType],
    token_endpoint_auth_methods_supported: &'static [AuthMethod],
    revocation_endpoint_auth_methods_supported: &'static [AuthMethod],
    /// A public client cannot introspect (RFC 7662 §2.1).
    introspection_endpoint_auth_methods_supported: Vec<AuthMethod>,
    code_challenge_methods_supported: Vec<&'static str>,
    authorization_response_iss_parameter_supported: bool,
}

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
        response_types_supported: ResponseType::ALL,
        response_modes_supported: vec!["query", "fragment"],
        grant_types_supported: GrantType::ALL,
        token_endpoint_auth_methods_supported: AuthMethod::ALL,
        revocation_endpoint_auth_methods_supported: AuthMethod::ALL,
        introspection_endpoint_auth_methods_supported: AuthMethod::ALL
            .iter()
            .copied()
            .filter(|method| *method != AuthMethod::None)
            .collect(),
        code_challenge_methods_supported: vec!["S256"],
        authorization_response_iss_parameter_supported: true,
    }
}
