//! The relayer: follows `PacketSent` on both chains and, on the other chain, verifies each packet
//! (as the LocalDVN's one verifier: `LocalDVN.verify` -> `ReceiveUln302.verify`, then
//! `ReceiveUln302.commitVerification`, which checks the DVN quorum and calls
//! `EndpointV2.verify`) and delivers it (`EndpointV2.lzReceive` with the gas and value of the
//! packet's executor options), paying gas from its own key.
//!
//! Exactly once: before every step the relayer reads the destination endpoint's state for the
//! packet (`inboundPayloadHash`, `lazyInboundNonce`): a packet already delivered (by this relayer
//! before a crash, or by anyone: `lzReceive` is permissionless) is never sent again, a verified one
//! is only delivered. The durable state file (written atomically: temporary file, fsync, rename)
//! holds the block cursor of each chain and every packet not yet delivered, so a restart resumes
//! where the last run stopped, whatever step it was killed in.

use crate::abi::{EndpointV2, LocalDVN, Origin, ReceiveUln302};
use crate::deploy::{Side, SideDeployment, signing_provider};
use crate::error::BridgeError;
use crate::packet::{Packet, parse_options};
use alloy::network::TransactionBuilder;
use alloy::primitives::{Address, B256, Bytes, U256};
use alloy::providers::{DynProvider, Provider};
use alloy::rpc::types::{Filter, TransactionRequest};
use alloy::signers::local::PrivateKeySigner;
use alloy::sol_types::{SolCall, SolEvent};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Gas the relayer adds to the packet's `lzReceive` gas for the endpoint and the transaction itself.
pub const LZ_RECEIVE_OVERHEAD_GAS: u64 = 100_000;
/// Attempts after which a failing packet is reported stuck whatever its age.
pub const STUCK_AFTER_ATTEMPTS: u32 = 3;

/// One chain as the relayer sees it.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RelayChain {
    /// peaq or Base.
    pub side: Side,
    /// JSON-RPC URL.
    pub rpc_url: String,
    /// EndpointV2.
    pub endpoint: Address,
    /// ReceiveUln302 (receive library for the other side's eid).
    pub receive_lib: Address,
    /// LocalDVN whose verifier the relayer's key is.
    pub dvn: Address,
}

impl RelayChain {
    /// Reads the receive library of `endpoint` on `side` (its default for the other side's eid)
    /// and the DVN its ULN config requires.
    pub async fn discover(
        rpc_url: &str,
        side: Side,
        endpoint: Address,
    ) -> Result<Self, BridgeError> {
        let url = rpc_url
            .parse()
            .map_err(|_| BridgeError::Config(format!("{rpc_url:?} is not a URL")))?;
        let p = alloy::providers::ProviderBuilder::new().connect_http(url);
        let lib = EndpointV2::new(endpoint, &p)
            .defaultReceiveLibrary(side.remote().eid())
            .call()
            .await
            .map_err(|e| tx_err(side, "defaultReceiveLibrary", e))?;
        if lib == Address::ZERO {
            return Err(BridgeError::Config(format!(
                "{}: no LayerZero endpoint with a receive library at {endpoint} (start the devnet with --bridge)",
                side.name()
            )));
        }
        let config = ReceiveUln302::new(lib, &p)
            .getUlnConfig(Address::ZERO, side.remote().eid())
            .call()
            .await
            .map_err(|e| tx_err(side, "getUlnConfig", e))?;
        let dvn = *config.requiredDVNs.first().ok_or_else(|| {
            BridgeError::Config(format!(
                "{}: the ULN config has no required DVN",
                side.name()
            ))
        })?;
        Ok(Self {
            side,
            rpc_url: rpc_url.to_string(),
            endpoint,
            receive_lib: lib,
            dvn,
        })
    }

    /// From a deployed side.
    pub fn from_deployment(rpc_url: &str, d: &SideDeployment) -> Self {
        Self {
            side: d.side,
            rpc_url: rpc_url.to_string(),
            endpoint: d.endpoint,
            receive_lib: d.receive_lib,
            dvn: d.dvn,
        }
    }
}

/// How to run the relayer.
#[derive(Clone)]
pub struct RelayerConfig {
    /// peaq.
    pub peaq: RelayChain,
    /// Base.
    pub base: RelayChain,
    /// The key that verifies and pays destination gas on both chains.
    pub key: PrivateKeySigner,
    /// Durable state (cursor and pending packets).
    pub state_path: PathBuf,
    /// Time between polls.
    pub poll_interval: Duration,
    /// A packet not delivered this long after it was first seen is reported stuck.
    pub stuck_after: Duration,
    /// Widest block range of one `eth_getLogs`.
    pub max_block_range: u64,
    /// First block to scan on a chain the state file does not know yet (0 = genesis).
    pub start_block: u64,
    /// Test hook: after a verification is mined and recorded, create this file and stop making
    /// progress (a crash test kills the process there).
    pub halt_after_verify: Option<PathBuf>,
}

impl std::fmt::Debug for RelayerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RelayerConfig")
            .field("peaq", &self.peaq)
            .field("base", &self.base)
            .field("key", &self.key.address())
            .field("state_path", &self.state_path)
            .field("poll_interval", &self.poll_interval)
            .finish_non_exhaustive()
    }
}

impl RelayerConfig {
    /// Defaults for two chains and a key: 200 ms polls, stuck after 2 minutes.
    pub fn new(
        peaq: RelayChain,
        base: RelayChain,
        key: PrivateKeySigner,
        state_path: PathBuf,
    ) -> Self {
        Self {
            peaq,
            base,
            key,
            state_path,
            poll_interval: Duration::from_millis(200),
            stuck_after: Duration::from_secs(120),
            max_block_range: 5_000,
            start_block: 0,
            halt_after_verify: None,
        }
    }
}

/// Where a packet is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PacketStatus {
    /// Seen on the source chain, not verified on the destination.
    Sent,
    /// Verified on the destination, not delivered.
    Verified,
}

/// A packet not yet delivered.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PendingPacket {
    /// Source side.
    pub src: Side,
    /// PacketV1 bytes.
    pub encoded: Bytes,
    /// Executor options of the packet.
    pub options: Bytes,
    /// Source transaction.
    pub src_tx: B256,
    /// Where it is.
    pub status: PacketStatus,
    /// Unix seconds when the relayer first saw it.
    pub first_seen: u64,
    /// Failed attempts.
    pub attempts: u32,
    /// The last failure.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
}

/// Per chain: the next block to scan and what the key holds.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChainCursor {
    /// Next block to scan for `PacketSent`.
    pub next_block: u64,
    /// The relayer key's balance at the last poll (wei, decimal).
    #[serde(default)]
    pub balance: String,
    /// Set while the key cannot pay for gas on this chain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub out_of_funds: Option<String>,
}

/// The durable state file.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RelayerState {
    /// File format version (1).
    pub version: u32,
    /// The relayer's address.
    pub relayer: Address,
    /// Cursors by side name.
    pub chains: BTreeMap<String, ChainCursor>,
    /// Packets not yet delivered, by GUID.
    pub pending: BTreeMap<B256, PendingPacket>,
    /// Packets delivered by this relayer.
    pub delivered: u64,
    /// Packets found delivered already (by someone else, or before a crash) and not sent again.
    pub already_delivered: u64,
    /// Unix seconds of the last completed poll.
    pub updated_at: u64,
}

impl RelayerState {
    /// Reads the state file; a missing file is a fresh state.
    pub fn load(path: &Path) -> Result<Self, BridgeError> {
        match std::fs::read_to_string(path) {
            Ok(t) => serde_json::from_str(&t).map_err(|e| BridgeError::Cursor {
                path: path.to_path_buf(),
                reason: e.to_string(),
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self {
                version: 1,
                ..Self::default()
            }),
            Err(e) => Err(BridgeError::Cursor {
                path: path.to_path_buf(),
                reason: e.to_string(),
            }),
        }
    }

    /// Writes the state atomically (temporary file, fsync, rename, fsync of the directory).
    pub fn save(&self, path: &Path) -> Result<(), BridgeError> {
        use std::io::Write;
        let err = |e: std::io::Error| BridgeError::Cursor {
            path: path.to_path_buf(),
            reason: e.to_string(),
        };
        let tmp = path.with_extension("tmp");
        let mut f = std::fs::File::create(&tmp).map_err(err)?;
        f.write_all(&serde_json::to_vec_pretty(self).expect("state serializes"))
            .map_err(err)?;
        f.sync_all().map_err(err)?;
        std::fs::rename(&tmp, path).map_err(err)?;
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
            && let Ok(d) = std::fs::File::open(dir)
        {
            let _ = d.sync_all();
        }
        Ok(())
    }

    /// Packets that count as stuck at `now` (unix seconds).
    pub fn stuck(&self, now: u64, stuck_after: Duration) -> Vec<(&B256, &PendingPacket)> {
        self.pending
            .iter()
            .filter(|(_, p)| {
                p.attempts >= STUCK_AFTER_ATTEMPTS
                    || now.saturating_sub(p.first_seen) >= stuck_after.as_secs()
            })
            .collect()
    }
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// What one poll did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TickReport {
    /// New packets seen.
    pub seen: usize,
    /// Verifications mined.
    pub verified: usize,
    /// Deliveries mined.
    pub delivered: usize,
    /// Packets found delivered already.
    pub already_delivered: usize,
    /// Failures (kept pending, retried).
    pub failed: usize,
}

struct Chain {
    cfg: RelayChain,
    p: DynProvider,
}

/// The relayer.
pub struct Relayer {
    cfg: RelayerConfig,
    peaq: Chain,
    base: Chain,
    state: RelayerState,
}

impl std::fmt::Debug for Relayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Relayer")
            .field("config", &self.cfg)
            .field("pending", &self.state.pending.len())
            .finish()
    }
}

fn tx_err(chain: Side, what: &str, e: impl std::fmt::Display) -> BridgeError {
    BridgeError::Tx {
        chain: chain.name().into(),
        what: what.into(),
        reason: e.to_string(),
    }
}

fn rpc_err(
    chain: Side,
    what: &str,
) -> impl FnOnce(alloy::transports::TransportError) -> BridgeError {
    let what = what.to_string();
    move |source| BridgeError::Rpc {
        chain: chain.name().into(),
        what,
        source,
    }
}

impl Relayer {
    /// A relayer resuming from `cfg.state_path` (or starting fresh).
    pub fn new(cfg: RelayerConfig) -> Result<Self, BridgeError> {
        if cfg.peaq.side != Side::Peaq || cfg.base.side != Side::Base {
            return Err(BridgeError::Config("chains must be peaq then base".into()));
        }
        let mut state = RelayerState::load(&cfg.state_path)?;
        state.version = 1;
        state.relayer = cfg.key.address();
        let peaq = Chain {
            p: signing_provider(&cfg.peaq.rpc_url, cfg.key.clone())?,
            cfg: cfg.peaq.clone(),
        };
        let base = Chain {
            p: signing_provider(&cfg.base.rpc_url, cfg.key.clone())?,
            cfg: cfg.base.clone(),
        };
        Ok(Self {
            cfg,
            peaq,
            base,
            state,
        })
    }

    /// The current state (as last saved or about to be).
    pub fn state(&self) -> &RelayerState {
        &self.state
    }

    fn chain(&self, side: Side) -> &Chain {
        match side {
            Side::Peaq => &self.peaq,
            Side::Base => &self.base,
        }
    }

    fn save(&mut self) -> Result<(), BridgeError> {
        self.state.updated_at = now_secs();
        self.state.save(&self.cfg.state_path)
    }

    /// One poll: scan both chains for new packets, then verify and deliver every pending one.
    pub async fn tick(&mut self) -> Result<TickReport, BridgeError> {
        let mut report = TickReport::default();
        for side in [Side::Peaq, Side::Base] {
            report.seen += self.scan(side).await?;
        }
        self.save()?;
        self.process(&mut report).await?;
        self.save()?;
        Ok(report)
    }

    async fn scan(&mut self, side: Side) -> Result<usize, BridgeError> {
        let p = self.chain(side).p.clone();
        let endpoint = self.chain(side).cfg.endpoint;
        let head = p
            .get_block_number()
            .await
            .map_err(rpc_err(side, "eth_blockNumber"))?;
        let balance = p
            .get_balance(self.cfg.key.address())
            .await
            .map_err(rpc_err(side, "eth_getBalance"))?;
        let start = self.cfg.start_block;
        let cursor = self
            .state
            .chains
            .entry(side.name().into())
            .or_insert(ChainCursor {
                next_block: start,
                ..ChainCursor::default()
            });
        cursor.balance = balance.to_string();
        let mut seen = 0;
        let remote_eid = side.remote().eid();
        while cursor.next_block <= head {
            let from = cursor.next_block;
            let to = head.min(from + self.cfg.max_block_range.max(1) - 1);
            let filter = Filter::new()
                .address(endpoint)
                .event_signature(EndpointV2::PacketSent::SIGNATURE_HASH)
                .from_block(from)
                .to_block(to);
            let logs = p
                .get_logs(&filter)
                .await
                .map_err(rpc_err(side, "eth_getLogs"))?;
            for log in logs {
                let Ok(ev) = EndpointV2::PacketSent::decode_log_data(log.data()) else {
                    tracing::warn!(chain = side.name(), tx = ?log.transaction_hash, "undecodable PacketSent log");
                    continue;
                };
                let packet = match Packet::decode(&ev.encodedPayload) {
                    Ok(p) => p,
                    Err(e) => {
                        tracing::warn!(chain = side.name(), error = %e, "undecodable packet");
                        continue;
                    }
                };
                if packet.dst_eid != remote_eid {
                    tracing::debug!(
                        chain = side.name(),
                        dst_eid = packet.dst_eid,
                        "packet for another eid"
                    );
                    continue;
                }
                if self.state.pending.contains_key(&packet.guid) {
                    continue;
                }
                tracing::info!(src = side.name(), nonce = packet.nonce, guid = %packet.guid, "packet sent");
                self.state.pending.insert(
                    packet.guid,
                    PendingPacket {
                        src: side,
                        encoded: ev.encodedPayload.clone(),
                        options: ev.options.clone(),
                        src_tx: log.transaction_hash.unwrap_or_default(),
                        status: PacketStatus::Sent,
                        first_seen: now_secs(),
                        attempts: 0,
                        last_error: None,
                    },
                );
                seen += 1;
            }
            cursor.next_block = to + 1;
        }
        Ok(seen)
    }

    /// Where `packet` is on its destination, from the endpoint itself.
    async fn destination_state(&self, packet: &Packet, dst: Side) -> Result<OnChain, BridgeError> {
        let chain = self.chain(dst);
        let ep = EndpointV2::new(chain.cfg.endpoint, &chain.p);
        let receiver = packet.receiver_address();
        let hash = ep
            .inboundPayloadHash(receiver, packet.src_eid, packet.sender, packet.nonce)
            .call()
            .await
            .map_err(|e| tx_err(dst, "inboundPayloadHash", e))?;
        let lazy = ep
            .lazyInboundNonce(receiver, packet.src_eid, packet.sender)
            .call()
            .await
            .map_err(|e| tx_err(dst, "lazyInboundNonce", e))?;
        Ok(if hash == packet.payload_hash() {
            OnChain::Verified
        } else if hash == B256::ZERO && packet.nonce <= lazy {
            OnChain::Delivered
        } else if hash == B256::ZERO {
            OnChain::Unverified
        } else {
            OnChain::Mismatch(hash)
        })
    }

    async fn process(&mut self, report: &mut TickReport) -> Result<(), BridgeError> {
        // Nonce order per pathway: the endpoint delivers nonce n only once every earlier nonce is
        // verified, so everything is verified first, then delivered.
        let mut order: Vec<(Side, B256, u64, B256)> = Vec::new();
        for (guid, p) in &self.state.pending {
            let packet = Packet::decode(&p.encoded)?;
            order.push((p.src, packet.receiver, packet.nonce, *guid));
        }
        order.sort();
        let mut to_deliver = Vec::new();
        for (_, _, _, guid) in &order {
            let pending = self.state.pending[guid].clone();
            let packet = Packet::decode(&pending.encoded)?;
            let dst = pending.src.remote();
            match self.destination_state(&packet, dst).await? {
                OnChain::Delivered => {
                    tracing::info!(guid = %guid, "already delivered; not sent again");
                    self.state.pending.remove(guid);
                    self.state.already_delivered += 1;
                    report.already_delivered += 1;
                }
                OnChain::Verified => to_deliver.push(*guid),
                OnChain::Unverified => match self.verify(&packet, dst).await {
                    Ok(()) => {
                        report.verified += 1;
                        if let Some(p) = self.state.pending.get_mut(guid) {
                            p.status = PacketStatus::Verified;
                        }
                        self.clear_funds(dst);
                        self.save()?;
                        if let Some(marker) = &self.cfg.halt_after_verify {
                            std::fs::write(marker, guid.to_string())
                                .map_err(|e| BridgeError::Config(format!("halt marker: {e}")))?;
                            tracing::warn!("halting after verification (test hook)");
                            std::future::pending::<()>().await;
                        }
                        to_deliver.push(*guid);
                    }
                    Err(e) => self.failed(guid, dst, e, report),
                },
                OnChain::Mismatch(h) => self.failed(
                    guid,
                    dst,
                    BridgeError::Tx {
                        chain: dst.name().into(),
                        what: "verify".into(),
                        reason: format!("the endpoint holds payload hash {h}, not this packet's"),
                    },
                    report,
                ),
            }
        }
        for guid in to_deliver {
            let pending = self.state.pending[&guid].clone();
            let packet = Packet::decode(&pending.encoded)?;
            let dst = pending.src.remote();
            match self.deliver(&packet, &pending.options, dst).await {
                Ok(()) => {
                    tracing::info!(guid = %guid, dst = dst.name(), nonce = packet.nonce, "delivered");
                    self.state.pending.remove(&guid);
                    self.state.delivered += 1;
                    report.delivered += 1;
                    self.clear_funds(dst);
                    self.save()?;
                }
                Err(e) => self.failed(&guid, dst, e, report),
            }
        }
        Ok(())
    }

    fn clear_funds(&mut self, side: Side) {
        if let Some(c) = self.state.chains.get_mut(side.name()) {
            c.out_of_funds = None;
        }
    }

    fn failed(&mut self, guid: &B256, dst: Side, e: BridgeError, report: &mut TickReport) {
        report.failed += 1;
        if let BridgeError::OutOfFunds { .. } = &e {
            tracing::error!(chain = dst.name(), "{e}");
            if let Some(c) = self.state.chains.get_mut(dst.name()) {
                c.out_of_funds = Some(e.to_string());
            }
        } else {
            tracing::warn!(guid = %guid, chain = dst.name(), error = %e, "packet not relayed; retrying");
        }
        if let Some(p) = self.state.pending.get_mut(guid) {
            p.attempts += 1;
            p.last_error = Some(e.to_string());
            if p.attempts == STUCK_AFTER_ATTEMPTS {
                tracing::error!(guid = %guid, attempts = p.attempts, error = %e, "packet stuck");
            }
        }
    }

    async fn send(&self, dst: Side, what: &str, tx: TransactionRequest) -> Result<(), BridgeError> {
        let chain = self.chain(dst);
        let sent = chain.p.send_transaction(tx).await;
        let pending = match sent {
            Ok(p) => p,
            Err(e) => return Err(self.classify(dst, what, e).await),
        };
        let r = pending
            .get_receipt()
            .await
            .map_err(|e| tx_err(dst, what, e))?;
        if !r.status() {
            return Err(tx_err(
                dst,
                what,
                format!("reverted in {}", r.transaction_hash),
            ));
        }
        Ok(())
    }

    /// An error from sending: "insufficient funds" becomes [`BridgeError::OutOfFunds`], a revert
    /// found by estimation keeps its reason.
    async fn classify(
        &self,
        dst: Side,
        what: &str,
        e: alloy::transports::TransportError,
    ) -> BridgeError {
        let text = e.to_string();
        if text.to_ascii_lowercase().contains("insufficient funds") {
            let balance = self
                .chain(dst)
                .p
                .get_balance(self.cfg.key.address())
                .await
                .unwrap_or_default();
            return BridgeError::OutOfFunds {
                chain: dst.name().into(),
                address: self.cfg.key.address(),
                balance,
                what: what.into(),
            };
        }
        if let Some(data) = e.as_error_resp().and_then(|r| r.as_revert_data()) {
            return tx_err(dst, what, revert_name(&data));
        }
        tx_err(dst, what, text)
    }

    /// The DVN's verification (unless ReceiveUln302 already holds it: a crash may have come
    /// between the two steps), then the commit that moves it into the endpoint.
    async fn verify(&self, packet: &Packet, dst: Side) -> Result<(), BridgeError> {
        let chain = self.chain(dst);
        let header = Bytes::from(packet.header().to_vec());
        let payload_hash = packet.payload_hash();
        let uln = ReceiveUln302::new(chain.cfg.receive_lib, &chain.p);
        let held = uln
            .hashLookup(
                alloy::primitives::keccak256(&header),
                payload_hash,
                chain.cfg.dvn,
            )
            .call()
            .await
            .map_err(|e| tx_err(dst, "hashLookup", e))?;
        if !held.submitted || held.confirmations < crate::deploy::ULN_CONFIRMATIONS {
            let call = LocalDVN::verifyCall {
                _packetHeader: header.clone(),
                _payloadHash: payload_hash,
                _confirmations: crate::deploy::ULN_CONFIRMATIONS,
            };
            self.send(
                dst,
                "DVN verify",
                TransactionRequest::default()
                    .with_to(chain.cfg.dvn)
                    .with_input(call.abi_encode()),
            )
            .await?;
        }
        let call = ReceiveUln302::commitVerificationCall {
            packetHeader: header,
            payloadHash: payload_hash,
        };
        self.send(
            dst,
            "commitVerification",
            TransactionRequest::default()
                .with_to(chain.cfg.receive_lib)
                .with_input(call.abi_encode()),
        )
        .await
    }

    async fn deliver(&self, packet: &Packet, options: &[u8], dst: Side) -> Result<(), BridgeError> {
        let o = parse_options(options)?;
        if o.lz_receive_gas == 0 {
            return Err(tx_err(
                dst,
                "lzReceive",
                "the packet's options ask for no lzReceive gas",
            ));
        }
        let gas = u64::try_from(o.lz_receive_gas)
            .ok()
            .and_then(|g| g.checked_add(LZ_RECEIVE_OVERHEAD_GAS))
            .ok_or_else(|| tx_err(dst, "lzReceive", "lzReceive gas above a block"))?;
        let chain = self.chain(dst);
        let call = EndpointV2::lzReceiveCall {
            origin: Origin {
                srcEid: packet.src_eid,
                sender: packet.sender,
                nonce: packet.nonce,
            },
            receiver: packet.receiver_address(),
            guid: packet.guid,
            message: packet.message.clone().into(),
            extraData: Bytes::new(),
        };
        self.send(
            dst,
            "lzReceive",
            TransactionRequest::default()
                .with_to(chain.cfg.endpoint)
                .with_input(call.abi_encode())
                .with_value(U256::from(o.lz_receive_value))
                .with_gas_limit(gas),
        )
        .await
    }
}

enum OnChain {
    Unverified,
    Verified,
    Delivered,
    Mismatch(B256),
}

/// The name of an endpoint or message-library revert, else the raw data.
pub fn revert_name(data: &[u8]) -> String {
    use alloy::sol_types::SolInterface;
    if let Ok(e) = EndpointV2::EndpointV2Errors::abi_decode(data) {
        return format!("{e:?}");
    }
    if let Ok(e) = ReceiveUln302::ReceiveUln302Errors::abi_decode(data) {
        return format!("{e:?}");
    }
    if let Ok(e) = LocalDVN::LocalDVNErrors::abi_decode(data) {
        return format!("{e:?}");
    }
    if let Ok(e) = peaqos_contracts::MachineNFTAdapter::MachineNFTAdapterErrors::abi_decode(data) {
        return format!("{e:?}");
    }
    format!("revert 0x{}", alloy::primitives::hex::encode(data))
}

/// A running relayer.
#[derive(Debug)]
pub struct RelayerHandle {
    task: tokio::task::JoinHandle<Result<(), BridgeError>>,
    stop: Arc<tokio::sync::Notify>,
}

impl RelayerHandle {
    /// Stops after the current poll and returns how the loop ended.
    pub async fn shutdown(self) -> Result<(), BridgeError> {
        self.stop.notify_one();
        self.task
            .await
            .map_err(|e| BridgeError::Config(format!("relayer task: {e}")))?
    }

    /// Waits until the loop ends (it only ends on an error that is not a packet's).
    pub async fn wait(self) -> Result<(), BridgeError> {
        self.task
            .await
            .map_err(|e| BridgeError::Config(format!("relayer task: {e}")))?
    }
}

/// Starts the relayer loop: a poll every `poll_interval`; RPC failures are logged and retried.
pub fn spawn(cfg: RelayerConfig) -> Result<RelayerHandle, BridgeError> {
    let mut relayer = Relayer::new(cfg)?;
    let stop = Arc::new(tokio::sync::Notify::new());
    let stopped = stop.clone();
    let task = tokio::spawn(async move {
        let interval = relayer.cfg.poll_interval;
        loop {
            match relayer.tick().await {
                Ok(r) if r != TickReport::default() => tracing::debug!(?r, "relayer poll"),
                Ok(_) => {}
                Err(e @ BridgeError::Cursor { .. }) => return Err(e),
                Err(e) => tracing::warn!(error = %e, "relayer poll failed; retrying"),
            }
            tokio::select! {
                _ = stopped.notified() => return Ok(()),
                _ = tokio::time::sleep(interval) => {}
            }
        }
    });
    Ok(RelayerHandle { task, stop })
}
