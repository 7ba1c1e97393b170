//! Prometheus metrics for the admin listener's `/metrics` (README,
//! "Metrics"), with the `prometheus` crate: a registry per server (tests run
//! many servers in one process), no global recorder, and nothing at all
//! when `--metrics false` ([`Metrics::disabled`] makes every call a no-op).
//!
//! Labels are bounded sets: routes are the router's patterns, never raw
//! paths; grant types and counters are enums; no client id, username or
//! address is ever a label.

use crate::oauth::vocabulary::GrantType;
use prometheus::core::{Collector, Desc};
use prometheus::proto::MetricFamily;
use prometheus::{
    exponential_buckets, histogram_opts, opts, Encoder, HistogramVec, IntCounterVec, IntGaugeVec,
    Registry, TextEncoder,
};
use std::sync::Arc;

/// The server's metrics; cheap to clone.
#[derive(Clone, Default)]
pub struct Metrics(Option<Arc<Families>>);

struct Families {
    registry: Registry,
    requests: HistogramVec,
    tokens: IntCounterVec,
    auth_failures: IntCounterVec,
    lockouts: IntCounterVec,
    purged: IntCounterVec,
    purge_failures: IntCounterVec,
}

/// What a brute-force counter counts (see [`crate::limits::Counter`]).
pub type CounterKind = &'static str;

impl Metrics {
    /// Metrics off: every recording call does nothing.
    pub fn disabled() -> Self {
        Metrics(None)
    }

    pub fn new() -> Self {
        let registry = Registry::new();
        let families = Families {
            requests: HistogramVec::new(
                histogram_opts!(
                    "portcullis_http_request_duration_seconds",
                    "Requests by listener, route pattern, method and status, with their \
                     latency; the _count series counts requests",
                    exponential_buckets(0.0002, 2.5, 12).unwrap_or_default()
                ),
                &["listener", "route", "method", "status"],
            )
            .expect("a valid metric"),
            tokens: IntCounterVec::new(
                opts!(
                    "portcullis_tokens_issued_total",
                    "Access tokens issued, by grant type"
                ),
                &["grant_type"],
            )
            .expect("a valid metric"),
            auth_failures: IntCounterVec::new(
                opts!(
                    "portcullis_authentication_failures_total",
                    "Failed authentications, by what was counted: a user's password \
                     (username), a chosen client secret (client), a generated client \
                     secret or unknown client (client_address)"
                ),
                &["counter"],
            )
            .expect("a valid metric"),
            lockouts: IntCounterVec::new(
                opts!(
                    "portcullis_lockouts_total",
                    "Brute-force counters that reached their limit, by kind"
                ),
                &["counter"],
            )
            .expect("a valid metric"),
            purged: IntCounterVec::new(
                opts!(
                    "portcullis_purged_rows_total",
                    "Rows the periodic purge deleted: expired tokens, codes, sessions \
                     and counters (expired), audit events past retention (audit)"
                ),
                &["what"],
            )
            .expect("a valid metric"),
            purge_failures: IntCounterVec::new(
                opts!("portcullis_purge_failures_total", "Purges that failed"),
                &["what"],
            )
            .expect("a valid metric"),
            registry,
        };
        let metrics = Metrics(Some(Arc::new(families)));
        if let Some(families) = &metrics.0 {
            for family in [
                Box::new(families.requests.clone()) as Box<dyn Collector>,
                Box::new(families.tokens.clone()),
                Box::new(families.auth_failures.clone()),
                Box::new(families.lockouts.clone()),
                Box::new(families.purged.clone()),
                Box::new(families.purge_failures.clone()),
            ] {
                metrics.register(family);
            }
        }
        metrics.register(Box::new(Sampled::new(
            "portcullis_argon2_queue_depth",
            "Argon2id jobs waiting for a hashing thread",
            &[],
            |gauges| {
                gauges
                    .with_label_values::<&str>(&[])
                    .set(crate::crypto::hashing_queue_depth() as i64)
            },
        )));
        metrics
    }

    pub fn enabled(&self) -> bool {
        self.0.is_some()
    }

    /// Adds a collector (the store's) to the registry.
    pub fn register(&self, collector: Box<dyn Collector>) {
        if let Some(families) = &self.0 {
            if let Err(error) = families.registry.register(collector) {
                tracing::error!(%error, "a metric could not be registered");
            }
        }
    }

    /// One request on `listener` ("public" or "admin") matched `route`.
    pub fn request(&self, listener: &str, route: &str, method: &str, status: u16, seconds: f64) {
        if let Some(families) = &self.0 {
            families
                .requests
                .with_label_values(&[listener, route, method, status_label(status)])
                .observe(seconds);
        }
    }

    pub fn token_issued(&self, grant_type: GrantType) {
        if let Some(families) = &self.0 {
            families
                .tokens
                .with_label_values(&[grant_type.as_str()])
                .inc();
        }
    }

    pub fn authentication_failed(&self, counter: CounterKind) {
        if let Some(families) = &self.0 {
            families.auth_failures.with_label_values(&[counter]).inc();
        }
    }

    pub fn locked_out(&self, counter: CounterKind) {
        if let Some(families) = &self.0 {
            families.lockouts.with_label_values(&[counter]).inc();
        }
    }

    /// A purge of `what` deleted `rows`, or failed.
    pub fn purged(&self, what: &'static str, rows: Option<u64>) {
        if let Some(families) = &self.0 {
            match rows {
                Some(rows) => families.purged.with_label_values(&[what]).inc_by(rows),
                None => families.purge_failures.with_label_values(&[what]).inc(),
            }
        }
    }

    /// Everything in the Prometheus text format; `None` when metrics are off.
    pub fn render(&self) -> Option<String> {
        let families = self.0.as_ref()?;
        let mut text = Vec::new();
        if let Err(error) = TextEncoder::new().encode(&families.registry.gather(), &mut text) {
            tracing::error!(%error, "metrics could not be encoded");
        }
        Some(String::from_utf8_lossy(&text).into_owned())
    }
}

/// The status as a label: one of a bounded set whatever a handler answers.
fn status_label(status: u16) -> &'static str {
    const KNOWN: [(u16, &str); 16] = [
        (200, "200"),
        (201, "201"),
        (204, "204"),
        (302, "302"),
        (303, "303"),
        (400, "400"),
        (401, "401"),
        (403, "403"),
        (404, "404"),
        (405, "405"),
        (408, "408"),
        (409, "409"),
        (413, "413"),
        (429, "429"),
        (500, "500"),
        (503, "503"),
    ];
    match KNOWN.iter().find(|(code, _)| *code == status) {
        Some((_, label)) => label,
        None => match status {
            100..=199 => "1xx",
            200..=299 => "2xx",
            300..=399 => "3xx",
            400..=499 => "4xx",
            _ => "5xx",
        },
    }
}

/// Gauges read when scraped (pool sizes, queue depths): nothing is paid
/// between scrapes.
pub struct Sampled {
    gauges: IntGaugeVec,
    sample: Box<dyn Fn(&IntGaugeVec) + Send + Sync>,
}

impl Sampled {
    pub fn new(
        name: &str,
        help: &str,
        labels: &[&str],
        sample: impl Fn(&IntGaugeVec) + Send + Sync + 'static,
    ) -> Self {
        Sampled {
            gauges: IntGaugeVec::new(opts!(name, help), labels).expect("a valid metric"),
            sample: Box::new(sample),
        }
    }
}

impl Collector for Sampled {
    fn desc(&self) -> Vec<&Desc> {
        self.gauges.desc()
    }

    fn collect(&self) -> Vec<MetricFamily> {
        (self.sample)(&self.gauges);
        self.gauges.collect()
    }
}

/// The database pool's gauge, as both engines report it.
pub fn pool_gauge(sample: impl Fn() -> PoolUsage + Send + Sync + 'static) -> Box<dyn Collector> {
    Box::new(Sampled::new(
        "portcullis_db_pool",
        "Database connections idle, in use and allowed (max), and requests waiting \
         for one (PostgreSQL; SQLite's are its read connections)",
        &["state"],
        move |gauges| {
            let usage = sample();
            for (state, value) in [
                ("idle", usage.idle),
                ("in_use", usage.in_use),
                ("max", usage.max),
                ("waiting", usage.waiting),
            ] {
                gauges.with_label_values(&[state]).set(value as i64);
            }
        },
    ))
}

#[derive(Debug, Clone, Copy, Default)]
pub struct PoolUsage {
    pub idle: usize,
    pub in_use: usize,
    pub max: usize,
    pub waiting: usize,
}

/// How old each algorithm's signing key is: an operator alerts when it
/// outlives the rotation period (rotation stuck) or when none signs.
pub fn signing_key_age_gauge(keys: Arc<crate::keys::SigningKeys>) -> Box<dyn Collector> {
    Box::new(Sampled::new(
        "portcullis_signing_key_age_seconds",
        "Age of the key that signs ID tokens and JWT access tokens, by algorithm",
        &["alg"],
        move |gauges| {
            let (ring, now) = (keys.ring(), crate::time::now());
            for alg in crate::keys::SigningAlg::ALL {
                if let Some(created) = ring.signing_key_created_at(alg, now) {
                    gauges.with_label_values(&[alg.as_str()]).set(now - created);
                }
            }
        },
    ))
}
