//! Client Management (RFC 7592): updating a self-registered client, and
//! the client information response that registration, reads and updates
//! answer with.

use super::{checked_client, invalid_metadata, RegistrationRequest, REGISTRATION_PATH};
use crate::crypto;
use crate::oauth::registration::{ClientInformation, RegistrationPolicy};
use crate::oauth::vocabulary::ApplicationType;
use crate::oauth::OAuthError;
use crate::store::ClientRegistration;
use serde::Serialize;

/// An updated registration, and the client's new secret if the update
/// made a public client confidential.
pub struct Updated {
    pub registration: ClientRegistration,
    pub client_secret: Option<String>,
}

/// RFC 7592 §2.2: replaces a client's metadata with the request's, under
/// the same rules as a registration. The client keeps its id, its
/// registration access token and, while confidential, its secret (it may
/// not choose one); omitted values take their defaults.
pub fn update(
    current: &ClientRegistration,
    request: RegistrationRequest,
    policy: &RegistrationPolicy,
) -> Result<Updated, OAuthError> {
    let client_id = &current.client.client_id;
    if request.client_id.as_deref() != Some(client_id.as_str()) {
        return Err(invalid_metadata(
            "client_id must be included and be this client's (RFC 7592 section 2.2)",
        ));
    }
    if let Some(presented) = &request.client_secret {
        let matches = current
            .client
            .secret_hash
            .as_deref()
            .is_some_and(|stored| crypto::verify_generated_secret(stored, presented));
        if !matches {
            return Err(invalid_metadata(
                "client_secret is not this client's current secret, and a client may not \
                 choose its own",
            ));
        }
    }
    let (registered, application_type) = checked_client(request, policy)?;
    let mut client = registered.client;
    // A confidential client keeps its secret; one that becomes confidential
    // gets the one just generated.
    let kept = current
        .client
        .secret_hash
        .clone()
        .filter(|_| !client.is_public());
    let client_secret = match kept {
        Some(hash) => {
            client.secret_hash = Some(hash);
            None
        }
        None => registered.client_secret,
    };
    client.client_id.clone_from(client_id);
    client.client_id_issued_at = current.client.client_id_issued_at;
    Ok(Updated {
        registration: ClientRegistration {
            client,
            application_type,
            access_token: current.access_token,
        },
        client_secret,
    })
}

/// The client information response (RFC 7591 §3.2.1, RFC 7592 §3): the
/// registered metadata, which clients compare with what they asked for,
/// and how to manage the registration.
#[derive(Debug, Serialize)]
pub struct ClientInformationResponse {
    #[serde(flatten)]
    pub information: ClientInformation,
    pub application_type: ApplicationType,
    /// Only when just issued: the store keeps a hash.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    pub registration_client_uri: String,
    pub registration_access_token: String,
}

impl ClientInformationResponse {
    pub fn new(
        registration: &ClientRegistration,
        issuer: &str,
        registration_access_token: &str,
        client_secret: Option<String>,
    ) -> Self {
        ClientInformationResponse {
            information: ClientInformation::from(&registration.client),
            application_type: registration.application_type,
            client_secret,
            registration_client_uri: format!(
                "{issuer}{REGISTRATION_PATH}/{}",
                registration.client.client_id
            ),
            registration_access_token: registration_access_token.to_owned(),
        }
    }
}
