//! Contract suite: every function, event and documented custom error of IdentityRegistry,
//! IdentityStaking, EventRegistry, MachineNFT and AdminFlags (contracts/README.md; the check
//! orders are the NatSpec of contracts/src), against the contracts the devnet deploys at genesis.

mod admin_flags;
mod events;
mod machine_nft;
mod registry;
mod staking;
mod upgrades;
