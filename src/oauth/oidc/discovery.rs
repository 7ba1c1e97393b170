//! The OpenID Provider configuration at `/.well-known/openid-configuration`
//! (OpenID Connect Discovery 1.0 §3, §4): the RFC 8414 metadata, flattened,
//! plus the members only OpenID Connect defines. Members both documents
//! have (issuer, endpoints, response types, grant types, auth methods,
//! PKCE, RFC 9207) come from [`Metadata`] alone.

use super::claims::claims_supported;
use crate::keys::SigningAlg;
use crate::oauth::metadata::Metadata;
use crate::oauth::vocabulary::Prompt;
use serde::Serialize;

/// Where the document is served (Discovery §4).
pub const DISCOVERY_PATH: &str = "/.well-known/openid-configuration";
/// The UserInfo endpoint (Core §5.3).
pub const USERINFO_PATH: &str = "/oauth/userinfo";
/// The JWK Set of the signing keys (`KeyRing::jwks`).
pub const JWKS_PATH: &str = "/oauth/jwks";
/// RP-Initiated Logout 1.0's `end_session_endpoint`.
pub const END_SESSION_PATH: &str = "/oauth/logout";

/// The scope values OpenID Connect defines (Core §3.1.2.1, §5.4, §11).
pub const OIDC_SCOPES: [&str; 6] = [
    "openid",
    "profile",
    "email",
    "address",
    "phone",
    "offline_access",
];

/// What the document depends on besides the issuer.
#[derive(Debug, Clone, Copy)]
pub struct Capabilities<'a> {
    /// The operator's `scopes_supported`.
    pub operator_scopes: &'a [String],
    /// The algorithms the key ring signs ID tokens with.
    pub signing_algs: &'a [SigningAlg],
    /// The algorithms the UserInfo endpoint signs its answer with, for
    /// clients registered for signed answers; empty (and then left out of
    /// the document) while it answers plain JSON only.
    pub userinfo_signing_algs: &'a [SigningAlg],
    /// RFC 7591's endpoint, when self-registration is open.
    pub registration_endpoint: Option<&'a str>,
    /// Whether https client_ids are fetched as Client ID Metadata Documents.
    pub client_id_metadata_documents: bool,
}

#[derive(Debug, Serialize)]
pub struct Discovery {
    #[serde(flatten)]
    oauth: Metadata,
    userinfo_endpoint: String,
    jwks_uri: String,
    end_session_endpoint: String,
    /// Only public subjects: the same `sub` for every client (Core §8).
    subject_types_supported: [&'static str; 1],
    id_token_signing_alg_values_supported: Vec<SigningAlg>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    userinfo_signing_alg_values_supported: Vec<SigningAlg>,
    claims_supported: Vec<&'static str>,
    /// Claims are ours, in plain JSON: no aggregated or distributed ones
    /// (Core §5.6).
    claim_types_supported: [&'static str; 1],
    claims_parameter_supported: bool,
    /// Written out: Discovery §3 makes an omitted
    /// `request_uri_parameter_supported` true.
    request_parameter_supported: bool,
    request_uri_parameter_supported: bool,
    prompt_values_supported: &'static [Prompt],
}

/// The document of the provider at `issuer` (no trailing slash; Discovery
/// §4.3: it must equal the `iss` of our ID tokens).
pub fn discovery(issuer: &str, capabilities: &Capabilities) -> Discovery {
    let url = |path: &str| format!("{issuer}{path}");
    let mut oauth = Metadata::new(issuer, scopes_supported(capabilities.operator_scopes));
    oauth.registration_endpoint = capabilities.registration_endpoint.map(str::to_owned);
    oauth.client_id_metadata_document_supported = capabilities.client_id_metadata_documents;
    Discovery {
        oauth,
        userinfo_endpoint: url(USERINFO_PATH),
        jwks_uri: url(JWKS_PATH),
        end_session_endpoint: url(END_SESSION_PATH),
        subject_types_supported: ["public"],
        id_token_signing_alg_values_supported: in_published_order(capabilities.signing_algs),
        userinfo_signing_alg_values_supported: in_published_order(
            capabilities.userinfo_signing_algs,
        ),
        claims_supported: claims_supported(),
        claim_types_supported: ["normal"],
        claims_parameter_supported: true,
        request_parameter_supported: false,
        request_uri_parameter_supported: false,
        prompt_values_supported: Prompt::ALL,
    }
}

/// OpenID Connect's scope values, then the operator's others, once each.
pub fn scopes_supported(operator_scopes: &[String]) -> Vec<String> {
    let mut scopes: Vec<String> = OIDC_SCOPES.iter().map(|s| s.to_string()).collect();
    for scope in operator_scopes {
        if !scopes.contains(scope) {
            scopes.push(scope.clone());
        }
    }
    scopes
}

/// `SigningAlg::ALL`'s order: RS256, which every relying party must
/// accept (Core §15.1), first.
fn in_published_order(algs: &[SigningAlg]) -> Vec<SigningAlg> {
    SigningAlg::ALL
        .into_iter()
        .filter(|alg| algs.contains(alg))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    const ISSUER: &str = "https://op.example";

    fn document(capabilities: &Capabilities) -> Value {
        serde_json::to_value(discovery(ISSUER, capabilities)).unwrap()
    }

    fn operator() -> Vec<String> {
        ["all", "profile", "email", "restaurants:read"]
            .map(String::from)
            .to_vec()
    }

    fn capabilities(operator_scopes: &[String]) -> Capabilities<'_> {
        Capabilities {
            operator_scopes,
            signing_algs: &[SigningAlg::EdDsa, SigningAlg::Rs256],
            userinfo_signing_algs: &[],
            registration_endpoint: None,
            client_id_metadata_documents: false,
        }
    }

    #[test]
    fn the_shared_members_are_the_rfc_8414_documents() {
        let operator = operator();
        let oidc = document(&capabilities(&operator));
        let oauth =
            serde_json::to_value(Metadata::new(ISSUER, scopes_supported(&operator))).unwrap();
        for (member, value) in oauth.as_object().unwrap() {
            assert_eq!(&oidc[member], value, "{member}");
        }
        assert_eq!(oidc["issuer"], ISSUER);
        assert_eq!(
            oidc["authorization_endpoint"],
            "https://op.example/oauth/authorize"
        );
        assert_eq!(oidc["code_challenge_methods_supported"], json!(["S256"]));
        assert_eq!(oidc["authorization_response_iss_parameter_supported"], true);
        assert_eq!(oidc["response_types_supported"], json!(["code", "token"]));
    }

    #[test]
    fn openid_connect_members_are_present() {
        let operator = operator();
        let oidc = document(&capabilities(&operator));
        assert_eq!(
            oidc["userinfo_endpoint"],
            "https://op.example/oauth/userinfo"
        );
        assert_eq!(oidc["jwks_uri"], "https://op.example/oauth/jwks");
        assert_eq!(
            oidc["end_session_endpoint"],
            "https://op.example/oauth/logout"
        );
        assert_eq!(oidc["subject_types_supported"], json!(["public"]));
        assert_eq!(oidc["claim_types_supported"], json!(["normal"]));
        assert_eq!(oidc["claims_parameter_supported"], true);
        assert_eq!(oidc["request_parameter_supported"], false);
        assert_eq!(oidc["request_uri_parameter_supported"], false);
        assert_eq!(
            oidc["prompt_values_supported"],
            json!(["none", "login", "consent", "select_account"])
        );
        let claims = oidc["claims_supported"].as_array().unwrap();
        assert!(claims.contains(&json!("sub")) && claims.contains(&json!("email_verified")));
    }

    #[test]
    fn signing_algorithms_are_listed_rs256_first() {
        let operator = operator();
        let oidc = document(&capabilities(&operator));
        assert_eq!(
            oidc["id_token_signing_alg_values_supported"],
            json!(["RS256", "EdDSA"])
        );
        assert!(oidc.get("userinfo_signing_alg_values_supported").is_none());
        let signed_userinfo = Capabilities {
            userinfo_signing_algs: &[SigningAlg::Es256],
            ..capabilities(&operator)
        };
        assert_eq!(
            document(&signed_userinfo)["userinfo_signing_alg_values_supported"],
            json!(["ES256"])
        );
    }

    #[test]
    fn scopes_are_openid_connects_then_the_operators_once_each() {
        assert_eq!(
            scopes_supported(&operator()),
            [
                "openid",
                "profile",
                "email",
                "address",
                "phone",
                "offline_access",
                "all",
                "restaurants:read"
            ]
        );
    }

    #[test]
    fn the_registration_endpoint_is_listed_only_when_open() {
        let operator = operator();
        assert!(document(&capabilities(&operator))
            .get("registration_endpoint")
            .is_none());
        let open = Capabilities {
            registration_endpoint: Some("https://op.example/oauth/register"),
            ..capabilities(&operator)
        };
        assert_eq!(
            document(&open)["registration_endpoint"],
            "https://op.example/oauth/register"
        );
    }

    #[test]
    fn no_member_appears_twice() {
        let operator = operator();
        let text = serde_json::to_string(&discovery(ISSUER, &capabilities(&operator))).unwrap();
        let parsed: serde_json::Map<String, Value> = serde_json::from_str(&text).unwrap();
        assert_eq!(text.matches("\":").count(), parsed.len());
    }
}
