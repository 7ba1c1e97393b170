//! The end-session endpoint's decision (OpenID Connect RP-Initiated Logout
//! 1.0; the rules are `oidc::logout`'s): the `id_token_hint` checked with
//! our keys, the client it names looked up.

use super::oidc::id_token::{HintClaims, ID_TOKEN_HINT_LEEWAY};
use super::oidc::logout::{self, EndSessionRequest, Hint, LogoutContext, LogoutDecision};
use super::{OAuthError, Provider};

/// What to do with `request` for the browser's `session_user`;
/// `confirmed` says the user pressed "Sign out" on our page.
pub async fn decide(
    provider: &Provider,
    request: &EndSessionRequest,
    session_user: Option<i64>,
    confirmed: bool,
) -> Result<LogoutDecision, OAuthError> {
    let hint = match &request.id_token_hint {
        None => Hint::Absent,
        Some(token) => provider
            .keys
            .ring()
            .verify::<HintClaims>(token, None, &provider.settings.issuer, ID_TOKEN_HINT_LEEWAY)
            .ok()
            .and_then(|claims| claims.read(None).ok())
            .map_or(Hint::Unverifiable, Hint::Verified),
    };
    let client = match logout::client_id(request, &hint) {
        Some(client_id) => provider.store.client(client_id).await?,
        None => None,
    };
    Ok(logout::decide(
        request,
        &LogoutContext {
            hint: &hint,
            client: client.as_ref(),
            session_user,
            confirmed,
        },
    ))
}
