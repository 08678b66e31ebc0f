//! peaqOS contract bindings and deployment.
//!
//! * The bindings ([`IdentityRegistry`], [`EventRegistry`], ...): `sol!` generated from the
//!   committed artifacts in `contracts/out` (ABI + bytecode), so Rust code calls the exact
//!   contracts the repository builds.
//! * [`precompiles`]: the peaq precompile interfaces (DID, Batch, native ERC-20).
//! * [`DeploymentPlan`] and [`Deployment`]: the deployment plan of the core contracts behind UUPS
//!   proxies, used by the devnet genesis and usable against any chain.

mod bindings;
mod deploy;
pub mod precompiles;

pub use bindings::*;
pub use deploy::{Deployment, DeploymentPlan, Step};
