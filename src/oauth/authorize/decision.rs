//! What the authorization endpoint does with a checked request: the next
//! step (OpenID Connect Core §3.1.2.3–§3.1.2.4, with consent remembered per
//! user and client), and the answer to the client (RFC 6749 §4.1.2,
//! §4.1.2.1, §4.2.2; RFC 9207 `iss`; the request's response mode).

use super::AuthorizationRequest;
use crate::audit::AuditEvent;
use crate::crypto;
use crate::oauth::oidc::context::GrantContext;
use crate::oauth::oidc::id_token::AuthenticationMethod;
use crate::oauth::oidc::prompt::{self, Consent, Next, Situation};
use crate::oauth::oidc::response_mode::{self, Answer};
use crate::oauth::tokens::{self, Refresh};
use crate::oauth::vocabulary::{GrantType, ResponseMode, ResponseType};
use crate::oauth::{ErrorCode, OAuthError, Provider};
use crate::store::NewCode;
use std::net::IpAddr;

/// The browser's signed-in user: who, and since when.
pub type SignedIn = prompt::Session;

/// What the endpoint does for a request at this step.
#[derive(Debug)]
pub enum Outcome {
    ShowLogin,
    ShowConsent,
    /// Done: the client's answer (a code, a token, or an error).
    Answer(Answer),
}

/// The next step for `request`: sign in, ask for consent, or answer the
/// client (approved, or failed without a page for `prompt=none` and the
/// like). `started_at` is when the client's request first reached us (the
/// pages carry it along), `None` on that first step itself, when it has
/// just arrived; `consent_given_now` says the user has just
/// pressed Allow on our consent page, from `address` (for the audit
/// trail).
///
/// Consent is remembered per user and client, and a remembered consent that
/// covers every scope asked for spares the consent page; but only for
/// confidential clients, whose requests an impersonator cannot complete
/// (RFC 6749 §10.2; RFC 8252 §8.6: a public client's identity cannot be
/// assured, so its user is asked every time).
pub async fn proceed(
    provider: &Provider,
    request: &AuthorizationRequest,
    session: Option<SignedIn>,
    started_at: Option<i64>,
    consent_given_now: bool,
    address: Option<IpAddr>,
) -> Result<Outcome, OAuthError> {
    let consent = match session {
        _ if consent_given_now => Consent::GivenNow,
        Some(session) if !request.client.is_public() => {
            let remembered = provider
                .store
                .consent(session.user_id, &request.client.client_id)
                .await?;
            let covers = remembered.is_some_and(|held| {
                request
                    .scope
                    .split_whitespace()
                    .all(|wanted| crate::oauth::scope::contains(&held, wanted))
            });
            if covers {
                Consent::Remembered
            } else {
                Consent::Needed
            }
        }
        _ => Consent::Needed,
    };
    let now = provider.clock.now();
    let situation = Situation {
        session,
        now,
        request_started_at: started_at.unwrap_or(now),
        arrived_now: started_at.is_none(),
        consent,
        required_subject: request.required_subject.as_deref(),
    };
    Ok(
        match (prompt::next_step(&request.oidc, &situation), session) {
            (Next::Approve, Some(session)) => {
                Outcome::Answer(approve(provider, request, session, consent, address).await?)
            }
            (Next::Fail(code), _) => Outcome::Answer(deny(provider, request, code)),
            (Next::ShowConsent, _) => Outcome::ShowConsent,
            // Approving needs a user, and prompt::next_step asks for one first.
            (Next::ShowLogin | Next::Approve, _) => Outcome::ShowLogin,
        },
    )
}

/// The request is approved (by the user now, or by a remembered consent):
/// issue a code (or, for the implicit grant, a token), remember the
/// consent given now, and answer the client.
async fn approve(
    provider: &Provider,
    request: &AuthorizationRequest,
    session: SignedIn,
    consent: Consent,
    address: Option<IpAddr>,
) -> Result<Answer, OAuthError> {
    let now = provider.clock.now();
    let client = &request.client;
    let scope = prompt::granted_scope(&request.scope, request.response_type, consent);
    if consent == Consent::GivenNow {
        provider
            .store
            .remember_consent(session.user_id, &client.client_id, &scope, now)
            .await?;
        let given = AuditEvent::ConsentGiven {
            user: session.user_id,
            client_id: client.client_id.clone(),
            scope: scope.clone(),
        };
        provider.audit.record(given, address);
    }
    let mut answer: Vec<(&str, String)> = Vec::new();
    match request.response_type {
        ResponseType::Code => {
            let code = crypto::new_token();
            let oidc = request.is_openid().then(|| GrantContext {
                auth_time: session.auth_time,
                amr: vec![AuthenticationMethod::Password],
                nonce: request.oidc.nonce.clone(),
                claims: request.claims_json.clone(),
            });
            provider
                .store
                .create_code(&NewCode {
                    key: crypto::token_key(&code),
                    client_id: client.client_id.clone(),
                    user_id: session.user_id,
                    redirect_uri: request.redirect_uri.clone(),
                    redirect_uri_given: request.redirect_uri_given,
                    scope,
                    code_challenge: request.code_challenge.clone(),
                    expires_at: now + provider.settings.code_ttl,
                    oidc,
                    resources: request.resources.clone(),
                })
                .await?;
            answer.push(("code", code));
        }
        ResponseType::Token => {
            // §4.2.2: no refresh token in the implicit grant.
            let audience = request.resources.clone();
            let access =
                tokens::Access::for_client(provider, client, Some(session.user_id), audience);
            let minted = tokens::mint(&provider.settings, now, &scope, Refresh::None, access)?;
            let mut grant = tokens::new_grant(&client.client_id, Some(session.user_id), now);
            grant.resources = request.resources.clone();
            provider.store.issue_grant(&grant, &minted.rows).await?;
            let response = minted.response;
            answer.push(("access_token", response.access_token));
            answer.push(("token_type", response.token_type.to_owned()));
            answer.push(("expires_in", response.expires_in.to_string()));
            answer.push(("scope", response.scope));
            provider.metrics.token_issued(GrantType::Implicit);
        }
    }
    Ok(to_client(
        provider,
        &request.redirect_uri,
        request.response_mode,
        answer,
        request.state.as_deref(),
    ))
}

/// The user said no (§4.1.2.1 access_denied), or the request cannot be
/// granted without a page it may not show (`code`, from [`next_step`]).
pub fn deny(provider: &Provider, request: &AuthorizationRequest, code: ErrorCode) -> Answer {
    let description = match code {
        ErrorCode::AccessDenied => "the user denied the request",
        ErrorCode::LoginRequired => "the user must sign in",
        ErrorCode::ConsentRequired => "the user must consent",
        _ => "the request needs the user's interaction",
    };
    error_answer(
        provider,
        &request.redirect_uri,
        request.response_mode,
        &OAuthError::new(code, description),
        request.state.as_deref(),
    )
}

/// An error for the client at its redirect URI.
pub(super) fn error_answer(
    provider: &Provider,
    redirect_uri: &str,
    mode: ResponseMode,
    error: &OAuthError,
    state: Option<&str>,
) -> Answer {
    let answer = vec![
        ("error", error.code.as_str().to_owned()),
        ("error_description", error.description.to_string()),
    ];
    to_client(provider, redirect_uri, mode, answer, state)
}

/// Adds `state` and `iss` (RFC 9207 §2) to the answer and puts it where the
/// response mode says.
fn to_client(
    provider: &Provider,
    redirect_uri: &str,
    mode: ResponseMode,
    mut answer: Vec<(&str, String)>,
    state: Option<&str>,
) -> Answer {
    if let Some(state) = state {
        answer.push(("state", state.to_owned()));
    }
    answer.push(("iss", provider.settings.issuer.clone()));
    response_mode::answer(redirect_uri, mode, answer)
}
