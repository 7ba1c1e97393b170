//! The protocol core under test: a [`Provider`] over the in-memory store,
//! with a clock that stands still and no brute-force limits, so that each
//! rule is checked in microseconds, without a socket.

use super::client_auth::{BasicCredentials, ClientRequest};
use super::registration::{register, ClientMetadata, RegistrationPolicy};
use super::vocabulary::{AuthMethod, GrantType};
use super::{ErrorCode, OAuthError, Params, Provider, Settings};
use crate::audit::Audit;
use crate::keys::{KeyEncryptionKey, RotationPolicy, SigningAlg, SigningKeys, StoredKey};
use crate::limits::LimitSettings;
use crate::metrics::Metrics;
use crate::store::memory::MemoryStore;
use crate::store::{Client, Registrant, SharedStore, User};
use crate::time::Clock;
use std::sync::{Arc, OnceLock};

/// Where the test clock stands.
pub const NOW: i64 = 1_800_000_000;
pub const REDIRECT_URI: &str = "https://app.example/cb";
pub const SCOPES: [&str; 4] = ["openid", "profile", "email", "write"];
/// The key-encryption key of the tests' signing keys.
pub const KEK: &str = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";

pub struct Core {
    pub provider: Provider,
}

impl Core {
    pub async fn new() -> Self {
        let settings = Settings {
            issuer: "https://auth.example".into(),
            access_token_ttl: 3600,
            refresh_token_ttl: 7200,
            code_ttl: 60,
            self_registered_client_credentials_scopes: vec!["profile".into()],
            id_token_ttl: 600,
            jwt_access_token_ttl: 300,
        };
        let limits = LimitSettings {
            max_failures: 0,
            max_address_failures: 0,
            window: 60,
        };
        let store: SharedStore = Arc::new(MemoryStore::default());
        let kek = KeyEncryptionKey::from_base64(KEK).expect("a test key");
        store
            .apply_key_plan(test_keys(), &[], &[])
            .await
            .expect("stored keys");
        let keys = SigningKeys::open(store.clone(), kek, RotationPolicy::new(900), NOW)
            .await
            .expect("signing keys");
        let mut provider = Provider::new(
            store,
            settings,
            limits,
            Arc::new(keys),
            Audit::discard(),
            Metrics::disabled(),
        );
        provider.clock = Clock::fixed(NOW);
        Core { provider }
    }

    /// Registers a client under the usual rules; returns it and its secret.
    pub async fn client(
        &self,
        registrant: Registrant,
        auth: AuthMethod,
        grants: &[GrantType],
    ) -> (Client, Option<String>) {
        let scopes: Vec<String> = SCOPES.map(String::from).to_vec();
        let policy = RegistrationPolicy {
            scopes_supported: &scopes,
            insecure_http: false,
        };
        let metadata = ClientMetadata {
            client_name: "app".into(),
            grant_types: grants.iter().map(|g| g.to_string()).collect(),
            redirect_uris: vec![REDIRECT_URI.into()],
            scope: SCOPES.join(" "),
            token_endpoint_auth_method: Some(auth.to_string()),
            ..ClientMetadata::default()
        };
        let registered = register(metadata, registrant, &policy).expect("valid metadata");
        self.store_client(&registered.client).await;
        (registered.client, registered.client_secret)
    }

    /// A confidential client the operator registered, with every grant
    /// that has a token endpoint.
    pub async fn confidential(&self) -> (Client, String) {
        let grants = [
            GrantType::AuthorizationCode,
            GrantType::RefreshToken,
            GrantType::Password,
            GrantType::ClientCredentials,
        ];
        let (client, secret) = self
            .client(Registrant::Operator, AuthMethod::ClientSecretBasic, &grants)
            .await;
        (client, secret.expect("a confidential client"))
    }

    /// Stores a client as given, bypassing registration (rows an older
    /// version might have written).
    pub async fn store_client(&self, client: &Client) {
        self.provider
            .store
            .create_client(client)
            .await
            .expect("stored");
    }

    pub async fn user(&self, name: &str, password: &str) -> User {
        let hash = crate::crypto::hash_password(password.into())
            .await
            .expect("hashed");
        self.provider
            .store
            .create_user(name, &hash)
            .await
            .expect("stored")
    }
}

/// Signing keys made once for every test (an RSA key takes a while): one
/// per algorithm, signing from the start.
fn test_keys() -> &'static [StoredKey] {
    static KEYS: OnceLock<Vec<StoredKey>> = OnceLock::new();
    KEYS.get_or_init(|| {
        let kek = KeyEncryptionKey::from_base64(KEK).expect("a test key");
        SigningAlg::ALL
            .into_iter()
            .map(|alg| StoredKey::generate(alg, &kek, NOW - 10, NOW - 10).expect("a key"))
            .collect()
    })
}

pub fn params(pairs: &[(&str, &str)]) -> Params {
    Params::from_pairs(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())))
        .expect("valid parameters")
}

pub fn basic(client: &Client, secret: &str) -> BasicCredentials {
    BasicCredentials {
        client_id: client.client_id.clone(),
        client_secret: secret.into(),
    }
}

/// A back-channel request with these parameters and Basic credentials.
pub fn request<'a>(params: &'a Params, basic: Option<&'a BasicCredentials>) -> ClientRequest<'a> {
    ClientRequest {
        params,
        basic,
        address: None,
    }
}

/// Asserts that `result` failed with `code`.
#[track_caller]
pub fn assert_code<T: std::fmt::Debug>(result: Result<T, OAuthError>, code: ErrorCode) {
    match result {
        Err(error) => assert_eq!(error.code, code, "{error}"),
        Ok(value) => panic!("expected {code:?}, got {value:?}"),
    }
}
