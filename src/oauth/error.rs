//! Errors as data: one type that maps to the wire (RFC 6749 §5.2, §4.1.2.1).

use crate::store::StoreError;
use std::borrow::Cow;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    InvalidRequest,
    InvalidClient,
    InvalidGrant,
    UnauthorizedClient,
    UnsupportedGrantType,
    InvalidScope,
    AccessDenied,
    UnsupportedResponseType,
    ServerError,
    TemporarilyUnavailable,
    /// Too many failed attempts on a credential (SPEC §7): answered as
    /// `temporarily_unavailable` with 429 and Retry-After.
    TooManyAttempts,
    /// RFC 6750 §3.1: a missing or wrong initial or registration access
    /// token (RFC 7591 §3, RFC 7592 §2); 401 with a Bearer challenge.
    InvalidToken,
    /// RFC 7591 §3.2.2
    InvalidRedirectUri,
    /// RFC 7591 §3.2.2
    InvalidClientMetadata,
    /// OpenID Connect Core §3.1.2.6: `prompt=none`, and the user must sign in.
    LoginRequired,
    /// Core §3.1.2.6: `prompt=none`, and the user must consent.
    ConsentRequired,
    /// Core §3.1.2.6: `prompt=none`, and some other page would be needed.
    InteractionRequired,
    /// Core §3.1.2.6: `prompt=none`, and the user must choose an account.
    AccountSelectionRequired,
    /// Core §3.1.2.6: the `request` parameter (a request object) is not supported.
    RequestNotSupported,
    /// Core §3.1.2.6: the `request_uri` parameter is not supported.
    RequestUriNotSupported,
    /// Core §3.1.2.6: the `registration` parameter is not supported.
    RegistrationNotSupported,
    /// RFC 8707 §2: a `resource` that is not a registered resource, or not
    /// one the grant was for.
    InvalidTarget,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidRequest => "invalid_request",
            ErrorCode::InvalidClient => "invalid_client",
            ErrorCode::InvalidGrant => "invalid_grant",
            ErrorCode::UnauthorizedClient => "unauthorized_client",
            ErrorCode::UnsupportedGrantType => "unsupported_grant_type",
            ErrorCode::InvalidScope => "invalid_scope",
            ErrorCode::AccessDenied => "access_denied",
            ErrorCode::UnsupportedResponseType => "unsupported_response_type",
            ErrorCode::ServerError => "server_error",
            ErrorCode::TemporarilyUnavailable | ErrorCode::TooManyAttempts => {
                "temporarily_unavailable"
            }
            ErrorCode::InvalidToken => "invalid_token",
            ErrorCode::InvalidTarget => "invalid_target",
            ErrorCode::InvalidRedirectUri => "invalid_redirect_uri",
            ErrorCode::InvalidClientMetadata => "invalid_client_metadata",
            ErrorCode::LoginRequired => "login_required",
            ErrorCode::ConsentRequired => "consent_required",
            ErrorCode::InteractionRequired => "interaction_required",
            ErrorCode::AccountSelectionRequired => "account_selection_required",
            ErrorCode::RequestNotSupported => "request_not_supported",
            ErrorCode::RequestUriNotSupported => "request_uri_not_supported",
            ErrorCode::RegistrationNotSupported => "registration_not_supported",
        }
    }

    /// HTTP status for a JSON error answer (RFC 6749 §5.2: 400, except
    /// invalid_client, which is 401 when the client tried to authenticate).
    pub fn status(self) -> u16 {
        match self {
            ErrorCode::InvalidClient | ErrorCode::InvalidToken => 401,
            ErrorCode::ServerError => 500,
            ErrorCode::TemporarilyUnavailable => 503,
            ErrorCode::TooManyAttempts => 429,
            _ => 400,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthError {
    pub code: ErrorCode,
    /// Always within RFC 6749 §5.2's character set (see [`OAuthError::new`]).
    pub description: Cow<'static, str>,
    /// Seconds after which a retry may succeed (the Retry-After header).
    pub retry_after: Option<u64>,
}

impl OAuthError {
    /// An error whose description is made to fit RFC 6749 §5.2 (%x20-21 /
    /// %x23-5B / %x5D-7E: printable ASCII without `"` and `\`), here, once,
    /// whatever it quotes from the request: every error answer (JSON body,
    /// redirect, `WWW-Authenticate`) is built from this type.
    pub fn new(code: ErrorCode, description: impl Into<Cow<'static, str>>) -> Self {
        OAuthError {
            code,
            description: error_description(description.into()),
            retry_after: None,
        }
    }

    /// Too many failed attempts on a credential or from an address.
    pub fn too_many_attempts(retry_after: u64) -> Self {
        OAuthError {
            retry_after: Some(retry_after),
            ..Self::new(
                ErrorCode::TooManyAttempts,
                format!("too many failed attempts; retry after {retry_after} s"),
            )
        }
    }

    /// The server cannot take the request right now; retry in a second.
    pub fn unavailable(description: impl Into<Cow<'static, str>>) -> Self {
        OAuthError {
            retry_after: Some(1),
            ..Self::new(ErrorCode::TemporarilyUnavailable, description)
        }
    }

    pub fn invalid_request(description: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::InvalidRequest, description)
    }

    pub fn invalid_client(description: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::InvalidClient, description)
    }

    pub fn invalid_grant(description: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::InvalidGrant, description)
    }

    pub fn invalid_scope(description: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::InvalidScope, description)
    }

    pub fn invalid_token(description: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::InvalidToken, description)
    }

    pub fn unauthorized_client(description: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::UnauthorizedClient, description)
    }
}

fn allowed_in_description(c: char) -> bool {
    matches!(c, '\x20'..='\x21' | '\x23'..='\x5B' | '\x5D'..='\x7E')
}

/// `description` with every character outside RFC 6749 §5.2's set replaced:
/// double quotes by single ones, anything else by `?`. Static texts that
/// already fit are kept as they are, without a copy.
fn error_description(description: Cow<'static, str>) -> Cow<'static, str> {
    if description.chars().all(allowed_in_description) {
        return description;
    }
    description
        .chars()
        .map(|c| match c {
            '"' => '\'',
            c if allowed_in_description(c) => c,
            _ => '?',
        })
        .collect::<String>()
        .into()
}

impl std::fmt::Display for OAuthError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.description)
    }
}

impl std::error::Error for OAuthError {}

impl From<StoreError> for OAuthError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Unavailable(detail) => {
                tracing::warn!(%detail, "store unavailable");
                OAuthError::unavailable("the database is unavailable, try again")
            }
            other => {
                tracing::error!(error = %other, "store error");
                OAuthError::new(ErrorCode::ServerError, "internal error")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptions_stay_inside_the_rfc_6749_character_set() {
        let quoted = format!("client {:?} is unknown", "a\\b\u{e9}");
        let error = OAuthError::invalid_request(quoted);
        assert!(error.description.chars().all(allowed_in_description));
        assert_eq!(error.description, "client 'a??b?' is unknown");
    }

    #[test]
    fn openid_connect_codes_have_their_core_names() {
        // OpenID Connect Core §3.1.2.6; all are answered with 400 or redirected.
        for (code, name) in [
            (ErrorCode::LoginRequired, "login_required"),
            (ErrorCode::ConsentRequired, "consent_required"),
            (ErrorCode::InteractionRequired, "interaction_required"),
            (
                ErrorCode::AccountSelectionRequired,
                "account_selection_required",
            ),
            (ErrorCode::RequestNotSupported, "request_not_supported"),
            (
                ErrorCode::RequestUriNotSupported,
                "request_uri_not_supported",
            ),
            (
                ErrorCode::RegistrationNotSupported,
                "registration_not_supported",
            ),
        ] {
            assert_eq!(code.as_str(), name);
            assert_eq!(code.status(), 400);
        }
    }

    #[test]
    fn a_fitting_static_description_is_not_copied() {
        let error = OAuthError::invalid_grant("the code is invalid");
        assert!(matches!(error.description, Cow::Borrowed(_)));
    }
}
