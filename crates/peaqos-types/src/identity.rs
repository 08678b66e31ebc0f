//! IdentityRegistry machine status (`machineStatus(machineId)`).

use std::fmt;

/// Per-machine status tracked by the IdentityRegistry (`None` -> `Pending` ->
/// `Verified` / `Rejected` / `Deactivated`), with the SDKs' `MACHINE_STATUS_*` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MachineStatus {
    /// `0`: no record.
    None,
    /// `1`: registered, awaiting verification.
    Pending,
    /// `2`: verified.
    Verified,
    /// `3`: rejected.
    Rejected,
    /// `4`: deactivated (event submission reverts `MachineDeactivated`).
    Deactivated,
}

impl MachineStatus {
    /// The on-chain `uint8` value.
    pub const fn as_u8(self) -> u8 {
        match self {
            MachineStatus::None => 0,
            MachineStatus::Pending => 1,
            MachineStatus::Verified => 2,
            MachineStatus::Rejected => 3,
            MachineStatus::Deactivated => 4,
        }
    }

    /// The status for an on-chain value, if valid.
    pub const fn from_u8(v: u8) -> Option<MachineStatus> {
        match v {
            0 => Some(MachineStatus::None),
            1 => Some(MachineStatus::Pending),
            2 => Some(MachineStatus::Verified),
            3 => Some(MachineStatus::Rejected),
            4 => Some(MachineStatus::Deactivated),
            _ => None,
        }
    }

    /// Name as the docs write it (`None`, `Pending`, ...).
    pub const fn as_str(self) -> &'static str {
        match self {
            MachineStatus::None => "None",
            MachineStatus::Pending => "Pending",
            MachineStatus::Verified => "Verified",
            MachineStatus::Rejected => "Rejected",
            MachineStatus::Deactivated => "Deactivated",
        }
    }
}

impl fmt::Display for MachineStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn u8_round_trip() {
        for v in 0u8..=4 {
            assert_eq!(MachineStatus::from_u8(v).unwrap().as_u8(), v);
        }
        assert_eq!(MachineStatus::from_u8(5), None);
        assert_eq!(MachineStatus::from_u8(4), Some(MachineStatus::Deactivated));
        assert_eq!(MachineStatus::Pending.to_string(), "Pending");
    }
}
