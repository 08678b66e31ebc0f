//! The SDKs' constant exports under their documented names (values from `peaqos-types`).

pub use peaqos_types::constants::*;
pub use peaqos_types::network::env;

/// `DEFAULT_API_URL`: the MCR API base URL used when none is configured.
pub const DEFAULT_API_URL: &str = DEFAULT_MCR_API_URL;
/// `TRUST_ON_CHAIN_VERIFIABLE` (the SDK spelling of [`TRUST_ONCHAIN_VERIFIABLE`]).
pub const TRUST_ON_CHAIN_VERIFIABLE: u8 = TRUST_ONCHAIN_VERIFIABLE;
/// `SUPPORTED_CHAINS` (Python) / `SUPPORTED_CHAIN_IDS` (JS).
pub const SUPPORTED_CHAINS: [(&str, u64); 6] = SUPPORTED_CHAIN_IDS;
/// `LAYER_ZERO_EIDS` (JS spelling of [`LAYERZERO_EIDS`]).
pub const LAYER_ZERO_EIDS: [(&str, u32); 2] = LAYERZERO_EIDS;
/// `DEFAULT_MCR_HTTP_TIMEOUT_MS`.
pub const DEFAULT_MCR_HTTP_TIMEOUT_MS: u64 = crate::mcr::DEFAULT_MCR_HTTP_TIMEOUT_MS;

/// `MACHINE_STATUS_NONE`.
pub const MACHINE_STATUS_NONE: u8 = 0;
/// `MACHINE_STATUS_PENDING`.
pub const MACHINE_STATUS_PENDING: u8 = 1;
/// `MACHINE_STATUS_VERIFIED`.
pub const MACHINE_STATUS_VERIFIED: u8 = 2;
/// `MACHINE_STATUS_REJECTED`.
pub const MACHINE_STATUS_REJECTED: u8 = 3;
/// `MACHINE_STATUS_DEACTIVATED`.
pub const MACHINE_STATUS_DEACTIVATED: u8 = 4;

/// `MCR_RATING_AAA`.
pub const MCR_RATING_AAA: &str = "AAA";
/// `MCR_RATING_AA`.
pub const MCR_RATING_AA: &str = "AA";
/// `MCR_RATING_A`.
pub const MCR_RATING_A: &str = "A";
/// `MCR_RATING_BBB`.
pub const MCR_RATING_BBB: &str = "BBB";
/// `MCR_RATING_BB`.
pub const MCR_RATING_BB: &str = "BB";
/// `MCR_RATING_B`.
pub const MCR_RATING_B: &str = "B";
/// `MCR_RATING_NR`.
pub const MCR_RATING_NR: &str = "NR";
/// The `Provisioned` rating string (bonded, not yet scored).
pub const MCR_RATING_PROVISIONED: &str = "Provisioned";

/// `DATA_VISIBILITY_PUBLIC`.
pub const DATA_VISIBILITY_PUBLIC: &str = "public";
/// `DATA_VISIBILITY_PRIVATE`.
pub const DATA_VISIBILITY_PRIVATE: &str = "private";
/// `DATA_VISIBILITY_ONCHAIN`.
pub const DATA_VISIBILITY_ONCHAIN: &str = "onchain";

#[cfg(test)]
mod tests {
    use super::*;
    use peaqos_types::{DataVisibility, MachineStatus, Rating};

    #[test]
    fn constants_agree_with_the_types() {
        assert_eq!(DEFAULT_API_URL, "http://127.0.0.1:8000");
        assert_eq!(TRUST_ON_CHAIN_VERIFIABLE, 1);
        for (c, s) in [
            (MACHINE_STATUS_NONE, MachineStatus::None),
            (MACHINE_STATUS_PENDING, MachineStatus::Pending),
            (MACHINE_STATUS_VERIFIED, MachineStatus::Verified),
            (MACHINE_STATUS_REJECTED, MachineStatus::Rejected),
            (MACHINE_STATUS_DEACTIVATED, MachineStatus::Deactivated),
        ] {
            assert_eq!(c, s.as_u8());
        }
        let letters = [
            MCR_RATING_AAA,
            MCR_RATING_AA,
            MCR_RATING_A,
            MCR_RATING_BBB,
            MCR_RATING_BB,
            MCR_RATING_B,
            MCR_RATING_NR,
            MCR_RATING_PROVISIONED,
        ];
        for (l, r) in letters.iter().zip(Rating::ALL) {
            assert_eq!(*l, r.as_str());
        }
        for (v, d) in [
            (DATA_VISIBILITY_PUBLIC, DataVisibility::Public),
            (DATA_VISIBILITY_PRIVATE, DataVisibility::Private),
            (DATA_VISIBILITY_ONCHAIN, DataVisibility::Onchain),
        ] {
            assert_eq!(v, d.as_str());
        }
        assert_eq!(SUPPORTED_CHAINS[0], ("peaq", 3338));
        assert_eq!(LAYER_ZERO_EIDS, [("peaq", 30302), ("base", 30184)]);
        assert_eq!(DEFAULT_MCR_HTTP_TIMEOUT_MS, 30_000);
    }
}
