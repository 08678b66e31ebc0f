//! The native balance exposed as an ERC-20 at `0x…0809`, as on peaq:
//! `balanceOf` is the usable native balance, transfers move native balance, allowances and
//! EIP-2612 permits work, `deposit()` (also the fallback) hands `msg.value` straight back and
//! `withdraw` only checks the balance. Nothing is ever wrapped.

use super::{Outcome, balance_of, revert_bytes, sload, sstore, transfer};
use alloy::primitives::{Address, B256, Bytes, Log, U256, keccak256};
use alloy::sol_types::{SolCall, SolEvent, SolValue};
use peaqos_contracts::precompiles::NativeErc20 as E;
use peaqos_types::constants::NATIVE_ERC20_PRECOMPILE_ADDRESS as ME;
use revm::context_interface::{Block, Cfg, ContextTr, JournalTr};

/// Token name reported by `name()`.
pub(crate) const NAME: &str = "peaq token";
/// Token symbol reported by `symbol()`.
pub(crate) const SYMBOL: &str = "PEAQ";

const GAS_VIEW: u64 = 2_600;
const GAS_WRITE: u64 = 25_000;

fn allowance_key(owner: Address, spender: Address) -> U256 {
    U256::from_be_bytes(keccak256((owner, spender, "allowance").abi_encode()).0)
}

fn nonce_key(owner: Address) -> U256 {
    U256::from_be_bytes(keccak256((owner, "nonce").abi_encode()).0)
}

/// EIP-712 domain separator of the token on `chain_id`.
pub(crate) fn domain_separator(chain_id: u64) -> B256 {
    keccak256(
        (
            keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"),
            keccak256(NAME),
            keccak256("1"),
            U256::from(chain_id),
            ME,
        )
            .abi_encode(),
    )
}

fn log<CTX: ContextTr>(ctx: &mut CTX, data: alloy::primitives::LogData) {
    ctx.journal_mut().log(Log { address: ME, data });
}

fn do_transfer<CTX: ContextTr>(
    ctx: &mut CTX,
    from: Address,
    to: Address,
    value: U256,
) -> Result<Option<Outcome>, String> {
    if to == Address::ZERO {
        return Ok(Some(Outcome::revert(
            GAS_WRITE,
            "ERC20: transfer to the zero address",
        )));
    }
    if balance_of(ctx, from)? < value || !transfer(ctx, from, to, value)? {
        return Ok(Some(Outcome::revert(
            GAS_WRITE,
            "ERC20: transfer amount exceeds balance",
        )));
    }
    log(ctx, E::Transfer { from, to, value }.encode_log_data());
    Ok(None)
}

/// Runs one call to the native ERC-20.
pub(crate) fn run<CTX: ContextTr>(
    ctx: &mut CTX,
    caller: Address,
    value: U256,
    is_static: bool,
    input: &[u8],
) -> Result<Outcome, String> {
    let selector: Option<[u8; 4]> = input.get(..4).and_then(|s| s.try_into().ok());
    let args = input.get(4..).unwrap_or_default();
    let is_deposit = match selector {
        None => true,
        Some(E::depositCall::SELECTOR) => true,
        Some(s) => ![
            E::nameCall::SELECTOR,
            E::symbolCall::SELECTOR,
            E::decimalsCall::SELECTOR,
            E::balanceOfCall::SELECTOR,
            E::allowanceCall::SELECTOR,
            E::transferCall::SELECTOR,
            E::approveCall::SELECTOR,
            E::transferFromCall::SELECTOR,
            E::permitCall::SELECTOR,
            E::noncesCall::SELECTOR,
            E::DOMAIN_SEPARATORCall::SELECTOR,
            E::withdrawCall::SELECTOR,
        ]
        .contains(&s),
    };
    if is_deposit {
        if is_static && !value.is_zero() {
            return Ok(Outcome::revert(
                GAS_VIEW,
                "Cannot modify state in static context",
            ));
        }
        // The EVM already moved msg.value here; hand it straight back.
        if !value.is_zero() && !transfer(ctx, ME, caller, value)? {
            return Err("native ERC-20 precompile could not return a deposit".into());
        }
        log(
            ctx,
            E::Deposit {
                dst: caller,
                wad: value,
            }
            .encode_log_data(),
        );
        return Ok(Outcome::ok(GAS_WRITE, Bytes::new()));
    }
    if !value.is_zero() {
        return Ok(Outcome::revert(GAS_VIEW, "Function is not payable"));
    }
    let bad = || Ok(Outcome::revert(GAS_VIEW, "Malformed input"));
    let writes = !matches!(
        selector,
        Some(
            E::nameCall::SELECTOR
                | E::symbolCall::SELECTOR
                | E::decimalsCall::SELECTOR
                | E::balanceOfCall::SELECTOR
                | E::allowanceCall::SELECTOR
                | E::noncesCall::SELECTOR
                | E::DOMAIN_SEPARATORCall::SELECTOR
        )
    );
    if writes && is_static {
        return Ok(Outcome::revert(
            GAS_VIEW,
            "Cannot modify state in static context",
        ));
    }
    match selector.unwrap_or_default() {
        E::nameCall::SELECTOR => Ok(Outcome::ok(
            GAS_VIEW,
            E::nameCall::abi_encode_returns(&NAME.to_string()),
        )),
        E::symbolCall::SELECTOR => Ok(Outcome::ok(
            GAS_VIEW,
            E::symbolCall::abi_encode_returns(&SYMBOL.to_string()),
        )),
        E::decimalsCall::SELECTOR => Ok(Outcome::ok(
            GAS_VIEW,
            E::decimalsCall::abi_encode_returns(&18u8),
        )),
        E::balanceOfCall::SELECTOR => {
            let Ok(c) = E::balanceOfCall::abi_decode_raw(args) else {
                return bad();
            };
            let b = balance_of(ctx, c.owner)?;
            Ok(Outcome::ok(GAS_VIEW, b.abi_encode()))
        }
        E::allowanceCall::SELECTOR => {
            let Ok(c) = E::allowanceCall::abi_decode_raw(args) else {
                return bad();
            };
            let a = sload(ctx, ME, allowance_key(c.owner, c.spender))?;
            Ok(Outcome::ok(GAS_VIEW, a.abi_encode()))
        }
        E::noncesCall::SELECTOR => {
            let Ok(c) = E::noncesCall::abi_decode_raw(args) else {
                return bad();
            };
            let n = sload(ctx, ME, nonce_key(c.owner))?;
            Ok(Outcome::ok(GAS_VIEW, n.abi_encode()))
        }
        E::DOMAIN_SEPARATORCall::SELECTOR => {
            let chain_id = ctx.cfg().chain_id();
            Ok(Outcome::ok(
                GAS_VIEW,
                domain_separator(chain_id).abi_encode(),
            ))
        }
        E::transferCall::SELECTOR => {
            let Ok(c) = E::transferCall::abi_decode_raw(args) else {
                return bad();
            };
            if let Some(fail) = do_transfer(ctx, caller, c.to, c.value)? {
                return Ok(fail);
            }
            Ok(Outcome::ok(GAS_WRITE, true.abi_encode()))
        }
        E::approveCall::SELECTOR => {
            let Ok(c) = E::approveCall::abi_decode_raw(args) else {
                return bad();
            };
            sstore(ctx, ME, allowance_key(caller, c.spender), c.value)?;
            log(
                ctx,
                E::Approval {
                    owner: caller,
                    spender: c.spender,
                    value: c.value,
                }
                .encode_log_data(),
            );
            Ok(Outcome::ok(GAS_WRITE, true.abi_encode()))
        }
        E::transferFromCall::SELECTOR => {
            let Ok(c) = E::transferFromCall::abi_decode_raw(args) else {
                return bad();
            };
            if caller != c.from {
                let key = allowance_key(c.from, caller);
                let allowed = sload(ctx, ME, key)?;
                if allowed < c.value {
                    return Ok(Outcome::revert(GAS_WRITE, "ERC20: insufficient allowance"));
                }
                if allowed != U256::MAX {
                    sstore(ctx, ME, key, allowed - c.value)?;
                }
            }
            if let Some(fail) = do_transfer(ctx, c.from, c.to, c.value)? {
                return Ok(fail);
            }
            Ok(Outcome::ok(GAS_WRITE * 2, true.abi_encode()))
        }
        E::permitCall::SELECTOR => {
            let Ok(c) = E::permitCall::abi_decode_raw(args) else {
                return bad();
            };
            if c.deadline < ctx.block().timestamp() {
                return Ok(Outcome::revert(GAS_WRITE, "Permit expired"));
            }
            let nonce = sload(ctx, ME, nonce_key(c.owner))?;
            let type_hash = keccak256(
                "Permit(address owner,address spender,uint256 value,uint256 nonce,uint256 deadline)",
            );
            let struct_hash =
                keccak256((type_hash, c.owner, c.spender, c.value, nonce, c.deadline).abi_encode());
            let chain_id = ctx.cfg().chain_id();
            let mut buf = Vec::with_capacity(66);
            buf.extend_from_slice(b"\x19\x01");
            buf.extend_from_slice(domain_separator(chain_id).as_slice());
            buf.extend_from_slice(struct_hash.as_slice());
            let digest = keccak256(&buf);
            let parity = match c.v {
                27 | 0 => false,
                28 | 1 => true,
                _ => return Ok(Outcome::revert(GAS_WRITE, "Invalid permit")),
            };
            let sig = alloy::primitives::Signature::new(c.r.into(), c.s.into(), parity);
            match sig.recover_address_from_prehash(&digest) {
                Ok(signer) if signer == c.owner && c.owner != Address::ZERO => {}
                _ => return Ok(Outcome::revert(GAS_WRITE, "Invalid permit")),
            }
            sstore(ctx, ME, nonce_key(c.owner), nonce + U256::from(1))?;
            sstore(ctx, ME, allowance_key(c.owner, c.spender), c.value)?;
            log(
                ctx,
                E::Approval {
                    owner: c.owner,
                    spender: c.spender,
                    value: c.value,
                }
                .encode_log_data(),
            );
            Ok(Outcome::ok(GAS_WRITE * 2, Bytes::new()))
        }
        E::withdrawCall::SELECTOR => {
            let Ok(c) = E::withdrawCall::abi_decode_raw(args) else {
                return bad();
            };
            if balance_of(ctx, caller)? < c.value {
                return Ok(Outcome {
                    gas_used: GAS_VIEW,
                    reverted: true,
                    output: revert_bytes("Trying to withdraw more than owned"),
                });
            }
            log(
                ctx,
                E::Withdrawal {
                    src: caller,
                    wad: c.value,
                }
                .encode_log_data(),
            );
            Ok(Outcome::ok(GAS_WRITE, Bytes::new()))
        }
        _ => bad(),
    }
}
