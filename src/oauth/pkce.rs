//! Proof Key for Code Exchange (RFC 7636), S256 only.

use super::OAuthError;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

/// RFC 7636 §4.1: 43 to 128 characters of [A-Z a-z 0-9 - . _ ~].
fn is_valid_verifier(value: &str) -> bool {
    (43..=128).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// Checks the authorization request's challenge. `plain` is refused: it
/// protects nothing once the request is seen (RFC 9700 §2.1.1).
pub fn check_challenge(challenge: &str, method: Option<&str>) -> Result<(), OAuthError> {
    match method {
        Some("S256") => {}
        None | Some("plain") => {
            return Err(OAuthError::invalid_request(
                "code_challenge_method must be S256",
            ))
        }
        Some(_) => {
            return Err(OAuthError::invalid_request(
                "unsupported code_challenge_method",
            ))
        }
    }
    // A SHA-256 in base64url is exactly 43 characters (RFC 7636 §4.2).
    let decoded = URL_SAFE_NO_PAD.decode(challenge).unwrap_or_default();
    if challenge.len() != 43 || decoded.len() != 32 {
        return Err(OAuthError::invalid_request("malformed code_challenge"));
    }
    Ok(())
}

/// RFC 7636 §4.6: BASE64URL(SHA256(verifier)) == challenge.
pub fn verify(challenge: &str, verifier: &str) -> Result<(), OAuthError> {
    if !is_valid_verifier(verifier) {
        return Err(OAuthError::invalid_grant("malformed code_verifier"));
    }
    let computed = URL_SAFE_NO_PAD.encode(crate::crypto::sha256(verifier.as_bytes()));
    if crate::crypto::constant_time_eq(computed.as_bytes(), challenge.as_bytes()) {
        Ok(())
    } else {
        Err(OAuthError::invalid_grant("code_verifier does not match"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 7636 Appendix B.
    const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    #[test]
    fn rfc7636_appendix_b_verifier_matches_its_challenge() {
        assert!(check_challenge(CHALLENGE, Some("S256")).is_ok());
        assert!(verify(CHALLENGE, VERIFIER).is_ok());
    }

    #[test]
    fn wrong_verifier_is_invalid_grant() {
        let wrong = VERIFIER.replace('d', "e");
        assert!(verify(CHALLENGE, &wrong).is_err());
    }

    #[test]
    fn plain_method_is_refused() {
        assert!(check_challenge(CHALLENGE, Some("plain")).is_err());
        assert!(check_challenge(CHALLENGE, None).is_err());
    }

    #[test]
    fn short_verifier_is_refused() {
        assert!(verify(CHALLENGE, "short").is_err());
    }
}
