//! The protocol's words as types: grant types, response types and client
//! authentication methods, each parsed once where it enters (a form, a
//! registration, a database row) and written back in its RFC spelling.
//! Every list of "what exists" (the grant registry, metadata, registration
//! and the pages) reads the `ALL` constants here, so adding a word is one
//! variant in one place.

use serde::{Deserialize, Serialize};
use strum::{Display, EnumString, IntoStaticStr, VariantArray};

/// Declares a protocol word: an enum written on the wire as its variants'
/// snake_case names, parsed with `FromStr` and serde alike, with `ALL` (the
/// one list of what exists) and `as_str`.
macro_rules! protocol_word {
    ($(#[$meta:meta])* pub enum $name:ident { $($body:tt)* }) => {
        $(#[$meta])*
        #[derive(
            Debug,
            Clone,
            Copy,
            PartialEq,
            Eq,
            Hash,
            Display,
            EnumString,
            IntoStaticStr,
            VariantArray,
            Serialize,
            Deserialize,
            utoipa::ToSchema,
        )]
        #[strum(serialize_all = "snake_case")]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($body)* }

        impl $name {
            pub const ALL: &'static [$name] = Self::VARIANTS;

            pub fn as_str(self) -> &'static str {
                self.into()
            }
        }
    };
}

protocol_word! {
    /// RFC 6749 §4 and §1.3 grant types, as registered by clients (RFC 7591 §2).
    pub enum GrantType {
        AuthorizationCode,
        ClientCredentials,
        Password,
        RefreshToken,
        /// The implicit grant, answered at the authorization endpoint only;
        /// legacy (RFC 9700 §2.1.2 says not to use it).
        Implicit,
    }
}

impl GrantType {
    /// The response type a grant answers with at the authorization
    /// endpoint (RFC 7591 §2.1), if it uses that endpoint at all.
    pub fn response_type(self) -> Option<ResponseType> {
        match self {
            GrantType::AuthorizationCode => Some(ResponseType::Code),
            GrantType::Implicit => Some(ResponseType::Token),
            _ => None,
        }
    }
}

protocol_word! {
    /// RFC 6749 §3.1.1 response types.
    pub enum ResponseType {
        Code,
        Token,
    }
}

impl ResponseType {
    /// The grant type a client must be registered for to use this
    /// response type (RFC 7591 §2.1).
    pub fn grant_type(self) -> GrantType {
        match self {
            ResponseType::Code => GrantType::AuthorizationCode,
            ResponseType::Token => GrantType::Implicit,
        }
    }
}

protocol_word! {
    /// Client authentication at the token endpoint (RFC 7591 §2,
    /// `token_endpoint_auth_method`; RFC 6749 §2.3).
    pub enum AuthMethod {
        ClientSecretBasic,
        ClientSecretPost,
        /// A public client: no secret, PKCE protects its codes.
        None,
    }
}

protocol_word! {
    /// What kind of client registers itself (OpenID Connect Dynamic Client
    /// Registration 1.0 §2, `application_type`), which decides the redirect
    /// URIs it may have (`oauth::registration::dynamic`).
    pub enum ApplicationType {
        /// Runs on a web server: redirects to https pages.
        Web,
        /// Runs on the user's device (RFC 8252): loopback or its own scheme.
        Native,
    }
}

protocol_word! {
    /// OpenID Connect Core §3.1.2.1 `prompt` values: what the authorization
    /// endpoint may or must show the user.
    pub enum Prompt {
        /// No page at all: answer at once or fail (`login_required`, …).
        None,
        /// Sign in again, even with a session.
        Login,
        /// Ask for consent again, even if it was remembered.
        Consent,
        /// Let the user choose an account; with one account per browser, by
        /// signing in (as someone else, if they wish).
        SelectAccount,
    }
}

protocol_word! {
    /// How the authorization response travels back to the client (OAuth 2.0
    /// Multiple Response Type Encoding Practices §2.1, OAuth 2.0 Form Post
    /// Response Mode §2).
    pub enum ResponseMode {
        /// In the redirect URI's query: the default for `code`.
        Query,
        /// In the redirect URI's fragment: the default for `token`.
        Fragment,
        /// In an auto-submitted HTML form POSTed to the redirect URI.
        FormPost,
    }
}

protocol_word! {
    /// What a client's access tokens are: opaque (looked up by every
    /// resource server, the default) or JWTs it can verify itself
    /// (RFC 9068; revocation then shows only where the server is asked).
    pub enum AccessTokenFormat {
        Opaque,
        Jwt,
    }
}

/// Parses a space-separated list of words (the stored form of a client's
/// grant and response types), failing on the first unknown word.
pub fn parse_words<T: std::str::FromStr>(words: &str) -> Result<Vec<T>, String> {
    words
        .split_whitespace()
        .map(|word| word.parse().map_err(|_| format!("unknown value {word:?}")))
        .collect()
}

/// The stored form of a list of words: space-separated.
pub fn join_words<T: Copy + Into<&'static str>>(words: &[T]) -> String {
    words
        .iter()
        .map(|word| (*word).into())
        .collect::<Vec<&str>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_names_are_the_rfc_names() {
        assert_eq!(GrantType::AuthorizationCode.as_str(), "authorization_code");
        assert_eq!(
            "client_credentials".parse::<GrantType>(),
            Ok(GrantType::ClientCredentials)
        );
        assert_eq!(AuthMethod::None.as_str(), "none");
        assert_eq!(
            serde_json::to_string(&AuthMethod::ClientSecretPost).unwrap(),
            "\"client_secret_post\""
        );
        assert!("Implicit".parse::<GrantType>().is_err());
        assert_eq!(Prompt::SelectAccount.as_str(), "select_account");
        assert_eq!(
            "form_post".parse::<ResponseMode>(),
            Ok(ResponseMode::FormPost)
        );
        assert!("None".parse::<Prompt>().is_err());
    }

    #[test]
    fn every_response_type_names_a_grant_that_answers_with_it() {
        for &response_type in ResponseType::ALL {
            assert_eq!(
                response_type.grant_type().response_type(),
                Some(response_type)
            );
        }
    }

    #[test]
    fn stored_word_lists_round_trip() {
        let grants = [GrantType::AuthorizationCode, GrantType::RefreshToken];
        let stored = join_words(&grants);
        assert_eq!(stored, "authorization_code refresh_token");
        assert_eq!(parse_words::<GrantType>(&stored).unwrap(), grants);
        assert!(parse_words::<GrantType>("authorization_code bogus").is_err());
    }
}
