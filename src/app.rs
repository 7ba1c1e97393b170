//! Builds the application from a configuration and serves it: opens the
//! store, seeds demo data, starts the purge job, accepts connections.

use crate::config::Config;
use crate::http::{self, AppState};
use crate::keys::SigningKeys;
use crate::limits::LimitSettings;
use crate::oauth::{Provider, Settings};
use crate::store::{self, SharedStore};
use axum::extract::ConnectInfo;
use axum::http::Request;
use axum::Router;
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
    pub router: Router,
    pub store: SharedStore,
    keys: Arc<SigningKeys>,
    purge_interval: Duration,
    key_refresh_interval: Duration,
    /// A client must send its request headers within this time (slowloris).
    header_timeout: Duration,
}

impl App {
    /// Opens the store (running its migrations), seeds demo data if asked,
    /// and builds the router.
    pub async fn build(mut config: Config) -> anyhow::Result<Self> {
        let store = store::open(&config.database_url, config.db_max_connections).await?;
        if config.demo {
            crate::demo::seed(store.as_ref()).await?;
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
        let purge_interval = Duration::from_secs(config.purge_interval.max(1));
        let header_timeout = Duration::from_secs(config.header_timeout);
        let keys = Arc::new(
            SigningKeys::open(
                store.clone(),
                config.key_encryption_key()?,
                config.rotation_policy(),
                crate::time::now(),
            )
            .await?,
        );
        let key_refresh_interval = Duration::from_secs(config.key_refresh_interval);
        let provider = Provider::new(store.clone(), settings, limits, keys.clone());
        Ok(App {
            router: http::router(AppState::new(provider, config).await?),
            store,
            keys,
            purge_interval,
            key_refresh_interval,
            header_timeout,
        })
    }

    /// Serves on `listener`, purging expired rows and looking at the
    /// signing keys periodically, until `shutdown` completes.
    pub async fn serve(self, listener: TcpListener, shutdown: impl Future<Output = ()>) {
        let purge = tokio::spawn(purge_periodically(self.store, self.purge_interval));
        let keys = tokio::spawn(refresh_keys_periodically(
            self.keys,
            self.key_refresh_interval,
        ));
        accept_loop(listener, self.router, self.header_timeout, shutdown).await;
        purge.abort();
        keys.abort();
    }
}

/// Rotates the signing keys on schedule and picks up keys other nodes
/// made.
async fn refresh_keys_periodically(keys: Arc<SigningKeys>, every: Duration) {
    let mut ticks = tokio::time::interval(every);
    ticks.tick().await;
    loop {
        ticks.tick().await;
        if let Err(error) = keys.refresh(crate::time::now()).await {
            tracing::warn!(error = %format!("{error:#}"), "signing keys not refreshed");
        }
    }
}

async fn purge_periodically(store: SharedStore, every: Duration) {
    let mut ticks = tokio::time::interval(every);
    ticks.tick().await;
    loop {
        ticks.tick().await;
        match store.purge_expired(crate::time::now()).await {
            Ok(count) => tracing::debug!(count, "purged expired rows"),
            Err(error) => tracing::warn!(%error, "purge failed"),
        }
    }
}

/// Accepts connections on `listener` and serves `router` on each (HTTP/1.1
/// and HTTP/2, header timeout, graceful shutdown) until `shutdown`
/// completes. Public so that the benchmark's no-op ceiling
/// (bench/noop_ceiling.rs) runs on exactly the same connection stack.
pub async fn accept_loop(
    listener: TcpListener,
    router: Router,
    header_timeout: Duration,
    shutdown: impl Future<Output = ()>,
) {
    let graceful = GracefulShutdown::new();
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout)
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
    let _ = tokio::time::timeout(Duration::from_secs(10), graceful.shutdown()).await;
}
