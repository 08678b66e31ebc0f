//! Registration (`register_machine`, `register_for`) and the Machine NFT (`mint_nft`,
//! `token_id_of`).

use alloy::primitives::{Address, B256, U256};
use alloy::sol_types::{SolCall, SolEvent};
use peaqos_contracts::{IdentityRegistry, MachineNFT};
use peaqos_types::event::{constraint, message};
use peaqos_types::{ErrorCode, MachineStatus};

use crate::client::{PeaqosClient, Receipt};
use crate::config::{IntoAddress, into_address};
use crate::error::{PeaqosError, Result};

pub(crate) fn check_machine_id(machine_id: u64) -> Result<()> {
    if machine_id == 0 {
        return Err(PeaqosError::validation(
            "machine_id",
            constraint::POSITIVE_INTEGER,
            message::MACHINE_ID,
        ));
    }
    Ok(())
}

/// Decodes the machine id from the `Registered` log of `registry` in `receipt`.
pub fn machine_id_from_receipt(receipt: &Receipt, registry: Address) -> Result<u64> {
    let log = receipt
        .inner
        .logs()
        .iter()
        .find(|l| {
            l.address() == registry
                && l.topics().first() == Some(&IdentityRegistry::Registered::SIGNATURE_HASH)
        })
        .ok_or_else(|| {
            PeaqosError::rpc(
                Some(ErrorCode::RegisteredEventMissing),
                "registration receipt has no Registered log (contract / SDK ABI mismatch?)",
            )
            .with_tx_hash(receipt.transaction_hash)
        })?;
    let malformed = |why: String| {
        PeaqosError::rpc(
            Some(ErrorCode::RegisteredEventMalformed),
            format!("Registered log is malformed: {why}"),
        )
        .with_tx_hash(receipt.transaction_hash)
    };
    let ev = IdentityRegistry::Registered::decode_log(&log.inner)
        .map_err(|e| malformed(e.to_string()))?;
    let id = ev.machineId;
    if id.is_zero() || id > U256::from(u64::MAX) {
        return Err(malformed(format!("machineId {id} out of range")));
    }
    Ok(id.to::<u64>())
}

/// The token id of the `MachineMinted` log of `machine_nft` for `machine_id` in `receipt`
/// (`MachineNFT.mint` returns nothing; the event carries the id). `None` when the receipt has
/// no such log.
pub fn minted_token_id(receipt: &Receipt, machine_nft: Address, machine_id: u64) -> Option<u64> {
    receipt
        .inner
        .logs()
        .iter()
        .filter(|l| l.address() == machine_nft)
        .filter_map(|l| MachineNFT::MachineMinted::decode_log(&l.inner).ok())
        .find(|ev| ev.machineId == U256::from(machine_id))
        .and_then(|ev| u64::try_from(ev.tokenId).ok())
}

impl PeaqosClient {
    /// `IdentityRegistry.minBond()` in wei (`MIN_BOND_INVALID_RESULT` when zero).
    pub async fn min_bond(&self) -> Result<U256> {
        let bond = self
            .call_view(
                self.contracts().identity_registry,
                &IdentityRegistry::minBondCall {},
            )
            .await?;
        if bond.is_zero() {
            return Err(PeaqosError::rpc(
                Some(ErrorCode::MinBondInvalidResult),
                "minBond() returned 0",
            ));
        }
        Ok(bond)
    }

    async fn register_with(&self, label: &str, data: Vec<u8>) -> Result<u64> {
        let bond = self.min_bond().await?;
        let registry = self.contracts().identity_registry;
        let receipt = self.send_tx(label, registry, data.into(), bond).await?;
        machine_id_from_receipt(&receipt, registry)
    }

    /// Registers the client's own address as a machine (`register()`, payable), sending
    /// `minBond` with the call. Returns the machine id decoded from the `Registered` log (the
    /// call's return value is not visible in a receipt).
    ///
    /// Errors: `AlreadyRegistered`, `REGISTERED_EVENT_MISSING` / `REGISTERED_EVENT_MALFORMED`,
    /// `TX_REVERTED` (e.g. `IncorrectBondAmount`, see [`PeaqosError::revert_name`]), RPC failures
    /// (e.g. insufficient funds).
    pub async fn register_machine(&self) -> Result<u64> {
        self.register_with(
            "register_machine",
            IdentityRegistry::registerCall {}.abi_encode(),
        )
        .await
    }

    /// Registers `machine_address` with the client as its proxy operator (which pays the bond).
    /// The zero address is sent to the chain so the `InvalidMachineAddress` revert explains it.
    ///
    /// Errors: `ValidationError` (`machineAddress must be a valid 0x-prefixed Ethereum address`)
    /// for a malformed string, then as [`PeaqosClient::register_machine`] plus
    /// `InvalidMachineAddress`.
    pub async fn register_for(&self, machine_address: impl IntoAddress) -> Result<u64> {
        let machine = into_address(machine_address, "machine_address", "machineAddress")?;
        self.register_with(
            "register_for",
            IdentityRegistry::registerForCall { machine }.abi_encode(),
        )
        .await
    }

    /// `IdentityRegistry.machineIdOfOwner(address)`: the machine id of the machine address
    /// `address` (the holder of its soulbound Identity NFT), 0 when it is not registered. For a
    /// proxy-registered machine pass the machine's address, not the operator's (peaq's CLI
    /// checks registration this way).
    pub async fn machine_id_of_owner(&self, address: impl IntoAddress) -> Result<u64> {
        let owner = into_address(address, "address", "address")?;
        let id = self
            .call_view(
                self.contracts().identity_registry,
                &IdentityRegistry::machineIdOfOwnerCall { owner },
            )
            .await?;
        u64::try_from(id).map_err(|_| {
            PeaqosError::rpc(
                None,
                format!("machineIdOfOwner returned {id}, out of range"),
            )
        })
    }

    /// The IdentityRegistry status of `machine_id`.
    pub async fn machine_status(&self, machine_id: u64) -> Result<MachineStatus> {
        check_machine_id(machine_id)?;
        let v = self
            .call_view(
                self.contracts().identity_registry,
                &IdentityRegistry::machineStatusCall {
                    machineId: U256::from(machine_id),
                },
            )
            .await?;
        MachineStatus::from_u8(v)
            .ok_or_else(|| PeaqosError::rpc(None, format!("unknown machine status {v}")))
    }

    /// Mints the Machine NFT of `machine_id` to `recipient` (the machine's own address, also
    /// when its operator mints); returns the transaction hash, as peaq's SDK does. `mint`
    /// returns nothing: the token id is [`PeaqosClient::token_id_of`] afterwards, or
    /// [`minted_token_id`] of the receipt's `MachineMinted` log.
    ///
    /// Errors: `ValidationError` for `machine_id == 0` or a malformed recipient; reverts
    /// `MachineNotFound`, `MachineNotBonded`, `AlreadyMinted`, `InvalidAddress`,
    /// `NotMachineOwner`, `RecipientMustBeMachineOwner`.
    pub async fn mint_nft(&self, machine_id: u64, recipient: impl IntoAddress) -> Result<B256> {
        check_machine_id(machine_id)?;
        let recipient = into_address(recipient, "recipient", "recipient")?;
        let call = MachineNFT::mintCall {
            machineId: U256::from(machine_id),
            recipient,
        };
        let r = self
            .send_tx(
                "mint_nft",
                self.contracts().machine_nft,
                call.abi_encode().into(),
                U256::ZERO,
            )
            .await?;
        Ok(r.transaction_hash)
    }

    /// The Machine NFT token id of `machine_id`, or 0 when none is minted.
    pub async fn token_id_of(&self, machine_id: u64) -> Result<u64> {
        check_machine_id(machine_id)?;
        let id = self
            .call_view(
                self.contracts().machine_nft,
                &MachineNFT::tokenIdOfCall {
                    machineId: U256::from(machine_id),
                },
            )
            .await?;
        u64::try_from(id)
            .map_err(|_| PeaqosError::rpc(None, format!("tokenIdOf returned {id}, out of range")))
    }
}
