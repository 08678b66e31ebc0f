//! Machine NFTs across chains (LayerZero V2 ONFT721, peaq <-> Base), with the semantics of peaq's
//! SDK (`bridge/bridge_nft.py`, `wait_for_bridge_arrival.py`):
//!
//! - peaq -> Base: `MachineNFTAdapter.send` on peaq locks the token (the adapter is approved
//!   first when it is not already); MachineNFTBase mints it on Base when the message arrives.
//! - Base -> peaq: `MachineNFTBase.send` on Base burns it; the adapter unlocks it on peaq.
//!
//! The native fee is `quoteSend(sendParam, false).nativeFee`, and exactly that is sent as
//! `msg.value` (the OApp refuses anything else with `NotEnoughNative`). `options` empty defers to
//! the OApp's enforced options.

use crate::client::PeaqosClient;
use crate::error::{PeaqosError, Result, from_transport};
use alloy::primitives::{Address, B256, Bytes, U256};
use alloy::providers::{Provider, ProviderBuilder};
use alloy::sol_types::{SolCall, SolInterface};
use peaqos_contracts::{MachineNFT, MachineNFTAdapter, MachineNFTBase};
use peaqos_types::constants::{LAYERZERO_EID_BASE, LAYERZERO_EID_PEAQ};
use std::time::{Duration, Instant};

/// Seconds between `ownerOf` probes while waiting (peaq's SDK: 10).
pub const POLL_INTERVAL: Duration = Duration::from_secs(10);
/// Default arrival wait (peaq's SDK: 300 s).
pub const DEFAULT_ARRIVAL_TIMEOUT: Duration = Duration::from_secs(300);
/// A timeout must exceed this (peaq's SDK refuses `timeout <= 60`).
pub const MIN_ARRIVAL_TIMEOUT: Duration = Duration::from_secs(60);

/// A chain of the bridge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BridgeChain {
    /// peaq (eid 30302).
    Peaq,
    /// Base (eid 30184).
    Base,
}

impl BridgeChain {
    /// `"peaq"` or `"base"`, as peaq's SDK takes them.
    pub fn parse(field: &str, value: &str) -> Result<Self> {
        match value {
            "peaq" => Ok(Self::Peaq),
            "base" => Ok(Self::Base),
            _ => Err(PeaqosError::validation(
                field,
                "one of ('peaq', 'base')",
                format!("{field} must be one of ('peaq', 'base')"),
            )),
        }
    }

    /// LayerZero endpoint id.
    pub fn eid(self) -> u32 {
        match self {
            Self::Peaq => LAYERZERO_EID_PEAQ,
            Self::Base => LAYERZERO_EID_BASE,
        }
    }
}

fn send_param(
    dst: BridgeChain,
    recipient: Address,
    token_id: U256,
    options: &[u8],
) -> MachineNFTAdapter::SendParam {
    MachineNFTAdapter::SendParam {
        dstEid: dst.eid(),
        to: recipient.into_word(),
        tokenId: token_id,
        extraOptions: Bytes::copy_from_slice(options),
        composeMsg: Bytes::new(),
        onftCmd: Bytes::new(),
    }
}

/// What [`PeaqosClient::bridge_nft`] resolved: the chain it sends on and the OApp there.
struct Source {
    client: PeaqosClient,
    oapp: Address,
}

impl PeaqosClient {
    fn bridge_source(
        &self,
        token_id: U256,
        source: &str,
        destination: &str,
        base_rpc_url: Option<&str>,
        base_nft_address: Option<Address>,
    ) -> Result<(BridgeChain, BridgeChain, Source)> {
        if token_id.is_zero() {
            return Err(PeaqosError::validation(
                "token_id",
                "positive integer",
                "token_id must be a positive integer",
            ));
        }
        let src = BridgeChain::parse("source", source)?;
        let dst = BridgeChain::parse("destination", destination)?;
        if src == dst {
            return Err(PeaqosError::validation(
                "destination",
                "must differ from source",
                "destination must differ from source",
            ));
        }
        let source = match src {
            BridgeChain::Peaq => Source {
                client: self.clone(),
                oapp: self.contracts().machine_nft_adapter.ok_or_else(|| {
                    PeaqosError::validation(
                        "machine_nft_adapter",
                        "required for peaq-side bridging",
                        "PeaqosClient must be constructed with machine_nft_adapter (or MACHINE_NFT_ADAPTER_ADDRESS env var) to bridge from peaq",
                    )
                })?,
            },
            BridgeChain::Base => {
                let url = base_rpc_url.filter(|u| !u.is_empty()).ok_or_else(|| {
                    PeaqosError::validation(
                        "base_rpc_url",
                        "non-empty string",
                        "base_rpc_url must be a non-empty string",
                    )
                })?;
                let oapp = base_nft_address.ok_or_else(|| {
                    PeaqosError::validation(
                        "base_nft_address",
                        "0x-prefixed 20-byte hex address",
                        "base_nft_address must be a valid 0x-prefixed Ethereum address",
                    )
                })?;
                let mut config = self.config().clone();
                config.rpc_url = url.to_string();
                config.private_key = None;
                config.ows_wallet = None;
                Source {
                    client: PeaqosClient::with_signer(config, self.wallet().clone())?,
                    oapp,
                }
            }
        };
        Ok((src, dst, source))
    }

    /// The native fee (wei) of bridging `token_id` to `recipient` (`quoteSend(..., false)`).
    #[allow(clippy::too_many_arguments)] // peaq's SDK's parameters, in its order
    pub async fn quote_bridge(
        &self,
        token_id: U256,
        source: &str,
        destination: &str,
        recipient: Address,
        base_rpc_url: Option<&str>,
        base_nft_address: Option<Address>,
        options: &[u8],
    ) -> Result<U256> {
        let (_, dst, s) = self.bridge_source(
            token_id,
            source,
            destination,
            base_rpc_url,
            base_nft_address,
        )?;
        let call = MachineNFTAdapter::quoteSendCall {
            _sendParam: send_param(dst, recipient, token_id, options),
            _payInLzToken: false,
        };
        Ok(s.client.call_view(s.oapp, &call).await?.nativeFee)
    }

    /// Bridges Machine NFT `token_id` from `source` to `destination` (`"peaq"` / `"base"`) for
    /// `recipient`: approves the adapter when bridging from peaq and it is not yet approved,
    /// quotes, then sends with exactly the quoted native fee (refunds to the client's address).
    /// `base_rpc_url` and `base_nft_address` are needed when the source is Base. Returns the
    /// source-chain transaction hash; wait for the token with [`wait_for_bridge_arrival`].
    #[allow(clippy::too_many_arguments)] // peaq's SDK's parameters, in its order
    pub async fn bridge_nft(
        &self,
        token_id: U256,
        source: &str,
        destination: &str,
        recipient: Address,
        base_rpc_url: Option<&str>,
        base_nft_address: Option<Address>,
        options: &[u8],
    ) -> Result<B256> {
        let (src, dst, s) = self.bridge_source(
            token_id,
            source,
            destination,
            base_rpc_url,
            base_nft_address,
        )?;
        if src == BridgeChain::Peaq {
            let nft = self.contracts().machine_nft;
            let approved = self
                .call_view(nft, &MachineNFT::getApprovedCall { tokenId: token_id })
                .await?;
            if approved != s.oapp {
                let approve = MachineNFT::approveCall {
                    to: s.oapp,
                    tokenId: token_id,
                };
                self.send_tx("approve", nft, approve.abi_encode().into(), U256::ZERO)
                    .await?;
            }
        }
        let param = send_param(dst, recipient, token_id, options);
        let fee = s
            .client
            .call_view(
                s.oapp,
                &MachineNFTAdapter::quoteSendCall {
                    _sendParam: param.clone(),
                    _payInLzToken: false,
                },
            )
            .await?;
        let native = fee.nativeFee;
        let call = MachineNFTAdapter::sendCall {
            _sendParam: param,
            _fee: fee,
            _refundAddress: self.address(),
        };
        let receipt = s
            .client
            .send_tx("bridge_nft", s.oapp, call.abi_encode().into(), native)
            .await?;
        Ok(receipt.transaction_hash)
    }
}

/// The GUID of the LayerZero message a bridge transaction sent (its `ONFTSent` log).
pub fn sent_guid(receipt: &crate::Receipt) -> Option<B256> {
    use alloy::sol_types::SolEvent;
    receipt.inner.logs().iter().find_map(|l| {
        MachineNFTAdapter::ONFTSent::decode_log_data(l.data())
            .ok()
            .map(|e| e.guid)
    })
}

/// Waits until `token_id` has an owner on the destination chain: probes `ownerOf` every
/// [`POLL_INTERVAL`] and returns `true` as soon as it answers a non-zero owner, `false` once
/// `timeout` (more than 60 s, as peaq's SDK requires) has passed. A "nonexistent token" revert
/// means not yet; any other failure is returned.
///
/// As in peaq's SDK, any owner counts: on peaq a token that left for Base is owned by the adapter
/// (locked), so waiting for a token to come back to peaq is [`wait_for_bridge_arrival_with`]
/// with `locked_by` = the adapter.
pub async fn wait_for_bridge_arrival(
    dst_rpc_url: &str,
    dst_nft_address: Address,
    token_id: U256,
    timeout: Duration,
) -> Result<bool> {
    wait_for_bridge_arrival_with(
        dst_rpc_url,
        dst_nft_address,
        token_id,
        timeout,
        POLL_INTERVAL,
        None,
        |_| {},
    )
    .await
}

/// [`wait_for_bridge_arrival`] with its poll interval, an owner that does not count as arrived
/// (`locked_by`: the peaq adapter, which holds tokens that are on Base), and a callback after each
/// probe that found nothing (given the time waited so far), for progress displays.
pub async fn wait_for_bridge_arrival_with(
    dst_rpc_url: &str,
    dst_nft_address: Address,
    token_id: U256,
    timeout: Duration,
    poll: Duration,
    locked_by: Option<Address>,
    mut on_wait: impl FnMut(Duration),
) -> Result<bool> {
    if dst_rpc_url.is_empty() {
        return Err(PeaqosError::validation(
            "dst_rpc_url",
            "non-empty string",
            "dst_rpc_url must be a non-empty string",
        ));
    }
    if token_id.is_zero() {
        return Err(PeaqosError::validation(
            "token_id",
            "positive integer",
            "token_id must be a positive integer",
        ));
    }
    if timeout <= MIN_ARRIVAL_TIMEOUT {
        return Err(PeaqosError::validation(
            "timeout",
            "positive integer (seconds)",
            "timeout must be a positive integer (seconds)",
        ));
    }
    let url = dst_rpc_url.parse().map_err(|_| {
        PeaqosError::validation("dst_rpc_url", "URL", "dst_rpc_url must be an http(s) URL")
    })?;
    let p = ProviderBuilder::new().connect_http(url);
    let started = Instant::now();
    loop {
        if probe_owner(&p, dst_nft_address, token_id, locked_by).await? {
            return Ok(true);
        }
        let waited = started.elapsed();
        if waited >= timeout {
            return Ok(false);
        }
        on_wait(waited);
        tokio::time::sleep(poll.min(timeout - waited)).await;
    }
}

async fn probe_owner(
    p: &impl Provider,
    nft: Address,
    token_id: U256,
    locked_by: Option<Address>,
) -> Result<bool> {
    let req = alloy::rpc::types::TransactionRequest::default()
        .to(nft)
        .input(
            MachineNFTBase::ownerOfCall { tokenId: token_id }
                .abi_encode()
                .into(),
        );
    match p.call(req).await {
        Ok(out) => Ok(MachineNFTBase::ownerOfCall::abi_decode_returns(&out)
            .is_ok_and(|owner| owner != Address::ZERO && Some(owner) != locked_by)),
        Err(e) => {
            if let Some(data) = e.as_error_resp().and_then(|r| r.as_revert_data())
                && matches!(
                    MachineNFTBase::MachineNFTBaseErrors::abi_decode(&data),
                    Ok(MachineNFTBase::MachineNFTBaseErrors::ERC721NonexistentToken(_))
                )
            {
                return Ok(false);
            }
            Err(from_transport(e))
        }
    }
}
