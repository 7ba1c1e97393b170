//! Brute-force limits (SPEC §7, §8): attempts on a credential are counted
//! in the store, so every node sees the same counts, in fixed windows per
//! counter. Counters are independent: a lock-out of one user, client or
//! address never delays anyone else.
//!
//! How a credential is counted depends on whether it can be guessed:
//! - A human-chosen one (a user's password, a client secret a person chose,
//!   verified with Argon2id) is *reserved* before it is verified: the
//!   counter goes up in one atomic store call, and only an attempt that
//!   stays within the limit is verified, so N concurrent guesses cannot all
//!   slip past a check. A correct credential gives its reservation back.
//!   Identical attempts in flight on one node at once (the same credential
//!   against the same counters: a client under load, not a guesser) share
//!   one reservation and one verification, so honest concurrency is not
//!   mistaken for guessing.
//! - A server-generated secret (256 random bits) cannot be guessed, so a
//!   lock-out would protect nothing and would let anyone stop a production
//!   client. Its failures are counted per (client, address) after the fact,
//!   and the success path pays nothing.
//!
//! One file, although over 400 lines: the reservation, the sharing of
//! identical attempts and the release are one protocol whose steps only
//! make sense read together.

use crate::audit::{Audit, AuditEvent};
use crate::crypto::HashingError;
use crate::metrics::{CounterKind, Metrics};
use crate::oauth::{ErrorCode, OAuthError};
use crate::store::{Failures, SharedStore, StoreResult};
use futures::future::{BoxFuture, FutureExt, Shared, WeakShared};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::future::Future;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};

#[derive(Debug, Clone, Copy)]
pub struct LimitSettings {
    /// Failures allowed per username, client, or client and address,
    /// within a window; 0 turns all limits off.
    pub max_failures: u32,
    /// Failures allowed per client address within a window: higher, since
    /// many honest users can share one address.
    pub max_address_failures: u32,
    /// Window length in seconds.
    pub window: i64,
}

/// One thing attempts are counted against. The stored key is the SHA-256 of
/// what it names, so any username or client id makes a fixed-size key (a
/// long one must not overflow an index row, SPEC §7).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counter {
    key: String,
    per_address: bool,
    /// What it counts, for metrics labels: a fixed word.
    kind: CounterKind,
    /// What it names, for the audit event of a lock-out: a username, a
    /// client id or an address, never a credential.
    named: String,
}

impl Counter {
    /// A counter stored under the SHA-256 of `key`.
    fn named(kind: CounterKind, key: &str, named: String, per_address: bool) -> Self {
        Counter {
            key: hex::encode(crate::crypto::sha256(key.as_bytes())),
            per_address,
            kind,
            named,
        }
    }

    /// Every failure from one client address (IPv6: its /64).
    pub fn address(address: IpAddr) -> Self {
        let address = address_prefix(address);
        Self::named(
            "address",
            &format!("addr:{address}"),
            address.to_string(),
            true,
        )
    }

    /// Failed sign-ins and password grants for a username, from anywhere.
    pub fn username(username: &str) -> Self {
        let key = format!("user:{username}");
        Self::named("username", &key, username.to_owned(), false)
    }

    /// Failed authentications of a client whose secret a person chose.
    pub fn client(client_id: &str) -> Self {
        let key = format!("client:{client_id}");
        Self::named("client", &key, client_id.to_owned(), false)
    }

    /// Failed authentications of a client from one address: the only
    /// counter for server-generated secrets, so that an outsider can lock
    /// out nobody but themselves.
    pub fn client_from(client_id: &str, address: Option<IpAddr>) -> Self {
        let address = address.map(address_prefix);
        let from = address.map_or_else(String::new, |a| a.to_string());
        let key = format!("client-from:{client_id}|{from}");
        Self::named(
            "client_address",
            &key,
            format!("{client_id} from {from}"),
            false,
        )
    }
}

impl Counter {
    /// Registrations from one client address (IPv6: its /64).
    pub fn registrations(address: IpAddr) -> Self {
        let address = address_prefix(address);
        let key = format!("register:{address}");
        Self::named("registrations", &key, address.to_string(), true)
    }

    /// This counter and, when the address is known, the address's: what
    /// every attempt is counted against.
    pub fn and_address(self, address: Option<IpAddr>) -> Vec<Counter> {
        std::iter::once(self)
            .chain(address.map(Counter::address))
            .collect()
    }
}

/// An IPv6 client can use a whole /64, so that is what it is counted as.
fn address_prefix(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V4(_) => address,
        IpAddr::V6(v6) => {
            let mut segments = v6.segments();
            segments[4..].fill(0);
            IpAddr::from(segments)
        }
    }
}

/// What makes two attempts identical: the same counters, the same stored
/// hash and the same presented credential. Hashed, so the map never holds
/// a credential.
fn fingerprint(counters: &[Counter], stored: Option<&str>, presented: &str) -> [u8; 32] {
    let mut hash = Sha256::new();
    for counter in counters {
        hash.update(counter.key.as_bytes());
    }
    hash.update([0]);
    hash.update(stored.unwrap_or_default().as_bytes());
    hash.update([0]);
    hash.update(presented.as_bytes());
    hash.finalize().into()
}

/// Attempts counted before verification; given back when it succeeds.
#[derive(Debug, Default)]
struct Reservation {
    counted: Vec<(String, i64)>,
}

/// The outcome of verifying a credential: right or wrong, or refused.
type Verified = Result<bool, OAuthError>;
type Attempt = Shared<BoxFuture<'static, Verified>>;
/// Attempts being verified on this node, by fingerprint; weak, so that an
/// attempt every caller abandoned does not stay.
type InFlight = HashMap<[u8; 32], WeakShared<BoxFuture<'static, Verified>>>;

/// Past this many entries, finished attempts are swept from the map.
const SWEEP_AT: usize = 1024;

#[derive(Clone)]
pub struct Limiter {
    store: SharedStore,
    settings: LimitSettings,
    /// Attempts on human-chosen credentials being verified on this node,
    /// by fingerprint (see [`Limiter::verify_chosen`]).
    in_flight: Arc<Mutex<InFlight>>,
    audit: Audit,
    metrics: Metrics,
}

impl Limiter {
    pub fn new(
        store: SharedStore,
        settings: LimitSettings,
        audit: Audit,
        metrics: Metrics,
    ) -> Self {
        Limiter {
            store,
            settings,
            in_flight: Arc::default(),
            audit,
            metrics,
        }
    }

    /// Verifies a human-chosen credential under the limits of `counters`:
    /// reserves the attempt, runs `verify` (Argon2 work that compares
    /// `presented` with `stored`), and gives the reservation back if the
    /// credential was right or could not be checked. Concurrent identical
    /// attempts on this node join the first one.
    pub async fn verify_chosen<V>(
        &self,
        counters: Vec<Counter>,
        stored: Option<&str>,
        presented: &str,
        verify: V,
    ) -> Verified
    where
        V: Future<Output = Result<bool, HashingError>> + Send + 'static,
    {
        let fingerprint = fingerprint(&counters, stored, presented);
        let attempt = {
            let mut in_flight = self
                .in_flight
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            match in_flight.get(&fingerprint).and_then(WeakShared::upgrade) {
                Some(attempt) => attempt,
                None => {
                    if in_flight.len() >= SWEEP_AT {
                        in_flight.retain(|_, attempt| attempt.upgrade().is_some());
                    }
                    let attempt: Attempt = self.clone().attempt(counters, verify).boxed().shared();
                    if let Some(weak) = attempt.downgrade() {
                        in_flight.insert(fingerprint, weak);
                    }
                    attempt
                }
            }
        };
        let verified = attempt.await;
        let mut in_flight = self
            .in_flight
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if in_flight
            .get(&fingerprint)
            .is_some_and(|a| a.upgrade().is_none())
        {
            in_flight.remove(&fingerprint);
        }
        verified
    }

    async fn attempt<V>(self, counters: Vec<Counter>, verify: V) -> Verified
    where
        V: Future<Output = Result<bool, HashingError>>,
    {
        let reservation = self.reserve(&counters).await?;
        match verify.await {
            Ok(true) => {
                self.release(reservation).await?;
                Ok(true)
            }
            Ok(false) => {
                self.failed(&counters);
                Ok(false)
            }
            Err(_) => {
                self.release(reservation).await?;
                Err(OAuthError::unavailable("the server is busy, try again"))
            }
        }
    }

    fn enabled(&self) -> bool {
        self.settings.max_failures > 0
    }

    fn limit(&self, counter: &Counter) -> i64 {
        i64::from(if counter.per_address {
            self.settings.max_address_failures
        } else {
            self.settings.max_failures
        })
    }

    /// A failed attempt, counted by the first (the most specific) counter.
    fn failed(&self, counters: &[Counter]) {
        if let Some(counter) = counters.first() {
            self.metrics.authentication_failed(counter.kind);
        }
    }

    /// `counter` reached its limit: the next attempt will be refused. Once
    /// per window, so a locked-out guesser does not flood the audit log.
    fn locked_out(&self, counter: &Counter) {
        self.metrics.locked_out(counter.kind);
        let event = AuditEvent::LockedOut {
            counter: format!("{} {}", counter.kind, counter.named),
        };
        self.audit.record(event, None);
    }

    fn retry_after(&self, failures: &Failures, now: i64) -> u64 {
        (failures.window_start + self.settings.window - now).max(1) as u64
    }

    /// Counts an attempt on a human-chosen credential against `counters`
    /// before it is verified. Refused (429) when any counter is past its
    /// limit, counting this attempt; the caller then verifies nothing.
    async fn reserve(&self, counters: &[Counter]) -> Result<Reservation, OAuthError> {
        if !self.enabled() || counters.is_empty() {
            return Ok(Reservation::default());
        }
        let now = crate::time::now();
        let keys: Vec<String> = counters.iter().map(|c| c.key.clone()).collect();
        let counted = self
            .store
            .count_attempts(&keys, now, self.settings.window)
            .await?;
        for (counter, failures) in counters.iter().zip(&counted) {
            if failures.count > self.limit(counter) {
                if failures.count == self.limit(counter) + 1 {
                    self.locked_out(counter);
                }
                return Err(OAuthError::too_many_attempts(
                    self.retry_after(failures, now),
                ));
            }
        }
        Ok(Reservation {
            counted: keys
                .into_iter()
                .zip(counted.iter().map(|f| f.window_start))
                .collect(),
        })
    }

    /// The credential was right: the reserved attempts are not failures.
    async fn release(&self, reservation: Reservation) -> StoreResult<()> {
        if reservation.counted.is_empty() {
            return Ok(());
        }
        self.store.release_attempts(&reservation.counted).await
    }

    /// Counts one use of something allowed `limit` times per `window`
    /// seconds (`what`: registrations per address), whether it then
    /// succeeds or not; refused with 429 past the limit. A `limit` of 0 is
    /// no limit.
    pub async fn count_use(
        &self,
        counter: Counter,
        limit: u32,
        window: i64,
        what: &str,
    ) -> Result<(), OAuthError> {
        if limit == 0 {
            return Ok(());
        }
        let now = crate::time::now();
        let counted = self
            .store
            .count_attempts(&[counter.key], now, window)
            .await?;
        match counted.first() {
            Some(uses) if uses.count > i64::from(limit) => {
                let retry_after = (uses.window_start + window - now).max(1) as u64;
                Err(OAuthError {
                    retry_after: Some(retry_after),
                    ..OAuthError::new(
                        ErrorCode::TooManyAttempts,
                        format!("too many {what}; retry after {retry_after} s"),
                    )
                })
            }
            _ => Ok(()),
        }
    }

    /// Counts a failed attempt on a credential that cannot be guessed, and
    /// returns the answer for it: `failed` itself, or 429 once a counter is
    /// past its limit (then without counting further, so a flood of wrong
    /// secrets costs reads, not writes).
    pub async fn count_failure(&self, counters: &[Counter], failed: OAuthError) -> OAuthError {
        self.failed(counters);
        if !self.enabled() || counters.is_empty() {
            return failed;
        }
        match self.try_count_failure(counters).await {
            Ok(None) => failed,
            Ok(Some(throttled)) => throttled,
            Err(error) => error.into(),
        }
    }

    async fn try_count_failure(&self, counters: &[Counter]) -> StoreResult<Option<OAuthError>> {
        let now = crate::time::now();
        let keys: Vec<String> = counters.iter().map(|c| c.key.clone()).collect();
        let open = self
            .store
            .failures(&keys, now, self.settings.window)
            .await?;
        for (key, failures) in &open {
            let counter = counters.iter().find(|c| &c.key == key);
            if counter.is_some_and(|c| failures.count >= self.limit(c)) {
                return Ok(Some(OAuthError::too_many_attempts(
                    self.retry_after(failures, now),
                )));
            }
        }
        let counted = self
            .store
            .count_attempts(&keys, now, self.settings.window)
            .await?;
        for (counter, failures) in counters.iter().zip(&counted) {
            if failures.count == self.limit(counter) {
                self.locked_out(counter);
            }
        }
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_addresses_count_per_64_prefix() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::2".parse().unwrap();
        assert_eq!(address_prefix(a), address_prefix(b));
        assert_eq!(Counter::address(a), Counter::address(b));
        let v4: IpAddr = "192.0.2.7".parse().unwrap();
        assert_eq!(address_prefix(v4), v4);
    }

    #[test]
    fn keys_have_a_fixed_size_whatever_they_name() {
        let long = "u".repeat(4096);
        for counter in [
            Counter::username(&long),
            Counter::client(&long),
            Counter::client_from(&long, None),
        ] {
            assert_eq!(counter.key.len(), 64);
        }
        assert_ne!(Counter::username("a"), Counter::client("a"));
    }
}
