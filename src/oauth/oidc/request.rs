//! The OpenID Connect parameters of an authorization request (Core
//! §3.1.2.1, §5.5, §6), parsed once from the request's [`Params`]. The
//! OAuth ones (client, redirect URI, scope, PKCE) stay with
//! `oauth::authorize::validate`.
//!
//! They are read whether or not the scope has `openid`: `prompt` and
//! `max_age` mean the same to a plain OAuth client, and one parse keeps the
//! endpoint's behaviour in one place.

use super::claims_request::ClaimsRequest;
use crate::oauth::vocabulary::{Prompt, ResponseMode};
use crate::oauth::{ErrorCode, OAuthError, Params};

/// What an authorization request asks of the OpenID Provider.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OidcRequest {
    /// The distinct `prompt` values, in request order; `none` is alone.
    pub prompt: Vec<Prompt>,
    /// Seconds since the user's last sign-in beyond which they must sign
    /// in again (§3.1.2.1).
    pub max_age: Option<i64>,
    /// The user the client thinks of (an email, a username): only to
    /// pre-fill the sign-in form, never to choose who is signed in.
    pub login_hint: Option<String>,
    /// An ID token we issued, naming the user the client expects; verify it
    /// with the `KeyRing` and read it with `HintClaims::read`.
    pub id_token_hint: Option<String>,
    /// As requested; `response_mode::resolve` applies the default.
    pub response_mode: Option<ResponseMode>,
    /// Echoed in the ID token (§3.1.2.1): binds it to the client's session.
    pub nonce: Option<String>,
    /// The `claims` parameter (§5.5); empty when absent.
    pub claims: ClaimsRequest,
}

impl OidcRequest {
    /// Reads the parameters. `display` and `ui_locales` are accepted and
    /// ignored (§3.1.2.1 leaves both to the OP: our pages have one layout
    /// and one language); `acr_values` likewise (no ACR is defined).
    pub fn parse(params: &Params) -> Result<Self, OAuthError> {
        // §6: request objects, by value or by reference, and §7.2.1's
        // `registration` are not supported; each has its own error code.
        for (name, code) in [
            ("request", ErrorCode::RequestNotSupported),
            ("request_uri", ErrorCode::RequestUriNotSupported),
            ("registration", ErrorCode::RegistrationNotSupported),
        ] {
            if params.get(name).is_some() {
                return Err(OAuthError::new(
                    code,
                    format!("the {name} parameter is not supported"),
                ));
            }
        }
        let response_mode = params
            .get("response_mode")
            .map(|mode| {
                mode.parse::<ResponseMode>().map_err(|_| {
                    OAuthError::invalid_request(
                        "response_mode must be query, fragment or form_post",
                    )
                })
            })
            .transpose()?;
        Ok(OidcRequest {
            prompt: parse_prompt(params.get("prompt"))?,
            max_age: params.get("max_age").map(parse_max_age).transpose()?,
            login_hint: params.get("login_hint").map(str::to_owned),
            id_token_hint: params.get("id_token_hint").map(str::to_owned),
            response_mode,
            nonce: params.get("nonce").map(str::to_owned),
            claims: params
                .get("claims")
                .map(ClaimsRequest::parse)
                .transpose()?
                .unwrap_or_default(),
        })
    }

    pub fn prompts(&self, prompt: Prompt) -> bool {
        self.prompt.contains(&prompt)
    }
}

/// §3.1.2.1: a space-delimited, case-sensitive list; `none` with any other
/// value is an error. An unknown value is refused too rather than ignored:
/// a client asking for a page we do not have (`create`, say) would
/// otherwise get silently different behaviour.
fn parse_prompt(prompt: Option<&str>) -> Result<Vec<Prompt>, OAuthError> {
    let mut values: Vec<Prompt> = Vec::new();
    for word in prompt
        .unwrap_or_default()
        .split(' ')
        .filter(|w| !w.is_empty())
    {
        let value = word.parse::<Prompt>().map_err(|_| {
            OAuthError::invalid_request(format!(
                "unsupported prompt value {}",
                crate::oauth::params::truncate(word)
            ))
        })?;
        if !values.contains(&value) {
            values.push(value);
        }
    }
    if values.contains(&Prompt::None) && values.len() > 1 {
        return Err(OAuthError::invalid_request(
            "prompt=none cannot be combined with other values",
        ));
    }
    Ok(values)
}

/// §3.1.2.1: a non-negative integer number of seconds. Digits only (no
/// sign, no space, no fraction); a number past `i64` is as good as forever.
fn parse_max_age(max_age: &str) -> Result<i64, OAuthError> {
    if !max_age.bytes().all(|b| b.is_ascii_digit()) {
        return Err(OAuthError::invalid_request(
            "max_age must be a non-negative integer",
        ));
    }
    Ok(max_age.parse::<i64>().unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(pairs: &[(&str, &str)]) -> Result<OidcRequest, OAuthError> {
        let pairs = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string()));
        OidcRequest::parse(&Params::from_pairs(pairs).unwrap())
    }

    fn code(pairs: &[(&str, &str)]) -> ErrorCode {
        parse(pairs).unwrap_err().code
    }

    #[test]
    fn a_plain_request_asks_nothing_special() {
        assert_eq!(
            parse(&[("scope", "openid")]).unwrap(),
            OidcRequest::default()
        );
    }

    #[test]
    fn prompt_is_a_set_of_the_four_core_values() {
        let request = parse(&[("prompt", "login  consent login select_account")]).unwrap();
        assert_eq!(
            request.prompt,
            [Prompt::Login, Prompt::Consent, Prompt::SelectAccount]
        );
        assert!(request.prompts(Prompt::Consent) && !request.prompts(Prompt::None));
        assert_eq!(parse(&[("prompt", "none")]).unwrap().prompt, [Prompt::None]);
    }

    #[test]
    fn prompt_none_with_anything_else_is_invalid_request() {
        for prompt in ["none login", "consent none", "none select_account"] {
            assert_eq!(
                code(&[("prompt", prompt)]),
                ErrorCode::InvalidRequest,
                "{prompt}"
            );
        }
        assert!(parse(&[("prompt", "none none")]).is_ok());
    }

    #[test]
    fn unknown_or_miscased_prompt_values_are_invalid_request() {
        for prompt in ["create", "Login", "login,consent"] {
            assert_eq!(
                code(&[("prompt", prompt)]),
                ErrorCode::InvalidRequest,
                "{prompt}"
            );
        }
    }

    #[test]
    fn max_age_is_a_non_negative_integer() {
        assert_eq!(parse(&[("max_age", "0")]).unwrap().max_age, Some(0));
        assert_eq!(parse(&[("max_age", "3600")]).unwrap().max_age, Some(3600));
        assert_eq!(
            parse(&[("max_age", "99999999999999999999999")])
                .unwrap()
                .max_age,
            Some(i64::MAX)
        );
        for max_age in ["-1", "+5", "1.5", " 5", "5s", "1e3"] {
            assert_eq!(
                code(&[("max_age", max_age)]),
                ErrorCode::InvalidRequest,
                "{max_age}"
            );
        }
    }

    #[test]
    fn request_objects_and_registration_have_their_own_errors() {
        assert_eq!(
            code(&[("request", "eyJ...")]),
            ErrorCode::RequestNotSupported
        );
        assert_eq!(
            code(&[("request_uri", "https://rp.example/r")]),
            ErrorCode::RequestUriNotSupported
        );
        assert_eq!(
            code(&[("registration", "{}")]),
            ErrorCode::RegistrationNotSupported
        );
    }

    #[test]
    fn response_mode_is_one_of_three() {
        let form_post = parse(&[("response_mode", "form_post")]).unwrap();
        assert_eq!(form_post.response_mode, Some(ResponseMode::FormPost));
        assert_eq!(
            code(&[("response_mode", "query.jwt")]),
            ErrorCode::InvalidRequest
        );
    }

    #[test]
    fn hints_nonce_and_claims_are_kept_and_display_and_ui_locales_ignored() {
        let request = parse(&[
            ("login_hint", "jane@example.com"),
            ("id_token_hint", "eyJ.eyJ.sig"),
            ("nonce", "n-0S6_WzA2Mj"),
            ("display", "popup"),
            ("ui_locales", "fr-CA fr en"),
            ("claims", r#"{"id_token":{"email":null}}"#),
        ])
        .unwrap();
        assert_eq!(request.login_hint.as_deref(), Some("jane@example.com"));
        assert_eq!(request.id_token_hint.as_deref(), Some("eyJ.eyJ.sig"));
        assert_eq!(request.nonce.as_deref(), Some("n-0S6_WzA2Mj"));
        assert!(request.claims.id_token.contains_key("email"));
    }

    #[test]
    fn malformed_claims_parameter_is_invalid_request() {
        assert_eq!(code(&[("claims", "{not json")]), ErrorCode::InvalidRequest);
    }
}
