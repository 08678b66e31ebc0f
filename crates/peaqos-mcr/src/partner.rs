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

/// Whether an address may be contacted.
pub(crate) fn ip_allowed(ip: IpAddr, allow_loopback: bool) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            if v4.is_loopback() {
                return allow_loopback;
            }
            !(v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || v4.octets()[0] == 0
                || (v4.octets()[0] == 100 && (v4.octets()[1] & 0xc0) == 64)) // CGNAT 100.64/10
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return ip_allowed(IpAddr::V4(v4), allow_loopback);
            }
            if v6.is_loopback() {
                return allow_loopback;
            }
            let seg0 = v6.segments()[0];
            !(v6.is_unspecified()
                || v6.is_multicast()
                || (seg0 & 0xfe00) == 0xfc00 // unique local fc00::/7
                || (seg0 & 0xffc0) == 0xfe80) // link-local fe80::/10
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
