//! Brute-force limits (SPEC §7): failed logins, password grants and client
//! authentications are counted per username, per client id and per client
//! address in the store, so every node sees the same counts. Once a key
//! reaches the limit within its window, further attempts on it are refused
//! (429 with Retry-After) before any credential is checked, so a correct
//! guess cannot get through either. Keys are independent: a success, or a
//! lock-out, on one user or address never delays anyone else.

use crate::store::{SharedStore, StoreResult};
use std::net::IpAddr;

#[derive(Debug, Clone, Copy)]
pub struct LimitSettings {
    /// Failures allowed per username or client id and window; 0 turns all
    /// limits off.
    pub max_failures: u32,
    /// Failures allowed per client address and window: higher, since many
    /// honest users can share one address.
    pub max_address_failures: u32,
    /// Window length in seconds.
    pub window: i64,
}

/// What an attempt is counted against.
#[derive(Debug, Clone, Default)]
pub struct Subjects {
    address: Option<String>,
    client: Option<String>,
    username: Option<String>,
}

/// Which credential was wrong: a failure counts against the address and
/// the account it guessed at, not against the other party of the request
/// (a wrong password must not lock out the client app everyone uses).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    ClientSecret,
    Password,
}

impl Subjects {
    pub fn address(address: Option<IpAddr>) -> Self {
        Subjects {
            address: address.map(|a| format!("addr:{}", address_prefix(a))),
            ..Subjects::default()
        }
    }

    pub fn with_username(mut self, username: Option<&str>) -> Self {
        self.username = username.map(|name| format!("user:{name}"));
        self
    }

    pub fn with_client(mut self, client_id: Option<&str>) -> Self {
        self.client = client_id.map(|id| format!("client:{id}"));
        self
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

/// The attempt is refused; retry after this many seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Throttled {
    pub retry_after: u64,
}

#[derive(Clone)]
pub struct Limiter {
    store: SharedStore,
    settings: LimitSettings,
}

impl Limiter {
    pub fn new(store: SharedStore, settings: LimitSettings) -> Self {
        Limiter { store, settings }
    }

    fn enabled(&self) -> bool {
        self.settings.max_failures > 0
    }

    /// Refuses the attempt if any of its subjects is over its limit.
    pub async fn check(&self, subjects: &Subjects) -> StoreResult<Result<(), Throttled>> {
        if !self.enabled() {
            return Ok(Ok(()));
        }
        let now = crate::time::now();
        let account_limit = i64::from(self.settings.max_failures);
        let address_limit = i64::from(self.settings.max_address_failures);
        let limited = [
            (&subjects.address, address_limit),
            (&subjects.client, account_limit),
            (&subjects.username, account_limit),
        ];
        let keys: Vec<String> = limited.iter().filter_map(|(k, _)| (*k).clone()).collect();
        if keys.is_empty() {
            return Ok(Ok(()));
        }
        let counted = self
            .store
            .failures(&keys, now, self.settings.window)
            .await?;
        for (key, failures) in counted {
            let limit = limited
                .iter()
                .find(|(k, _)| k.as_deref() == Some(key.as_str()))
                .map_or(account_limit, |(_, limit)| *limit);
            if failures.count >= limit {
                let retry_after =
                    (failures.window_start + self.settings.window - now).max(1) as u64;
                return Ok(Err(Throttled { retry_after }));
            }
        }
        Ok(Ok(()))
    }

    pub async fn record_failure(&self, subjects: &Subjects, failure: Failure) -> StoreResult<()> {
        if !self.enabled() {
            return Ok(());
        }
        let account = match failure {
            Failure::ClientSecret => &subjects.client,
            Failure::Password => &subjects.username,
        };
        let keys: Vec<String> = [&subjects.address, account]
            .into_iter()
            .flatten()
            .cloned()
            .collect();
        if keys.is_empty() {
            return Ok(());
        }
        self.store
            .add_failure(&keys, crate::time::now(), self.settings.window)
            .await
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
        let v4: IpAddr = "192.0.2.7".parse().unwrap();
        assert_eq!(address_prefix(v4), v4);
    }
}
