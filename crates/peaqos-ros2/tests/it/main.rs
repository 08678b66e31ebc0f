//! Integration tests of peaqos-ros2 (one binary): the interfaces against their `.srv` files,
//! the configuration and the wallet registry, and the node over real DDS on the loopback
//! interface (ros2-client peers speaking the Fast DDS and the Cyclone reply mappings), against
//! a devnet for the chain services.

mod chain;
mod common;
mod config;
mod dds;
mod interfaces;
mod registry;
