//! Where the fetcher may connect (draft §8.6): nowhere special-use
//! (RFC 6890), except what the operator allowed.

use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::str::FromStr;
use std::sync::Arc;
use url::{Host, Url};

/// IPv4 ranges that are not the public internet (IANA IPv4 Special-Purpose
/// Address Registry; RFC 6890 §2.2.2).
const SPECIAL_V4: [Ipv4Net; 15] = [
    v4(0, 0, 0, 0, 8),       // "this network" (RFC 791)
    v4(10, 0, 0, 0, 8),      // private (RFC 1918)
    v4(100, 64, 0, 0, 10),   // shared address space, carrier NAT (RFC 6598)
    v4(127, 0, 0, 0, 8),     // loopback
    v4(169, 254, 0, 0, 16),  // link-local, cloud metadata services (RFC 3927)
    v4(172, 16, 0, 0, 12),   // private (RFC 1918)
    v4(192, 0, 0, 0, 24),    // IETF protocol assignments (RFC 6890)
    v4(192, 0, 2, 0, 24),    // documentation, TEST-NET-1 (RFC 5737)
    v4(192, 88, 99, 0, 24),  // 6to4 relay anycast (RFC 7526)
    v4(192, 168, 0, 0, 16),  // private (RFC 1918)
    v4(198, 18, 0, 0, 15),   // benchmarking (RFC 2544)
    v4(198, 51, 100, 0, 24), // documentation, TEST-NET-2 (RFC 5737)
    v4(203, 0, 113, 0, 24),  // documentation, TEST-NET-3 (RFC 5737)
    v4(224, 0, 0, 0, 4),     // multicast (RFC 5771)
    v4(240, 0, 0, 0, 4),     // reserved, and the broadcast address (RFC 1112)
];

/// IPv6 ranges that are not the public internet (IANA IPv6 Special-Purpose
/// Address Registry; RFC 6890 §2.2.3). IPv4-mapped and NAT64 addresses are
/// judged by the IPv4 address inside them instead ([`embedded_v4`]).
const SPECIAL_V6: [Ipv6Net; 12] = [
    v6([0, 0, 0, 0, 0, 0, 0, 0], 96), // ::, ::1, IPv4-compatible (RFC 4291)
    v6([0x64, 0xff9b, 1, 0, 0, 0, 0, 0], 48), // local-use NAT64 (RFC 8215)
    v6([0x100, 0, 0, 0, 0, 0, 0, 0], 64), // discard-only (RFC 6666)
    v6([0x2001, 0, 0, 0, 0, 0, 0, 0], 23), // IETF protocol assignments, Teredo
    v6([0x2001, 0xdb8, 0, 0, 0, 0, 0, 0], 32), // documentation (RFC 3849)
    v6([0x2002, 0, 0, 0, 0, 0, 0, 0], 16), // 6to4 (RFC 3056)
    v6([0x3fff, 0, 0, 0, 0, 0, 0, 0], 20), // documentation (RFC 9637)
    v6([0x5f00, 0, 0, 0, 0, 0, 0, 0], 16), // segment routing (RFC 9602)
    v6([0xfc00, 0, 0, 0, 0, 0, 0, 0], 7), // unique local (RFC 4193)
    v6([0xfe80, 0, 0, 0, 0, 0, 0, 0], 10), // link-local
    v6([0xfec0, 0, 0, 0, 0, 0, 0, 0], 10), // site-local (RFC 3879)
    v6([0xff00, 0, 0, 0, 0, 0, 0, 0], 8), // multicast
];

const fn v4(a: u8, b: u8, c: u8, d: u8, prefix: u8) -> Ipv4Net {
    Ipv4Net::new_assert(Ipv4Addr::new(a, b, c, d), prefix)
}

const fn v6(s: [u16; 8], prefix: u8) -> Ipv6Net {
    let ip = Ipv6Addr::new(s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7]);
    Ipv6Net::new_assert(ip, prefix)
}

/// The IPv4 address an IPv6 address stands for: IPv4-mapped (RFC 4291
/// §2.5.5.2), which the kernel connects to over IPv4, and the well-known
/// NAT64 prefix (RFC 6052), which a translator connects to.
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let nat64 = v6([0x64, 0xff9b, 0, 0, 0, 0, 0, 0], 96);
    if let Some(v4) = ip.to_ipv4_mapped() {
        return Some(v4);
    }
    nat64.contains(&ip).then(|| {
        let [.., a, b, c, d] = ip.octets();
        Ipv4Addr::new(a, b, c, d)
    })
}

/// Whether an address is special-use: loopback, private, link-local,
/// unspecified, multicast, broadcast, documentation, benchmarking, shared,
/// or an IPv6 form of one of those.
pub(super) fn is_special_use(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(ip) => SPECIAL_V4.iter().any(|net| net.contains(&ip)),
        IpAddr::V6(ip) => match embedded_v4(ip) {
            Some(v4) => is_special_use(IpAddr::V4(v4)),
            None => SPECIAL_V6.iter().any(|net| net.contains(&ip)),
        },
    }
}

/// One entry of the operator's allow-list (`--metadata-document-allow`): a
/// host name, whatever it resolves to, or an address or network whose
/// addresses may be fetched from though special-use. `localhost` names are
/// refused by name before any lookup, so they need a host entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AllowEntry {
    Host(String),
    Network(IpNet),
}

impl FromStr for AllowEntry {
    type Err = String;

    /// `10.1.2.0/24`, `fd00::/8`, `127.0.0.1`, `::1`, `[::1]` or
    /// `docs.internal`.
    fn from_str(entry: &str) -> Result<Self, String> {
        let entry = entry.trim();
        if let Ok(net) = entry.parse::<IpNet>() {
            return Ok(AllowEntry::Network(net.trunc()));
        }
        if let Ok(ip) = entry.parse::<IpAddr>() {
            return Ok(AllowEntry::Network(ip.into()));
        }
        match Host::parse(entry) {
            Ok(Host::Domain(name)) if !name.is_empty() => Ok(AllowEntry::Host(
                name.trim_end_matches('.').to_ascii_lowercase(),
            )),
            Ok(Host::Ipv4(ip)) => Ok(AllowEntry::Network(IpAddr::V4(ip).into())),
            Ok(Host::Ipv6(ip)) => Ok(AllowEntry::Network(IpAddr::V6(ip).into())),
            _ => Err(format!(
                "{entry} is neither a host name, an IP address nor a network (10.0.0.0/8)"
            )),
        }
    }
}

/// The operator's exceptions to the special-use rule.
#[derive(Debug, Default)]
pub(super) struct AllowList(Vec<AllowEntry>);

impl AllowList {
    pub(super) fn new(entries: Vec<AllowEntry>) -> Self {
        AllowList(entries)
    }

    fn allows_host(&self, host: &str) -> bool {
        let host = host.trim_end_matches('.');
        self.0
            .iter()
            .any(|entry| matches!(entry, AllowEntry::Host(h) if h.eq_ignore_ascii_case(host)))
    }

    fn allows_address(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|entry| match entry {
            AllowEntry::Network(net) => net.contains(&ip) || net.contains(&ip.to_canonical()),
            AllowEntry::Host(_) => false,
        })
    }

    /// Whether `host` may be connected to at `ip`.
    fn allows(&self, host: &str, ip: IpAddr) -> bool {
        !is_special_use(ip) || self.allows_host(host) || self.allows_address(ip)
    }

    /// The checks that must happen before connecting: an IP literal never
    /// reaches the resolver, and `localhost` names (RFC 6761 §6.3) are
    /// loopback by definition.
    pub(super) fn check_url(&self, url: &Url) -> Result<(), String> {
        match url.host() {
            Some(Host::Ipv4(ip)) => self.check_literal(url, IpAddr::V4(ip)),
            Some(Host::Ipv6(ip)) => self.check_literal(url, IpAddr::V6(ip)),
            Some(Host::Domain(name)) => {
                let name = name.trim_end_matches('.').to_ascii_lowercase();
                let local = name == "localhost" || name.ends_with(".localhost");
                if local && !self.allows_host(&name) {
                    return Err(format!(
                        "its host {name} is this machine, which is never fetched from"
                    ));
                }
                Ok(())
            }
            None => Err("it has no host".to_owned()),
        }
    }

    fn check_literal(&self, url: &Url, ip: IpAddr) -> Result<(), String> {
        let host = url.host_str().unwrap_or_default();
        if self.allows(host, ip) {
            Ok(())
        } else {
            let host = host.to_owned();
            Err(Refused {
                host,
                ip,
                literal: true,
            }
            .to_string())
        }
    }
}

/// A name or address refused by the special-use rule.
#[derive(Debug)]
pub(super) struct Refused {
    host: String,
    ip: IpAddr,
    /// The host is the address itself, not a name for it.
    literal: bool,
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let Refused { host, ip, literal } = self;
        let is = if *literal {
            format!("its host {host} is")
        } else {
            format!("its host {host} resolves to {ip},")
        };
        write!(
            f,
            "{is} a special-use address (loopback, private, link-local or reserved) \
             which this server does not fetch from"
        )
    }
}

impl std::error::Error for Refused {}

/// The fetcher's resolver: the system's (through tokio), refusing a name
/// when any of its addresses is special-use and not allowed. Refusing the
/// whole name rather than filtering keeps a half-internal name from
/// reaching the outside address only some of the time.
pub(super) struct GuardedResolver(pub(super) Arc<AllowList>);

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow = self.0.clone();
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if let Some(refused) = addrs.iter().find(|a| !allow.allows(&host, a.ip())) {
                let ip = refused.ip();
                let refused = Refused {
                    host,
                    ip,
                    literal: false,
                };
                return Err(Box::new(refused) as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn special(ip: &str) -> bool {
        is_special_use(ip.parse().unwrap())
    }

    #[test]
    fn internal_addresses_are_special_use() {
        for ip in [
            "127.0.0.1",
            "127.255.0.9",
            "10.0.0.1",
            "172.16.5.4",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "192.0.2.7",
            "198.18.0.1",
            "::",
            "::1",
            "fe80::1",
            "fd00::1",
            "fc00::1",
            "ff02::1",
            "2001:db8::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::ffff:169.254.169.254",
            "64:ff9b::a9fe:a9fe",
            "::127.0.0.1",
            "2002:7f00:1::",
        ] {
            assert!(special(ip), "{ip}");
        }
    }

    #[test]
    fn public_addresses_are_not_special_use() {
        for ip in [
            "93.184.215.14",
            "8.8.8.8",
            "1.1.1.1",
            "172.32.0.1",
            "100.128.0.1",
            "2606:4700::1111",
            "2a00:1450:4001::200e",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
        ] {
            assert!(!special(ip), "{ip}");
        }
    }

    #[test]
    fn allow_entries_are_hosts_addresses_or_networks() {
        let parse = |s: &str| s.parse::<AllowEntry>().unwrap();
        assert_eq!(
            parse("127.0.0.1"),
            AllowEntry::Network("127.0.0.1/32".parse().unwrap())
        );
        assert_eq!(parse("::1"), parse("[::1]"));
        assert_eq!(
            parse("[::1]"),
            AllowEntry::Network("::1/128".parse().unwrap())
        );
        assert_eq!(
            parse("10.1.2.3/24"),
            AllowEntry::Network("10.1.2.0/24".parse().unwrap())
        );
        assert_eq!(
            parse("Docs.Internal."),
            AllowEntry::Host("docs.internal".into())
        );
        assert!("10.0.0.0/33".parse::<AllowEntry>().is_err());
        assert!("".parse::<AllowEntry>().is_err());
    }

    #[test]
    fn the_allow_list_admits_its_networks_and_hosts_only() {
        let allow = AllowList::new(vec![
            "10.1.0.0/16".parse().unwrap(),
            "127.0.0.1".parse().unwrap(),
            "docs.internal".parse().unwrap(),
        ]);
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert!(allow.allows("x.example", ip("10.1.2.3")));
        assert!(allow.allows("x.example", ip("::ffff:127.0.0.1")));
        assert!(!allow.allows("x.example", ip("10.2.0.1")));
        assert!(allow.allows("DOCS.internal", ip("192.168.0.1")));
        assert!(allow.allows("x.example", ip("8.8.8.8")));
    }

    #[test]
    fn literals_and_localhost_are_refused_before_connecting() {
        let allow = AllowList::default();
        for url in [
            "https://127.0.0.1/c",
            "https://[::1]/c",
            "https://10.0.0.1/c",
            "https://169.254.169.254/latest",
            "https://[::ffff:7f00:1]/c",
            "https://2130706433/c",
            "https://localhost/c",
            "https://api.localhost./c",
        ] {
            let url = Url::parse(url).unwrap();
            assert!(allow.check_url(&url).is_err(), "{url}");
        }
        assert!(allow
            .check_url(&Url::parse("https://8.8.8.8/c").unwrap())
            .is_ok());
        assert!(allow
            .check_url(&Url::parse("https://app.example/c").unwrap())
            .is_ok());
    }

    #[tokio::test]
    async fn the_resolver_refuses_names_of_special_use_addresses() {
        let resolve = |allow: Vec<AllowEntry>| {
            let resolver = GuardedResolver(Arc::new(AllowList::new(allow)));
            resolver.resolve("localhost".parse().unwrap())
        };
        let error = resolve(Vec::new()).await.err().unwrap();
        assert!(error.downcast_ref::<Refused>().is_some(), "{error}");
        let allowed = vec!["127.0.0.0/8".parse().unwrap(), "::1".parse().unwrap()];
        let addrs: Vec<SocketAddr> = resolve(allowed).await.unwrap().collect();
        assert!(addrs.iter().all(|a| a.ip().is_loopback()) && !addrs.is_empty());
    }
}
