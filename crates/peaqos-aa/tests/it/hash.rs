//! `user_op_hash` against the EntryPoint's own `getUserOpHash`, and `calcPreVerificationGas`.

use crate::util::*;
use alloy::primitives::{Address, Bytes, U256};
use peaqos_aa::{
    GasOverheads, UserOperation, calc_pre_verification_gas, pack, user_op_hash,
    userop::encode_for_calldata_cost,
};
use peaqos_contracts::EntryPointV06;
use peaqos_testkit::TestNet;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;

fn u256() -> impl Strategy<Value = U256> {
    prop_oneof![
        Just(U256::ZERO),
        any::<u64>().prop_map(U256::from),
        any::<[u8; 32]>().prop_map(U256::from_be_bytes),
    ]
}

fn bytes(max: usize) -> impl Strategy<Value = Bytes> {
    proptest::collection::vec(any::<u8>(), 0..max).prop_map(Bytes::from)
}

fn user_operation() -> impl Strategy<Value = UserOperation> {
    (
        any::<[u8; 20]>(),
        u256(),
        bytes(120),
        bytes(300),
        (u256(), u256(), u256(), u256(), u256()),
        bytes(80),
        bytes(70),
    )
        .prop_map(
            |(sender, nonce, init, data, (c, v, p, f, t), pm, sig)| UserOperation {
                sender: Address::from(sender),
                nonce,
                init_code: init,
                call_data: data,
                call_gas_limit: c,
                verification_gas_limit: v,
                pre_verification_gas: p,
                max_fee_per_gas: f,
                max_priority_fee_per_gas: t,
                paymaster_and_data: pm,
                signature: sig,
            },
        )
}

/// 64 random operations (arbitrary lengths, zero / small / 256-bit quantities): our hash is the
/// EntryPoint's `getUserOpHash` on the devnet, for its address and chain id.
#[tokio::test]
async fn user_op_hash_is_the_entry_points_get_user_op_hash() {
    let net = TestNet::start().await;
    let r = net.reader();
    let ep = EntryPointV06::new(EP, &r);
    let chain_id = net.handle.node().chain_id();
    let mut runner = TestRunner::deterministic();
    let strategy = user_operation();
    for _ in 0..64 {
        let op = strategy.new_tree(&mut runner).expect("value").current();
        let onchain = ep
            .getUserOpHash((&op).into())
            .call()
            .await
            .expect("getUserOpHash");
        assert_eq!(user_op_hash(&op, EP, chain_id), onchain, "{op:?}");
    }
}

proptest! {
    /// `calcPreVerificationGas` in exact integers equals the JavaScript arithmetic in floating
    /// point (fractional division, `Math.round`) for any operation and bundle size.
    #[test]
    fn calc_pre_verification_gas_is_the_javascript_formula(op in user_operation(), bundle in 1u64..8) {
        let ov = GasOverheads { bundle_size: bundle, ..GasOverheads::default() };
        let packed = encode_for_calldata_cost(&op);
        let cost: u64 = packed.iter().map(|b| if *b == 0 { 4 } else { 16 }).sum();
        let js = cost as f64 + 21_000.0 / bundle as f64 + 18_300.0 + 4.0 * ((packed.len() as f64 + 31.0) / 32.0);
        prop_assert_eq!(calc_pre_verification_gas(&op, &ov), js.round() as u64);
        // pack is ten static words whatever the lengths.
        prop_assert_eq!(pack(&op).len(), 320);
    }
}
