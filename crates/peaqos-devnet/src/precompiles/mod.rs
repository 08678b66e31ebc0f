//! The peaq precompiles, run inside revm through a [`PrecompileProvider`].
//!
//! * [`did`] — DID registry at `0x…0800`
//! * Batch at `0x…0805`: executed at the top level by the chain (see `chain::batch`), because its
//!   subcalls run with the original caller as `msg.sender`. A contract that reaches it inside the
//!   EVM gets the node's revert "Function not callable by smart contracts".
//! * [`erc20`] — the native balance as an ERC-20 at `0x…0809`

pub(crate) mod did;
pub(crate) mod erc20;

use alloy::primitives::{Address, Bytes, U256};
use alloy::sol_types::{Revert, SolError};
use peaqos_types::constants::{
    BATCH_PRECOMPILE_ADDRESS, DID_PRECOMPILE_ADDRESS, NATIVE_ERC20_PRECOMPILE_ADDRESS,
};
use revm::context::Cfg;
use revm::context_interface::{ContextTr, JournalTr};
use revm::handler::{EthPrecompiles, PrecompileProvider, precompile_output_to_interpreter_result};
use revm::interpreter::{CallInputs, InterpreterResult};
use revm::precompile::PrecompileOutput;
use revm::primitives::AddressSet;
use revm::primitives::hardfork::SpecId;

/// Ethereum's precompiles plus peaq's DID, Batch and native ERC-20.
#[derive(Debug, Clone)]
pub(crate) struct PeaqPrecompiles {
    eth: EthPrecompiles,
    warm: AddressSet,
    peaq: bool,
}

impl PeaqPrecompiles {
    /// Ethereum's precompiles for `spec`, plus peaq's when `peaq` (a chain without them, like the
    /// Base devnet, runs Ethereum's alone).
    pub(crate) fn with_peaq(spec: SpecId, peaq: bool) -> Self {
        let eth = EthPrecompiles::new(spec);
        let warm = Self::warm_set(&eth, peaq);
        Self { eth, warm, peaq }
    }

    fn warm_set(eth: &EthPrecompiles, peaq: bool) -> AddressSet {
        let mut warm = AddressSet::default();
        warm.clone_from(eth.warm_addresses());
        if !peaq {
            return warm;
        }
        warm.insert(DID_PRECOMPILE_ADDRESS);
        warm.insert(BATCH_PRECOMPILE_ADDRESS);
        warm.insert(NATIVE_ERC20_PRECOMPILE_ADDRESS);
        warm
    }
}

/// What a peaq precompile reports back: gas used and either return data or revert data.
pub(crate) struct Outcome {
    pub gas_used: u64,
    pub reverted: bool,
    pub output: Bytes,
}

impl Outcome {
    pub(crate) fn ok(gas_used: u64, output: impl Into<Bytes>) -> Self {
        Self {
            gas_used,
            reverted: false,
            output: output.into(),
        }
    }
    /// A revert carrying `Error(string)`, as the node reports precompile errors.
    pub(crate) fn revert(gas_used: u64, reason: &str) -> Self {
        Self {
            gas_used,
            reverted: true,
            output: revert_bytes(reason),
        }
    }
}

/// ABI-encoded `Error(string)`.
pub(crate) fn revert_bytes(reason: &str) -> Bytes {
    Revert {
        reason: reason.to_string(),
    }
    .abi_encode()
    .into()
}

/// Reads a word from a precompile's own storage, loading the account first.
pub(crate) fn sload<CTX: ContextTr>(ctx: &mut CTX, at: Address, key: U256) -> Result<U256, String> {
    let j = ctx.journal_mut();
    j.load_account(at).map_err(|e| e.to_string())?;
    Ok(j.sload(at, key).map_err(|e| e.to_string())?.data)
}

/// Writes a word to a precompile's own storage.
pub(crate) fn sstore<CTX: ContextTr>(
    ctx: &mut CTX,
    at: Address,
    key: U256,
    value: U256,
) -> Result<(), String> {
    let j = ctx.journal_mut();
    j.load_account(at).map_err(|e| e.to_string())?;
    j.sstore(at, key, value).map_err(|e| e.to_string())?;
    Ok(())
}

/// Native balance of an account.
pub(crate) fn balance_of<CTX: ContextTr>(ctx: &mut CTX, who: Address) -> Result<U256, String> {
    Ok(ctx
        .journal_mut()
        .load_account(who)
        .map_err(|e| e.to_string())?
        .data
        .info
        .balance)
}

/// Moves native balance; `Ok(false)` when `from` has too little.
pub(crate) fn transfer<CTX: ContextTr>(
    ctx: &mut CTX,
    from: Address,
    to: Address,
    amount: U256,
) -> Result<bool, String> {
    let j = ctx.journal_mut();
    j.load_account(from).map_err(|e| e.to_string())?;
    j.load_account(to).map_err(|e| e.to_string())?;
    Ok(j.transfer(from, to, amount)
        .map_err(|e| e.to_string())?
        .is_none())
}

impl<CTX: ContextTr> PrecompileProvider<CTX> for PeaqPrecompiles {
    type Output = InterpreterResult;

    fn set_spec(&mut self, spec: <CTX::Cfg as Cfg>::Spec) -> bool {
        let changed = <EthPrecompiles as PrecompileProvider<CTX>>::set_spec(&mut self.eth, spec);
        if changed {
            self.warm = Self::warm_set(&self.eth, self.peaq);
        }
        changed
    }

    fn run(
        &mut self,
        ctx: &mut CTX,
        inputs: &CallInputs,
    ) -> Result<Option<InterpreterResult>, String> {
        let address = inputs.bytecode_address;
        if !self.peaq
            || (address != DID_PRECOMPILE_ADDRESS
                && address != BATCH_PRECOMPILE_ADDRESS
                && address != NATIVE_ERC20_PRECOMPILE_ADDRESS)
        {
            return <EthPrecompiles as PrecompileProvider<CTX>>::run(&mut self.eth, ctx, inputs);
        }
        let input = inputs.input.bytes(ctx);
        let outcome = if address == BATCH_PRECOMPILE_ADDRESS {
            Outcome::revert(0, "Function not callable by smart contracts")
        } else if inputs.scheme.is_delegate_call() || inputs.scheme.is_call_code() {
            Outcome::revert(0, "Cannot be called with DELEGATECALL or CALLCODE")
        } else if address == DID_PRECOMPILE_ADDRESS {
            did::run(
                ctx,
                inputs.caller,
                inputs.call_value(),
                inputs.is_static,
                &input,
            )?
        } else {
            erc20::run(
                ctx,
                inputs.caller,
                inputs.call_value(),
                inputs.is_static,
                &input,
            )?
        };
        let out = if outcome.reverted {
            PrecompileOutput::revert(outcome.gas_used, outcome.output, inputs.reservoir)
        } else {
            PrecompileOutput::new(outcome.gas_used, outcome.output, inputs.reservoir)
        };
        Ok(Some(precompile_output_to_interpreter_result(
            out,
            inputs.gas_limit,
        )))
    }

    fn warm_addresses(&self) -> &AddressSet {
        &self.warm
    }
}
