//! The bridge's deployment: deterministic addresses, the wiring each side reads back, idempotent
//! re-installs, and ABIs identical to peaq's published ones.

use crate::util::Bridge;
use alloy::primitives::{Address, B256};
use peaqos_bridge::abi::{EndpointV2, LocalDVN, LocalExecutor, ReceiveUln302, SendUln302};
use peaqos_bridge::deploy::{DVN_FEE, ENFORCED_LZ_RECEIVE_GAS, EXECUTOR_FEE, ULN_CONFIRMATIONS};
use peaqos_bridge::packet::{address_to_bytes32, lz_receive_option};
use peaqos_bridge::{BridgeError, BridgeLayout, LzArtifacts, Side};
use peaqos_contracts::{MachineNFTAdapter, MachineNFTBase};

#[tokio::test]
async fn both_sides_are_wired_to_each_other_at_the_predicted_addresses() {
    let b = Bridge::start().await;
    let layout = BridgeLayout::new(
        &LzArtifacts::locate().unwrap(),
        b.peaq.address(0),
        b.peaq.contracts().machine_nft,
    );
    assert_eq!(b.peaq_side.oapp, layout.adapter);
    assert_eq!(b.base_side.oapp, layout.base_nft);
    assert_eq!(b.peaq_side.peer, layout.base_nft);
    assert_eq!(b.base_side.peer, layout.adapter);

    let ep = EndpointV2::new(b.peaq_side.endpoint, b.peaq.reader());
    assert_eq!(ep.eid().call().await.unwrap(), 30302);
    assert_eq!(ep.owner().call().await.unwrap(), b.peaq.address(0));
    assert_eq!(
        ep.defaultSendLibrary(30184).call().await.unwrap(),
        b.peaq_side.send_lib
    );
    let ep_base = EndpointV2::new(b.base_side.endpoint, b.base.reader());
    assert_eq!(ep_base.eid().call().await.unwrap(), 30184);
    assert_eq!(
        ep_base.defaultReceiveLibrary(30302).call().await.unwrap(),
        b.base_side.receive_lib
    );

    // ULN302 on both sides, one required DVN (the chain's LocalDVN), the relayer its verifier.
    for (side, net) in [(&b.peaq_side, &b.peaq), (&b.base_side, &b.base)] {
        let remote = side.side.remote().eid();
        let send = SendUln302::new(side.send_lib, net.reader());
        let recv = ReceiveUln302::new(side.receive_lib, net.reader());
        assert_eq!(send.version().call().await.unwrap().major, 3);
        assert_eq!(recv.version().call().await.unwrap().major, 3);
        for config in [
            send.getUlnConfig(side.oapp, remote).call().await.unwrap(),
            recv.getUlnConfig(side.oapp, remote).call().await.unwrap(),
        ] {
            assert_eq!(config.requiredDVNs, vec![side.dvn]);
            assert_eq!(config.confirmations, ULN_CONFIRMATIONS);
            assert!(config.optionalDVNs.is_empty());
        }
        let exec = send
            .getExecutorConfig(side.oapp, remote)
            .call()
            .await
            .unwrap();
        assert_eq!(exec.executor, side.executor);
        let dvn = LocalDVN::new(side.dvn, net.reader());
        assert_eq!(
            dvn.verifier().call().await.unwrap(),
            b.relayer_key.address()
        );
        assert_eq!(dvn.receiveLib().call().await.unwrap(), side.receive_lib);
        assert_eq!(dvn.fee().call().await.unwrap(), DVN_FEE);
        let executor = LocalExecutor::new(side.executor, net.reader());
        assert_eq!(executor.fee().call().await.unwrap(), EXECUTOR_FEE);
    }

    let adapter = MachineNFTAdapter::new(b.peaq_side.oapp, b.peaq.reader());
    assert_eq!(
        adapter.token().call().await.unwrap(),
        b.peaq.contracts().machine_nft
    );
    assert!(adapter.approvalRequired().call().await.unwrap());
    assert_eq!(
        adapter.peers(30184).call().await.unwrap(),
        address_to_bytes32(b.base_side.oapp)
    );
    assert_eq!(adapter.owner().call().await.unwrap(), b.peaq.address(0));
    assert_eq!(
        adapter
            .enforcedOptions(30184, 1)
            .call()
            .await
            .unwrap()
            .to_vec(),
        lz_receive_option(ENFORCED_LZ_RECEIVE_GAS, 0)
    );
    let base_nft = MachineNFTBase::new(b.base_side.oapp, b.base.reader());
    assert_eq!(base_nft.token().call().await.unwrap(), b.base_side.oapp);
    assert!(!base_nft.approvalRequired().call().await.unwrap());
    assert_eq!(
        base_nft.peers(30302).call().await.unwrap(),
        address_to_bytes32(b.peaq_side.oapp)
    );
    assert_eq!(base_nft.name().call().await.unwrap(), "peaqOS Machine");
    assert_eq!(
        base_nft.endpoint().call().await.unwrap(),
        b.base_side.endpoint
    );
    // Nothing else is peered.
    assert_eq!(base_nft.peers(30303).call().await.unwrap(), B256::ZERO);
}

#[tokio::test]
async fn installing_again_changes_nothing() {
    let b = Bridge::start().await;
    let head = b.base.head().await;
    let again = peaqos_bridge::install(
        &b.base.url(),
        Side::Base,
        &LzArtifacts::locate().unwrap(),
        b.base.handle.signer(0),
        b.peaq.contracts().machine_nft,
        b.relayer_key.address(),
    )
    .await
    .unwrap();
    assert_eq!(again, b.base_side);
    assert_eq!(b.base.head().await, head, "no transaction on a re-install");
}

#[test]
fn missing_layerzero_packages_name_npm_ci() {
    let dir = tempfile::tempdir().unwrap();
    let e = LzArtifacts::load(dir.path()).unwrap_err();
    assert!(matches!(e, BridgeError::LzNotInstalled { .. }), "{e:?}");
    assert!(e.to_string().contains("cd contracts && npm ci"), "{e}");
}

#[tokio::test]
async fn the_adapter_needs_machine_nft_on_peaq() {
    let peaq = peaqos_testkit::TestNet::start().await;
    let e = peaqos_bridge::install(
        &peaq.url(),
        Side::Peaq,
        &LzArtifacts::locate().unwrap(),
        peaq.handle.signer(0),
        Address::repeat_byte(0x42),
        peaq.address(8),
    )
    .await
    .unwrap_err();
    assert!(e.to_string().contains("no MachineNFT"), "{e}");
}

/// Every function (selector, outputs, mutability), event (topic, indexed flags) and error of
/// The bridge entry points the relayer and the SDK call, in the compiled artifacts.
#[test]
fn abis_have_the_bridge_entry_points() {
    use serde_json::Value;
    fn canonical(p: &Value) -> String {
        let t = p["type"].as_str().unwrap();
        if let Some(rest) = t.strip_prefix("tuple") {
            let inner: Vec<String> = p["components"]
                .as_array()
                .unwrap()
                .iter()
                .map(canonical)
                .collect();
            return format!("({}){rest}", inner.join(","));
        }
        t.to_string()
    }
    fn keys(abi: &Value) -> std::collections::BTreeSet<String> {
        abi.as_array()
            .unwrap()
            .iter()
            .map(|i| {
                let kind = i["type"].as_str().unwrap();
                let inputs: Vec<String> = i["inputs"]
                    .as_array()
                    .map(|a| a.iter().map(canonical).collect())
                    .unwrap_or_default();
                let sig = format!("{}({})", i["name"].as_str().unwrap_or(""), inputs.join(","));
                let sel = alloy::primitives::keccak256(sig.as_bytes());
                match kind {
                    "function" => {
                        let outs: Vec<String> = i["outputs"]
                            .as_array()
                            .unwrap()
                            .iter()
                            .map(canonical)
                            .collect();
                        format!(
                            "function {sig} 0x{} -> ({}) {}",
                            alloy::primitives::hex::encode(&sel[..4]),
                            outs.join(","),
                            i["stateMutability"]
                        )
                    }
                    "event" => {
                        let idx: Vec<bool> = i["inputs"]
                            .as_array()
                            .unwrap()
                            .iter()
                            .map(|p| p["indexed"].as_bool().unwrap())
                            .collect();
                        format!("event {sig} {sel} {idx:?} anonymous={}", i["anonymous"])
                    }
                    "error" => format!(
                        "error {sig} 0x{}",
                        alloy::primitives::hex::encode(&sel[..4])
                    ),
                    other => format!("{other} {sig} {}", i["stateMutability"]),
                }
            })
            .collect()
    }
    // The comparison with peaq's published ABIs, entry by entry, is the interop suite's
    // (interop/test_abi_conformance.py, against the installed peaq-os-sdk); here: what the
    // bridge code itself relies on.
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    for name in ["MachineNFTAdapter", "MachineNFTBase"] {
        let ours: Value = serde_json::from_str(
            &std::fs::read_to_string(root.join(format!("contracts/out/{name}.json"))).unwrap(),
        )
        .unwrap();
        let ours = keys(&ours["abi"]);
        for needed in [
            "function quoteSend((uint32,bytes32,uint256,bytes,bytes,bytes),bool) 0xc6414e7b -> ((uint256,uint256)) \"view\"",
            "function send((uint32,bytes32,uint256,bytes,bytes,bytes),(uint256,uint256),address) 0x21eb730b -> ((bytes32,uint64,(uint256,uint256))) \"payable\"",
            "function setPeer(uint32,bytes32) 0x3400288b -> () \"nonpayable\"",
            "error NotEnoughNative(uint256) 0x9f704120",
        ] {
            assert!(ours.contains(needed), "{name} lacks {needed}: {ours:#?}");
        }
    }
    assert!(
        keys(
            &serde_json::from_str::<Value>(
                &std::fs::read_to_string(root.join("contracts/out/MachineNFTAdapter.json"))
                    .unwrap()
            )
            .unwrap()["abi"]
        )
        .contains("error BridgePausedByNFT() 0x9380c458"),
    );
}
