//! Fetching Client ID Metadata Documents (draft §5) without letting an
//! outsider aim the server at the operator's network (§8.6); the module
//! documentation above gives the threat model.

use super::address::{AllowEntry, AllowList, GuardedResolver, Refused};
use super::cache::{self, Cache};
use super::{client_from_document, client_id_url};
use crate::oauth::registration::RegistrationPolicy;
use crate::oauth::{ErrorCode, OAuthError};
use crate::store::Client;
use anyhow::{bail, Context};
use bytes::{Bytes, BytesMut};
use futures::future::{BoxFuture, FutureExt, Shared};
use reqwest::header::{ACCEPT, CONTENT_TYPE};
use reqwest::StatusCode;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use std::collections::HashMap;
use std::error::Error as _;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;
use url::Url;

/// How documents are fetched and kept: the operator's configuration.
#[derive(Debug, Clone)]
pub struct FetchPolicy {
    /// The whole fetch: resolving, connecting, TLS, headers and body.
    pub timeout: Duration,
    /// Larger documents are refused; 5 KiB is the draft's advice (§8.7).
    pub max_bytes: usize,
    /// Hosts and networks that may be fetched from though special-use.
    pub allow: Vec<AllowEntry>,
    /// PEM certificates trusted as roots besides the Mozilla roots (a
    /// private CA; tests).
    pub extra_root_certificates: Vec<String>,
    /// Bounds on how long a document is reused, whatever its answer said
    /// (§5.2); `no-store` is still honored.
    pub min_cache: Duration,
    pub max_cache: Duration,
    /// At most this many documents are kept.
    pub cache_capacity: usize,
    /// At most this many fetches at once; more are answered "try again".
    pub max_concurrent_fetches: usize,
}

impl Default for FetchPolicy {
    fn default() -> Self {
        FetchPolicy {
            timeout: Duration::from_secs(5),
            max_bytes: 5 * 1024,
            allow: Vec::new(),
            extra_root_certificates: Vec::new(),
            min_cache: Duration::from_secs(60),
            max_cache: Duration::from_secs(24 * 3600),
            cache_capacity: 1000,
            max_concurrent_fetches: 16,
        }
    }
}

/// What each fetch needs of the policy, copied into its task.
#[derive(Debug, Clone, Copy)]
struct Limits {
    timeout: Duration,
    max_bytes: usize,
    min_cache: Duration,
    max_cache: Duration,
}

/// An answer that passed the transport checks, not yet the document rules.
#[derive(Clone)]
struct Fetched {
    body: Bytes,
    /// `None`: not to be cached.
    lifetime: Option<Duration>,
}

type Flight = Shared<BoxFuture<'static, Result<Fetched, OAuthError>>>;

/// Fetches, checks and caches Client ID Metadata Documents. One per server,
/// shared by the authorization and token endpoints.
pub struct MetadataDocumentFetcher {
    http: reqwest::Client,
    allow: Arc<AllowList>,
    limits: Limits,
    cache: Mutex<Cache>,
    /// Fetches under way by URL: concurrent requests for one client share
    /// one fetch.
    flights: Arc<Mutex<HashMap<String, Flight>>>,
    fetches: Arc<Semaphore>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

fn unfetchable(client_id: &str, why: impl std::fmt::Display) -> OAuthError {
    OAuthError::invalid_client(format!(
        "the client metadata document at {client_id} could not be fetched: {why}"
    ))
}

impl MetadataDocumentFetcher {
    /// Builds the fetcher once at start; fails on an unreadable certificate.
    pub fn new(policy: FetchPolicy) -> anyhow::Result<Self> {
        let allow = Arc::new(AllowList::new(policy.allow.clone()));
        let http = reqwest::Client::builder()
            .use_preconfigured_tls(tls_config(&policy.extra_root_certificates)?)
            .https_only(true)
            // §5: a redirect is an answer, and not a 200 one.
            .redirect(reqwest::redirect::Policy::none())
            // A proxy would resolve the host itself, past the resolver.
            .no_proxy()
            .dns_resolver(Arc::new(GuardedResolver(allow.clone())))
            .connect_timeout(policy.timeout)
            // Every fetch resolves and checks anew, and no idle sockets to
            // hosts of an outsider's choosing are kept.
            .pool_max_idle_per_host(0)
            .referer(false)
            .user_agent(concat!("portcullis/", env!("CARGO_PKG_VERSION")))
            .build()
            .context("the client metadata document fetcher")?;
        Ok(MetadataDocumentFetcher {
            http,
            allow,
            cache: Mutex::new(Cache::new(policy.cache_capacity)),
            flights: Arc::default(),
            fetches: Arc::new(Semaphore::new(policy.max_concurrent_fetches)),
            limits: Limits {
                timeout: policy.timeout,
                max_bytes: policy.max_bytes,
                min_cache: policy.min_cache,
                max_cache: policy.max_cache,
            },
        })
    }

    /// The client whose client_id is `client_id`, a Client Identifier URL:
    /// from the cache while it is fresh, else fetched, and checked either way
    /// under `policy`. Failures are `invalid_client` (draft §5.1: the
    /// authorization request stops), or `temporarily_unavailable` when too
    /// many fetches are under way.
    pub async fn client(
        &self,
        client_id: &str,
        policy: &RegistrationPolicy<'_>,
    ) -> Result<Client, OAuthError> {
        let url = client_id_url(client_id).map_err(|why| {
            OAuthError::invalid_client(format!(
                "client_id {client_id} is not a client identifier URL: {why}"
            ))
        })?;
        if let Some(body) = lock(&self.cache).get(client_id, Instant::now()) {
            let client = client_from_document(client_id, &body, policy);
            if client.is_err() {
                lock(&self.cache).remove(client_id);
            }
            return client;
        }
        self.allow
            .check_url(&url)
            .map_err(|why| unfetchable(client_id, why))?;
        let fetched = self.flight(url)?.await?;
        let client = client_from_document(client_id, &fetched.body, policy)?;
        // §5.2: only valid documents are cached.
        if let Some(lifetime) = fetched.lifetime {
            let now = Instant::now();
            lock(&self.cache).insert(client_id, fetched.body, now + lifetime, now);
        }
        Ok(client)
    }

    /// The fetch of `url` under way, or a new one. It runs as its own task,
    /// so it ends (within the timeout) and leaves `flights` even when every
    /// request waiting for it has gone.
    fn flight(&self, url: Url) -> Result<Flight, OAuthError> {
        let key = url.as_str().to_owned();
        let mut flights = lock(&self.flights);
        if let Some(flight) = flights.get(&key) {
            return Ok(flight.clone());
        }
        let permit = self.fetches.clone().try_acquire_owned().map_err(|_| {
            OAuthError::unavailable(
                "too many client metadata documents are being fetched; try again",
            )
        })?;
        let (http, limits, all) = (self.http.clone(), self.limits, self.flights.clone());
        let task_key = key.clone();
        let task = tokio::spawn(async move {
            let fetched = tokio::time::timeout(limits.timeout, fetch(&http, &url, limits))
                .await
                .unwrap_or_else(|_| {
                    Err(format!(
                        "it did not answer within {} s",
                        limits.timeout.as_secs_f32()
                    ))
                })
                .map_err(|why| unfetchable(url.as_str(), why));
            drop(permit);
            // Inserted under the lock this task waited for, so it is ours.
            lock(&all).remove(&task_key);
            fetched
        });
        let flight = async move {
            task.await
                .unwrap_or_else(|_| Err(OAuthError::new(ErrorCode::ServerError, "internal error")))
        }
        .boxed()
        .shared();
        flights.insert(key, flight.clone());
        Ok(flight)
    }
}

/// One GET of a document, with the transport rules of draft §4, §5, §8.7.
async fn fetch(http: &reqwest::Client, url: &Url, limits: Limits) -> Result<Fetched, String> {
    let mut response = http
        .get(url.clone())
        .header(ACCEPT, "application/json")
        .send()
        .await
        .map_err(|e| describe(&e))?;
    let status = response.status();
    if status.is_redirection() {
        return Err(format!(
            "it answered with a redirect ({status}), which is not followed: \
             the document must be served at its URL"
        ));
    }
    if status != StatusCode::OK {
        return Err(format!("it answered with HTTP status {status}, not 200"));
    }
    let media_type = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .map(|value| value.trim().to_ascii_lowercase());
    match media_type {
        Some(m)
            if m == "application/json"
                || (m.starts_with("application/") && m.ends_with("+json")) => {}
        Some(m) => return Err(format!("its content type is {m}, not application/json")),
        None => return Err("it has no content type; it must be application/json".to_owned()),
    }
    let too_large = || format!("it is larger than {}", size(limits.max_bytes));
    if response
        .content_length()
        .is_some_and(|n| n > limits.max_bytes as u64)
    {
        return Err(too_large());
    }
    let lifetime = cache::lifetime(response.headers(), limits.min_cache, limits.max_cache);
    // Counted as it arrives: neither Content-Length nor its absence is
    // trusted, and reading stops at the limit.
    let mut body = BytesMut::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| describe(&e))? {
        if body.len() + chunk.len() > limits.max_bytes {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Fetched {
        body: body.freeze(),
        lifetime,
    })
}

fn size(bytes: usize) -> String {
    if bytes.is_multiple_of(1024) {
        format!("{} KiB", bytes / 1024)
    } else {
        format!("{bytes} bytes")
    }
}

/// Why a request failed, without reqwest's own line (which repeats the URL):
/// the resolver's refusal as it is, else the chain of causes.
fn describe(error: &reqwest::Error) -> String {
    if error.is_timeout() {
        return "it did not answer in time".to_owned();
    }
    let mut causes: Vec<String> = Vec::new();
    let mut source = error.source();
    while let Some(cause) = source {
        if let Some(refused) = cause.downcast_ref::<Refused>() {
            return refused.to_string();
        }
        let text = cause.to_string();
        if !causes.iter().any(|c| c.contains(&text)) {
            causes.push(text);
        }
        source = cause.source();
    }
    if causes.is_empty() {
        error.to_string()
    } else {
        causes.join(": ")
    }
}

/// rustls on aws-lc-rs with the Mozilla roots and the operator's own.
fn tls_config(extra_roots: &[String]) -> anyhow::Result<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    for (n, pem) in extra_roots.iter().enumerate() {
        let n = n + 1;
        let mut found = false;
        for certificate in CertificateDer::pem_slice_iter(pem.as_bytes()) {
            let certificate =
                certificate.with_context(|| format!("root certificate {n} is not valid PEM"))?;
            roots
                .add(certificate)
                .with_context(|| format!("root certificate {n} cannot be a trust anchor"))?;
            found = true;
        }
        if !found {
            bail!("root certificate {n} holds no PEM CERTIFICATE block");
        }
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_certificate_that_is_not_pem_is_a_configuration_error() {
        let policy = FetchPolicy {
            extra_root_certificates: vec!["not a certificate".into()],
            ..FetchPolicy::default()
        };
        assert!(MetadataDocumentFetcher::new(policy).is_err());
    }

    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(size(5 * 1024), "5 KiB");
        assert_eq!(size(1000), "1000 bytes");
    }
}
