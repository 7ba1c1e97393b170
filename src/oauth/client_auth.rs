//! Client authentication at the token, revocation and introspection
//! endpoints (RFC 6749 §2.3): `client_secret_basic`, `client_secret_post`
//! and `none` for public clients.

use super::{OAuthError, Params};
use crate::crypto;
use crate::store::{Client, Store};

/// Credentials from an `Authorization: Basic` header, already
/// form-urldecoded (RFC 6749 §2.3.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BasicCredentials {
    pub client_id: String,
    pub client_secret: String,
}

/// How the client presented itself in this request.
enum Presented<'a> {
    Secret { client_id: &'a str, secret: &'a str },
    IdOnly { client_id: &'a str },
}

fn presented<'a>(
    basic: Option<&'a BasicCredentials>,
    params: &'a Params,
) -> Result<Presented<'a>, OAuthError> {
    let form_id = params.get("client_id");
    let form_secret = params.get("client_secret");
    match basic {
        Some(basic) => {
            // RFC 6749 §2.3: a client MUST NOT use more than one method.
            if form_secret.is_some() {
                return Err(OAuthError::invalid_request(
                    "client credentials sent both in the Authorization header and in the body",
                ));
            }
            if form_id.is_some_and(|id| id != basic.client_id) {
                return Err(OAuthError::invalid_request(
                    "client_id in the body differs from the Authorization header",
                ));
            }
            Ok(Presented::Secret {
                client_id: &basic.client_id,
                secret: &basic.client_secret,
            })
        }
        None => match (form_id, form_secret) {
            (Some(client_id), Some(secret)) => Ok(Presented::Secret { client_id, secret }),
            (Some(client_id), None) => Ok(Presented::IdOnly { client_id }),
            (None, _) => Err(OAuthError::invalid_client(
                "client authentication is required",
            )),
        },
    }
}

/// Authenticates the client of a back-channel request.
pub async fn authenticate(
    store: &dyn Store,
    basic: Option<&BasicCredentials>,
    params: &Params,
) -> Result<Client, OAuthError> {
    let presented = presented(basic, params)?;
    let client_id = match &presented {
        Presented::Secret { client_id, .. } | Presented::IdOnly { client_id } => *client_id,
    };
    let unknown = || OAuthError::invalid_client("unknown client or wrong credentials");
    let client = store.client(client_id).await?.ok_or_else(unknown)?;
    match (presented, client.secret_hash.as_deref()) {
        (Presented::Secret { secret, .. }, Some(stored)) => {
            if !crypto::verify_client_secret(stored, secret).await {
                return Err(unknown());
            }
        }
        // A public client has no secret to check; PKCE protects its codes.
        (Presented::IdOnly { .. }, None) => {}
        (Presented::IdOnly { .. }, Some(_)) => {
            return Err(OAuthError::invalid_client(
                "this client must authenticate with its secret",
            ))
        }
        (Presented::Secret { .. }, None) => {
            return Err(OAuthError::invalid_client(
                "this public client has no secret; send client_id only",
            ))
        }
    }
    Ok(client)
}
