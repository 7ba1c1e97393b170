//! What one OpenID Connect authorization hands on to its ID tokens: how and
//! when the user signed in, the `nonce` and the `claims` request. Recorded
//! with the code and then with the grant, so that the code's ID token and
//! every refreshed one say the same (Core §12.2).

use super::claims_request::ClaimsRequest;
use super::id_token::{Authentication, AuthenticationMethod};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrantContext {
    /// When the user signed in, Unix seconds.
    pub auth_time: i64,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub amr: Vec<AuthenticationMethod>,
    /// The authorization request's `nonce`, for the code's ID token only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    /// The `claims` parameter as sent (§5.5), parsed again when used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claims: Option<String>,
}

impl GrantContext {
    /// The sign-in of `user_id` that this context records.
    pub fn authentication(&self, user_id: i64) -> Authentication {
        Authentication {
            user_id,
            auth_time: self.auth_time,
            amr: self.amr.clone(),
            acr: None,
        }
    }

    /// The `claims` request, or none if it was absent (or, stored by a
    /// version that parsed differently, no longer reads).
    pub fn claims_request(&self) -> ClaimsRequest {
        self.claims
            .as_deref()
            .and_then(|json| ClaimsRequest::parse(json).ok())
            .unwrap_or_default()
    }

    /// What the grant keeps: everything but the `nonce`, which only the
    /// code's ID token echoes (§12.2).
    pub fn for_grant(&self) -> GrantContext {
        GrantContext {
            nonce: None,
            ..self.clone()
        }
    }
}
