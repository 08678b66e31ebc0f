//! `data_visibility: public`: the server GETs the machine's `data_api` (5 s timeout, 1 MiB cap,
//! JSON only, no redirects) and refuses targets in loopback / private / link-local space unless
//! loopback is explicitly allowed (devnet and tests).

use serde_json::Value;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

/// Header carried by every partner-data request. An MCR service that receives it does not fetch
/// partner data again, so a `data_api` pointing back at an MCR profile cannot recurse.
pub(crate) const NESTED_FETCH_HEADER: &str = "x-peaqos-mcr-partner-fetch";

/// Largest accepted body.
pub(crate) const MAX_PARTNER_BYTES: usize = 1024 * 1024;
/// Request timeout.
pub(crate) const PARTNER_TIMEOUT: Duration = Duration::from_secs(5);

/// Fetches partner data.
#[derive(Debug, Clone)]
pub struct PartnerFetcher {
    allow_loopback: bool,
}

/// Whether an address may be contacted: public unicast only. Refused: loopback (unless
/// allowed), private (10/8, 172.16/12, 192.168/16), CGNAT 100.64/10, link-local (169.254/16,
/// fe80::/10, the cloud metadata address), unspecified, broadcast, multicast, documentation,
/// benchmarking 198.18/15, IETF 192.0.0/24, reserved 240/4, 0/8; IPv6 unique-local fc00::/7,
/// site-local fec0::/10, documentation 2001:db8::/32, and every IPv6 form that embeds an IPv4
/// address (IPv4-mapped ::ffff:0:0/96, IPv4-compatible ::/96, NAT64 64:ff9b::/96, 6to4
/// 2002::/16), judged by the embedded address.
pub(crate) fn ip_allowed(ip: IpAddr, allow_loopback: bool) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            if v4.is_loopback() {
                return allow_loopback;
            }
            let [a, b, c, _] = v4.octets();
            !(v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || a == 0
                || (a == 100 && (b & 0xc0) == 64) // CGNAT 100.64/10
                || (a == 198 && (b & 0xfe) == 18) // benchmarking 198.18/15
                || (a == 192 && b == 0 && c == 0) // IETF protocol assignments 192.0.0/24
                || a >= 240) // reserved 240/4
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return ip_allowed(IpAddr::V4(v4), allow_loopback);
            }
            if v6.is_loopback() {
                return allow_loopback;
            }
            let seg = v6.segments();
            let embedded = |hi: u16, lo: u16| {
                let [h0, h1] = hi.to_be_bytes();
                let [l0, l1] = lo.to_be_bytes();
                IpAddr::V4(std::net::Ipv4Addr::new(h0, h1, l0, l1))
            };
            // IPv4-compatible ::a.b.c.d (not :: and ::1, handled as unspecified / loopback)
            if seg[..6] == [0; 6] && !v6.is_unspecified() {
                return ip_allowed(embedded(seg[6], seg[7]), allow_loopback);
            }
            // NAT64 64:ff9b::a.b.c.d
            if seg[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
                return ip_allowed(embedded(seg[6], seg[7]), false);
            }
            // 6to4 2002:aabb:ccdd::/48
            if seg[0] == 0x2002 {
                return ip_allowed(embedded(seg[1], seg[2]), false);
            }
            !(v6.is_unspecified()
                || v6.is_multicast()
                || (seg[0] & 0xfe00) == 0xfc00 // unique local fc00::/7
                || (seg[0] & 0xffc0) == 0xfe80 // link-local fe80::/10
                || (seg[0] & 0xffc0) == 0xfec0 // site-local fec0::/10
                || (seg[0] == 0x2001 && seg[1] == 0x0db8)) // documentation 2001:db8::/32
        }
    }
}

impl PartnerFetcher {
    /// A fetcher; `allow_loopback` admits 127.0.0.0/8 and ::1 targets.
    pub fn new(allow_loopback: bool) -> Self {
        Self { allow_loopback }
    }

    /// GETs `url`: `Ok(json)` or `Err(message for partner_data_error)`.
    pub async fn fetch(&self, url: &str) -> Result<Value, String> {
        let parsed = reqwest::Url::parse(url).map_err(|e| format!("invalid data_api URL: {e}"))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err("data_api must be an http(s) URL".into());
        }
        let host = parsed
            .host_str()
            .ok_or("data_api URL has no host")?
            .to_owned();
        let port = parsed.port_or_known_default().unwrap_or(80);
        let lookup_host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        let addrs: Vec<SocketAddr> = tokio::time::timeout(
            PARTNER_TIMEOUT,
            tokio::net::lookup_host((lookup_host.as_str(), port)),
        )
        .await
        .map_err(|_| "data_api host lookup timed out".to_owned())?
        .map_err(|e| format!("data_api host lookup failed: {e}"))?
        .collect();
        let Some(addr) = addrs.first().copied() else {
            return Err("data_api host has no address".into());
        };
        if let Some(bad) = addrs
            .iter()
            .find(|a| !ip_allowed(a.ip(), self.allow_loopback))
        {
            return Err(format!(
                "data_api target {} is in a refused address range",
                bad.ip()
            ));
        }
        // Pin the checked address so a second DNS answer cannot point elsewhere.
        let client = reqwest::Client::builder()
            .timeout(PARTNER_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .resolve(&lookup_host, addr)
            .no_proxy()
            .build()
            .map_err(|e| format!("HTTP client: {e}"))?;
        let mut resp = client
            .get(parsed)
            .header(reqwest::header::ACCEPT, "application/json")
            .header(NESTED_FETCH_HEADER, "1")
            .send()
            .await
            .map_err(|e| format!("data_api request failed: {}", without_url(&e)))?;
        if !resp.status().is_success() {
            return Err(format!("data_api answered HTTP {}", resp.status().as_u16()));
        }
        let ctype = resp
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_ascii_lowercase();
        let essence = ctype.split(';').next().unwrap_or("").trim().to_owned();
        if !(essence == "application/json" || essence.ends_with("+json")) {
            return Err(format!("data_api content type is not JSON: {ctype:?}"));
        }
        if resp
            .content_length()
            .is_some_and(|n| n > MAX_PARTNER_BYTES as u64)
        {
            return Err("data_api body exceeds 1 MiB".into());
        }
        let mut body = Vec::new();
        while let Some(chunk) = resp
            .chunk()
            .await
            .map_err(|e| format!("data_api read failed: {}", without_url(&e)))?
        {
            if body.len() + chunk.len() > MAX_PARTNER_BYTES {
                return Err("data_api body exceeds 1 MiB".into());
            }
            body.extend_from_slice(&chunk);
        }
        serde_json::from_slice(&body).map_err(|e| format!("data_api body is not valid JSON: {e}"))
    }
}

fn without_url(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        return "timed out".into();
    }
    let mut s = e.to_string();
    if let Some(u) = e.url() {
        s = s.replace(u.as_str(), "<data_api>");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn address_policy() {
        let ok = |s: &str, lo| ip_allowed(s.parse().unwrap(), lo);
        assert!(ok("8.8.8.8", false));
        assert!(!ok("127.0.0.1", false));
        assert!(ok("127.0.0.1", true));
        assert!(!ok("10.1.2.3", true));
        assert!(!ok("192.168.1.1", true));
        assert!(!ok("172.16.0.1", true));
        assert!(!ok("169.254.169.254", true));
        assert!(!ok("0.0.0.0", true));
        assert!(!ok("100.64.0.1", true));
        assert!(!ok("::1", false));
        assert!(ok("::1", true));
        assert!(!ok("fe80::1", true));
        assert!(!ok("fd00::1", true));
        assert!(!ok("::ffff:10.0.0.1", true));
        assert!(ok("2606:4700::1111", false));
    }

    #[test]
    fn the_ssrf_matrix_is_refused() {
        let refused = [
            // loopback, the whole 127/8, IPv6 loopback
            "127.0.0.1",
            "127.1.2.3",
            "::1",
            // private ranges
            "10.0.0.1",
            "10.255.255.255",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.0.1",
            // CGNAT, link-local and the cloud metadata address
            "100.64.0.1",
            "100.127.255.254",
            "169.254.0.1",
            "169.254.169.254",
            "fe80::1",
            "febf::1",
            // unspecified, this-network, broadcast, multicast, reserved, benchmarking, IETF
            "0.0.0.0",
            "0.1.2.3",
            "::",
            "255.255.255.255",
            "224.0.0.1",
            "ff02::1",
            "240.0.0.1",
            "198.18.0.1",
            "198.19.255.255",
            "192.0.0.8",
            // documentation
            "192.0.2.1",
            "198.51.100.1",
            "203.0.113.1",
            "2001:db8::1",
            // IPv6 unique-local and site-local
            "fc00::1",
            "fd12:3456::1",
            "fec0::1",
            // IPv4 embedded in IPv6: mapped, compatible, NAT64, 6to4
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::ffff:169.254.169.254",
            "::127.0.0.1",
            "::10.0.0.1",
            "64:ff9b::7f00:1",
            "64:ff9b::a9fe:a9fe",
            "2002:7f00:1::",
            "2002:c0a8:101::1",
        ];
        for s in refused {
            assert!(!ip_allowed(s.parse().unwrap(), false), "{s} allowed");
        }
        // loopback may be allowed (devnet), nothing else of the matrix comes with it
        for s in ["127.0.0.1", "::1", "::ffff:127.0.0.1", "::127.0.0.1"] {
            assert!(ip_allowed(s.parse().unwrap(), true), "{s}");
        }
        for s in [
            "10.0.0.1",
            "169.254.169.254",
            "64:ff9b::7f00:1",
            "2002:7f00:1::",
        ] {
            assert!(
                !ip_allowed(s.parse().unwrap(), true),
                "{s} allowed with loopback"
            );
        }
        for s in [
            "8.8.8.8",
            "1.1.1.1",
            "100.63.255.255",
            "100.128.0.1",
            "172.32.0.1",
            "198.20.0.1",
            "2606:4700::1111",
            "2a00:1450::1",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
            "2002:808:808::1",
        ] {
            assert!(ip_allowed(s.parse().unwrap(), false), "{s} refused");
        }
    }

    #[tokio::test]
    async fn names_and_spellings_of_internal_addresses_are_refused() {
        let f = PartnerFetcher::new(false);
        for url in [
            // a DNS name that resolves to loopback (no network needed)
            "http://localhost:1/data",
            "http://LocalHost:8080/data",
            // spellings the URL parser normalises to 127.0.0.1 / 169.254.169.254
            "http://2130706433/",
            "http://0x7f.1/",
            "http://0177.0.0.1/",
            "http://127.1/",
            "http://[::ffff:7f00:1]/",
            "http://[::ffff:a9fe:a9fe]/latest/meta-data/",
            "http://169.254.169.254/latest/meta-data/",
            "http://[fd00::1]:8080/",
        ] {
            let e = f.fetch(url).await.unwrap_err();
            assert!(e.contains("refused address range"), "{url}: {e}");
        }
    }

    #[tokio::test]
    async fn redirects_are_not_followed() {
        // A public-looking partner (loopback allowed here so the test server is reachable)
        // answers 302 to the metadata address, to loopback and to a private address: the
        // fetch stops at the 302, so none of them is contacted.
        use axum::response::Redirect;
        for target in [
            "http://169.254.169.254/latest/meta-data/",
            "http://127.0.0.1:1/secret",
            "http://10.0.0.1/",
        ] {
            let app = axum::Router::new().route(
                "/data",
                axum::routing::get(move || async move { Redirect::temporary(target) }),
            );
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let server = tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
            let e = PartnerFetcher::new(true)
                .fetch(&format!("http://{addr}/data"))
                .await
                .unwrap_err();
            assert!(e.contains("HTTP 307"), "{target}: {e}");
            server.abort();
        }
    }

    #[tokio::test]
    async fn refuses_loopback_and_non_http() {
        let f = PartnerFetcher::new(false);
        assert!(
            f.fetch("http://127.0.0.1:1/x")
                .await
                .unwrap_err()
                .contains("refused")
        );
        assert!(
            f.fetch("file:///etc/passwd")
                .await
                .unwrap_err()
                .contains("http")
        );
        assert!(f.fetch("not a url").await.is_err());
    }
}
