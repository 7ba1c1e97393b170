//! GET /account: the applications the signed-in user allowed to act for
//! them (the consents remembered by `oauth::authorize`), and POST
//! /account/revoke, which forgets one and revokes every token of its
//! grants, so the user can take back what they gave (OpenID Connect Core
//! §3.1.2.4 lets consent be remembered; this is how it is withdrawn).

use super::session::sign_in_page;
use super::{Answer, Browser, PageError};
use crate::audit::AuditEvent;
use crate::http::AppState;
use axum::body::Body;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use minijinja::context;
use serde::Serialize;
use std::time::{Duration, UNIX_EPOCH};

const PATH: &str = "/account";

/// GET /account
pub async fn show(State(state): State<AppState>, browser: Browser) -> Response {
    let result = account_page(&state, &browser, None).await;
    browser.respond(&state, result)
}

/// POST /account/revoke
pub async fn revoke(
    State(state): State<AppState>,
    browser: Browser,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let result = revoke_consent(&state, &browser, &headers, body).await;
    browser.respond(&state, result)
}

async fn revoke_consent(
    state: &AppState,
    browser: &Browser,
    headers: &HeaderMap,
    body: Body,
) -> Result<Answer, PageError> {
    let form = browser.read_form(state, headers, body).await?;
    let Some(user) = &browser.user else {
        return Ok(sign_in_page(PATH, None, None));
    };
    let client_id = form.get("client_id").unwrap_or_default();
    let store = &state.provider.store;
    let name = store
        .consents(user.user_id)
        .await?
        .into_iter()
        .find(|consent| consent.client_id == client_id)
        .map(|consent| consent.client_name);
    store.revoke_consent(user.user_id, client_id).await?;
    let event = AuditEvent::ConsentRevoked {
        user: user.user_id,
        client_id: client_id.to_owned(),
    };
    state.provider.audit.record(event, browser.address.0);
    account_page(state, browser, name).await
}

/// A consent as the page shows it.
#[derive(Serialize)]
struct Shown {
    client_id: String,
    client_name: String,
    scopes: Vec<String>,
    granted_at: String,
}

async fn account_page(
    state: &AppState,
    browser: &Browser,
    revoked: Option<String>,
) -> Result<Answer, PageError> {
    let Some(user) = &browser.user else {
        return Ok(sign_in_page(PATH, None, None));
    };
    let consents: Vec<Shown> = state
        .provider
        .store
        .consents(user.user_id)
        .await?
        .into_iter()
        .map(|consent| Shown {
            scopes: consent
                .scope
                .split_whitespace()
                .map(str::to_owned)
                .collect(),
            granted_at: httpdate::fmt_http_date(
                UNIX_EPOCH + Duration::from_secs(consent.granted_at.max(0) as u64),
            ),
            client_id: consent.client_id,
            client_name: consent.client_name,
        })
        .collect();
    Ok(Answer::page(
        "account.html",
        context! { consents, revoked, here => PATH },
    ))
}
