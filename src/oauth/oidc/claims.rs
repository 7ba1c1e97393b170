//! The standard claims of a user (OpenID Connect Core §5.1), the checks on
//! values an operator sets, and which scope releases which claims (§5.4).

use crate::oauth::OAuthError;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::fmt;
use syntax::{
    is_birthdate, is_email, is_locale, is_phone_number, is_zoneinfo, text, web_url, MAX_MULTI_LINE,
    MAX_TEXT,
};

/// A user's claims as stored (a JSON column on users): every member
/// optional, and left out of the JSON when unset, so the stored form of a
/// user without claims is `{}`. Unknown members of a stored value are
/// ignored, so a newer version's claims do not break an older reader.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
#[schema(
    description = "A user's OpenID Connect standard claims (Core section 5.1): \
    each optional, left out when unset."
)]
pub struct UserClaims {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub given_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub family_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub middle_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nickname: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preferred_username: Option<String>,
    /// A web page about the user.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    /// The URL of a picture of the user.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub picture: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub website: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email_verified: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gender: Option<String>,
    /// `YYYY-MM-DD`, `0000-MM-DD` (year withheld) or `YYYY` (§5.1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub birthdate: Option<String>,
    /// An IANA time zone name, `Europe/Paris`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zoneinfo: Option<String>,
    /// A BCP 47 language tag, `fr-CA` (or `fr_CA`, which §5.1 tolerates).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    /// E.164 recommended: `+1 (425) 555-1212;ext=5678`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone_number_verified: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<Address>,
    /// When these claims last changed, Unix seconds: set by the server
    /// whenever an operator sets claims.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(read_only)]
    pub updated_at: Option<i64>,
}

/// A postal address (§5.1.1).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct Address {
    /// The whole address as it is printed; may span lines.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub formatted: Option<String>,
    /// May span lines.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub street_address: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub locality: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
}

/// The claims each scope value releases (§5.4).
pub const PROFILE_CLAIMS: [&str; 14] = [
    "name",
    "family_name",
    "given_name",
    "middle_name",
    "nickname",
    "preferred_username",
    "profile",
    "picture",
    "website",
    "gender",
    "birthdate",
    "zoneinfo",
    "locale",
    "updated_at",
];
pub const EMAIL_CLAIMS: [&str; 2] = ["email", "email_verified"];
pub const ADDRESS_CLAIMS: [&str; 1] = ["address"];
pub const PHONE_CLAIMS: [&str; 2] = ["phone_number", "phone_number_verified"];

/// The user claims a scope value releases; none for any other scope.
pub fn claims_of_scope(scope: &str) -> &'static [&'static str] {
    match scope {
        "profile" => &PROFILE_CLAIMS,
        "email" => &EMAIL_CLAIMS,
        "address" => &ADDRESS_CLAIMS,
        "phone" => &PHONE_CLAIMS,
        _ => &[],
    }
}

/// Whether `name` is one of the claims a user can have.
pub fn is_user_claim(name: &str) -> bool {
    ["profile", "email", "address", "phone"]
        .iter()
        .any(|scope| claims_of_scope(scope).contains(&name))
}

/// The claims an ID token carries about the authentication itself (§2),
/// beside the user's. `azp` is not among them: we never issue one (see
/// `id_token.rs`), and `sid` neither (no front- or back-channel logout).
pub const PROTOCOL_CLAIMS: [&str; 10] = [
    "sub",
    "iss",
    "aud",
    "exp",
    "iat",
    "auth_time",
    "nonce",
    "acr",
    "amr",
    "at_hash",
];

/// Discovery's `claims_supported` (Discovery 1.0 §3): the protocol claims,
/// then the user claims in §5.4's order.
pub fn claims_supported() -> Vec<&'static str> {
    let mut all = PROTOCOL_CLAIMS.to_vec();
    for scope in ["profile", "email", "address", "phone"] {
        all.extend_from_slice(claims_of_scope(scope));
    }
    all
}

impl UserClaims {
    /// The claims that are set, by name, as their JSON values.
    pub fn to_map(&self) -> Map<String, Value> {
        match serde_json::to_value(self) {
            Ok(Value::Object(map)) => map,
            // A struct of strings, booleans and integers is always an object.
            _ => Map::new(),
        }
    }

    /// Claims an operator gives as a JSON object (`--claims`, the admin
    /// API), not yet checked ([`validate`](Self::validate)). Unlike in a
    /// stored value, an unknown member here is a typo, refused rather than
    /// dropped; a `null` member is a claim left unset.
    pub fn from_operator_json(given: &Map<String, Value>) -> Result<UserClaims, String> {
        let claims = UserClaims::deserialize(&Value::Object(given.clone()))
            .map_err(|e| format!("a claim has a value of the wrong type: {e}"))?;
        let known = claims.to_map();
        match given
            .iter()
            .find(|(name, value)| !value.is_null() && !known.contains_key(name.as_str()))
        {
            Some((name, _)) => Err(format!(
                "{name:?} is not a standard claim this server keeps"
            )),
            None => Ok(claims),
        }
    }

    /// Checks values an operator sets (`portcullis user update …`): sane
    /// syntax for the typed claims, http(s) URLs, bounded lengths, no
    /// control characters (so no NUL) outside multi-line address parts.
    pub fn validate(&self) -> Result<(), InvalidClaim> {
        for (claim, value) in [
            ("name", &self.name),
            ("given_name", &self.given_name),
            ("family_name", &self.family_name),
            ("middle_name", &self.middle_name),
            ("nickname", &self.nickname),
            ("preferred_username", &self.preferred_username),
            ("gender", &self.gender),
        ] {
            if let Some(value) = value {
                text(claim, value, MAX_TEXT, false)?;
            }
        }
        for (claim, value) in [
            ("profile", &self.profile),
            ("picture", &self.picture),
            ("website", &self.website),
        ] {
            if let Some(value) = value {
                web_url(claim, value)?;
            }
        }
        let syntax = |claim, value: &Option<String>, well_formed: fn(&str) -> bool, reason| {
            let Some(value) = value else {
                return Ok(());
            };
            text(claim, value, MAX_TEXT, false)?;
            if well_formed(value) {
                Ok(())
            } else {
                Err(InvalidClaim { claim, reason })
            }
        };
        syntax("email", &self.email, is_email, "not an email address")?;
        syntax(
            "birthdate",
            &self.birthdate,
            is_birthdate,
            "not YYYY-MM-DD, 0000-MM-DD or YYYY",
        )?;
        syntax(
            "zoneinfo",
            &self.zoneinfo,
            is_zoneinfo,
            "not a time zone name such as Europe/Paris",
        )?;
        syntax(
            "locale",
            &self.locale,
            is_locale,
            "not a language tag such as en-US",
        )?;
        syntax(
            "phone_number",
            &self.phone_number,
            is_phone_number,
            "not a telephone number such as +1 (425) 555-1212",
        )?;
        if let Some(address) = &self.address {
            address.validate()?;
        }
        if self.updated_at.is_some_and(|t| t < 0) {
            return Err(InvalidClaim {
                claim: "updated_at",
                reason: "before 1970",
            });
        }
        Ok(())
    }
}

impl Address {
    fn validate(&self) -> Result<(), InvalidClaim> {
        for (claim, value, multi_line) in [
            ("address.formatted", &self.formatted, true),
            ("address.street_address", &self.street_address, true),
            ("address.locality", &self.locality, false),
            ("address.region", &self.region, false),
            ("address.postal_code", &self.postal_code, false),
            ("address.country", &self.country, false),
        ] {
            if let Some(value) = value {
                let max = if multi_line { MAX_MULTI_LINE } else { MAX_TEXT };
                text(claim, value, max, multi_line)?;
            }
        }
        Ok(())
    }
}

/// A claim an operator tried to set to a value it cannot have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidClaim {
    pub claim: &'static str,
    pub reason: &'static str,
}

impl fmt::Display for InvalidClaim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "claim {}: {}", self.claim, self.reason)
    }
}

impl std::error::Error for InvalidClaim {}

impl From<InvalidClaim> for OAuthError {
    fn from(error: InvalidClaim) -> Self {
        OAuthError::invalid_request(error.to_string())
    }
}

mod syntax;

#[cfg(test)]
mod tests;
