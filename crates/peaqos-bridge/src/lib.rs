//! The Machine NFT bridge between peaq and Base on LayerZero V2, runnable on one machine.
//!
//! - [`packet`]: the LayerZero wire formats (PacketV1, GUID, payload hash, executor options), pure;
//! - [`deploy`]: EndpointV2 + SendUln302 / ReceiveUln302 from LayerZero's npm packages (read at
//!   run time, never committed), our LocalDVN and LocalExecutor, and MachineNFTAdapter /
//!   MachineNFTBase, peers and enforced options;
//! - [`relayer`]: follows `PacketSent` on both chains, verifies and delivers each packet exactly
//!   once, from a durable cursor.

pub mod abi;
pub mod deploy;
pub mod error;
pub mod packet;
pub mod relayer;

pub use deploy::{BridgeLayout, LzArtifacts, Side, SideDeployment, install};
pub use error::BridgeError;
pub use relayer::{RelayChain, Relayer, RelayerConfig, RelayerHandle, RelayerState, spawn};
