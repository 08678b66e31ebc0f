//! `peaqos_node`: the peaqOS ROS 2 node. It speaks ROS 2 on the wire (DDS/RTPS, through the
//! `ros2-client` crate on RustDDS), so `ros2 service call /peaqos_node/...` from any ROS 2
//! installation reaches it, and serves the 26 services of `peaq_ros2_interfaces` in-process on
//! the Rust SDK ([`peaqos_sdk::PeaqosClient`]).
//!
//! * [`interfaces`]: the message types, generated from the `.srv` files at build time.
//! * [`config`]: `peaq_robot.yaml`, environment and ROS parameters.
//! * [`registry`]: the wallet registry (peaq's file format; new keys in the OWS vault).
//! * [`handlers`]: what each service does, validation first.
//! * [`node`]: the DDS participant, the node and its servers.

#![warn(missing_docs)]

pub mod config;
pub mod handlers;
pub mod interfaces;
pub mod json;
pub mod node;
pub mod outcome;
pub mod registry;

pub use config::NodeConfig;
pub use handlers::Handlers;
pub use node::{RosOptions, RunningNode, start};
pub use registry::Registry;
