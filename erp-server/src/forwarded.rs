//! The client's address behind reverse proxies.
//!
//! Each proxy appends the address it received the request from to `X-Forwarded-For`, so only the
//! entries added by proxies we run can be believed: everything to their left was written by the
//! client. The trusted part is therefore counted from the right, as nginx's `real_ip_recursive`,
//! Werkzeug's `ProxyFix` and Express's `trust proxy` do.

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;

use axum::http::HeaderMap;
use ipnet::IpNet;

/// Which proxies in front of the server are trusted to report the client's address
/// (`ERP_TRUSTED_PROXIES`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TrustedProxies {
    /// Exactly this many proxies, each appending to `X-Forwarded-For`: the client is the
    /// `n`-th entry from the right.
    Hops(usize),
    /// Proxies at these networks: from the right, entries inside them are skipped and the first
    /// one outside is the client. The header is read only when the peer itself is one of them.
    Networks(Vec<IpNet>),
}

impl FromStr for TrustedProxies {
    type Err = String;

    fn from_str(text: &str) -> Result<TrustedProxies, String> {
        let text = text.trim();
        if let Ok(hops) = text.parse::<usize>() {
            return Ok(TrustedProxies::Hops(hops));
        }
        let networks = text
            .split(',')
            .map(str::trim)
            .filter(|part| !part.is_empty())
            .map(|part| {
                part.parse::<IpNet>()
                    .or_else(|_| part.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| {
                        format!("`{part}` is neither a hop count nor an address or network (CIDR)")
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        if networks.is_empty() {
            return Err("give a hop count or a comma-separated list of proxy networks".into());
        }
        Ok(TrustedProxies::Networks(networks))
    }
}

impl fmt::Display for TrustedProxies {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrustedProxies::Hops(n) => write!(f, "{n}"),
            TrustedProxies::Networks(networks) => {
                let list: Vec<String> = networks.iter().map(ToString::to_string).collect();
                f.write_str(&list.join(","))
            }
        }
    }
}

/// One `X-Forwarded-For` entry as an address; some proxies add the port.
fn entry_ip(entry: &str) -> Option<IpAddr> {
    let entry = entry.trim();
    entry
        .parse::<IpAddr>()
        .ok()
        .or_else(|| entry.parse::<SocketAddr>().ok().map(|s| s.ip()))
        .map(|ip| ip.to_canonical())
}

/// Every `X-Forwarded-For` entry, in order, across repeated headers.
fn forwarded_entries(headers: &HeaderMap) -> Vec<&str> {
    headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .collect()
}

/// The client's address: the socket peer, or with trusted proxies the address the outermost
/// trusted proxy received the request from.
pub fn client_ip(
    headers: &HeaderMap,
    peer: Option<SocketAddr>,
    trusted: Option<&TrustedProxies>,
) -> String {
    let peer_ip = peer.map(|addr| addr.ip().to_canonical());
    let found = match trusted {
        None | Some(TrustedProxies::Hops(0)) => None,
        Some(TrustedProxies::Hops(hops)) => {
            let entries = forwarded_entries(headers);
            // Fewer entries than proxies: the chain is not what was configured; believe only the
            // peer rather than an entry a client may have written.
            entries
                .len()
                .checked_sub(*hops)
                .and_then(|index| entries.get(index))
                .and_then(|entry| entry_ip(entry))
        }
        Some(TrustedProxies::Networks(networks)) => {
            let trusted = |ip: &IpAddr| networks.iter().any(|net| net.contains(ip));
            match peer_ip {
                Some(peer_ip) if trusted(&peer_ip) => {
                    let mut client = peer_ip;
                    for entry in forwarded_entries(headers).into_iter().rev() {
                        // A trusted proxy appended what it saw, so a malformed entry was written
                        // by someone else: stop at the last address a proxy vouched for.
                        let Some(ip) = entry_ip(entry) else { break };
                        client = ip;
                        if !trusted(&ip) {
                            break;
                        }
                    }
                    Some(client)
                }
                _ => None,
            }
        }
    };
    found
        .or(peer_ip)
        .map_or_else(|| "unknown".to_string(), |ip| ip.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append("x-forwarded-for", value.parse().unwrap());
        }
        headers
    }

    fn peer(ip: [u8; 4]) -> Option<SocketAddr> {
        Some(SocketAddr::from((ip, 4242)))
    }

    #[test]
    fn without_trusted_proxies_the_peer_is_the_client() {
        let h = headers(&["203.0.113.9"]);
        assert_eq!(client_ip(&h, peer([10, 0, 0, 2]), None), "10.0.0.2");
        let zero = TrustedProxies::Hops(0);
        assert_eq!(client_ip(&h, peer([10, 0, 0, 2]), Some(&zero)), "10.0.0.2");
    }

    #[test]
    fn hops_are_counted_from_the_right_so_a_spoofed_left_entry_is_ignored() {
        // The client sent "1.2.3.4"; the one proxy appended the address it really saw.
        let h = headers(&["1.2.3.4, 198.51.100.7"]);
        let one = TrustedProxies::Hops(1);
        assert_eq!(
            client_ip(&h, peer([10, 0, 0, 2]), Some(&one)),
            "198.51.100.7"
        );
        // Two proxies: the outer one appended the client, the inner one the outer proxy.
        let h = headers(&["1.2.3.4, 198.51.100.7", "10.0.0.5"]);
        let two = TrustedProxies::Hops(2);
        assert_eq!(
            client_ip(&h, peer([10, 0, 0, 2]), Some(&two)),
            "198.51.100.7"
        );
        // Fewer entries than hops: only the peer is believed.
        let h = headers(&["198.51.100.7"]);
        assert_eq!(client_ip(&h, peer([10, 0, 0, 2]), Some(&two)), "10.0.0.2");
        // No header at all.
        assert_eq!(
            client_ip(&HeaderMap::new(), peer([10, 0, 0, 2]), Some(&one)),
            "10.0.0.2"
        );
    }

    #[test]
    fn networks_skip_trusted_entries_from_the_right() {
        let trusted: TrustedProxies = "10.0.0.0/8, 192.168.1.7".parse().unwrap();
        let h = headers(&["1.2.3.4, 198.51.100.7, 192.168.1.7, 10.1.2.3"]);
        assert_eq!(
            client_ip(&h, peer([10, 0, 0, 2]), Some(&trusted)),
            "198.51.100.7"
        );
        // A peer outside the trusted networks is the client, whatever it claims.
        assert_eq!(
            client_ip(&h, peer([203, 0, 113, 1]), Some(&trusted)),
            "203.0.113.1"
        );
        // Garbage left of the trusted proxies: the last address a proxy vouched for.
        let h = headers(&["not-an-ip, 10.1.2.3"]);
        assert_eq!(
            client_ip(&h, peer([10, 0, 0, 2]), Some(&trusted)),
            "10.1.2.3"
        );
        // Ports and IPv4-mapped IPv6 are read as plain addresses.
        let h = headers(&["198.51.100.7:5555"]);
        let mapped = Some(SocketAddr::from((
            "::ffff:10.0.0.2".parse::<IpAddr>().unwrap(),
            80,
        )));
        assert_eq!(client_ip(&h, mapped, Some(&trusted)), "198.51.100.7");
    }

    #[test]
    fn the_setting_parses_counts_and_networks_and_refuses_junk() {
        assert_eq!("2".parse(), Ok(TrustedProxies::Hops(2)));
        let networks: TrustedProxies = "10.0.0.0/8,::1".parse().unwrap();
        assert_eq!(networks.to_string(), "10.0.0.0/8,::1/128");
        assert!("proxy.example".parse::<TrustedProxies>().is_err());
        assert!("".parse::<TrustedProxies>().is_err());
    }
}
