//! Which redirect URIs a client may register (SPEC §8; RFC 6749 §3.1.2;
//! RFC 8252 §7; RFC 9700 §2.1, §4.1).
//!
//! The authorization endpoint sends codes and tokens to these addresses,
//! so each one must name a place the client controls: an https page; a
//! loopback address for native apps (RFC 8252 §7.3), where plain http is
//! all there is; or a private-use scheme in reverse-domain form (RFC 8252
//! §7.1), claimed by an installed app. Anything else (plain http across
//! the network, `javascript:`, `data:`, `file:` and every other scheme of
//! the browser's own) is refused. `--insecure-http` allows plain http on
//! any host, for development only.

use crate::oauth::{ErrorCode, OAuthError};
use std::net::IpAddr;
use url::{Host, Url};

/// Whether a URL's host is this machine (RFC 8252 §7.3; `localhost` is
/// accepted too, as the seeds' clients use it).
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

/// Checks one redirect URI; `insecure_http` is the server's development
/// switch.
pub fn check(uri: &str, insecure_http: bool) -> Result<(), OAuthError> {
    let invalid =
        |why: &str| OAuthError::new(ErrorCode::InvalidRedirectUri, format!("{uri}: {why}"));
    let url = Url::parse(uri).map_err(|_| invalid("not an absolute URL"))?;
    // §3.1.2: the client's address, never a fragment of one.
    if url.fragment().is_some() {
        return Err(invalid("must not contain a fragment"));
    }
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&url) || insecure_http => {}
        "http" => {
            return Err(invalid(
                "plain http is allowed only on loopback hosts (127.0.0.1, [::1], localhost)",
            ))
        }
        // RFC 8252 §7.1: a private-use scheme is a reversed domain name
        // the app's owner controls, so it has at least one dot.
        scheme if scheme.contains('.') => return Ok(()),
        _ => {
            return Err(invalid(
                "the scheme must be https, http on a loopback host, or a private-use scheme \
                 in reverse-domain form (com.example.app)",
            ))
        }
    }
    let host = url.host_str().unwrap_or_default();
    if host.contains('*') {
        return Err(invalid("wildcard hosts are not allowed"));
    }
    // `https://accounts.example@evil.example/` reads as accounts.example.
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid("must not contain user information"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_loopback_http_and_private_use_schemes_are_allowed() {
        for uri in [
            "https://app.example/cb",
            "https://www.example.com/redirect",
            "http://127.0.0.1:8765/callback",
            "http://[::1]:3000/cb",
            "http://localhost:9000/api/me",
            "com.example.app:/oauth2redirect",
        ] {
            assert!(check(uri, false).is_ok(), "{uri}");
        }
    }

    #[test]
    fn dangerous_and_network_http_uris_are_refused() {
        for uri in [
            "http://evil.example.com/cb",
            "vbscript:msgbox(1)",
            "file:///etc/passwd",
            "javascript:alert(1)",
            "data:text/html,hi",
            "https://app.example/cb#frag",
            "https://*.example.com/cb",
            "https://accounts.google.com@evil.example/cb",
            "myapp:/cb",
            "/relative",
        ] {
            let error = check(uri, false).unwrap_err();
            assert_eq!(error.code, ErrorCode::InvalidRedirectUri, "{uri}");
        }
    }

    #[test]
    fn insecure_http_allows_plain_http_on_any_host_only() {
        assert!(check("http://dev.example.com/cb", true).is_ok());
        assert!(check("vbscript:msgbox(1)", true).is_err());
        assert!(check("http://dev.example.com/cb#x", true).is_err());
    }
}
