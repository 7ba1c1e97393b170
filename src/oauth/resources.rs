//! Resource indicators (RFC 8707): which protected resources a token is
//! for.
//!
//! The operator registers each resource (`portcullis resource add`); a
//! `resource` parameter naming anything else is `invalid_target` (§2). The
//! authorization request's resources are remembered by its code and then
//! by its grant; at the token endpoint a `resource` picks the audience of
//! the new access token among them (§2.2), so a refresh may narrow the
//! audience and never widen it. Without any `resource` a token has no
//! audience, as before RFC 8707: the seeds' flows send none.

use super::scope::is_scope_token;
use super::{ErrorCode, OAuthError, Params, Provider};
use crate::store::Resource;
use url::Url;

pub const RESOURCE: &str = "resource";

fn invalid_target(description: String) -> OAuthError {
    OAuthError::new(ErrorCode::InvalidTarget, description)
}

/// Whether `value` can be a resource's identifier (§2): an absolute URI
/// without a fragment. A URI is printable ASCII (RFC 3986 §2), which also
/// keeps control characters, NUL among them, out of the store; the `url`
/// crate alone would accept them, and spaces, and encode them itself.
pub fn is_identifier(value: &str) -> bool {
    value.bytes().all(|b| b.is_ascii_graphic())
        && Url::parse(value).is_ok_and(|url| url.fragment().is_none())
}

/// A resource as the operator registers it (`portcullis resource add`,
/// `PUT /admin/resources`): its identifier checked, its scope as distinct
/// RFC 6749 §3.3 tokens. Any scope token is allowed: they are the
/// resource's, which this server need not issue itself.
pub fn registered(identifier: String, scope: &str, now: i64) -> Result<Resource, OAuthError> {
    if !is_identifier(&identifier) {
        return Err(OAuthError::invalid_request(format!(
            "resource {identifier} is not an absolute URI without a fragment (RFC 8707 section 2)"
        )));
    }
    let mut tokens: Vec<&str> = Vec::new();
    for token in scope.split_whitespace() {
        if !is_scope_token(token) {
            return Err(OAuthError::invalid_request(
                "scope contains an invalid character (RFC 6749 section 3.3)",
            ));
        }
        if !tokens.contains(&token) {
            tokens.push(token);
        }
    }
    Ok(Resource {
        identifier,
        scope: tokens.join(" "),
        created_at: now,
    })
}

/// The `resource` values of a request, each once, in order: absolute URIs
/// without a fragment (§2) that the operator registered.
pub async fn requested(provider: &Provider, params: &Params) -> Result<Vec<String>, OAuthError> {
    let mut resources: Vec<String> = Vec::new();
    for value in params.get_all(RESOURCE) {
        if !is_identifier(value) {
            return Err(invalid_target(format!(
                "resource {value} is not an absolute URI without a fragment (RFC 8707 section 2)"
            )));
        }
        if provider.store.resource(value).await?.is_none() {
            return Err(invalid_target(format!(
                "resource {value} is not a resource of this server"
            )));
        }
        if !resources.iter().any(|known| known == value) {
            resources.push(value.to_owned());
        }
    }
    Ok(resources)
}

/// The audience of an access token asked for with the `resource` values
/// `requested`, from a grant for `granted` (§2.2): the values asked for,
/// which must be among the grant's, or, when none are, all of the grant's.
pub fn narrowed(requested: Vec<String>, granted: &[String]) -> Result<Vec<String>, OAuthError> {
    if requested.is_empty() {
        return Ok(granted.to_vec());
    }
    match requested.iter().find(|r| !granted.contains(r)) {
        Some(outside) => Err(invalid_target(format!(
            "resource {outside} was not part of the authorization"
        ))),
        None => Ok(requested),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oauth::testing::*;

    const API: &str = "https://api.example/mcp";

    async fn core_with_api() -> Core {
        let core = Core::new().await;
        let api = Resource {
            identifier: API.into(),
            scope: "profile".into(),
            created_at: NOW,
        };
        core.provider.store.put_resource(&api).await.unwrap();
        core
    }

    #[tokio::test]
    async fn only_registered_absolute_uris_without_fragments_are_targets() {
        let core = core_with_api().await;
        let ok = requested(&core.provider, &params(&[("resource", API)])).await;
        assert_eq!(ok.unwrap(), [API]);
        for bad in [
            "https://other.example/",
            "api/mcp",
            "https://api.example/mcp#x",
        ] {
            let error = requested(&core.provider, &params(&[("resource", bad)]))
                .await
                .unwrap_err();
            assert_eq!(error.code, ErrorCode::InvalidTarget, "{bad}");
        }
        let none = requested(&core.provider, &params(&[])).await.unwrap();
        assert!(none.is_empty());
    }

    #[test]
    fn an_operator_registers_absolute_uris_without_fragments_and_scope_tokens() {
        let api = registered(API.into(), " profile  email profile ", NOW).unwrap();
        assert_eq!(api.scope, "profile email");
        for bad in [
            "api/mcp",
            "https://api.example/mcp#x",
            "https://api.example/a b",
            "https://api.example/\0",
            " https://api.example/mcp",
            "https://api.example/caf\u{e9}",
        ] {
            assert!(!is_identifier(bad), "{bad:?}");
            assert!(registered(bad.into(), "", NOW).is_err(), "{bad:?}");
        }
        assert!(registered(API.into(), "a\"b", NOW).is_err());
    }

    #[test]
    fn a_token_request_narrows_the_audience_and_never_widens_it() {
        let granted = [API.to_owned(), "https://b.example/".to_owned()];
        assert_eq!(narrowed(vec![], &granted).unwrap(), granted);
        assert_eq!(narrowed(vec![API.into()], &granted).unwrap(), [API]);
        let wider = narrowed(vec!["https://c.example/".into()], &granted).unwrap_err();
        assert_eq!(wider.code, ErrorCode::InvalidTarget);
        assert!(narrowed(vec![API.into()], &[]).is_err());
    }
}
