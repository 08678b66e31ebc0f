//! The peaq DID precompile (`0x…0800`), with the node's semantics:
//!
//! * anyone may add a NEW attribute to any account and thereby becomes an owner of the
//!   `(caller, did_account)` pair; update and remove need that ownership
//!   (`AttributeAuthorizationFailed`);
//! * add on an existing name fails with `AttributeAlreadyExist`, update/remove of a missing name
//!   with `AttributeNotFound` (update does not upsert); read of a missing name reverts
//!   "Cannot find the item";
//! * names are at most 64 bytes; `validity_for` is in blocks, 0 = never (stored as `u32::MAX`);
//!   `created` is the block time in milliseconds and is kept on update;
//! * adding reserves a deposit from the creator (held by the precompile account) that is released
//!   to the creator on remove.
//!
//! Storage lives in the precompile account itself, so snapshots, persistence and reverts of the
//! surrounding transaction cover it with no extra work.

use super::{Outcome, balance_of, sload, sstore, transfer};
use alloy::primitives::{Address, B256, Bytes, Log, LogData, U256, keccak256};
use alloy::sol_types::{SolCall, SolEvent, SolValue};
use peaqos_contracts::precompiles::DidRegistry;
use peaqos_types::constants::DID_PRECOMPILE_ADDRESS as DID;
use revm::context_interface::{Block, ContextTr, JournalTr};

/// Deposit reserved per attribute (0.1 PEAQ, as on the node snapshot).
pub(crate) const ATTRIBUTE_DEPOSIT: U256 = U256::from_limbs([100_000_000_000_000_000, 0, 0, 0]);
/// Longest accepted name, in bytes.
pub(crate) const MAX_NAME_BYTES: usize = 64;
/// Longest accepted value, in bytes.
pub(crate) const MAX_VALUE_BYTES: usize = 2560;

/// Gas as peaq's node charges it. The node's precompile records one database read (read) or
/// write (add, update, remove) up front, then dispatches `peaq_pallet_did`'s extrinsic, which
/// costs the pallet's benchmarked weight converted at the runtime's `WEIGHT_PER_GAS`, then records
/// the log (375 + 375 per topic + 8 per byte). Storage is therefore priced by weight, not per
/// 32-byte word like `SSTORE`.
pub(crate) mod gas {
    /// `WEIGHT_REF_TIME_PER_SECOND / GAS_PER_SECOND` (10^12 / 40,000,000) in peaq's runtime.
    pub(crate) const WEIGHT_PER_GAS: u64 = 25_000;
    /// `RocksDbWeight`: 25 µs per read, 100 µs per write, in picoseconds of ref time.
    const DB_READ: u64 = 25_000_000;
    const DB_WRITE: u64 = 100_000_000;
    /// What the precompile records before dispatching (`RuntimeHelper::db_read_gas_cost`).
    pub(crate) const READ: u64 = DB_READ / WEIGHT_PER_GAS;
    /// What the precompile records before dispatching (`RuntimeHelper::db_write_gas_cost`).
    pub(crate) const WRITE: u64 = DB_WRITE / WEIGHT_PER_GAS;
    /// Gas of a call that is not a DID call (nothing dispatched; one read's worth).
    pub(crate) const REJECT: u64 = READ;

    fn weight_to_gas(ref_time: u64) -> u64 {
        ref_time / WEIGHT_PER_GAS
    }

    /// `add_attribute(value.len())`: 170,106,824 + 5,039 per value byte, 2 reads, 2 writes.
    pub(crate) fn add(value_len: usize) -> u64 {
        WRITE + weight_to_gas(170_106_824 + 5_039 * value_len as u64 + 2 * DB_READ + 2 * DB_WRITE)
    }

    /// `update_attribute`: 493,020,972 (no per-byte term), 2 reads, 1 write.
    pub(crate) fn update() -> u64 {
        WRITE + weight_to_gas(493_020_972 + 2 * DB_READ + DB_WRITE)
    }

    /// `remove_attribute`: 35,729,000, 2 reads, 1 write.
    pub(crate) fn remove() -> u64 {
        WRITE + weight_to_gas(35_729_000 + 2 * DB_READ + DB_WRITE)
    }

    /// `readAttribute` dispatches nothing: one database read.
    pub(crate) fn read() -> u64 {
        READ
    }

    /// A `log1` of `data_len` bytes.
    pub(crate) fn log1(data_len: usize) -> u64 {
        375 + 375 + 8 * data_len as u64
    }
}

/// Base storage key of one attribute: `keccak256(abi.encode(did_account, keccak256(name)))`.
fn attribute_key(did_account: Address, name: &[u8]) -> U256 {
    U256::from_be_bytes(keccak256((did_account, keccak256(name)).abi_encode()).0)
}

/// Key recording that `owner` may update/remove attributes of `did_account`.
fn owner_key(owner: Address, did_account: Address) -> U256 {
    U256::from_be_bytes(keccak256((owner, did_account, "owner").abi_encode()).0)
}

fn data_key(base: U256) -> U256 {
    U256::from_be_bytes(keccak256(B256::from(base)).0)
}

/// Header word: bit 255 = exists, bits 160..192 = validity, low 160 bits = creator.
struct Header {
    creator: Address,
    validity: u32,
}

fn pack_header(h: &Header) -> U256 {
    (U256::from(1) << 255)
        | (U256::from(h.validity) << 160)
        | U256::from_be_slice(h.creator.as_slice())
}

fn unpack_header(word: U256) -> Option<Header> {
    if !word.bit(255) {
        return None;
    }
    let creator = Address::from_word(B256::from(word & ((U256::from(1) << 160) - U256::from(1))));
    let shifted: U256 = word >> 160usize;
    let validity: u32 = (shifted & U256::from(u32::MAX)).to();
    Some(Header { creator, validity })
}

struct Stored {
    header: Header,
    created: U256,
    value: Vec<u8>,
}

fn read_stored<CTX: ContextTr>(ctx: &mut CTX, base: U256) -> Result<Option<Stored>, String> {
    let Some(header) = unpack_header(sload(ctx, DID, base)?) else {
        return Ok(None);
    };
    let created = sload(ctx, DID, base + U256::from(1))?;
    let len = sload(ctx, DID, base + U256::from(3))?.to::<usize>();
    let words = len.div_ceil(32);
    let start = data_key(base);
    let mut value = Vec::with_capacity(words * 32);
    for i in 0..words {
        value.extend_from_slice(&sload(ctx, DID, start + U256::from(i))?.to_be_bytes::<32>());
    }
    value.truncate(len);
    Ok(Some(Stored {
        header,
        created,
        value,
    }))
}

fn write_value<CTX: ContextTr>(
    ctx: &mut CTX,
    base: U256,
    value: &[u8],
    old_len: usize,
) -> Result<(), String> {
    let start = data_key(base);
    let words = value.len().div_ceil(32);
    for (i, chunk) in value.chunks(32).enumerate() {
        let mut word = [0u8; 32];
        word[..chunk.len()].copy_from_slice(chunk);
        sstore(ctx, DID, start + U256::from(i), U256::from_be_bytes(word))?;
    }
    for i in words..old_len.div_ceil(32) {
        sstore(ctx, DID, start + U256::from(i), U256::ZERO)?;
    }
    sstore(ctx, DID, base + U256::from(3), U256::from(value.len()))
}

fn emit<CTX: ContextTr>(ctx: &mut CTX, data: LogData, gas: &mut u64) {
    *gas += gas::log1(data.data.len());
    ctx.journal_mut().log(Log { address: DID, data });
}

fn stored_validity(block_number: u64, validity_for: u32) -> u32 {
    if validity_for == 0 {
        u32::MAX
    } else {
        u32::try_from(block_number.saturating_add(u64::from(validity_for)))
            .unwrap_or(u32::MAX - 1)
            .min(u32::MAX - 1)
    }
}

enum Call {
    Read {
        did: Address,
        name: Bytes,
    },
    Add {
        did: Address,
        name: Bytes,
        value: Bytes,
        validity_for: u32,
    },
    Update {
        did: Address,
        name: Bytes,
        value: Bytes,
        validity_for: u32,
    },
    Remove {
        did: Address,
        name: Bytes,
    },
}

fn decode(input: &[u8]) -> Option<Call> {
    use DidRegistry as D;
    let sel: [u8; 4] = input.get(..4)?.try_into().ok()?;
    Some(match sel {
        D::readAttributeCall::SELECTOR | D::read_attributeCall::SELECTOR => {
            let c = D::readAttributeCall::abi_decode_raw(&input[4..]).ok()?;
            Call::Read {
                did: c.did_account,
                name: c.name,
            }
        }
        D::addAttributeCall::SELECTOR | D::add_attributeCall::SELECTOR => {
            let c = D::addAttributeCall::abi_decode_raw(&input[4..]).ok()?;
            Call::Add {
                did: c.did_account,
                name: c.name,
                value: c.value,
                validity_for: c.validity_for,
            }
        }
        D::updateAttributeCall::SELECTOR | D::update_attributeCall::SELECTOR => {
            let c = D::updateAttributeCall::abi_decode_raw(&input[4..]).ok()?;
            Call::Update {
                did: c.did_account,
                name: c.name,
                value: c.value,
                validity_for: c.validity_for,
            }
        }
        D::removeAttributeCall::SELECTOR | D::remove_attributeCall::SELECTOR => {
            let c = D::removeAttributeCall::abi_decode_raw(&input[4..]).ok()?;
            Call::Remove {
                did: c.did_account,
                name: c.name,
            }
        }
        _ => return None,
    })
}

/// Runs one call to the DID precompile.
pub(crate) fn run<CTX: ContextTr>(
    ctx: &mut CTX,
    caller: Address,
    value: U256,
    is_static: bool,
    input: &[u8],
) -> Result<Outcome, String> {
    let Some(call) = decode(input) else {
        return Ok(Outcome::revert(
            gas::REJECT,
            "Unknown selector or malformed input",
        ));
    };
    if !value.is_zero() {
        return Ok(Outcome::revert(gas::REJECT, "Function is not payable"));
    }
    // As on the node, the whole dispatch weight is charged before the pallet runs, so a call the
    // pallet rejects (name too long, already exists, not found, not the owner) costs the same.
    let mut gas = match &call {
        Call::Read { .. } => gas::read(),
        Call::Add { value, .. } if value.len() > MAX_VALUE_BYTES => gas::WRITE,
        Call::Add { value, .. } => gas::add(value.len()),
        Call::Update { value, .. } if value.len() > MAX_VALUE_BYTES => gas::WRITE,
        Call::Update { .. } => gas::update(),
        Call::Remove { .. } => gas::remove(),
    };
    let name_of = |c: &Call| match c {
        Call::Read { name, .. }
        | Call::Add { name, .. }
        | Call::Update { name, .. }
        | Call::Remove { name, .. } => name.len(),
    };
    if name_of(&call) > MAX_NAME_BYTES {
        return Ok(Outcome::revert(gas, "AttributeNameExceedMax64"));
    }
    if is_static && !matches!(call, Call::Read { .. }) {
        return Ok(Outcome::revert(
            gas,
            "Cannot modify state in static context",
        ));
    }
    let block_number = ctx.block().number().saturating_to::<u64>();
    let now_ms = ctx.block().timestamp().saturating_mul(U256::from(1000));
    match call {
        Call::Read { did, name } => {
            let base = attribute_key(did, &name);
            let Some(s) = read_stored(ctx, base)? else {
                return Ok(Outcome::revert(gas, "Cannot find the item"));
            };
            let attr = DidRegistry::Attribute {
                name,
                value: s.value.into(),
                validity: s.header.validity,
                created: s.created,
            };
            Ok(Outcome::ok(
                gas,
                DidRegistry::readAttributeCall::abi_encode_returns(&attr),
            ))
        }
        Call::Add {
            did,
            name,
            value,
            validity_for,
        } => {
            if value.len() > MAX_VALUE_BYTES {
                return Ok(Outcome::revert(gas, "AttributeValueExceedMax2560"));
            }
            let base = attribute_key(did, &name);
            if unpack_header(sload(ctx, DID, base)?).is_some() {
                return Ok(Outcome::revert(gas, "AttributeAlreadyExist"));
            }
            if balance_of(ctx, caller)? < ATTRIBUTE_DEPOSIT
                || !transfer(ctx, caller, DID, ATTRIBUTE_DEPOSIT)?
            {
                return Ok(Outcome::revert(gas, "InsufficientBalanceForDeposit"));
            }
            let header = Header {
                creator: caller,
                validity: stored_validity(block_number, validity_for),
            };
            sstore(ctx, DID, base, pack_header(&header))?;
            sstore(ctx, DID, base + U256::from(1), now_ms)?;
            sstore(ctx, DID, base + U256::from(2), ATTRIBUTE_DEPOSIT)?;
            sstore(ctx, DID, owner_key(caller, did), U256::from(1))?;
            write_value(ctx, base, &value, 0)?;
            let ev = DidRegistry::AddAttribute {
                sender: caller,
                did_account: did,
                name,
                value,
                validity: validity_for,
            };
            emit(ctx, ev.encode_log_data(), &mut gas);
            Ok(Outcome::ok(gas, true.abi_encode()))
        }
        Call::Update {
            did,
            name,
            value,
            validity_for,
        } => {
            if value.len() > MAX_VALUE_BYTES {
                return Ok(Outcome::revert(gas, "AttributeValueExceedMax2560"));
            }
            let base = attribute_key(did, &name);
            let Some(s) = read_stored(ctx, base)? else {
                return Ok(Outcome::revert(gas, "AttributeNotFound"));
            };
            if sload(ctx, DID, owner_key(caller, did))?.is_zero() {
                return Ok(Outcome::revert(gas, "AttributeAuthorizationFailed"));
            }
            let header = Header {
                creator: s.header.creator,
                validity: stored_validity(block_number, validity_for),
            };
            sstore(ctx, DID, base, pack_header(&header))?;
            write_value(ctx, base, &value, s.value.len())?;
            let ev = DidRegistry::UpdateAttribute {
                sender: caller,
                did_account: did,
                name,
                value,
                validity: validity_for,
            };
            emit(ctx, ev.encode_log_data(), &mut gas);
            Ok(Outcome::ok(gas, true.abi_encode()))
        }
        Call::Remove { did, name } => {
            let base = attribute_key(did, &name);
            let Some(s) = read_stored(ctx, base)? else {
                return Ok(Outcome::revert(gas, "AttributeNotFound"));
            };
            if sload(ctx, DID, owner_key(caller, did))?.is_zero() {
                return Ok(Outcome::revert(gas, "AttributeAuthorizationFailed"));
            }
            let deposit = sload(ctx, DID, base + U256::from(2))?;
            write_value(ctx, base, &[], s.value.len())?;
            for i in 0..4u64 {
                sstore(ctx, DID, base + U256::from(i), U256::ZERO)?;
            }
            if !deposit.is_zero() && !transfer(ctx, DID, s.header.creator, deposit)? {
                return Err("DID precompile holds less than the recorded deposit".into());
            }
            let ev = DidRegistry::RemoveAttribte {
                did_account: did,
                name,
            };
            emit(ctx, ev.encode_log_data(), &mut gas);
            Ok(Outcome::ok(gas, true.abi_encode()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn header_round_trips(creator in any::<[u8; 20]>(), validity in any::<u32>()) {
            let h = Header { creator: Address::from(creator), validity };
            let back = unpack_header(pack_header(&h)).expect("exists bit set");
            prop_assert_eq!(back.creator, h.creator);
            prop_assert_eq!(back.validity, h.validity);
        }
    }

    /// The figures worked out by hand from peaq's pallet weights (RocksDb: 25 µs per read, 100 µs
    /// per write; 25,000 weight per gas), so a change of the schedule's arithmetic shows here.
    #[test]
    fn gas_follows_peaqs_benchmarked_weights() {
        // 4,000 + (170,106,824 + 2 x 25,000,000 + 2 x 100,000,000) / 25,000
        assert_eq!(gas::add(0), 20_804);
        // + 5,039 x 2,560 weight for the longest value
        assert_eq!(gas::add(MAX_VALUE_BYTES), 21_320);
        // 4,000 + (493,020,972 + 50,000,000 + 100,000,000) / 25,000
        assert_eq!(gas::update(), 29_720);
        // 4,000 + (35,729,000 + 50,000,000 + 100,000,000) / 25,000
        assert_eq!(gas::remove(), 11_429);
        assert_eq!(gas::read(), 1_000);
        assert_eq!(gas::log1(192), 750 + 1_536);
    }

    proptest! {
        #[test]
        fn adding_a_longer_value_never_costs_less(a in 0usize..=MAX_VALUE_BYTES, b in 0usize..=MAX_VALUE_BYTES) {
            let (short, long) = (a.min(b), a.max(b));
            prop_assert!(gas::add(short) <= gas::add(long));
        }
    }

    #[test]
    fn empty_word_is_no_attribute() {
        assert!(unpack_header(U256::ZERO).is_none());
    }

    #[test]
    fn validity_zero_never_expires() {
        assert_eq!(stored_validity(10, 0), u32::MAX);
        assert_eq!(stored_validity(10, 5), 15);
        assert_eq!(stored_validity(u64::from(u32::MAX), 5), u32::MAX - 1);
    }
}
