//! RP-Initiated Logout 1.0: a relying party sends the user to our
//! `end_session_endpoint` to sign out, and may have them sent back.
//!
//! When to ask the user first (§2, §6): a logout request is a plain link,
//! so any site can send a signed-in user to it; signing them out unasked
//! would let any site do so at will. The request is taken as the relying
//! party's own when it carries a valid `id_token_hint` (only the client the
//! ID token was issued to holds it) for the user signed in here. Otherwise
//! our page asks "Sign out?" first. With nobody signed in there is nothing
//! to lose, so no question either.

use super::id_token::IdTokenHint;
use crate::oauth::{OAuthError, Params};
use crate::store::Client;
use url::Url;

/// An end-session request (§2), GET or POST.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EndSessionRequest {
    pub id_token_hint: Option<String>,
    /// Who to sign out, in the relying party's words; read like
    /// `login_hint`, for display only.
    pub logout_hint: Option<String>,
    pub client_id: Option<String>,
    pub post_logout_redirect_uri: Option<String>,
    /// Returned to the relying party with the redirect (§3).
    pub state: Option<String>,
    /// Accepted and ignored: our pages have one language.
    pub ui_locales: Option<String>,
}

impl EndSessionRequest {
    pub fn parse(params: &Params) -> Self {
        let get = |name: &str| params.get(name).map(str::to_owned);
        EndSessionRequest {
            id_token_hint: get("id_token_hint"),
            logout_hint: get("logout_hint"),
            client_id: get("client_id"),
            post_logout_redirect_uri: get("post_logout_redirect_uri"),
            state: get("state"),
            ui_locales: get("ui_locales"),
        }
    }
}

/// The `id_token_hint`, after `KeyRing::verify` (with
/// `ID_TOKEN_HINT_LEEWAY`) and `HintClaims::read(None)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Hint {
    Absent,
    Verified(IdTokenHint),
    /// Present, but not a token we signed (or its key is gone): it proves
    /// nothing, and is otherwise ignored — the user is asked instead.
    Unverifiable,
}

/// The client the request is about: its `client_id`, else the audience of
/// its verified hint. Look it up, and give it to [`decide`].
pub fn client_id<'a>(request: &'a EndSessionRequest, hint: &'a Hint) -> Option<&'a str> {
    match (&request.client_id, hint) {
        (Some(client_id), _) => Some(client_id),
        (None, Hint::Verified(hint)) => Some(&hint.client_id),
        (None, _) => None,
    }
}

/// Everything besides the request the decision depends on.
#[derive(Debug, Clone, Copy)]
pub struct LogoutContext<'a> {
    pub hint: &'a Hint,
    /// The client [`client_id`] names, if it exists.
    pub client: Option<&'a Client>,
    /// The user signed in in this browser.
    pub session_user: Option<i64>,
    /// The user pressed "Sign out" on our confirmation page (a POST with
    /// our CSRF token).
    pub confirmed: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogoutDecision {
    /// Show the confirmation page; on its yes, decide again with
    /// `confirmed`.
    ConfirmFirst,
    /// End the session, then redirect (303) here.
    LogOutAndRedirect { uri: String },
    /// End the session and say so on our page.
    LogOutAndShowPage,
    /// Show an error page; never redirect (§3: not to an unregistered
    /// URI), and do not sign out.
    Invalid(OAuthError),
}

pub fn decide(request: &EndSessionRequest, context: &LogoutContext) -> LogoutDecision {
    match check(request, context) {
        Err(error) => LogoutDecision::Invalid(error),
        Ok(redirect) => {
            let from_the_relying_party = matches!(
                (context.hint, context.session_user),
                (Hint::Verified(hint), Some(user)) if hint.user_id == user
            );
            if context.session_user.is_some() && !context.confirmed && !from_the_relying_party {
                return LogoutDecision::ConfirmFirst;
            }
            match redirect {
                Some(uri) => LogoutDecision::LogOutAndRedirect { uri },
                None => LogoutDecision::LogOutAndShowPage,
            }
        }
    }
}

/// The request's consistency, and where to redirect after, with `state`.
fn check(
    request: &EndSessionRequest,
    context: &LogoutContext,
) -> Result<Option<String>, OAuthError> {
    if let (Some(client_id), Hint::Verified(hint)) = (&request.client_id, context.hint) {
        // §2: when both are present, the OP MUST verify they match.
        if *client_id != hint.client_id {
            return Err(OAuthError::invalid_request(
                "client_id is not the client the id_token_hint was issued to",
            ));
        }
    }
    let named = client_id(request, context.hint);
    let client = context
        .client
        .filter(|client| Some(client.client_id.as_str()) == named);
    if request.client_id.is_some() && client.is_none() {
        return Err(OAuthError::invalid_request("this client is not registered"));
    }
    let Some(uri) = &request.post_logout_redirect_uri else {
        return Ok(None);
    };
    let Some(client) = client else {
        return Err(OAuthError::invalid_request(
            "post_logout_redirect_uri needs a client_id or an id_token_hint naming the client",
        ));
    };
    // §2, §3: exactly one of the client's registered URIs, string for string.
    if !client
        .post_logout_redirect_uris
        .iter()
        .any(|registered| registered == uri)
    {
        return Err(OAuthError::invalid_request(
            "post_logout_redirect_uri is not registered for this client",
        ));
    }
    Ok(Some(with_state(uri, request.state.as_deref())))
}

/// §3: `state` is passed back as a query parameter of the redirect.
fn with_state(uri: &str, state: Option<&str>) -> String {
    match (Url::parse(uri), state) {
        (Ok(mut url), Some(state)) => {
            url.query_pairs_mut().append_pair("state", state);
            url.into()
        }
        _ => uri.to_owned(),
    }
}

#[cfg(test)]
mod tests;
