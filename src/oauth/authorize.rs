//! The authorization endpoint's rules (RFC 6749 §4.1.1–§4.1.2, §4.2, RFC
//! 7636 §4.3, RFC 9207). The pages that ask the user live in `http::pages`.

use super::tokens::{self, Refresh};
use super::vocabulary::{GrantType, ResponseType};
use super::{pkce, scope, ErrorCode, OAuthError, Params, Provider};
use crate::audit::AuditEvent;
use crate::crypto;
use crate::store::{Client, NewCode};
use std::net::IpAddr;

/// A checked authorization request, ready to show to the user.
#[derive(Debug, Clone)]
pub struct AuthorizationRequest {
    pub client: Client,
    pub response_type: ResponseType,
    pub redirect_uri: String,
    /// Whether the request named the redirect URI (RFC 6749 §4.1.3).
    pub redirect_uri_given: bool,
    pub scope: String,
    pub state: Option<String>,
    pub code_challenge: Option<String>,
}

#[derive(Debug, Clone)]
pub enum AuthorizeError {
    /// The client or redirect URI cannot be trusted: tell the user, never
    /// redirect (§4.1.2.1, §10.15 open redirectors).
    NoRedirect(String),
    /// Reported to the client at its redirect URI (§4.1.2.1).
    Redirect { location: String },
    /// The store failed before the client was known: a server fault (503 or
    /// 500), not the user's mistake.
    Server(OAuthError),
}

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
    let client = provider
        .store
        .client(client_id)
        .await
        .map_err(|e| AuthorizeError::Server(e.into()))?
        .ok_or_else(|| AuthorizeError::NoRedirect("This client is not registered.".into()))?;
    let redirect_uri = match params.get("redirect_uri") {
        // §3.1.2.3 with RFC 9700 §4.1.3: exact string comparison.
        Some(uri) if client.redirect_uris.iter().any(|r| r == uri) => uri.to_owned(),
        Some(_) => {
            return Err(AuthorizeError::NoRedirect(
                "The redirect_uri is not registered for this client.".into(),
            ))
        }
        None => match client.redirect_uris.as_slice() {
            [only] => only.clone(),
            _ => {
                return Err(AuthorizeError::NoRedirect(
                    "This client has several redirect URIs: the request must name one.".into(),
                ))
            }
        },
    };
    let state = params.get("state").map(str::to_owned);
    let requested = params.get("response_type");
    // From here on, errors go back to the client (§4.1.2.1); the implicit
    // grant's errors go in the fragment (§4.2.2.1).
    let fragment = requested == Some(ResponseType::Token.as_str());
    let redirect_errors = signed_in || client.registrant.is_operator();
    let fail = |error: OAuthError| {
        if redirect_errors {
            AuthorizeError::Redirect {
                location: error_location(
                    provider,
                    &redirect_uri,
                    &error,
                    state.as_deref(),
                    fragment,
                ),
            }
        } else {
            AuthorizeError::NoRedirect(format!(
                "The application's request is invalid ({}: {}).",
                error.code.as_str(),
                error.description
            ))
        }
    };
    let response_type = match requested.map(str::parse::<ResponseType>) {
        None => {
            return Err(fail(OAuthError::invalid_request(
                "response_type is required",
            )))
        }
        Some(Ok(response_type))
            if client.allows_grant(response_type.grant_type())
                && client.allows_response_type(response_type) =>
        {
            response_type
        }
        Some(Ok(_)) => {
            return Err(fail(OAuthError::unauthorized_client(
                "this client is not registered for this response_type",
            )))
        }
        Some(Err(_)) => {
            return Err(fail(OAuthError::new(
                ErrorCode::UnsupportedResponseType,
                "response_type must be code",
            )))
        }
    };
    let scope = scope::resolve(params.get("scope"), &client.scope).map_err(fail)?;
    let code_challenge = match params.get("code_challenge") {
        Some(challenge) => {
            pkce::check_challenge(challenge, params.get("code_challenge_method")).map_err(fail)?;
            Some(challenge.to_owned())
        }
        // RFC 7636 §4.4.1 with RFC 9700 §2.1.1: PKCE is required of public clients.
        None if client.is_public() && response_type == ResponseType::Code => {
            return Err(fail(OAuthError::invalid_request(
                "code_challenge (PKCE, S256) is required for public clients",
            )))
        }
        None => None,
    };
    Ok(AuthorizationRequest {
        client,
        response_type,
        redirect_uri,
        redirect_uri_given: params.get("redirect_uri").is_some(),
        scope,
        state,
        code_challenge,
    })
}

/// The user approved, from `address`: issue a code (or, for the implicit
/// grant, a token) and return where to send the browser.
pub async fn approve(
    provider: &Provider,
    request: &AuthorizationRequest,
    user_id: i64,
    address: Option<IpAddr>,
) -> Result<String, OAuthError> {
    let now = crate::time::now();
    let mut answer: Vec<(&str, String)> = Vec::new();
    match request.response_type {
        ResponseType::Code => {
            let code = crypto::new_token();
            provider
                .store
                .create_code(&NewCode {
                    key: crypto::token_key(&code),
                    client_id: request.client.client_id.clone(),
                    user_id,
                    redirect_uri: request.redirect_uri.clone(),
                    redirect_uri_given: request.redirect_uri_given,
                    scope: request.scope.clone(),
                    code_challenge: request.code_challenge.clone(),
                    expires_at: now + provider.settings.code_ttl,
                })
                .await?;
            answer.push(("code", code));
        }
        ResponseType::Token => {
            // §4.2.2: no refresh token in the implicit grant.
            let minted = tokens::mint(&provider.settings, now, &request.scope, Refresh::None);
            let grant = tokens::new_grant(&request.client.client_id, Some(user_id), now);
            provider.store.issue_grant(&grant, &minted.rows).await?;
            let response = minted.response;
            answer.push(("access_token", response.access_token));
            answer.push(("token_type", response.token_type.to_owned()));
            answer.push(("expires_in", response.expires_in.to_string()));
            answer.push(("scope", response.scope));
            provider.metrics.token_issued(GrantType::Implicit);
        }
    }
    let consent = AuditEvent::ConsentGiven {
        user: user_id,
        client_id: request.client.client_id.clone(),
        scope: request.scope.clone(),
    };
    provider.audit.record(consent, address);
    Ok(location(
        provider,
        &request.redirect_uri,
        answer,
        request.state.as_deref(),
        request.response_type == ResponseType::Token,
    ))
}

/// The user said no (§4.1.2.1 access_denied).
pub fn deny(provider: &Provider, request: &AuthorizationRequest) -> String {
    let error = OAuthError::new(ErrorCode::AccessDenied, "the user denied the request");
    error_location(
        provider,
        &request.redirect_uri,
        &error,
        request.state.as_deref(),
        request.response_type == ResponseType::Token,
    )
}

fn error_location(
    provider: &Provider,
    redirect_uri: &str,
    error: &OAuthError,
    state: Option<&str>,
    fragment: bool,
) -> String {
    let answer = vec![
        ("error", error.code.as_str().to_owned()),
        ("error_description", error.description.to_string()),
    ];
    location(provider, redirect_uri, answer, state, fragment)
}

/// Adds the answer, `state` and `iss` (RFC 9207 §2) to the redirect URI,
/// in its query or, for the implicit grant, its fragment.
fn location(
    provider: &Provider,
    redirect_uri: &str,
    mut answer: Vec<(&str, String)>,
    state: Option<&str>,
    fragment: bool,
) -> String {
    if let Some(state) = state {
        answer.push(("state", state.to_owned()));
    }
    answer.push(("iss", provider.settings.issuer.clone()));
    super::oidc::response_mode::location(redirect_uri, fragment, answer)
}
