//! The harness's HTTP client agents (flows, the `http:` runner, benches): ureq with a resolver that reads
//! IP-literal hosts without a lookup.
//!
//! ureq resolves the host of every request, pooled connection or not, and with a timeout set its default
//! resolver does so on a new thread (so that a slow DNS lookup can be abandoned). The mocks and most
//! endpoints under test are at `127.0.0.1`: a thread per request there cost a tenth of a check's CPU
//! (thread creation and the fresh pages of its stack and heap). Literal addresses need no lookup and no
//! thread; names still go through ureq's own resolver, timeout included.

use std::net::{IpAddr, SocketAddr};

use ureq::config::Config;
use ureq::http::Uri;
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::{DefaultConnector, NextTimeout};

/// Resolves IP-literal hosts in place; everything else as ureq does.
#[derive(Debug, Default)]
struct LiteralFirst {
    names: DefaultResolver,
}

/// The address of `uri` when its host is an IP literal (`127.0.0.1`, `[::1]`) with a port or a scheme's
/// default port.
fn literal_address(uri: &Uri) -> Option<SocketAddr> {
    let host = uri.host()?;
    let ip: IpAddr = host.trim_start_matches('[').trim_end_matches(']').parse().ok()?;
    let port = uri.port_u16().or_else(|| match uri.scheme_str() {
        Some("http") => Some(80),
        Some("https") => Some(443),
        _ => None,
    })?;
    Some(SocketAddr::new(ip, port))
}

impl Resolver for LiteralFirst {
    fn resolve(&self, uri: &Uri, config: &Config, timeout: NextTimeout) -> Result<ResolvedSocketAddrs, ureq::Error> {
        match literal_address(uri) {
            Some(address) => {
                let mut addresses = self.empty();
                addresses.push(address);
                Ok(addresses)
            }
            None => self.names.resolve(uri, config, timeout),
        }
    }
}

/// An agent with `config` that resolves IP-literal hosts without a lookup.
pub fn agent(config: Config) -> ureq::Agent {
    ureq::Agent::with_parts(config, DefaultConnector::default(), LiteralFirst::default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_hosts_are_read_names_are_not() {
        let address = |u: &str| literal_address(&u.parse().unwrap());
        assert_eq!(address("http://127.0.0.1:8080/x"), Some("127.0.0.1:8080".parse().unwrap()));
        assert_eq!(address("http://[::1]:9/x"), Some("[::1]:9".parse().unwrap()));
        assert_eq!(address("http://127.0.0.1/x"), Some("127.0.0.1:80".parse().unwrap()));
        assert_eq!(address("https://10.0.0.1/"), Some("10.0.0.1:443".parse().unwrap()));
        assert_eq!(address("http://localhost:8080/"), None);
        assert_eq!(address("http://example.com/"), None);
    }
}
