//! The `claims` request parameter (OpenID Connect Core §5.5) and which
//! claims are released where (§5.4, §5.5).
//!
//! What is released is always within what the user consented to: the
//! consent page and remembered consent speak of scopes, so a claim is
//! released only when a granted scope covers it (`email` for `email`, …).
//! The `claims` parameter then chooses *where* a consented claim goes (the
//! ID token, the UserInfo endpoint, or both); it never adds a claim the
//! user was not asked about. §5.5.1 allows this: a requested claim the End-User
//! did not authorize is simply not returned, Essential or not, and that is
//! never an error.

use super::claims::{claims_of_scope, is_user_claim, UserClaims};
use crate::oauth::OAuthError;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// Longest `claims` value accepted. Real requests name a few claims;
/// `Params` already bounds every parameter at 4 KiB.
pub const MAX_CLAIMS_REQUEST_LEN: usize = 4096;

/// The parsed `claims` parameter: for each destination, the claims asked
/// for, by name. Only claims this server supports are kept (§5.5: others
/// are ignored).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ClaimsRequest {
    pub userinfo: BTreeMap<String, ClaimRequest>,
    pub id_token: BTreeMap<String, ClaimRequest>,
}

/// One requested claim (§5.5.1): `null` is the default request, a voluntary
/// claim with no value asked for.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ClaimRequest {
    /// Essential to the client's use (§5.5.1); a missing essential claim is
    /// still not an error.
    pub essential: bool,
    /// The value the client wants the claim to have.
    pub value: Option<Value>,
    /// The values the client accepts, in order of preference.
    pub values: Option<Vec<Value>>,
}

/// Where released claims go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// The UserInfo endpoint's answer (§5.3.2).
    UserInfo,
    /// An ID token. `access_token_issued` says whether the same response
    /// issues an access token: every response type this server answers
    /// does (`code` issues one at the token endpoint, `token` has no ID
    /// token at all), but §5.4 sends scope claims to the ID token when
    /// none is issued (`response_type=id_token`).
    IdToken { access_token_issued: bool },
}

impl ClaimsRequest {
    /// Parses the parameter's JSON (§5.5): an object whose `userinfo` and
    /// `id_token` members, when present, are objects of claims, each `null`
    /// or an object. Anything else is `invalid_request`; other members,
    /// unknown claims and unknown members of a claim are ignored.
    pub fn parse(json: &str) -> Result<Self, OAuthError> {
        if json.len() > MAX_CLAIMS_REQUEST_LEN {
            return Err(OAuthError::invalid_request(
                "the claims parameter is too long",
            ));
        }
        let malformed = |what: &str| OAuthError::invalid_request(format!("claims: {what}"));
        let value: Value = serde_json::from_str(json).map_err(|_| malformed("not valid JSON"))?;
        let Value::Object(mut top) = value else {
            return Err(malformed("not a JSON object"));
        };
        let mut member = |name: &str| -> Result<BTreeMap<String, ClaimRequest>, OAuthError> {
            match top.remove(name) {
                None | Some(Value::Null) => Ok(BTreeMap::new()),
                Some(Value::Object(claims)) => claims
                    .into_iter()
                    .filter(|(claim, _)| is_supported(claim))
                    .map(|(claim, request)| {
                        let request = ClaimRequest::parse(request)
                            .ok_or_else(|| malformed(&format!("{name}.{claim} is malformed")))?;
                        Ok((claim, request))
                    })
                    .collect(),
                Some(_) => Err(malformed(&format!("{name} is not an object"))),
            }
        };
        Ok(ClaimsRequest {
            userinfo: member("userinfo")?,
            id_token: member("id_token")?,
        })
    }

    /// The subject the client asks the ID token to be about (§5.5.1: the
    /// `sub` claim requested with a value). The OP must then answer only
    /// for that user, never for another one with a session (see
    /// `prompt::required_subject`).
    pub fn required_subject(&self) -> Option<&str> {
        self.id_token.get("sub")?.value.as_ref()?.as_str()
    }

    fn for_target(&self, target: Target) -> &BTreeMap<String, ClaimRequest> {
        match target {
            Target::UserInfo => &self.userinfo,
            Target::IdToken { .. } => &self.id_token,
        }
    }
}

impl ClaimRequest {
    fn parse(request: Value) -> Option<Self> {
        let Value::Object(mut members) = request else {
            return request.is_null().then(ClaimRequest::default);
        };
        let essential = match members.remove("essential") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(essential)) => essential,
            Some(_) => return None,
        };
        let values = match members.remove("values") {
            None | Some(Value::Null) => None,
            Some(Value::Array(values)) => Some(values),
            Some(_) => return None,
        };
        Some(ClaimRequest {
            essential,
            value: members.remove("value").filter(|v| !v.is_null()),
            values,
        })
    }
}

/// The claims a request may name: the user's, and `sub` (for §5.5.1's
/// subject request). Other protocol claims (`auth_time`, `acr`) are
/// answered by the ID token builder, which always carries `auth_time`.
fn is_supported(claim: &str) -> bool {
    claim == "sub" || is_user_claim(claim)
}

/// The user's claims to put in `target`, by §5.4 and §5.5, within the
/// consent the granted `scopes` stand for (see the module comment):
///
/// - claims of a granted scope go to the UserInfo endpoint, or to the ID
///   token when no access token is issued (§5.4);
/// - claims requested with the `claims` parameter go where it asks, if a
///   granted scope covers them, Essential and Voluntary alike (§5.5.1);
/// - a claim the user does not have is left out, never `null`.
///
/// `sub` is not here: the ID token and the UserInfo answer always carry it.
pub fn released(
    claims: &UserClaims,
    scopes: &[&str],
    requested: &ClaimsRequest,
    target: Target,
) -> Map<String, Value> {
    let consented = |claim: &str| scopes.iter().any(|s| claims_of_scope(s).contains(&claim));
    let by_scope = match target {
        Target::UserInfo
        | Target::IdToken {
            access_token_issued: false,
        } => true,
        Target::IdToken {
            access_token_issued: true,
        } => false,
    };
    claims
        .to_map()
        .into_iter()
        .filter(|(claim, _)| {
            consented(claim) && (by_scope || requested.for_target(target).contains_key(claim))
        })
        .collect()
}

#[cfg(test)]
mod tests;
