//! What the authorization endpoint does next for a checked request: show
//! the sign-in page, show the consent page, approve, or fail without a page
//! (OpenID Connect Core §3.1.2.1 `prompt`, `max_age`, `id_token_hint`;
//! §3.1.2.3–§3.1.2.4; §3.1.2.6 errors), and whether `offline_access` is
//! granted (§11).
//!
//! The endpoint calls [`next_step`] at every step of the same request: when
//! it arrives, after the sign-in form, and on the consent decision. Two
//! facts make that safe without a loop:
//!
//! - **A sign-in during this request** satisfies `prompt=login`,
//!   `prompt=select_account` and `max_age` (including `max_age=0`, which
//!   §3.1.2.1 makes the same as `prompt=login`). The caller tells it by
//!   `request_started_at`, the time the client's request first arrived,
//!   which the pages carry along with the request's other parameters: a
//!   session whose `auth_time` is at or after it was signed in during this
//!   request, except on the request's first step, when none can have been
//!   (`Situation::arrived_now`). The field is no more trusted than the request's other
//!   parameters: whoever holds the browser could as well drop `prompt=login`
//!   from the URL. What a relying party can rely on is `auth_time`, which
//!   every ID token carries, and which is always the session's real
//!   sign-in time.
//! - **Consent given during this request** ([`Consent::GivenNow`]: the
//!   user pressed Allow on our consent page) satisfies `prompt=consent`.

use super::claims_request::ClaimsRequest;
use super::id_token::{subject, IdTokenHint};
use super::request::OidcRequest;
use crate::oauth::vocabulary::{Prompt, ResponseType};
use crate::oauth::{ErrorCode, OAuthError};

/// The browser's signed-in user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Session {
    pub user_id: i64,
    /// When the user signed in (the session's creation), Unix seconds.
    pub auth_time: i64,
}

/// The user's consent to this client for every scope of this request
/// (`offline_access` included, when asked for).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Consent {
    /// Neither given now nor remembered.
    Needed,
    /// Given before and remembered for all these scopes.
    Remembered,
    /// Given on our consent page in this very request (its POST).
    GivenNow,
}

/// Everything besides the request that the decision depends on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Situation<'a> {
    pub session: Option<Session>,
    pub now: i64,
    /// When the client's request first arrived (see the module comment); a
    /// time in the future counts as `now`.
    pub request_started_at: i64,
    /// This is the request's first step: it has just arrived, so no
    /// sign-in can have happened during it, whatever the clock says.
    /// `auth_time` has whole seconds: without this, a session begun in the
    /// same second as the request arrived would pass for a sign-in made
    /// for it, and `prompt=login`, `max_age=0` or a hint naming another
    /// user would be answered without the sign-in page.
    pub arrived_now: bool,
    pub consent: Consent,
    /// The subject the client requires ([`required_subject`]). The answer
    /// must be for that user or fail, never for another user with a session.
    pub required_subject: Option<&'a str>,
}

/// What the authorization endpoint does next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    ShowLogin,
    ShowConsent,
    /// Issue the code (or token), with the granted scope of
    /// [`granted_scope`].
    Approve,
    /// Redirect this error to the client (§3.1.2.6): only with
    /// `prompt=none`, or when the user who signed in is not the one the
    /// client required.
    Fail(ErrorCode),
}

/// The next step of an authorization request (see the module comment).
pub fn next_step(request: &OidcRequest, situation: &Situation) -> Next {
    let Some(session) = situation.session else {
        return if request.prompts(Prompt::None) {
            // §3.1.2.1: no page may be shown, and the user must sign in.
            Next::Fail(ErrorCode::LoginRequired)
        } else {
            Next::ShowLogin
        };
    };
    let started = situation.request_started_at.min(situation.now);
    let signed_in_now = !situation.arrived_now && session.auth_time >= started;
    // §3.1.2.1: "max_age=0 is equivalent to prompt=login", said outright:
    // in whole seconds a sign-in of this very second has an elapsed time
    // of 0, which is not more than 0.
    let too_old = request.max_age.is_some_and(|max_age| {
        max_age == 0 || situation.now.saturating_sub(session.auth_time) > max_age
    });
    let wrong_user = situation
        .required_subject
        .is_some_and(|sub| sub != subject(session.user_id));

    if request.prompts(Prompt::None) {
        // Signing in is the only remedy for each of these, so each is
        // login_required (§3.1.2.1 for id_token_hint, §3.1.2.6).
        if wrong_user || too_old {
            return Next::Fail(ErrorCode::LoginRequired);
        }
        return match situation.consent {
            Consent::Needed => Next::Fail(ErrorCode::ConsentRequired),
            Consent::Remembered | Consent::GivenNow => Next::Approve,
        };
    }
    if wrong_user {
        // The sign-in page lets the required user sign in; if the one who
        // just did is someone else, the client's condition cannot be met.
        return if signed_in_now {
            Next::Fail(ErrorCode::LoginRequired)
        } else {
            Next::ShowLogin
        };
    }
    let login_demanded = request.prompts(Prompt::Login) || request.prompts(Prompt::SelectAccount);
    if !signed_in_now && (login_demanded || too_old) {
        return Next::ShowLogin;
    }
    let consented = match situation.consent {
        Consent::GivenNow => true,
        // §3.1.2.4: remembered consent skips the page, unless the client
        // asks to ask again.
        Consent::Remembered => !request.prompts(Prompt::Consent),
        Consent::Needed => false,
    };
    if consented {
        Next::Approve
    } else {
        Next::ShowConsent
    }
}

/// The subject the client requires: the user its `id_token_hint` names
/// (§3.1.2.1), or the `sub` it asked for with a value in the `claims`
/// parameter (§5.5.1). A requested `sub` that names none of our users is
/// still required, and so never met. Both at once must agree, or the
/// request contradicts itself (`invalid_request`).
pub fn required_subject(
    hint: Option<&IdTokenHint>,
    claims: &ClaimsRequest,
) -> Result<Option<String>, OAuthError> {
    let hinted = hint.map(|hint| subject(hint.user_id));
    match (hinted, claims.required_subject()) {
        (Some(hinted), Some(requested)) if hinted != requested => Err(OAuthError::invalid_request(
            "the id_token_hint and the requested sub name different users",
        )),
        (Some(hinted), _) => Ok(Some(hinted)),
        (None, requested) => Ok(requested.map(str::to_owned)),
    }
}

pub const OFFLINE_ACCESS: &str = "offline_access";

/// Whether `offline_access` may stay in the granted scope (§11). §11 asks
/// for `prompt=consent` "unless other conditions for processing the request
/// permitting offline access to the requested resources are in place", and
/// says the OP MUST always obtain consent to it. Our condition: the user
/// consented to this very scope set, `offline_access` included, either on
/// our consent page in this request (which names it) or in a remembered
/// consent that covers it. With [`next_step`], every approval has one of
/// the two, so in practice the rule that bites is §11's other one: only a
/// response type that returns a code may get it (never `token`).
pub fn offline_access_allowed(response_type: ResponseType, consent: Consent) -> bool {
    response_type == ResponseType::Code
        && matches!(consent, Consent::GivenNow | Consent::Remembered)
}

/// The scope to grant: `scope` as resolved, with `offline_access` dropped
/// silently when [`offline_access_allowed`] says no (§11: the OP MUST
/// ignore the request for it then — not an error).
pub fn granted_scope(scope: &str, response_type: ResponseType, consent: Consent) -> String {
    let keep_offline = offline_access_allowed(response_type, consent);
    scope
        .split(' ')
        .filter(|token| !token.is_empty() && (keep_offline || *token != OFFLINE_ACCESS))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests;
