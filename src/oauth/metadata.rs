//! Authorization server metadata (RFC 8414 §2). The OpenID Connect
//! discovery document (`oidc::discovery`) is this one plus its own members,
//! so the members both have are written here once.

use super::vocabulary::{AuthMethod, GrantType, ResponseMode, ResponseType};
use serde::Serialize;

/// The response modes the authorization endpoint answers with.
pub const RESPONSE_MODES_SUPPORTED: &[ResponseMode] = &[
    ResponseMode::Query,
    ResponseMode::Fragment,
    ResponseMode::FormPost,
];

#[derive(Debug, Serialize)]
pub struct Metadata {
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: String,
    revocation_endpoint: String,
    introspection_endpoint: String,
    /// RFC 7591's endpoint, once clients may register themselves.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub registration_endpoint: Option<String>,
    /// draft-ietf-oauth-client-id-metadata-document §6: https client_ids
    /// are fetched as metadata documents; left out when they are not.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub client_id_metadata_document_supported: bool,
    scopes_supported: Vec<String>,
    response_types_supported: &'static [ResponseType],
    response_modes_supported: &'static [ResponseMode],
    grant_types_supported: &'static [GrantType],
    token_endpoint_auth_methods_supported: &'static [AuthMethod],
    revocation_endpoint_auth_methods_supported: &'static [AuthMethod],
    /// A public client cannot introspect (RFC 7662 §2.1).
    introspection_endpoint_auth_methods_supported: Vec<AuthMethod>,
    code_challenge_methods_supported: Vec<&'static str>,
    authorization_response_iss_parameter_supported: bool,
}

impl Metadata {
    /// The metadata of the server at `issuer` (no trailing slash), every
    /// endpoint an absolute URL under it (RFC 8414 §2).
    pub fn new(issuer: &str, scopes_supported: Vec<String>) -> Self {
        let url = |path: &str| format!("{issuer}{path}");
        Metadata {
            issuer: issuer.to_owned(),
            authorization_endpoint: url("/oauth/authorize"),
            token_endpoint: url("/oauth/token"),
            revocation_endpoint: url("/oauth/revoke"),
            introspection_endpoint: url("/oauth/introspect"),
            registration_endpoint: None,
            client_id_metadata_document_supported: false,
            scopes_supported,
            response_types_supported: ResponseType::ALL,
            response_modes_supported: RESPONSE_MODES_SUPPORTED,
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
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The RFC 8414 members, in order: the document clients of the
    /// OAuth-only server knew, plus form_post.
    #[test]
    fn the_rfc_8414_members() {
        let metadata = Metadata::new("https://op.example", vec!["profile".into(), "email".into()]);
        assert_eq!(
            serde_json::to_string(&metadata).unwrap(),
            r#"{"issuer":"https://op.example","authorization_endpoint":"https://op.example/oauth/authorize","token_endpoint":"https://op.example/oauth/token","revocation_endpoint":"https://op.example/oauth/revoke","introspection_endpoint":"https://op.example/oauth/introspect","scopes_supported":["profile","email"],"response_types_supported":["code","token"],"response_modes_supported":["query","fragment","form_post"],"grant_types_supported":["authorization_code","client_credentials","password","refresh_token","implicit"],"token_endpoint_auth_methods_supported":["client_secret_basic","client_secret_post","none"],"revocation_endpoint_auth_methods_supported":["client_secret_basic","client_secret_post","none"],"introspection_endpoint_auth_methods_supported":["client_secret_basic","client_secret_post"],"code_challenge_methods_supported":["S256"],"authorization_response_iss_parameter_supported":true}"#
        );
    }
}
