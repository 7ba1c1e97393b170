//! Checking an authorization request (RFC 6749 §4.1.1, §4.1.2.1, §4.2.1;
//! RFC 7636 §4.3; OpenID Connect Core §3.1.2.1–§3.1.2.2).

use super::{AuthorizationRequest, AuthorizeError};
use crate::oauth::oidc::id_token::{HintClaims, IdTokenHint, ID_TOKEN_HINT_LEEWAY};
use crate::oauth::oidc::prompt::required_subject;
use crate::oauth::oidc::request::OidcRequest;
use crate::oauth::oidc::response_mode;
use crate::oauth::oidc::OPENID;
use crate::oauth::vocabulary::{ResponseMode, ResponseType};
use crate::oauth::{clients, pkce, resources, scope, ErrorCode, OAuthError, Params, Provider};
use crate::store::Client;

/// Checks an authorization request. `signed_in` says whether the user has
/// authenticated: before that, errors are redirected only to clients the
/// operator registered (RFC 9700 §4.11.2), so that a client anyone could
/// register cannot turn this endpoint into an open redirector.
pub async fn validate(
    provider: &Provider,
    params: &Params,
    signed_in: bool,
) -> Result<AuthorizationRequest, AuthorizeError> {
    let client_id = params
        .get("client_id")
        .ok_or_else(|| AuthorizeError::NoRedirect("The request names no client_id.".into()))?;
    let client = match clients::find(provider, client_id).await {
        Ok(Some(client)) => client,
        Ok(None) => {
            return Err(AuthorizeError::NoRedirect(
                "This client is not registered.".into(),
            ))
        }
        // A metadata document that cannot be used: say why, on a page.
        Err(error) if error.code == ErrorCode::InvalidClient => {
            return Err(AuthorizeError::NoRedirect(error.description.into_owned()))
        }
        Err(error) => return Err(AuthorizeError::Server(error)),
    };
    // An OpenID Connect request names `openid` in its scope (Core
    // §3.1.2.1); a request without scope is a plain OAuth one (RFC 6749
    // §3.3's registered default).
    let openid = params
        .get("scope")
        .is_some_and(|requested| scope::contains(requested, OPENID));
    let redirect_uri = redirect_uri(&client, params.get("redirect_uri"), openid)?;
    // From here on, errors go back to the client (§4.1.2.1), in the
    // response mode of the request as far as it is known: the implicit
    // grant's in the fragment (§4.2.2.1).
    let mut back = ToClient {
        provider,
        redirect_uri: &redirect_uri,
        state: params.get("state"),
        mode: match params.get("response_type") {
            Some("token") => ResponseMode::Fragment,
            _ => ResponseMode::Query,
        },
        redirect: signed_in || client.registrant.is_operator(),
    };
    let response_type =
        response_type(&client, params.get("response_type")).map_err(|e| back.fail(e))?;
    let oidc = OidcRequest::parse(params).map_err(|e| back.fail(e))?;
    back.mode =
        response_mode::resolve(oidc.response_mode, response_type).map_err(|e| back.fail(e))?;
    let scope = scope::resolve(params.get("scope"), &client.scope).map_err(|e| back.fail(e))?;
    let code_challenge = match params.get("code_challenge") {
        Some(challenge) => {
            pkce::check_challenge(challenge, params.get("code_challenge_method"))
                .map_err(|e| back.fail(e))?;
            Some(challenge.to_owned())
        }
        // RFC 7636 §4.4.1 with RFC 9700 §2.1.1: PKCE is required of public clients.
        None if client.is_public() && response_type == ResponseType::Code => {
            return Err(back.fail(OAuthError::invalid_request(
                "code_challenge (PKCE, S256) is required for public clients",
            )))
        }
        None => None,
    };
    // RFC 8707 §2: errors in `resource` are invalid_target, to the client.
    let resources = match resources::requested(provider, params).await {
        Ok(resources) => resources,
        Err(error) if error.code == ErrorCode::InvalidTarget => return Err(back.fail(error)),
        Err(error) => return Err(AuthorizeError::Server(error)),
    };
    let hint = hint(provider, &client, oidc.id_token_hint.as_deref()).map_err(|e| back.fail(e))?;
    let required_subject =
        required_subject(hint.as_ref(), &oidc.claims).map_err(|e| back.fail(e))?;
    Ok(AuthorizationRequest {
        response_mode: back.mode,
        redirect_uri_given: params.get("redirect_uri").is_some(),
        state: params.get("state").map(str::to_owned),
        claims_json: params.get("claims").map(str::to_owned),
        client,
        response_type,
        redirect_uri,
        scope,
        code_challenge,
        oidc,
        required_subject,
        resources,
    })
}

/// §3.1.2.3 with RFC 9700 §4.1.3: an exact match with a registered URI; it
/// may be left out only when the client has exactly one, and never from an
/// OpenID Connect request.
fn redirect_uri(
    client: &Client,
    requested: Option<&str>,
    openid: bool,
) -> Result<String, AuthorizeError> {
    match requested {
        Some(uri) if client.redirect_uris.iter().any(|r| r == uri) => Ok(uri.to_owned()),
        Some(_) => Err(AuthorizeError::NoRedirect(
            "The redirect_uri is not registered for this client.".into(),
        )),
        // OpenID Connect Core §3.1.2.1 makes redirect_uri REQUIRED (RFC
        // 6749 §3.1.2.3's "a single registered URI may be left out" is for
        // plain OAuth only); the conformance suite's
        // oidcc-ensure-redirect-uri-in-authorization-request expects an
        // error page, not a code.
        None if openid => Err(AuthorizeError::NoRedirect(
            "An OpenID Connect request must name its redirect_uri.".into(),
        )),
        None => match client.redirect_uris.as_slice() {
            [only] => Ok(only.clone()),
            _ => Err(AuthorizeError::NoRedirect(
                "This client has several redirect URIs: the request must name one.".into(),
            )),
        },
    }
}

/// §3.1.1 and RFC 7591 §2.1: a response type the client is registered for.
fn response_type(client: &Client, requested: Option<&str>) -> Result<ResponseType, OAuthError> {
    match requested.map(str::parse::<ResponseType>) {
        None => Err(OAuthError::invalid_request("response_type is required")),
        Some(Ok(response_type))
            if client.allows_grant(response_type.grant_type())
                && client.allows_response_type(response_type) =>
        {
            Ok(response_type)
        }
        Some(Ok(_)) => Err(OAuthError::unauthorized_client(
            "this client is not registered for this response_type",
        )),
        Some(Err(_)) => Err(OAuthError::new(
            ErrorCode::UnsupportedResponseType,
            "response_type must be code",
        )),
    }
}

/// Core §3.1.2.1: an `id_token_hint` must be one of our ID tokens (signed
/// by our keys, our `iss`), issued to this client.
fn hint(
    provider: &Provider,
    client: &Client,
    hint: Option<&str>,
) -> Result<Option<IdTokenHint>, OAuthError> {
    let Some(hint) = hint else { return Ok(None) };
    let claims: HintClaims = provider
        .keys
        .ring()
        .verify(hint, None, &provider.settings.issuer, ID_TOKEN_HINT_LEEWAY)
        .map_err(|_| OAuthError::invalid_request("the id_token_hint is not an ID token of ours"))?;
    claims.read(Some(&client.client_id)).map(Some)
}

/// Where errors of a request go once its client and redirect URI are known.
struct ToClient<'a> {
    provider: &'a Provider,
    redirect_uri: &'a str,
    state: Option<&'a str>,
    mode: ResponseMode,
    /// False for a client nobody vouched for while no user has signed in:
    /// its errors are shown on a page instead (RFC 9700 §4.11.2).
    redirect: bool,
}

impl ToClient<'_> {
    fn fail(&self, error: OAuthError) -> AuthorizeError {
        if self.redirect {
            AuthorizeError::ToClient(super::decision::error_answer(
                self.provider,
                self.redirect_uri,
                self.mode,
                &error,
                self.state,
            ))
        } else {
            AuthorizeError::NoRedirect(format!(
                "The application's request is invalid ({}: {}).",
                error.code.as_str(),
                error.description
            ))
        }
    }
}
