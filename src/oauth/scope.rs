//! Scope rules (RFC 6749 §3.3, §6).

use super::OAuthError;

/// A scope token: printable ASCII except space, `"` and `\` (RFC 6749 §3.3).
pub fn is_scope_token(token: &str) -> bool {
    !token.is_empty()
        && token
            .bytes()
            .all(|b| b == 0x21 || (0x23..=0x5B).contains(&b) || (0x5D..=0x7E).contains(&b))
}

fn tokens(scope: &str) -> impl Iterator<Item = &str> {
    scope.split(' ').filter(|t| !t.is_empty())
}

pub fn contains(scope: &str, wanted: &str) -> bool {
    tokens(scope).any(|t| t == wanted)
}

/// Parses a requested scope into its distinct tokens, in request order.
fn parse(requested: &str) -> Result<Vec<&str>, OAuthError> {
    let mut seen: Vec<&str> = Vec::new();
    for token in tokens(requested) {
        if !is_scope_token(token) {
            return Err(OAuthError::invalid_scope(
                "scope contains an invalid character",
            ));
        }
        if !seen.contains(&token) {
            seen.push(token);
        }
    }
    Ok(seen)
}

/// The scope to grant: the request's if it stays within `allowed`, or all of
/// `allowed` when the request names none (SPEC §2: omitted → registered).
pub fn resolve(requested: Option<&str>, allowed: &str) -> Result<String, OAuthError> {
    let Some(requested) = requested else {
        return Ok(tokens(allowed).collect::<Vec<_>>().join(" "));
    };
    let wanted = parse(requested)?;
    if let Some(extra) = wanted.iter().find(|t| !contains(allowed, t)) {
        return Err(OAuthError::invalid_scope(format!(
            "scope {extra} is not allowed for this client"
        )));
    }
    Ok(wanted.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oauth::ErrorCode;

    const ALLOWED: &str = "profile email restaurants:read";

    #[test]
    fn omitted_scope_is_the_registered_scope() {
        assert_eq!(resolve(None, ALLOWED).unwrap(), ALLOWED);
    }

    #[test]
    fn narrower_scope_is_granted_as_asked() {
        assert_eq!(
            resolve(Some("email  profile email"), ALLOWED).unwrap(),
            "email profile"
        );
    }

    #[test]
    fn scope_outside_the_allowed_set_is_invalid_scope() {
        let err = resolve(Some("profile admin"), ALLOWED).unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidScope);
    }

    #[test]
    fn scope_with_forbidden_characters_is_invalid_scope() {
        assert!(resolve(Some("pro\"file"), ALLOWED).is_err());
    }

    #[test]
    fn contains_matches_whole_tokens_only() {
        assert!(contains(ALLOWED, "email"));
        assert!(!contains(ALLOWED, "mail"));
    }
}
