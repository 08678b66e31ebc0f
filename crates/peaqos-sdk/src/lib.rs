//! The peaqOS Rust SDK: [`PeaqosClient`] does what the JS and Python SDKs do for onboarding
//! (register, Machine NFT, DID attributes), events (Qualify), MCR API queries and the Gas
//! Station, with the same names in snake_case, the same environment variables, validation
//! messages and error codes. Built on alloy.
//!
//! ```no_run
//! # async fn demo() -> peaqos_sdk::Result<()> {
//! use peaqos_sdk::{PeaqosClient, SubmitEventParams};
//! use alloy::primitives::U256;
//!
//! let client = PeaqosClient::from_env()?;
//! let machine_id = client.register_machine().await?;
//! let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
//! let (tx_hash, data_hash) = client
//!     .submit_event(&SubmitEventParams::revenue(machine_id, U256::from(12_500), "USD", now))
//!     .await?;
//! println!("{tx_hash} {data_hash}");
//! # Ok(()) }
//! ```
//!
//! Transactions: EIP-1559 fees from the node, `eth_estimateGas` x1.2, a local nonce manager
//! (many concurrent calls through one client never collide or leave gaps), local signing, and
//! receipt waiting with a timeout (`RECEIPT_AWAIT_FAILED` keeps the hash). A [`TxObserver`]
//! attached with [`PeaqosClient::with_tx_observer`] is told about every transaction on that
//! path (signed, accepted, rejected, mined), e.g. to journal hashes before their receipts.
//! Contract reverts are decoded with the bindings' error enums ([`decode_revert`]);
//! peaq's known reverts ([`KNOWN_REVERTS`]) keep their name as code, the rest are
//! `TX_REVERTED`.

#![warn(missing_docs)]

pub mod aa;
#[cfg(any(test, feature = "bench"))]
pub mod bench;
pub mod bridge;
mod client;
pub mod config;
pub mod constants;
pub mod did;
mod error;
pub mod events;
mod faucet;
pub mod fleet;
mod identity;
pub mod mcr;
mod nonce;
pub mod wallet;

pub use client::{PeaqosClient, Receipt, SignedTx, TxCall, TxObserver};
pub use config::{
    IntoAddress, PeaqosConfig, PrivateKey, TxOptions, devnet_addresses, preset_addresses,
};
pub use did::{
    DidAttribute, DidChange, WriteMachineDidParams, WriteProxyDidParams, encode_add_attribute,
    encode_did_change, encode_did_changes,
};
pub use error::{DecodedRevert, KNOWN_REVERTS, PeaqosError, Result, decode_revert};
pub use faucet::{FaucetSetupResponse, FundParams, FundResult, GasStationClient, QrFormat};
pub use fleet::{
    ActivatedMachine, FleetFailure, FleetMachine, FleetMachineOutcome, FleetObserver, FleetOptions,
    FleetReport, FleetStep, ProxyListOutcome,
};
pub use identity::{machine_id_from_receipt, minted_token_id};
pub use mcr::{
    EventEntry, ExplainResponse, MachineProfile, McrClient, McrResponse, OperatorMachine,
    OperatorMachinesResponse, Pagination, PeaqosData,
};

pub use peaqos_types::event::{compute_data_hash, validate_submit_event_params};
pub use peaqos_types::limits::{
    EventTracker, LimitError, OperationalLimits, RateTracker, check_operational_limits,
};
pub use peaqos_types::{
    BondStatus, ContractAddresses, DataVisibility, Did, ErrorCode, EventType, MachineStatus,
    Network, Rating, RevenueTrend, SubmitEventParams, TrustLevel, ValidationError,
};
