//! JSON-RPC behaviour: what alloy clients, indexers and the SDK rely on.

use alloy::eips::BlockNumberOrTag;
use alloy::network::{Ethereum, EthereumWallet, NetworkWallet, TransactionBuilder};
use alloy::primitives::{Address, B256, Bytes, U256};
use alloy::providers::Provider;
use alloy::rpc::types::{AccessList, AccessListItem, Filter, TransactionRequest};
use alloy::sol_types::SolEvent;
use peaqos_contracts::IdentityRegistry;
use peaqos_devnet::{ChainConfig, DevnetConfig};
use peaqos_testkit::{TestNet, mined, mined_tx, peaq};
use serde_json::{Value, json};
use std::time::Duration;

/// Signs `tx` with dev account `i` and returns the raw EIP-2718 bytes.
async fn sign(net: &TestNet, i: u32, tx: TransactionRequest) -> Bytes {
    let wallet = EthereumWallet::from(net.handle.signer(i));
    let env = <EthereumWallet as NetworkWallet<Ethereum>>::sign_request(&wallet, tx)
        .await
        .unwrap();
    alloy::eips::eip2718::Encodable2718::encoded_2718(&env).into()
}

#[tokio::test]
async fn identity_methods_and_batches() {
    let net = TestNet::start().await;
    let out = net
        .raw(json!([
            {"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []},
            {"jsonrpc": "2.0", "id": 2, "method": "net_version", "params": []},
            {"jsonrpc": "2.0", "id": 3, "method": "web3_clientVersion", "params": []},
            {"jsonrpc": "2.0", "id": 4, "method": "eth_syncing", "params": []},
            {"jsonrpc": "2.0", "id": 5, "method": "no_such_method", "params": []},
            {"jsonrpc": "2.0", "method": "eth_chainId", "params": []}
        ]))
        .await;
    let arr = out.as_array().unwrap();
    assert_eq!(arr.len(), 5, "notifications get no response");
    assert_eq!(arr[0]["result"], "0x7a69");
    assert_eq!(arr[1]["result"], "31337");
    assert!(
        arr[2]["result"]
            .as_str()
            .unwrap()
            .starts_with("peaqos-devnet/")
    );
    assert_eq!(arr[3]["result"], false);
    assert_eq!(arr[4]["error"]["code"], -32601);
    let bad = net.raw(json!("not json-rpc")).await;
    assert_eq!(bad["error"]["code"], -32600);
}

#[tokio::test]
async fn bad_params_answer_minus_32602_with_a_clear_message() {
    let net = TestNet::start().await;
    let r = net
        .rpc_response("eth_getBalance", json!(["0x1234", "latest"]))
        .await;
    assert_eq!(r["error"]["code"], -32602);
    assert!(
        r["error"]["message"].as_str().unwrap().contains("address"),
        "{r}"
    );
    let r = net
        .rpc_response("eth_getBlockByNumber", json!(["yesterday", false]))
        .await;
    assert_eq!(r["error"]["code"], -32602);
    assert!(
        r["error"]["message"]
            .as_str()
            .unwrap()
            .contains("block tag"),
        "{r}"
    );
    let r = net
        .rpc_response("eth_sendRawTransaction", json!(["0xdeadbeef"]))
        .await;
    assert_eq!(r["error"]["code"], -32602);
    let r = net.rpc_response("eth_call", json!([])).await;
    assert_eq!(r["error"]["code"], -32602);
}

#[tokio::test]
async fn reverts_carry_code_3_and_the_revert_data() {
    let net = TestNet::start().await;
    let d = net.handle.deployment();
    let call = IdentityRegistry::registerCall {};
    let data = alloy::sol_types::SolCall::abi_encode(&call);
    let r = net.rpc_response("eth_call",
        json!([{"from": net.address(1), "to": d.identity_registry, "data": Bytes::from(data.clone()), "value": "0x1"}, "latest"]),
    )
    .await;
    assert_eq!(r["error"]["code"], 3, "{r}");
    assert!(
        r["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("execution reverted")
    );
    let revert: Bytes = serde_json::from_value(r["error"]["data"].clone()).unwrap();
    assert_eq!(
        revert,
        Bytes::from(
            <IdentityRegistry::IncorrectBondAmount as alloy::sol_types::SolError>::abi_encode(
                &IdentityRegistry::IncorrectBondAmount {}
            )
        ),
        "the bare selector of IncorrectBondAmount()"
    );
    // estimateGas answers the same way
    let r = net.rpc_response("eth_estimateGas", json!([{"from": net.address(1), "to": d.identity_registry, "data": Bytes::from(data), "value": "0x1"}])).await;
    assert_eq!(r["error"]["code"], 3);
    assert_eq!(r["error"]["data"], json!(revert));
}

#[tokio::test]
async fn legacy_2930_and_1559_transactions_are_mined_with_receipts() {
    let net = TestNet::start().await;
    let p = net.provider(1);
    let to = Address::repeat_byte(9);
    let start = p.get_block_number().await.unwrap();
    let legacy = TransactionRequest::default()
        .to(to)
        .value(U256::from(1))
        .with_gas_price(2_000_000_000)
        .with_gas_limit(21_000);
    let r = p
        .send_transaction(legacy)
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    assert!(r.status());
    assert_eq!(r.transaction_type(), alloy::consensus::TxType::Legacy);
    let al = AccessList(vec![AccessListItem {
        address: to,
        storage_keys: vec![B256::ZERO],
    }]);
    let t2930 = TransactionRequest::default()
        .to(to)
        .value(U256::from(2))
        .with_gas_price(2_000_000_000)
        .with_access_list(al);
    let r = p
        .send_transaction(t2930)
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    assert!(r.status());
    assert_eq!(r.transaction_type(), alloy::consensus::TxType::Eip2930);
    let r = p
        .send_transaction(TransactionRequest::default().to(to).value(U256::from(3)))
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    assert!(r.status());
    assert_eq!(r.transaction_type(), alloy::consensus::TxType::Eip1559);
    assert_eq!(r.gas_used, 21_000);
    assert_eq!(p.get_balance(to).await.unwrap(), U256::from(6));
    assert_eq!(
        p.get_block_number().await.unwrap(),
        start + 3,
        "one block per transaction"
    );
    // the mined transaction and its block are served
    let tx = p
        .get_transaction_by_hash(r.transaction_hash)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(tx.block_number, r.block_number);
    let block = p
        .get_block_by_number(BlockNumberOrTag::Number(r.block_number.unwrap()))
        .full()
        .await
        .unwrap()
        .unwrap();
    assert_eq!(block.header.hash, r.block_hash.unwrap());
    assert_eq!(block.transactions.len(), 1);
    let by_hash = p
        .get_block_by_hash(block.header.hash)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(by_hash.header.number, block.header.number);
    let parent = p
        .get_block_by_number(BlockNumberOrTag::Number(block.header.number - 1))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(block.header.parent_hash, parent.header.hash);
}

#[tokio::test]
async fn wrong_chain_id_low_nonce_and_underfunded_transactions_are_refused() {
    let net = TestNet::start().await;
    let poor = alloy::signers::local::PrivateKeySigner::random();
    let p = net.provider_for(poor.clone());
    let err = p
        .send_transaction(
            TransactionRequest::default()
                .to(Address::ZERO)
                .value(U256::from(1))
                .with_gas_limit(21_000)
                .with_max_fee_per_gas(2_000_000_000)
                .with_max_priority_fee_per_gas(1),
        )
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("insufficient funds") || err.to_string().contains("LackOfFund"),
        "{err}"
    );
    let rich = net.provider(2);
    let tx = TransactionRequest::default()
        .to(Address::ZERO)
        .with_chain_id(3338)
        .with_nonce(0)
        .with_gas_limit(21_000)
        .with_max_fee_per_gas(2_000_000_000)
        .with_max_priority_fee_per_gas(1);
    let r = net
        .rpc_response("eth_sendRawTransaction", json!([sign(&net, 2, tx).await]))
        .await;
    assert!(
        r["error"]["message"].as_str().unwrap().contains("chain id"),
        "{r}"
    );
    rich.send_transaction(TransactionRequest::default().to(Address::ZERO))
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    let again = TransactionRequest::default()
        .to(Address::ZERO)
        .with_chain_id(31337)
        .with_nonce(0)
        .with_gas_limit(21_000)
        .with_max_fee_per_gas(2_000_000_000)
        .with_max_priority_fee_per_gas(1);
    let r = net
        .rpc_response(
            "eth_sendRawTransaction",
            json!([sign(&net, 2, again).await]),
        )
        .await;
    assert!(
        r["error"]["message"]
            .as_str()
            .unwrap()
            .contains("nonce too low"),
        "{r}"
    );
}

#[tokio::test]
async fn a_nonce_gap_is_queued_until_it_is_filled() {
    let net = TestNet::start().await;
    let me = net.address(3);
    let mk = |nonce: u64| {
        TransactionRequest::default()
            .to(Address::repeat_byte(1))
            .value(U256::from(nonce + 1))
            .with_chain_id(31337)
            .with_nonce(nonce)
            .with_gas_limit(21_000)
            .with_max_fee_per_gas(3_000_000_000)
            .with_max_priority_fee_per_gas(1_000_000_000)
    };
    let tx1 = sign(&net, 3, mk(1)).await;
    let tx0 = sign(&net, 3, mk(0)).await;
    let r1 = net
        .rpc_response("eth_sendRawTransaction", json!([tx1]))
        .await;
    let h1: B256 = serde_json::from_value(r1["result"].clone()).unwrap();
    let p = net.provider(0);
    assert!(
        p.get_transaction_receipt(h1).await.unwrap().is_none(),
        "nonce 1 waits for nonce 0"
    );
    assert!(
        p.get_transaction_by_hash(h1).await.unwrap().is_some(),
        "a queued transaction is known"
    );
    net.rpc_response("eth_sendRawTransaction", json!([tx0]))
        .await;
    assert!(
        p.get_transaction_receipt(h1)
            .await
            .unwrap()
            .unwrap()
            .status()
    );
    assert_eq!(p.get_transaction_count(me).await.unwrap(), 2);
    assert_eq!(
        p.get_balance(Address::repeat_byte(1)).await.unwrap(),
        U256::from(3)
    );
}

#[tokio::test]
async fn concurrent_sends_from_one_account_all_land() {
    let net = TestNet::start().await;
    let p = net.provider(4);
    let mut pending = Vec::new();
    for i in 0..20u64 {
        pending.push(
            p.send_transaction(
                TransactionRequest::default()
                    .to(Address::repeat_byte(2))
                    .value(U256::from(i)),
            )
            .await
            .unwrap(),
        );
    }
    for tx in pending {
        assert!(tx.get_receipt().await.unwrap().status());
    }
    assert_eq!(p.get_transaction_count(net.address(4)).await.unwrap(), 20);
    assert_eq!(
        p.get_balance(Address::repeat_byte(2)).await.unwrap(),
        U256::from((0..20).sum::<u64>())
    );
}

#[tokio::test]
async fn logs_filter_by_address_topics_range_and_block_hash() {
    let net = TestNet::start_with(DevnetConfig {
        chain: ChainConfig {
            max_log_range: 50,
            ..ChainConfig::default()
        },
        ..DevnetConfig::ephemeral()
    })
    .await;
    let d = net.handle.deployment();
    let mut machines = Vec::new();
    let mut last = None;
    for i in 1..=3u32 {
        let p = net.provider(i);
        let reg = IdentityRegistry::new(d.identity_registry, &p);
        let r = reg
            .register()
            .value(peaq(1))
            .send()
            .await
            .unwrap()
            .get_receipt()
            .await
            .unwrap();
        machines.push(net.address(i));
        last = Some(r);
    }
    let p = net.provider(0);
    let all = p
        .get_logs(
            &Filter::new()
                .address(d.identity_registry)
                .event_signature(IdentityRegistry::Registered::SIGNATURE_HASH)
                .from_block(0),
        )
        .await
        .unwrap();
    assert_eq!(all.len(), 3);
    let ids: Vec<U256> = all
        .iter()
        .map(|l| {
            IdentityRegistry::Registered::decode_log(&l.inner)
                .unwrap()
                .machineId
        })
        .collect();
    assert_eq!(ids, vec![U256::from(1), U256::from(2), U256::from(3)]);
    // topic 2 (indexed owner: the machine itself for a self-registration) selects one
    let one = p
        .get_logs(
            &Filter::new()
                .address(d.identity_registry)
                .event_signature(IdentityRegistry::Registered::SIGNATURE_HASH)
                .topic2(machines[1].into_word())
                .from_block(0),
        )
        .await
        .unwrap();
    assert_eq!(one.len(), 1);
    assert!(
        one[0].log_index.is_some()
            && one[0].block_hash.is_some()
            && one[0].transaction_hash.is_some()
    );
    // OR within a position
    let two = p
        .get_logs(
            &Filter::new()
                .event_signature(IdentityRegistry::Registered::SIGNATURE_HASH)
                .topic2(vec![machines[0].into_word(), machines[2].into_word()])
                .from_block(0),
        )
        .await
        .unwrap();
    assert_eq!(two.len(), 2);
    // by block hash
    let last = last.unwrap();
    let by_hash = p
        .get_logs(&Filter::new().at_block_hash(last.block_hash.unwrap()))
        .await
        .unwrap();
    assert_eq!(by_hash.len(), last.inner.logs().len());
    // a range wider than the node allows is refused with -32005
    for _ in 0..60 {
        p.raw_request::<_, Value>("evm_mine".into(), ())
            .await
            .unwrap();
    }
    let r = net
        .rpc_response(
            "eth_getLogs",
            json!([{"fromBlock": "0x0", "toBlock": "0x64"}]),
        )
        .await;
    assert_eq!(r["error"]["code"], -32005, "{r}");
}

#[tokio::test]
async fn snapshot_and_revert_restore_the_chain() {
    let net = TestNet::start().await;
    let p = net.provider(5);
    let to = Address::repeat_byte(3);
    let id: U256 = p.raw_request("evm_snapshot".into(), ()).await.unwrap();
    let height = p.get_block_number().await.unwrap();
    p.send_transaction(TransactionRequest::default().to(to).value(peaq(1)))
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    assert_eq!(p.get_balance(to).await.unwrap(), peaq(1));
    let ok: bool = p.raw_request("evm_revert".into(), (id,)).await.unwrap();
    assert!(ok);
    assert_eq!(p.get_balance(to).await.unwrap(), U256::ZERO);
    assert_eq!(p.get_block_number().await.unwrap(), height);
    let again: bool = p.raw_request("evm_revert".into(), (id,)).await.unwrap();
    assert!(!again, "a snapshot is used once");
}

#[tokio::test]
async fn time_can_be_moved_forward() {
    let net = TestNet::start().await;
    let p = net.provider(6);
    let before = p
        .get_block(BlockNumberOrTag::Latest.into())
        .await
        .unwrap()
        .unwrap()
        .header
        .timestamp;
    let _: i64 = p
        .raw_request("evm_increaseTime".into(), (86_400u64,))
        .await
        .unwrap();
    let _: Value = p.raw_request("evm_mine".into(), ()).await.unwrap();
    let after = p
        .get_block(BlockNumberOrTag::Latest.into())
        .await
        .unwrap()
        .unwrap()
        .header
        .timestamp;
    assert!(after >= before + 86_400, "{before} -> {after}");
    let target = after + 1_000_000;
    let _: Value = p
        .raw_request("evm_setNextBlockTimestamp".into(), (target,))
        .await
        .unwrap();
    let r = p
        .send_transaction(TransactionRequest::default().to(Address::ZERO))
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    let b = p
        .get_block(r.block_number.unwrap().into())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(b.header.timestamp, target);
    let r = net
        .rpc_response("evm_setNextBlockTimestamp", json!([before]))
        .await;
    assert_eq!(
        r["error"]["code"], -32602,
        "going back in time is refused: {r}"
    );
}

#[tokio::test]
async fn set_balance_and_fee_methods() {
    let net = TestNet::start().await;
    let p = net.provider(0);
    let who = Address::repeat_byte(0x99);
    let _: Value = p
        .raw_request("anvil_setBalance".into(), (who, peaq(42)))
        .await
        .unwrap();
    assert_eq!(p.get_balance(who).await.unwrap(), peaq(42));
    let gas_price = p.get_gas_price().await.unwrap();
    let tip = p.get_max_priority_fee_per_gas().await.unwrap();
    let block = p
        .get_block(BlockNumberOrTag::Latest.into())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        gas_price,
        u128::from(block.header.base_fee_per_gas.unwrap()) + tip
    );
    let fees = p.estimate_eip1559_fees().await.unwrap();
    assert!(fees.max_fee_per_gas >= u128::from(block.header.base_fee_per_gas.unwrap()));
    let hist = p
        .get_fee_history(4, BlockNumberOrTag::Latest, &[25.0, 75.0])
        .await
        .unwrap();
    assert_eq!(hist.base_fee_per_gas.len(), hist.gas_used_ratio.len() + 1);
}

#[tokio::test]
async fn block_time_mode_keeps_transactions_pending_until_a_block() {
    // a long block time: only evm_mine produces blocks during the test
    let net = TestNet::start_with(DevnetConfig {
        block_time: Some(Duration::from_secs(3600)),
        ..DevnetConfig::ephemeral()
    })
    .await;
    let p = net.provider(7);
    let me = net.address(7);
    let pending = p
        .send_transaction(
            TransactionRequest::default()
                .to(Address::repeat_byte(4))
                .value(U256::from(5)),
        )
        .await
        .unwrap();
    let hash = *pending.tx_hash();
    assert!(p.get_transaction_receipt(hash).await.unwrap().is_none());
    assert_eq!(p.get_transaction_count(me).pending().await.unwrap(), 1);
    assert_eq!(p.get_transaction_count(me).await.unwrap(), 0);
    let height = p.get_block_number().await.unwrap();
    let _: Value = p.raw_request("evm_mine".into(), ()).await.unwrap();
    let r = p
        .get_transaction_receipt(hash)
        .await
        .unwrap()
        .expect("mined");
    assert_eq!(r.block_number, Some(height + 1));
    assert_eq!(
        p.get_balance(Address::repeat_byte(4)).await.unwrap(),
        U256::from(5)
    );
}

#[tokio::test]
async fn a_full_block_defers_a_sender_with_all_its_later_transactions() {
    // Blocks of 50,000 gas: two 30,000-gas-limit transfers do not fit one block.
    let chain = ChainConfig {
        block_gas_limit: 50_000,
        ..ChainConfig::default()
    };
    let net = TestNet::start_with(DevnetConfig {
        block_time: Some(Duration::from_secs(3600)),
        chain,
        ..DevnetConfig::ephemeral()
    })
    .await;
    let (a, b) = (net.provider(5), net.provider(6));
    let to = Address::repeat_byte(0x45);
    let send = |p: &alloy::providers::DynProvider, nonce: u64, gas: u64| {
        let p = p.clone();
        async move {
            *p.send_transaction(
                TransactionRequest::default()
                    .to(to)
                    .value(U256::from(1))
                    .nonce(nonce)
                    .gas_limit(gas),
            )
            .await
            .unwrap()
            .tx_hash()
        }
    };
    let a1 = send(&a, 0, 30_000).await;
    // b's first does not fit after a's; its second (21,000) would, but must not run first.
    let b1 = send(&b, 0, 30_000).await;
    let b2 = send(&b, 1, 21_000).await;
    let height = a.get_block_number().await.unwrap();
    let _: Value = a.raw_request("evm_mine".into(), ()).await.unwrap();
    let block_of = |h| {
        let a = a.clone();
        async move {
            a.get_transaction_receipt(h)
                .await
                .unwrap()
                .and_then(|r| r.block_number)
        }
    };
    assert_eq!(block_of(a1).await, Some(height + 1));
    assert_eq!(block_of(b1).await, None);
    assert_eq!(
        block_of(b2).await,
        None,
        "not run ahead of its sender's earlier nonce"
    );
    assert_eq!(
        b.get_transaction_count(net.address(6))
            .pending()
            .await
            .unwrap(),
        2
    );
    let _: Value = a.raw_request("evm_mine".into(), ()).await.unwrap();
    // both of b's in the next block, in nonce order
    assert_eq!(block_of(b1).await, Some(height + 2));
    assert_eq!(block_of(b2).await, Some(height + 2));
    assert_eq!(b.get_balance(to).await.unwrap(), U256::from(3));
}

#[tokio::test]
async fn state_queries_at_past_blocks() {
    let net = TestNet::start().await;
    let p = net.provider(8);
    let me = net.address(8);
    let to = Address::repeat_byte(0x44);
    let b0 = p.get_block_number().await.unwrap();
    let balance0 = p.get_balance(me).await.unwrap();
    let nonce0 = p.get_transaction_count(me).await.unwrap();
    let r = mined_tx(&p, TransactionRequest::default().to(to).value(peaq(1))).await;
    let b1 = r.block_number.unwrap();
    assert!(b1 > b0);
    let at = |n: u64| alloy::eips::BlockId::number(n);
    // balances and nonces at the block before and at the transfer's block
    assert_eq!(p.get_balance(me).block_id(at(b0)).await.unwrap(), balance0);
    assert_eq!(
        p.get_balance(to).block_id(at(b0)).await.unwrap(),
        U256::ZERO
    );
    assert_eq!(p.get_balance(to).block_id(at(b1)).await.unwrap(), peaq(1));
    assert!(p.get_balance(me).block_id(at(b1)).await.unwrap() < balance0 - peaq(1));
    assert_eq!(
        p.get_transaction_count(me).block_id(at(b0)).await.unwrap(),
        nonce0
    );
    assert_eq!(
        p.get_transaction_count(me).block_id(at(b1)).await.unwrap(),
        nonce0 + 1
    );

    // contract state: machineIdOfOwner before and after registration
    let reg = IdentityRegistry::new(net.handle.deployment().identity_registry, &p);
    let bond = reg.minBond().call().await.unwrap();
    let r = mined(reg.register().value(bond)).await;
    let b2 = r.block_number.unwrap();
    let id = reg.machineIdOfOwner(me).call().await.unwrap();
    assert!(id > U256::ZERO);
    assert_eq!(
        reg.machineIdOfOwner(me)
            .call()
            .block(at(b2 - 1))
            .await
            .unwrap(),
        U256::ZERO
    );
    assert_eq!(
        reg.machineIdOfOwner(me).call().block(at(b2)).await.unwrap(),
        id
    );
    assert_eq!(
        reg.totalMachines().call().block(at(b2 - 1)).await.unwrap() + U256::from(1),
        id,
        "the id handed out was the next one before"
    );
    // code: the registry's proxy exists from genesis on
    assert!(
        !p.get_code_at(net.handle.deployment().identity_registry)
            .block_id(at(0))
            .await
            .unwrap()
            .is_empty()
    );

    // a set-balance belongs to the next block: the latest block's past view does not see it
    let head = p.get_block_number().await.unwrap();
    net.rpc("anvil_setBalance", json!([to, "0x7"])).await;
    assert_eq!(p.get_balance(to).await.unwrap(), U256::from(7));
    if head > b1 {
        assert_eq!(
            p.get_balance(to).block_id(at(head - 1)).await.unwrap(),
            peaq(1)
        );
    }
    mined_tx(&p, TransactionRequest::default().to(Address::ZERO)).await;
    assert_eq!(
        p.get_balance(to).block_id(at(head)).await.unwrap(),
        peaq(1),
        "the block mined before the set-balance keeps the old balance"
    );
    assert_eq!(p.get_balance(to).await.unwrap(), U256::from(7));

    // beyond the head: -32602; batchAll at a past block: a clear -32000
    let r = net
        .rpc_response("eth_getBalance", json!([me, "0xffffff"]))
        .await;
    assert_eq!(r["error"]["code"], -32602, "{r}");
    let r = net
        .rpc_response(
            "eth_call",
            json!([{"from": me, "to": peaqos_types::constants::BATCH_PRECOMPILE_ADDRESS, "data": "0x"}, "0x1"]),
        )
        .await;
    assert_eq!(r["error"]["code"], -32000, "{r}");
    assert!(
        r["error"]["message"]
            .as_str()
            .unwrap()
            .contains("latest block only"),
        "{r}"
    );
}

#[tokio::test]
async fn state_before_a_state_file_load_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("chain.json");
    let config = || DevnetConfig {
        state: Some(state.clone()),
        ..DevnetConfig::ephemeral()
    };
    let net = TestNet::start_with(config()).await;
    mined_tx(
        &net.provider(8),
        TransactionRequest::default().to(Address::ZERO),
    )
    .await;
    let head = net.head().await;
    net.handle.shutdown().await.unwrap();
    let net = TestNet::start_with(config()).await;
    let me = net.address(8);
    let r = net
        .rpc_response("eth_getBalance", json!([me, format!("{:#x}", head - 1)]))
        .await;
    assert_eq!(r["error"]["code"], -32000, "{r}");
    assert!(
        r["error"]["message"].as_str().unwrap().contains("not kept"),
        "{r}"
    );
    let r = net
        .rpc_response("eth_getBalance", json!([me, format!("{head:#x}")]))
        .await;
    assert!(r["result"].is_string(), "{r}");
}
