//! The shared harness: boots the app in-process on an ephemeral port
//! against a fresh database of the chosen backend.

#![allow(dead_code)]

pub mod admin;
pub mod browser;
pub mod process;

use portcullis::app::App;
use portcullis::config::Config;
use serde_json::Value;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

/// The key-encryption key of every test server's signing keys.
pub const TEST_KEK: &str = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";

pub const CLIENT_ID: &str = "mike_id";
pub const CLIENT_SECRET: &str = "mike_secret";

/// Environment variable naming a PostgreSQL server for the tests; each test
/// gets a database of its own on it.
pub const POSTGRES_ENV: &str = "PORTCULLIS_TEST_POSTGRES_URL";
/// Set (by .ci/run) to make the PostgreSQL tests mandatory.
pub const REQUIRE_POSTGRES_ENV: &str = "PORTCULLIS_REQUIRE_POSTGRES";

#[derive(Debug, Clone)]
pub enum Backend {
    Sqlite,
    Postgres { server_url: String },
}

impl Backend {
    /// The PostgreSQL backend if configured; `None` (with a visible notice)
    /// on a machine without one, unless CI made it mandatory.
    pub fn postgres() -> Option<Backend> {
        match std::env::var(POSTGRES_ENV) {
            Ok(server_url) if !server_url.is_empty() => Some(Backend::Postgres { server_url }),
            _ if std::env::var(REQUIRE_POSTGRES_ENV).is_ok() => {
                panic!("{REQUIRE_POSTGRES_ENV} is set but {POSTGRES_ENV} is not")
            }
            _ => {
                eprintln!("NOTICE: PostgreSQL test skipped: set {POSTGRES_ENV} to run it");
                None
            }
        }
    }

    /// A fresh, empty database for one test.
    pub async fn fresh_database(&self) -> FreshDatabase {
        match self {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temporary directory");
                let url = format!("sqlite://{}", dir.path().join("test.db").display());
                FreshDatabase {
                    url,
                    _dir: Some(dir),
                    drop_from: None,
                }
            }
            Backend::Postgres { server_url } => {
                let name = format!("pc_test_{}", unique_suffix());
                let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(server_url)
                    .await
                    .expect("PostgreSQL is reachable at PORTCULLIS_TEST_POSTGRES_URL");
                sqlx::query(&format!("CREATE DATABASE {name}"))
                    .execute(&mut conn)
                    .await
                    .expect("create a test database");
                let mut url = url::Url::parse(server_url).expect("a PostgreSQL URL");
                url.set_path(&name);
                FreshDatabase {
                    url: url.to_string(),
                    _dir: None,
                    drop_from: Some((server_url.clone(), name)),
                }
            }
        }
    }
}

fn unique_suffix() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "{}_{}_{}",
        std::process::id(),
        nanos,
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

pub struct FreshDatabase {
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    drop_from: Option<(String, String)>,
}

impl Drop for FreshDatabase {
    fn drop(&mut self) {
        let Some((server_url, name)) = self.drop_from.take() else {
            return;
        };
        // Drop runs outside async: clean up on a thread of its own.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            runtime.block_on(async {
                let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&server_url)
                    .await
                    .ok()?;
                sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut conn)
                    .await
                    .ok()
            })
        })
        .join();
    }
}

/// A running server and an HTTP client for it.
pub struct TestServer {
    pub base: String,
    /// The admin listener.
    pub admin_base: String,
    pub http: reqwest::Client,
    pub database: Option<FreshDatabase>,
    stop: Option<oneshot::Sender<()>>,
    /// What the server supports, demo scopes included, for `add_client`.
    scopes_supported: Vec<String>,
}

impl TestServer {
    pub async fn start(backend: Backend) -> TestServer {
        Self::start_with(backend, |_| {}).await
    }

    /// Starts with demo data; `tweak` may change the configuration first.
    pub async fn start_with(backend: Backend, tweak: impl FnOnce(&mut Config)) -> TestServer {
        let database = backend.fresh_database().await;
        Self::start_on(database, tweak).await
    }

    pub async fn start_on(database: FreshDatabase, tweak: impl FnOnce(&mut Config)) -> TestServer {
        seed_signing_keys(&database.url).await;
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("local address");
        let admin = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let admin_addr = admin.local_addr().expect("local address");
        let mut config = Config::new(addr, &database.url);
        config.admin_addr = admin_addr;
        config.demo = true;
        config.db_max_connections = 4;
        config.key_encryption_key = Some(TEST_KEK.into());
        tweak(&mut config);
        let config = config.validated().expect("valid test configuration");
        // What the server supports, demo scopes included, for add_client.
        let mut scopes_supported = config.scopes_supported.clone();
        scopes_supported.extend(portcullis::demo::scopes().map(str::to_owned));
        let app = App::build(config).await.expect("the app builds");
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(app.serve(listener, admin, async {
            let _ = stopped.await;
        }));
        TestServer {
            base: format!("http://{addr}"),
            admin_base: format!("http://{admin_addr}"),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
            database: Some(database),
            stop: Some(stop),
            scopes_supported,
        }
    }

    pub fn database_url(&self) -> &str {
        &self.database.as_ref().expect("database").url
    }

    /// Stops serving and hands back the database (for a restart on it).
    pub async fn stop(mut self) -> FreshDatabase {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        self.database.take().expect("database")
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub fn admin_url(&self, path: &str) -> String {
        format!("{}{}", self.admin_base, path)
    }

    /// Creates an admin key named `name` in the store, as
    /// `portcullis admin-key create` does; returns the key.
    pub async fn admin_key(&self, name: &str) -> String {
        let key = format!("pca_{}", portcullis::crypto::random_secret());
        let store = portcullis::store::open(self.database_url(), 1)
            .await
            .expect("open store");
        store
            .create_admin_key(&portcullis::store::AdminKey {
                name: name.into(),
                key_hash: portcullis::crypto::sha256_secret_hash(&key),
                created_at: portcullis::time::now(),
            })
            .await
            .expect("create an admin key");
        key
    }

    /// POSTs a form to the token endpoint with the demo client's Basic auth.
    pub async fn token(&self, form: &[(&str, &str)]) -> reqwest::Response {
        self.post_form("/oauth/token", form).await
    }

    /// A password-grant token response for mike (asserting success).
    pub async fn password_token(&self, scope: Option<&str>) -> Value {
        let mut form = vec![
            ("grant_type", "password"),
            ("username", "mike"),
            ("password", "pass"),
        ];
        if let Some(scope) = scope {
            form.push(("scope", scope));
        }
        let response = self.token(&form).await;
        assert_eq!(response.status(), 200);
        response.json().await.expect("JSON")
    }

    pub async fn client_credentials_token(&self) -> Value {
        let response = self.token(&[("grant_type", "client_credentials")]).await;
        assert_eq!(response.status(), 200);
        response.json().await.expect("JSON")
    }

    /// POSTs a form with the demo client's Basic auth.
    pub async fn post_form(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.http
            .post(self.url(path))
            .basic_auth(CLIENT_ID, Some(CLIENT_SECRET))
            .form(form)
            .send()
            .await
            .expect("request")
    }

    pub async fn introspect(&self, token: &str) -> Value {
        let response = self
            .post_form("/oauth/introspect", &[("token", token)])
            .await;
        assert_eq!(response.status(), 200);
        response.json().await.expect("JSON")
    }

    pub async fn is_active(&self, token: &str) -> bool {
        self.introspect(token).await["active"] == Value::Bool(true)
    }

    pub async fn me(&self, token: &str) -> reqwest::Response {
        self.http
            .get(self.url("/api/me"))
            .bearer_auth(token)
            .send()
            .await
            .expect("request")
    }

    /// POSTs `metadata` to the registration endpoint (RFC 7591 §3.1), with
    /// an initial access token when given.
    pub async fn register(&self, metadata: &Value, token: Option<&str>) -> reqwest::Response {
        let mut request = self.http.post(self.url("/oauth/register")).json(metadata);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.expect("request")
    }

    /// Registers `metadata` at the registration endpoint, asserting 201;
    /// returns the client information response.
    pub async fn registered(&self, metadata: &Value) -> Value {
        let response = self.register(metadata, None).await;
        let status = response.status();
        let body: Value = response.json().await.expect("JSON");
        assert_eq!(status, 201, "{body}");
        body
    }

    /// Registers a client as the operator, directly in the store; returns
    /// (id, secret).
    pub async fn add_client(
        &self,
        metadata: portcullis::oauth::registration::ClientMetadata,
    ) -> (String, Option<String>) {
        self.add_client_as(metadata, portcullis::store::Registrant::Operator)
            .await
    }

    /// Registers a client for `registrant` (the operator, or a user as the
    /// client page would), under the default registration rules.
    pub async fn add_client_as(
        &self,
        metadata: portcullis::oauth::registration::ClientMetadata,
        registrant: portcullis::store::Registrant,
    ) -> (String, Option<String>) {
        self.add_client_with(metadata, registrant, false).await
    }

    /// Registers a client the operator marked as a resource server (it may
    /// introspect every token).
    pub async fn add_resource_server(&self, name: &str) -> (String, String) {
        let metadata = portcullis::oauth::registration::ClientMetadata {
            client_name: name.into(),
            grant_types: vec!["client_credentials".into()],
            ..Default::default()
        };
        let (id, secret) = self
            .add_client_with(metadata, portcullis::store::Registrant::Operator, true)
            .await;
        (id, secret.expect("a confidential client"))
    }

    async fn add_client_with(
        &self,
        metadata: portcullis::oauth::registration::ClientMetadata,
        registrant: portcullis::store::Registrant,
        resource_server: bool,
    ) -> (String, Option<String>) {
        let mut config = Config::new("127.0.0.1:9000".parse().expect("an address"), "sqlite://x");
        config.scopes_supported = self.scopes_supported.clone();
        let mut registered = portcullis::oauth::registration::register(
            metadata,
            registrant,
            &config.registration_policy(),
        )
        .expect("valid metadata");
        registered.client.resource_server = resource_server;
        let store = portcullis::store::open(self.database_url(), 1)
            .await
            .expect("open store");
        store
            .create_client(&registered.client)
            .await
            .expect("create client");
        (registered.client.client_id, registered.client_secret)
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Stores signing keys made once per test binary, so that each server does
/// not generate its own (an RSA key takes a while); a database that has
/// keys already keeps them.
pub async fn seed_signing_keys(database_url: &str) {
    use portcullis::keys::{KeyEncryptionKey, SigningAlg, StoredKey};
    static KEYS: std::sync::OnceLock<Vec<StoredKey>> = std::sync::OnceLock::new();
    let keys = KEYS.get_or_init(|| {
        let kek = KeyEncryptionKey::from_base64(TEST_KEK).expect("the test key");
        let now = portcullis::time::now() - 60;
        SigningAlg::ALL
            .into_iter()
            .map(|alg| StoredKey::generate(alg, &kek, now, now).expect("a key"))
            .collect()
    });
    let store = portcullis::store::open(database_url, 1)
        .await
        .expect("open the store");
    if store.signing_keys().await.expect("read keys").is_empty() {
        store
            .apply_key_plan(keys, &[], &[])
            .await
            .expect("store keys");
    }
}

pub fn str_field<'a>(value: &'a Value, name: &str) -> &'a str {
    value[name]
        .as_str()
        .unwrap_or_else(|| panic!("no string {name} in {value}"))
}

/// Declares each listed `async fn name(backend: Backend)` as a test on
/// SQLite and on PostgreSQL.
#[allow(unused_macros)]
macro_rules! backend_tests {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(crate::common::Backend::Sqlite).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if let Some(backend) = crate::common::Backend::postgres() {
                        super::$name(backend).await
                    }
                }
            )*
        }
    };
}
