//! Trust level 1 checked against the source chain.
//!
//! For every event declaring trust level 1 whose `sourceChainId` has a configured RPC, the
//! checker fetches the `sourceTxHash` receipt (and the transaction) and decides ([`judge`], pure):
//! the transaction must exist, have succeeded (status 1) and have paid the machine's address,
//! either natively (`to` is the machine, `value > 0`) or by an ERC-20 `Transfer(from, to, value)`
//! log with `to` the machine and `value > 0`. Each event is stored verified or unverified with its
//! reason (`source_checks`); an RPC failure leaves it pending and it is retried with a backoff (up
//! to [`MAX_RETRY_SECS`]), never marked unverified for an outage. `/ready` shows the counts and the
//! last RPC failure. An event whose chain has no configured RPC is unverified ("no RPC configured
//! for source chain N") until a service configured with that chain checks it again.

use crate::McrError;
use crate::cache::Cache;
use crate::store::{SourceCheckTask, Store};
use alloy::primitives::{Address, B256, U256};
use alloy::providers::{DynProvider, Provider};
use alloy::rpc::types::{Log, TransactionReceipt};
use alloy::sol_types::SolEvent;
use peaqos_mcr_model::SourceCheck;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;

/// Longest wait before a pending check is retried.
pub const MAX_RETRY_SECS: u64 = 300;
/// First retry delay after an RPC failure (doubled per attempt).
pub const FIRST_RETRY_SECS: u64 = 2;
/// Checks per pass.
const BATCH: u64 = 200;
/// The reason prefix of an event whose chain has no configured RPC.
pub const NO_RPC_REASON: &str = "no RPC configured for source chain";

alloy::sol! {
    /// ERC-20 `Transfer` (from and to indexed, value in the data).
    event Transfer(address indexed from, address indexed to, uint256 value);
}

/// Checks `url` as a source-chain RPC URL: `http` or `https` with a host. Loopback is allowed
/// (the local devnets).
pub fn validate_rpc_url(chain_id: u64, url: &str) -> Result<(), McrError> {
    let parsed: reqwest::Url = url
        .parse()
        .map_err(|e| McrError::Config(format!("source chain {chain_id}: RPC URL {url:?}: {e}")))?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err(McrError::Config(format!(
            "source chain {chain_id}: RPC URL {url:?} must be http(s)://host[:port]"
        )));
    }
    Ok(())
}

/// `scheme://host[:port]` of an RPC URL: what errors and `/ready` may show of it (a path or query
/// may carry an API key).
pub fn rpc_origin(url: &str) -> String {
    match url.parse::<reqwest::Url>() {
        Ok(u) => match (u.host_str(), u.port()) {
            (Some(h), Some(p)) => format!("{}://{h}:{p}", u.scheme()),
            (Some(h), None) => format!("{}://{h}", u.scheme()),
            _ => "(RPC)".into(),
        },
        Err(_) => "(RPC)".into(),
    }
}

/// `text` with every spelling of `url` replaced by its origin.
pub(crate) fn redact(text: &str, url: &str) -> String {
    let origin = rpc_origin(url);
    let mut out = text.to_owned();
    let mut spellings = vec![url.to_owned()];
    if let Ok(u) = url.parse::<reqwest::Url>() {
        spellings.push(u.to_string());
    }
    spellings.sort_by_key(|s| std::cmp::Reverse(s.len()));
    for s in spellings {
        out = out.replace(&s, &origin);
    }
    out
}

/// The decision on a fetched receipt: verified or unverified, with the reason.
/// `tx` is the transaction's `(to, value)`.
pub fn judge(
    machine: Address,
    receipt: &TransactionReceipt,
    tx: Option<(Option<Address>, U256)>,
) -> (SourceCheck, String) {
    if !receipt.status() {
        return (
            SourceCheck::Unverified,
            "the source transaction reverted (status 0)".into(),
        );
    }
    if let Some((token, value)) = erc20_payment(machine, receipt.inner.logs()) {
        return (
            SourceCheck::Verified,
            format!("ERC-20 Transfer of {value} to the machine by token {token}"),
        );
    }
    match tx {
        Some((Some(to), value)) if to == machine && value > U256::ZERO => (
            SourceCheck::Verified,
            format!("native transfer of {value} wei to the machine"),
        ),
        Some((to, value)) => (
            SourceCheck::Unverified,
            format!(
                "the source transaction paid somebody else: to {}, value {value}, no ERC-20 Transfer to {machine}",
                to.map_or_else(|| "(contract creation)".to_owned(), |a| a.to_string())
            ),
        ),
        None => (
            SourceCheck::Unverified,
            format!("no ERC-20 Transfer to {machine} in the receipt and the transaction is gone"),
        ),
    }
}

/// The first ERC-20 `Transfer` log paying `machine` a positive value: `(token, value)`.
fn erc20_payment(machine: Address, logs: &[Log]) -> Option<(Address, U256)> {
    logs.iter().find_map(|l| {
        let topics = l.topics();
        if topics.len() != 3 || topics[0] != Transfer::SIGNATURE_HASH {
            return None;
        }
        if topics[2] != B256::left_padding_from(machine.as_slice()) {
            return None;
        }
        let data = &l.data().data;
        if data.len() != 32 {
            return None;
        }
        let value = U256::from_be_slice(data);
        (value > U256::ZERO).then_some((l.address(), value))
    })
}

/// What `/ready` says about the checks.
#[derive(Debug, Default)]
pub struct CheckerStatus {
    /// Chain ids with a configured RPC.
    pub chains: Vec<u64>,
    last_error: Mutex<Option<String>>,
}

impl CheckerStatus {
    /// For the configured chains.
    pub fn new(chains: Vec<u64>) -> Self {
        Self {
            chains,
            last_error: Mutex::new(None),
        }
    }
    /// The last RPC failure, cleared by the next successful fetch.
    pub fn last_error(&self) -> Option<String> {
        self.last_error.lock().ok().and_then(|g| g.clone())
    }
    fn set_error(&self, e: Option<String>) {
        if let Ok(mut g) = self.last_error.lock() {
            *g = e;
        }
    }
}

/// The background checker.
pub(crate) struct SourceChecker {
    pub(crate) store: Store,
    pub(crate) cache: Arc<Cache>,
    pub(crate) providers: BTreeMap<u64, (DynProvider, String)>,
    pub(crate) status: Arc<CheckerStatus>,
    pub(crate) interval: Duration,
}

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl SourceChecker {
    /// Builds the providers (URLs validated).
    pub(crate) fn providers(
        rpcs: &BTreeMap<u64, String>,
    ) -> Result<BTreeMap<u64, (DynProvider, String)>, McrError> {
        rpcs.iter()
            .map(|(id, url)| {
                validate_rpc_url(*id, url)?;
                Ok((*id, (crate::provider(url)?, url.clone())))
            })
            .collect()
    }

    async fn fetch(
        p: &DynProvider,
        hash: B256,
    ) -> Result<Option<(TransactionReceipt, Option<(Option<Address>, U256)>)>, String> {
        let Some(receipt) = p
            .get_transaction_receipt(hash)
            .await
            .map_err(|e| format!("eth_getTransactionReceipt: {e}"))?
        else {
            return Ok(None);
        };
        let tx = p
            .get_transaction_by_hash(hash)
            .await
            .map_err(|e| format!("eth_getTransactionByHash: {e}"))?
            .map(|t| {
                use alloy::consensus::Transaction as _;
                (t.inner.to(), t.inner.value())
            });
        Ok(Some((receipt, tx)))
    }

    /// Decides one task: `(status, reason)`, `Pending` on an RPC failure.
    async fn check(&self, t: &SourceCheckTask) -> (SourceCheck, String) {
        let chain = u64::try_from(t.source_chain_id).ok();
        let Some((p, url)) = chain.and_then(|c| self.providers.get(&c)) else {
            return (
                SourceCheck::Unverified,
                format!("{NO_RPC_REASON} {}", t.source_chain_id),
            );
        };
        match Self::fetch(p, t.source_tx_hash).await {
            Ok(None) => (
                SourceCheck::Unverified,
                format!(
                    "no transaction {} on source chain {}",
                    t.source_tx_hash, t.source_chain_id
                ),
            ),
            Ok(Some((receipt, tx))) => judge(t.machine, &receipt, tx),
            Err(e) => {
                let e = redact(
                    &format!(
                        "source chain {} ({}): {e}",
                        t.source_chain_id,
                        rpc_origin(url)
                    ),
                    url,
                );
                self.status.set_error(Some(e.clone()));
                (SourceCheck::Pending, e)
            }
        }
    }

    /// One pass over the due checks; returns how many were decided.
    pub(crate) async fn pass(&self) -> Result<usize, McrError> {
        let now = now_secs();
        let tasks = self.store.due_source_checks(now, BATCH).await?;
        let mut decided = 0;
        let mut rpc_ok = false;
        for t in &tasks {
            let (status, reason) = self.check(t).await;
            let next = if status == SourceCheck::Pending {
                let backoff = FIRST_RETRY_SECS
                    .saturating_mul(1u64 << t.attempts.min(16))
                    .min(MAX_RETRY_SECS);
                now + backoff
            } else {
                decided += 1;
                rpc_ok = true;
                0
            };
            if status == SourceCheck::Pending {
                tracing::warn!(machine_id = t.machine_id, event_index = t.event_index, %reason, "source check failed; retrying");
            }
            self.store
                .record_source_check(t, status, &reason, now, next)
                .await?;
            self.cache.invalidate(t.machine_id);
        }
        if rpc_ok && tasks.len() == decided {
            self.status.set_error(None);
        }
        Ok(decided)
    }

    /// Runs passes until `shutdown`.
    pub(crate) async fn run(self, mut shutdown: watch::Receiver<bool>) {
        for id in self.providers.keys() {
            if let Err(e) = self.store.requeue_unconfigured(*id).await {
                tracing::warn!(error = %e, "source checks: requeue failed");
            }
        }
        loop {
            match self.pass().await {
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "source checks: pass failed; retrying"),
            }
            tokio::select! {
                _ = shutdown.changed() => return,
                _ = tokio::time::sleep(self.interval) => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::primitives::{Bytes, LogData, address};

    fn receipt(status: bool, logs: Vec<Log>) -> TransactionReceipt {
        let json = serde_json::json!({
            "transactionHash": B256::repeat_byte(1),
            "transactionIndex": "0x0",
            "blockHash": B256::repeat_byte(2),
            "blockNumber": "0x1",
            "from": Address::repeat_byte(3),
            "to": Address::repeat_byte(4),
            "cumulativeGasUsed": "0x5208",
            "gasUsed": "0x5208",
            "effectiveGasPrice": "0x1",
            "contractAddress": null,
            "logs": logs,
            "logsBloom": format!("0x{}", "00".repeat(256)),
            "status": if status { "0x1" } else { "0x0" },
            "type": "0x2",
        });
        serde_json::from_value(json).unwrap()
    }

    fn transfer_log(token: Address, to: Address, value: u64) -> Log {
        Log {
            inner: alloy::primitives::Log {
                address: token,
                data: LogData::new_unchecked(
                    vec![
                        Transfer::SIGNATURE_HASH,
                        B256::left_padding_from(Address::repeat_byte(9).as_slice()),
                        B256::left_padding_from(to.as_slice()),
                    ],
                    Bytes::from(U256::from(value).to_be_bytes::<32>().to_vec()),
                ),
            },
            ..Log::default()
        }
    }

    const MACHINE: Address = address!("00000000000000000000000000000000000000aa");
    const OTHER: Address = address!("00000000000000000000000000000000000000bb");
    const TOKEN: Address = address!("00000000000000000000000000000000000000cc");

    #[test]
    fn a_native_payment_to_the_machine_verifies() {
        let (s, why) = judge(
            MACHINE,
            &receipt(true, vec![]),
            Some((Some(MACHINE), U256::from(5))),
        );
        assert_eq!(s, SourceCheck::Verified, "{why}");
        assert!(why.contains("native"), "{why}");
    }

    #[test]
    fn an_erc20_transfer_to_the_machine_verifies_whoever_the_tx_went_to() {
        let r = receipt(true, vec![transfer_log(TOKEN, MACHINE, 7)]);
        let (s, why) = judge(MACHINE, &r, Some((Some(TOKEN), U256::ZERO)));
        assert_eq!(s, SourceCheck::Verified, "{why}");
        assert!(
            why.contains("ERC-20") && why.contains(&TOKEN.to_string()),
            "{why}"
        );
    }

    #[test]
    fn reverted_other_payee_zero_value_and_nft_logs_do_not_verify() {
        let r = receipt(false, vec![transfer_log(TOKEN, MACHINE, 7)]);
        assert_eq!(
            judge(MACHINE, &r, Some((Some(MACHINE), U256::from(1)))).0,
            SourceCheck::Unverified
        );
        let r = receipt(true, vec![transfer_log(TOKEN, OTHER, 7)]);
        let (s, why) = judge(MACHINE, &r, Some((Some(OTHER), U256::from(1))));
        assert_eq!(s, SourceCheck::Unverified);
        assert!(why.contains("somebody else"), "{why}");
        let r = receipt(true, vec![transfer_log(TOKEN, MACHINE, 0)]);
        assert_eq!(
            judge(MACHINE, &r, Some((Some(MACHINE), U256::ZERO))).0,
            SourceCheck::Unverified
        );
        // An ERC-721 Transfer (tokenId indexed: four topics, no data) is not a payment.
        let mut nft = transfer_log(TOKEN, MACHINE, 1);
        let mut topics = nft.inner.data.topics().to_vec();
        topics.push(B256::with_last_byte(1));
        nft.inner.data = LogData::new_unchecked(topics, Bytes::new());
        assert_eq!(
            judge(MACHINE, &receipt(true, vec![nft]), None).0,
            SourceCheck::Unverified
        );
    }

    #[test]
    fn errors_show_an_rpc_url_without_its_path_or_query() {
        let url = "https://base.example:8443/v2/SECRETKEY?x=1";
        assert_eq!(rpc_origin(url), "https://base.example:8443");
        let e = redact(
            &format!("error sending request for url ({url}): timed out"),
            url,
        );
        assert!(!e.contains("SECRETKEY"), "{e}");
        assert!(e.contains("https://base.example:8443"), "{e}");
    }

    #[test]
    fn rpc_urls_are_validated_and_loopback_is_allowed() {
        assert!(validate_rpc_url(31338, "http://127.0.0.1:8546").is_ok());
        assert!(validate_rpc_url(8453, "https://mainnet.base.org").is_ok());
        assert!(validate_rpc_url(1, "ftp://x").is_err());
        assert!(validate_rpc_url(1, "not a url").is_err());
    }
}
