//! The walkthroughs of the five example servers Portcullis grew out of (the
//! seeds): every request they show, sent as their documents show it with
//! only host and port changed, against `serve --demo` (the README promises
//! they work). One module per document, one test per group of requests;
//! answers are checked for the documented fields and types, and for the
//! values that are not random in the documents.

mod aioauth;
mod authlib_clients;
mod postman;
mod tornado;

use reqwest::multipart::Form;
use serde_json::Value;

/// Postman's form-data and `curl -F`: a multipart body.
fn form_data(fields: &[(&str, &str)]) -> Form {
    fields.iter().fold(Form::new(), |form, (name, value)| {
        form.text(name.to_string(), value.to_string())
    })
}

/// The names of a JSON object's members, sorted.
fn members(value: &Value) -> Vec<&str> {
    let object = value
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {value}"));
    let mut names: Vec<&str> = object.keys().map(String::as_str).collect();
    names.sort_unstable();
    names
}

/// A successful token answer for `scope`: a Bearer access token with its
/// lifetime, and a refresh token (with its own lifetime) when `refresh`.
fn assert_token_answer(body: &Value, scope: &str, refresh: bool) {
    assert!(body["access_token"].is_string(), "{body}");
    assert_eq!(body["token_type"], "Bearer", "{body}");
    assert!(body["expires_in"].is_u64(), "{body}");
    assert_eq!(body["scope"], scope, "{body}");
    assert_eq!(body["refresh_token"].is_string(), refresh, "{body}");
    assert_eq!(body["refresh_token_expires_in"].is_u64(), refresh, "{body}");
}

/// A JSON error answer (`{"error", "error_description"}`) with `status`
/// and `error`.
async fn assert_error(response: reqwest::Response, status: u16, error: &str) {
    assert_eq!(response.status(), status);
    let body: Value = response.json().await.expect("a JSON error");
    assert_eq!(body["error"], error, "{body}");
    assert!(body["error_description"].is_string(), "{body}");
}
