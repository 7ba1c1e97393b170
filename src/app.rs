//! Builds the application from a configuration and serves it: opens the
//! store, seeds demo data, starts the purge job and the audit recorder,
//! accepts connections on the public and the admin listener, and shuts
//! down in order: stop accepting, let requests finish, write the audit
//! events they produced, commit the store's queued writes.

use crate::audit::{Actor, Audit, AuditEvent, Recorder};
use crate::config::Config;
use crate::http::{self, AppState};
use crate::keys::SigningKeys;
use crate::limits::LimitSettings;
use crate::metrics::Metrics;
use crate::oauth::clients::MetadataDocuments;
use crate::oauth::registration::metadata_document::MetadataDocumentFetcher;
use crate::oauth::{Provider, Settings};
use crate::store::{self, SharedStore};
use axum::extract::ConnectInfo;
use axum::http::Request;
use axum::Router;
use futures::FutureExt;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tower::ServiceExt;

/// A configured server, ready to accept connections.
pub struct App {
    /// The OAuth/OIDC surface, on the public listener.
    pub router: Router,
    /// Health, metrics and the admin API, on the admin listener.
    pub admin: Router,
    pub store: SharedStore,
    keys: Arc<SigningKeys>,
    audit: Audit,
    metrics: Metrics,
    recorder: Recorder,
    purge_interval: Duration,
    key_refresh_interval: Duration,
    /// Self-registered clients that never obtained a token are deleted
    /// this many seconds after registering.
    unused_client_ttl: i64,
    /// Audit events older than this many seconds are purged.
    audit_retention: i64,
    connections: Connections,
}

/// How connections are served.
#[derive(Debug, Clone, Copy)]
pub struct Connections {
    /// A client must send its request headers within this time (slowloris).
    pub header_timeout: Duration,
    /// How long requests in flight at shutdown may take to finish.
    pub shutdown_timeout: Duration,
}

impl App {
    /// Opens the store (running its migrations), seeds demo data if asked,
    /// and builds the router.
    pub async fn build(mut config: Config) -> anyhow::Result<Self> {
        let store = store::open(&config.database_url, config.db_max_connections).await?;
        if config.demo {
            let api = crate::oauth::example_api(config.issuer());
            crate::demo::seed(store.as_ref(), &api).await?;
            // The demo clients' scopes (the Tornado seed's `restaurent`
            // among them) exist only in demo mode.
            for scope in crate::demo::scopes() {
                if !config.scopes_supported.iter().any(|s| s == scope) {
                    config.scopes_supported.push(scope.to_owned());
                }
            }
        }
        let settings = Settings {
            issuer: config.issuer().to_owned(),
            access_token_ttl: config.access_token_ttl,
            refresh_token_ttl: config.refresh_token_ttl,
            code_ttl: config.code_ttl,
            self_registered_client_credentials_scopes: config
                .self_registered_client_credentials_scopes
                .clone(),
            id_token_ttl: config.id_token_ttl,
            jwt_access_token_ttl: config.jwt_access_token_ttl,
        };
        let limits = LimitSettings {
            max_failures: config.rate_limit_failures,
            max_address_failures: config.rate_limit_address_failures,
            window: config.rate_limit_window,
        };
        let metrics = if config.metrics {
            Metrics::new()
        } else {
            Metrics::disabled()
        };
        for collector in store.collectors() {
            metrics.register(collector);
        }
        let (audit, recorder) = Audit::start(store.clone());
        let keys = Arc::new(
            SigningKeys::open(
                store.clone(),
                config.key_encryption_key()?,
                config.rotation_policy(),
                crate::time::now(),
            )
            .await?,
        );
        metrics.register(crate::metrics::signing_key_age_gauge(keys.clone()));
        let mut provider = Provider::new(
            store.clone(),
            settings,
            limits,
            keys.clone(),
            audit.clone(),
            metrics.clone(),
        );
        if let Some(policy) = config.metadata_document_policy()? {
            provider.metadata_documents = Some(Arc::new(MetadataDocuments {
                fetcher: MetadataDocumentFetcher::new(policy)?,
                scopes: config.self_registration_scopes(),
                insecure_http: config.insecure_http,
            }));
        }
        let connections = Connections {
            header_timeout: Duration::from_secs(config.header_timeout),
            shutdown_timeout: Duration::from_secs(config.shutdown_timeout),
        };
        let purge_interval = Duration::from_secs(config.purge_interval.max(1));
        let audit_retention = config.audit_retention.saturating_mul(86_400);
        let unused_client_ttl = config.registration_unused_ttl;
        let key_refresh_interval = Duration::from_secs(config.key_refresh_interval);
        let state = AppState::new(provider, config).await?;
        Ok(App {
            router: http::router(state.clone()),
            admin: http::admin::router(state),
            store,
            keys,
            audit,
            metrics,
            recorder,
            purge_interval,
            key_refresh_interval,
            unused_client_ttl,
            audit_retention,
            connections,
        })
    }

    /// Serves the public and the admin listener, purging expired rows and
    /// looking at the signing keys periodically, until `shutdown` completes; then shuts down in order
    /// (see the module's documentation).
    pub async fn serve(
        self,
        public: TcpListener,
        admin: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) {
        let purge = tokio::spawn(purge_periodically(
            self.store.clone(),
            self.metrics,
            self.purge_interval,
            self.unused_client_ttl,
            self.audit_retention,
        ));
        let keys = tokio::spawn(refresh_keys_periodically(
            self.keys,
            self.audit,
            self.key_refresh_interval,
        ));
        let shutdown = shutdown.boxed().shared();
        tokio::join!(
            accept_loop(public, self.router, self.connections, shutdown.clone()),
            accept_loop(admin, self.admin, self.connections, shutdown),
        );
        purge.abort();
        keys.abort();
        self.recorder.flush().await;
        self.store.close().await;
        tracing::info!("stopped");
    }
}

/// Rotates the signing keys on schedule and picks up keys other nodes
/// made.
async fn refresh_keys_periodically(keys: Arc<SigningKeys>, audit: Audit, every: Duration) {
    let mut ticks = tokio::time::interval(every);
    ticks.tick().await;
    loop {
        ticks.tick().await;
        match keys.refresh(crate::time::now()).await {
            Ok(created) => {
                for kid in created {
                    let event = AuditEvent::SigningKeyRotated {
                        by: Actor::System,
                        kid,
                    };
                    audit.record(event, None);
                }
            }
            Err(error) => {
                tracing::warn!(error = %format!("{error:#}"), "signing keys not refreshed")
            }
        }
    }
}

async fn purge_periodically(
    store: SharedStore,
    metrics: Metrics,
    every: Duration,
    unused_client_ttl: i64,
    audit_retention: i64,
) {
    let mut ticks = tokio::time::interval(every);
    ticks.tick().await;
    loop {
        ticks.tick().await;
        let now = crate::time::now();
        let expired = store.purge_expired(now, now - unused_client_ttl).await;
        let audit = store.purge_audit(now - audit_retention).await;
        for (what, purged) in [("expired", expired), ("audit", audit)] {
            match purged {
                Ok(count) => tracing::debug!(count, what, "purged"),
                Err(ref error) => tracing::warn!(%error, what, "purge failed"),
            }
            metrics.purged(what, purged.ok());
        }
    }
}

/// Accepts connections on `listener` and serves `router` on each (HTTP/1.1
/// and HTTP/2, header timeout, graceful shutdown) until `shutdown`
/// completes; then closes the listener (new connections are refused) and
/// lets the requests in flight finish, for at most the shutdown timeout.
/// Public so that the benchmark's no-op ceiling (bench/noop_ceiling.rs)
/// runs on exactly the same connection stack.
pub async fn accept_loop(
    listener: TcpListener,
    router: Router,
    connections: Connections,
    shutdown: impl Future<Output = ()>,
) {
    let graceful = GracefulShutdown::new();
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(connections.header_timeout)
        .max_buf_size(64 * 1024);
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(accepted) => accepted,
                    Err(error) => {
                        // Out of file descriptors and the like: wait, don't spin.
                        tracing::warn!(%error, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                // The peer address, for per-address brute-force limits.
                let service = router.clone().map_request(move |mut request: Request<Incoming>| {
                    request.extensions_mut().insert(ConnectInfo(peer));
                    request
                });
                let service = TowerToHyperService::new(service);
                let connection = builder.serve_connection_with_upgrades(TokioIo::new(stream), service);
                let connection = graceful.watch(connection.into_owned());
                tokio::spawn(async move {
                    let _ = connection.await;
                });
            }
            _ = &mut shutdown => break,
        }
    }
    drop(listener);
    let drained = tokio::time::timeout(connections.shutdown_timeout, graceful.shutdown()).await;
    if drained.is_err() {
        tracing::warn!("requests still in flight at the shutdown timeout were cut off");
    }
}
