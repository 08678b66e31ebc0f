//! Pure domain types of peaqOS: network presets and contract addresses, peaqIDs (DIDs),
//! revenue / activity event parameters and their validation, operational limits, Machine
//! Credit Rating letters, the stable error codes the SDKs document and the MCR API's JSON
//! documents ([`mcr_wire`], shared by the server and the SDK's client).
//!
//! No I/O and no async: every function here is a pure function that tests call directly.
//!
//! ```
//! use peaqos_types::event::{SubmitEventParams, validate_submit_event_params};
//! use peaqos_types::rating::{Rating, rating_for_score};
//! use alloy_primitives::U256;
//!
//! let p = SubmitEventParams::revenue(1, U256::from(500u64), "USD", 1_700_000_000);
//! assert!(validate_submit_event_params(&p).is_ok());
//! assert_eq!(rating_for_score(61), Rating::BBB);
//! ```

#![warn(missing_docs)]

pub mod constants;
pub mod did;
mod envfile;
pub mod error;
pub mod event;
mod gas_station;
pub mod identity;
pub mod limits;
pub mod mcr_wire;
pub mod network;
pub mod rating;

pub use did::{DataVisibility, Did, DidParseError};
pub use envfile::EnvFile;
pub use error::{ErrorCategory, ErrorCode, ValidationError};
pub use event::{
    BatchValidationError, EventType, PreparedEvent, SubmitEventParams, TrustLevel,
    compute_data_hash, resolve_currency, validate_submit_event_params,
};
pub use gas_station::QrFormat;
pub use identity::MachineStatus;
pub use limits::{
    EventTracker, LimitError, OperationalLimits, RateTracker, check_operational_limits,
};
pub use network::{ContractAddresses, Network};
pub use rating::{AmountStatus, BondStatus, Rating, RevenueTrend, rating_for_score};
