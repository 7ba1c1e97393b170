//! Client authentication at the token, revocation and introspection
//! endpoints (RFC 6749 §2.3): `client_secret_basic`, `client_secret_post`
//! and `none` for public clients, with the brute-force limits of
//! [`crate::limits`] applied by the kind of secret.

use super::{OAuthError, Params, Provider};
use crate::crypto::{self, SecretKind};
use crate::limits::Counter;
use crate::store::Client;
use std::net::IpAddr;

/// Credentials from an `Authorization: Basic` header, already
/// form-urldecoded (RFC 6749 §2.3.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BasicCredentials {
    pub client_id: String,
    pub client_secret: String,
}

/// A back-channel request (token, revocation, introspection) as the core
/// sees it: its parameters, its Basic credentials and where it came from.
#[derive(Debug, Clone, Copy)]
pub struct ClientRequest<'a> {
    pub params: &'a Params,
    pub basic: Option<&'a BasicCredentials>,
    /// The client's address, for the brute-force limits.
    pub address: Option<IpAddr>,
}

/// How the client presented itself in this request.
enum Presented<'a> {
    Secret { client_id: &'a str, secret: &'a str },
    IdOnly { client_id: &'a str },
}

impl<'a> Presented<'a> {
    fn client_id(&self) -> &'a str {
        match self {
            Presented::Secret { client_id, .. } | Presented::IdOnly { client_id } => client_id,
        }
    }
}

fn presented<'a>(request: &ClientRequest<'a>) -> Result<Presented<'a>, OAuthError> {
    let form_id = request.params.get("client_id");
    let form_secret = request.params.get("client_secret");
    match request.basic {
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

fn wrong_credentials() -> OAuthError {
    OAuthError::invalid_client("unknown client or wrong credentials")
}

/// Whether `secret` is one of the client's `stored` secrets. Generated
/// ones are compared first (a SHA-256 each), so a rotated client's new
/// secret never pays for Argon2 work. Without a match, a client whose
/// secrets are all generated has the failure counted per (client,
/// address), which is an error; one with a secret a person chose is
/// verified against it under that client's limits.
async fn secret_matches(
    provider: &Provider,
    request: &ClientRequest<'_>,
    client_id: &str,
    stored: &[Option<&str>],
    secret: &str,
) -> Result<bool, OAuthError> {
    let stored = stored.iter().flatten().copied();
    let (generated, chosen): (Vec<&str>, Vec<&str>) =
        stored.partition(|hash| crypto::secret_kind(hash) == SecretKind::Generated);
    if generated
        .iter()
        .any(|hash| crypto::verify_generated_secret(hash, secret))
    {
        return Ok(true);
    }
    let limiter = &provider.limiter;
    let Some(&chosen) = chosen.first() else {
        let unguessable =
            Counter::client_from(client_id, request.address).and_address(request.address);
        return Err(limiter
            .count_failure(&unguessable, wrong_credentials())
            .await);
    };
    // A person chose it: the attempt is counted before the Argon2 work, per
    // client (from anywhere) and per address.
    let counters = Counter::client(client_id).and_address(request.address);
    let verify = crypto::verify_password(Some(chosen.to_owned()), secret.to_owned());
    limiter
        .verify_chosen(counters, Some(chosen), secret, verify)
        .await
}

/// The secrets `client` accepts now: its own and, after a rotation, the
/// previous one until it expires.
fn accepted_secrets(client: &Client) -> [Option<&str>; 2] {
    let previous = client
        .previous_secret
        .as_ref()
        .filter(|previous| previous.expires_at > crate::time::now())
        .map(|previous| previous.hash.as_str());
    [client.secret_hash.as_deref(), previous]
}

/// The client id and secret the request presents, if it presents a
/// secret and nothing contradicts it.
fn presented_secret<'a>(request: &ClientRequest<'a>) -> Option<(&'a str, &'a str)> {
    match presented(request).ok()? {
        Presented::Secret { client_id, secret } => Some((client_id, secret)),
        Presented::IdOnly { .. } => None,
    }
}

/// The caller as this node keeps it in memory
/// ([`crate::store::ClientStore::cached_client`], PostgreSQL), when it
/// presents a server-generated secret that copy accepts (SHA-256, constant
/// time); a copy that does not is dropped. Counts nothing: `None` means
/// "decide with [`authenticate`]", which reads afresh and counts failures.
/// What the caller then does for the copy must be checked against its
/// [`Client::version`] in the same statement.
pub async fn cached_caller(
    provider: &Provider,
    request: &ClientRequest<'_>,
) -> Result<Option<Client>, OAuthError> {
    let Some((client_id, secret)) = presented_secret(request) else {
        return Ok(None);
    };
    let store = provider.store.as_ref();
    let Some(client) = store.cached_client(client_id).await? else {
        return Ok(None);
    };
    if generated_secret_matches(&client, secret) {
        return Ok(Some(client));
    }
    store.forget_cached_client(client_id);
    Ok(None)
}

/// Whether `secret` is one of the server-generated secrets `client`
/// accepts.
fn generated_secret_matches(client: &Client, secret: &str) -> bool {
    accepted_secrets(client)
        .into_iter()
        .flatten()
        .filter(|hash| crypto::secret_kind(hash) == SecretKind::Generated)
        .any(|hash| crypto::verify_generated_secret(hash, secret))
}

/// Authenticates the client of a back-channel request.
pub async fn authenticate(
    provider: &Provider,
    request: &ClientRequest<'_>,
) -> Result<Client, OAuthError> {
    let client_id = presented(request)?.client_id();
    let found = super::clients::find(provider, client_id).await?;
    authenticate_found(provider, request, found).await
}

/// The client id the request presents, before it is authenticated.
pub fn presented_client_id<'a>(request: &ClientRequest<'a>) -> Result<&'a str, OAuthError> {
    Ok(presented(request)?.client_id())
}

/// Authenticates the client of a back-channel request as `found`, the
/// client its [`presented_client_id`] names, already read.
pub async fn authenticate_found(
    provider: &Provider,
    request: &ClientRequest<'_>,
    found: Option<Client>,
) -> Result<Client, OAuthError> {
    let presented = presented(request)?;
    let client_id = presented.client_id();
    let limiter = &provider.limiter;
    // An unknown id and a wrong generated secret are counted alike, per
    // (client id, address) and per address.
    let unguessable = Counter::client_from(client_id, request.address).and_address(request.address);
    let Some(client) = found else {
        return Err(limiter
            .count_failure(&unguessable, wrong_credentials())
            .await);
    };
    match (presented, client.secret_hash.as_deref()) {
        (Presented::Secret { secret, .. }, Some(_)) => {
            // After a rotation the previous secret works until it expires.
            let secrets = accepted_secrets(&client);
            if !secret_matches(provider, request, client_id, &secrets, secret).await? {
                return Err(wrong_credentials());
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oauth::testing::*;
    use crate::oauth::vocabulary::{AuthMethod, GrantType};
    use crate::oauth::ErrorCode;
    use crate::store::Registrant;

    async fn authenticate_with(
        core: &Core,
        form: &[(&str, &str)],
        basic: Option<&BasicCredentials>,
    ) -> Result<Client, OAuthError> {
        let params = params(form);
        authenticate(&core.provider, &request(&params, basic)).await
    }

    #[tokio::test]
    async fn a_generated_secret_works_by_basic_or_in_the_form() {
        let core = Core::new().await;
        let (client, secret) = core.confidential().await;
        let by_basic = authenticate_with(&core, &[], Some(&basic(&client, &secret))).await;
        assert_eq!(by_basic.unwrap().client_id, client.client_id);
        let form = [
            ("client_id", client.client_id.as_str()),
            ("client_secret", &secret),
        ];
        assert!(authenticate_with(&core, &form, None).await.is_ok());
    }

    #[tokio::test]
    async fn a_wrong_secret_an_unknown_client_or_no_credentials_are_invalid_client() {
        let core = Core::new().await;
        let (client, _) = core.confidential().await;
        let wrong = basic(&client, "wrong");
        let unknown = BasicCredentials {
            client_id: "nobody".into(),
            client_secret: "x".into(),
        };
        for basic in [Some(&wrong), Some(&unknown), None] {
            let result = authenticate_with(&core, &[], basic).await;
            assert_code(result, ErrorCode::InvalidClient);
        }
    }

    #[tokio::test]
    async fn two_methods_at_once_are_invalid_request() {
        let core = Core::new().await;
        let (client, secret) = core.confidential().await;
        let basic = basic(&client, &secret);
        // RFC 6749 §2.3: one method only; and the ids must agree.
        for form in [
            [("client_secret", secret.as_str())],
            [("client_id", "someone-else")],
        ] {
            let result = authenticate_with(&core, &form, Some(&basic)).await;
            assert_code(result, ErrorCode::InvalidRequest);
        }
    }

    #[tokio::test]
    async fn a_public_client_sends_its_id_only_and_a_confidential_one_its_secret() {
        let core = Core::new().await;
        let (public, _) = core
            .client(
                Registrant::Operator,
                AuthMethod::None,
                &[GrantType::AuthorizationCode],
            )
            .await;
        let id_only = [("client_id", public.client_id.as_str())];
        assert!(authenticate_with(&core, &id_only, None).await.is_ok());
        let with_secret = [
            ("client_id", public.client_id.as_str()),
            ("client_secret", "x"),
        ];
        let result = authenticate_with(&core, &with_secret, None).await;
        assert_code(result, ErrorCode::InvalidClient);
        let (confidential, _) = core.confidential().await;
        let id_only = [("client_id", confidential.client_id.as_str())];
        let result = authenticate_with(&core, &id_only, None).await;
        assert_code(result, ErrorCode::InvalidClient);
    }

    #[tokio::test]
    async fn a_chosen_secret_is_verified_with_argon2() {
        let core = Core::new().await;
        let (mut client, _) = core.confidential().await;
        client.client_id = "chosen".into();
        client.secret_hash = Some(crypto::hash_password("s3cret".into()).await.unwrap());
        core.store_client(&client).await;
        assert!(
            authenticate_with(&core, &[], Some(&basic(&client, "s3cret")))
                .await
                .is_ok()
        );
        let result = authenticate_with(&core, &[], Some(&basic(&client, "s3creT"))).await;
        assert_code(result, ErrorCode::InvalidClient);
    }
}
