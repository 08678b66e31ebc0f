//! The bridge's integration tests, one binary (`cargo test -p peaqos-bridge --test it`): two
//! devnets (peaq and the chain playing Base) on loopback, LayerZero's EndpointV2 and
//! SendUln302 / ReceiveUln302 from the installed npm packages, our LocalDVN and LocalExecutor, the Machine NFT OApps, and the relayer.
//!
//! - [`deploy`]: addresses, wiring, idempotence, the ABIs against peaq's;
//! - [`round_trip`]: peaq -> Base -> peaq, fees, owners, pauses;
//! - [`crash`]: a relayer killed with SIGKILL between verification and delivery;
//! - [`sdk`]: `PeaqosClient::bridge_nft` and `wait_for_bridge_arrival` both ways, the relayer
//!   running as a service.

mod crash;
mod deploy;
mod round_trip;
mod sdk;
mod util;
