//! The chain services over DDS against an in-process devnet: register, mint, token id, DID
//! write and read, events (single and batch), validation before anything is sent, and the
//! concurrency promises (100 concurrent calls from 4 participants; 200 events/submit for one
//! signer landing with no nonce gap).

use std::collections::BTreeSet;
use std::time::Duration;

use alloy::primitives::{Address, B256};
use alloy::providers::Provider;
use alloy::signers::local::PrivateKeySigner;
use peaqos_ros2::interfaces::*;
use peaqos_testkit::TestNet;
use ros2_client::{Message, ServiceMapping};

use crate::common::{Peer, config, fresh_domain, node};

/// A plaintext registry (peaq's node format) holding `keys`.
fn write_registry(dir: &std::path::Path, keys: &[&PrivateKeySigner]) {
    let mut wallets = serde_json::Map::new();
    for k in keys {
        let a = k.address().to_checksum(None);
        wallets.insert(
            a.clone(),
            serde_json::json!({
                "label": "machine_wallet", "address": a, "account_id": format!("eip155:3338:{a}"),
                "chain_id": "eip155:3338", "network": "peaq",
                "private_key": format!("0x{}", hex::encode(k.to_bytes())), "created_at": 1_735_689_600u64
            }),
        );
    }
    let doc = serde_json::json!({"version": 1, "wallets": wallets});
    std::fs::write(
        dir.join("peaqos_wallets.json"),
        serde_json::to_vec(&doc).unwrap(),
    )
    .unwrap();
}

fn chain_yaml(net: &TestNet, machine: Address, proxy: Address) -> String {
    let c = net.contracts();
    format!(
        "  enabled: true\n  rpc_url: {}\n  defaults:\n    machine_address: \"{machine}\"\n    proxy_address: \"{proxy}\"\n  contracts:\n    identity_registry: \"{}\"\n    identity_staking: \"{}\"\n    event_registry: \"{}\"\n    machine_nft: \"{}\"\n    did_registry: \"{}\"\n    batch_precompile: \"{}\"\n",
        net.url(),
        c.identity_registry,
        c.identity_staking,
        c.event_registry,
        c.machine_nft,
        c.did_registry,
        c.batch_precompile
    )
}

fn submit(
    signer: &str,
    machine_id: u64,
    value: u64,
    ts: u64,
    raw: &str,
) -> PeaqosSubmitEventRequest {
    PeaqosSubmitEventRequest {
        signer_address: signer.into(),
        machine_id,
        event_type: 0,
        value,
        timestamp: ts,
        raw_data_hex: raw.into(),
        ..Default::default()
    }
}

/// Sends `reqs` on one client, at most `window` outstanding at a time (a client with ROS's
/// default KEEP_LAST 10 cannot have more in flight without overwriting its own requests), and
/// collects every reply by request id (ros2-client's `async_call_service` drops replies of
/// other calls on the same client, so concurrent calls share one receive loop).
pub(crate) async fn call_many<Req, Resp>(
    c: &ros2_client::Client<Req, Resp>,
    reqs: Vec<Req>,
    window: usize,
) -> Vec<Resp>
where
    Req: Message + Clone + 'static,
    Resp: Message + 'static,
{
    let total = reqs.len();
    let mut pending = reqs.into_iter();
    let mut ids = Vec::with_capacity(total);
    let mut got: Vec<Option<Resp>> = (0..total).map(|_| None).collect();
    let mut done = 0;
    let deadline = std::time::Instant::now() + Duration::from_secs(300);
    while done < total {
        while ids.len() - done < window {
            let Some(r) = pending.next() else { break };
            ids.push(c.async_send_request(r).await.expect("request sent"));
        }
        match c.receive_response().expect("reply decodes") {
            Some((id, resp)) => {
                if let Some(i) = ids.iter().position(|x| *x == id) {
                    if got[i].is_none() {
                        done += 1;
                    }
                    got[i] = Some(resp);
                }
            }
            None => {
                assert!(
                    std::time::Instant::now() < deadline,
                    "{} of {total} replies missing after 300 s",
                    total - done
                );
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
        }
    }
    got.into_iter().map(Option::unwrap).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn onboarding_and_events_over_dds_against_a_devnet() {
    let net = TestNet::start().await;
    let machine = net.funded_key(20).await;
    let proxy = net.funded_key(20).await;
    let dir = tempfile::tempdir().unwrap();
    write_registry(dir.path(), &[&machine, &proxy]);
    let domain = fresh_domain();
    let _node = node(
        config(
            dir.path(),
            &chain_yaml(&net, machine.address(), proxy.address()),
        ),
        domain,
        ServiceMapping::Enhanced,
    )
    .await;
    let mut p = Peer::new(domain, ServiceMapping::Enhanced, "chain_peer");
    p.prepare::<PeaqosRegisterMachineRequest, PeaqosRegisterMachineResponse>(
        "machine/register",
        "PeaqosRegisterMachine",
    );
    p.prepare::<PeaqosRegisterForRequest, PeaqosRegisterForResponse>(
        "machine/register_for",
        "PeaqosRegisterFor",
    );
    p.prepare::<PeaqosMintNftRequest, PeaqosMintNftResponse>("nft/mint", "PeaqosMintNft");
    p.prepare::<PeaqosTokenIdOfRequest, PeaqosTokenIdOfResponse>(
        "nft/token_id_of",
        "PeaqosTokenIdOf",
    );
    p.prepare::<PeaqosWriteMachineDidAttributesRequest, PeaqosWriteMachineDidAttributesResponse>(
        "did/write_machine_attributes",
        "PeaqosWriteMachineDidAttributes",
    );
    p.prepare::<PeaqosReadDidAttributeRequest, PeaqosReadDidAttributeResponse>(
        "did/read_attribute",
        "PeaqosReadDidAttribute",
    );
    p.prepare::<PeaqosSubmitEventRequest, PeaqosSubmitEventResponse>(
        "events/submit",
        "PeaqosSubmitEvent",
    );
    p.prepare::<PeaqosBatchSubmitEventsRequest, PeaqosBatchSubmitEventsResponse>(
        "events/batch_submit",
        "PeaqosBatchSubmitEvents",
    );
    let sdk = peaqos_sdk::PeaqosClient::new(peaqos_sdk::PeaqosConfig::new(
        net.url(),
        Some(peaqos_sdk::PrivateKey::from(&machine)),
        net.contracts(),
    ))
    .unwrap();

    // Register the machine (empty address: the default machine signs).
    let r: PeaqosRegisterMachineResponse = p
        .call(
            "machine/register",
            "PeaqosRegisterMachine",
            PeaqosRegisterMachineRequest::default(),
        )
        .await;
    assert!(r.success, "{r:?}");
    let id = r.machine_id;
    assert_eq!(
        sdk.machine_id_of_owner(machine.address()).await.unwrap(),
        id
    );
    let again: PeaqosRegisterMachineResponse = p
        .call(
            "machine/register",
            "PeaqosRegisterMachine",
            PeaqosRegisterMachineRequest::default(),
        )
        .await;
    assert_eq!(
        (again.success, again.error_code.as_str()),
        (false, "AlreadyRegistered"),
        "{again:?}"
    );

    // A second machine registered for by the proxy.
    let other = PrivateKeySigner::random();
    let rf: PeaqosRegisterForResponse = p
        .call(
            "machine/register_for",
            "PeaqosRegisterFor",
            PeaqosRegisterForRequest {
                proxy_address: proxy.address().to_string(),
                machine_address: other.address().to_string(),
            },
        )
        .await;
    assert!(rf.success && rf.machine_id > id, "{rf:?}");

    // Mint (signer: the machine; recipient: the default machine).
    let m: PeaqosMintNftResponse = p
        .call(
            "nft/mint",
            "PeaqosMintNft",
            PeaqosMintNftRequest {
                signer_address: machine.address().to_string(),
                machine_id: id,
                recipient: String::new(),
            },
        )
        .await;
    assert!(m.success, "{m:?}");
    assert_eq!(m.tx_hash.len(), 66);
    let t: PeaqosTokenIdOfResponse = p
        .call(
            "nft/token_id_of",
            "PeaqosTokenIdOf",
            PeaqosTokenIdOfRequest {
                signer_address: String::new(),
                machine_id: id,
            },
        )
        .await;
    assert!(t.success && t.token_id >= 1, "{t:?}");
    assert_eq!(t.token_id, sdk.token_id_of(id).await.unwrap());

    // DID attributes written by the machine, read back.
    let w: PeaqosWriteMachineDidAttributesResponse = p
        .call(
            "did/write_machine_attributes",
            "PeaqosWriteMachineDidAttributes",
            PeaqosWriteMachineDidAttributesRequest {
                signer_address: String::new(),
                machine_id: id,
                nft_token_id: t.token_id,
                operator_did: String::new(),
                documentation_url: "https://docs.example.org/robot".into(),
                data_api: "https://api.example.org/robot".into(),
                data_visibility: "public".into(),
            },
        )
        .await;
    assert!(w.success && w.tx_hash.len() == 66, "{w:?}");
    let a: PeaqosReadDidAttributeResponse = p
        .call(
            "did/read_attribute",
            "PeaqosReadDidAttribute",
            PeaqosReadDidAttributeRequest {
                signer_address: String::new(),
                did_address: format!("did:peaq:{}", machine.address()),
                name: "data_visibility".into(),
            },
        )
        .await;
    assert!(a.success, "{a:?}");
    assert_eq!(
        (a.attribute_name.as_str(), a.value.as_str()),
        ("data_visibility", "public")
    );
    assert!(a.created > 0);

    // One event: tx and data hash, and the record on chain.
    let ts = net.chain_time().await - 10;
    let me = machine.address().to_string();
    let e: PeaqosSubmitEventResponse = p
        .call(
            "events/submit",
            "PeaqosSubmitEvent",
            submit(&me, id, 12_500, ts, "0x0102"),
        )
        .await;
    assert!(e.success, "{e:?}");
    assert_eq!(
        e.data_hash,
        format!("{:#x}", peaqos_sdk::compute_data_hash(&[1, 2]))
    );
    assert_eq!(sdk.event_count(id).await.unwrap(), 1);
    let rec = sdk.event_at(id, 0).await.unwrap();
    assert_eq!(format!("{:#x}", rec.dataHash), e.data_hash);

    // Invalid requests: refused before signing, nothing sent (the nonce does not move).
    let nonce = net
        .reader()
        .get_transaction_count(machine.address())
        .await
        .unwrap();
    for (req, field) in [
        (submit(&me, id, 1, ts, "0xabc"), "raw_data_hex"),
        (
            PeaqosSubmitEventRequest {
                event_type: 3,
                ..submit(&me, id, 1, ts, "")
            },
            "event_type",
        ),
        (
            PeaqosSubmitEventRequest {
                trust_level: 1,
                ..submit(&me, id, 1, ts, "")
            },
            "source_tx_hash",
        ),
        (submit("0xnot-an-address", id, 1, ts, ""), "signer_address"),
    ] {
        let r: PeaqosSubmitEventResponse = p.call("events/submit", "PeaqosSubmitEvent", req).await;
        assert_eq!(
            (r.success, r.error_code.as_str(), r.error_field.as_str()),
            (false, "VALIDATION_ERROR", field),
            "{r:?}"
        );
    }
    let stranger = PrivateKeySigner::random().address().to_string();
    let r: PeaqosSubmitEventResponse = p
        .call(
            "events/submit",
            "PeaqosSubmitEvent",
            submit(&stranger, id, 1, ts, ""),
        )
        .await;
    assert_eq!(
        (r.error_code.as_str(), r.error_field.as_str()),
        ("WALLET_NOT_FOUND", "signer_address"),
        "{r:?}"
    );
    assert_eq!(
        net.reader()
            .get_transaction_count(machine.address())
            .await
            .unwrap(),
        nonce
    );
    assert_eq!(sdk.event_count(id).await.unwrap(), 1);

    // A batch (camelCase keys accepted), and a batch refused for its second entry.
    let batch = serde_json::json!([
        {"machine_id": id, "event_type": 0, "value": 100, "timestamp": ts, "currency": "EUR"},
        {"machineId": id, "eventType": 1, "value": "0", "timestamp": ts, "rawDataHex": "ff"},
        {"machine_id": id, "event_type": 0, "value": 7, "timestamp": ts}
    ]);
    let b: PeaqosBatchSubmitEventsResponse = p
        .call(
            "events/batch_submit",
            "PeaqosBatchSubmitEvents",
            PeaqosBatchSubmitEventsRequest {
                signer_address: String::new(),
                events_json: batch.to_string(),
            },
        )
        .await;
    assert!(b.success, "{b:?}");
    let hashes: Vec<String> = serde_json::from_str(&b.tx_hashes_json).unwrap();
    assert_eq!(hashes.len(), 3);
    assert_eq!(sdk.event_count(id).await.unwrap(), 4);
    let bad = serde_json::json!([{"machine_id": id, "event_type": 0, "value": 1, "timestamp": ts}, {"event_type": 0, "value": 1, "timestamp": ts}]);
    let b: PeaqosBatchSubmitEventsResponse = p
        .call(
            "events/batch_submit",
            "PeaqosBatchSubmitEvents",
            PeaqosBatchSubmitEventsRequest {
                signer_address: String::new(),
                events_json: bad.to_string(),
            },
        )
        .await;
    assert_eq!(
        (b.success, b.error.as_str()),
        (false, "events_json[1].machine_id is required"),
        "{b:?}"
    );
    let b: PeaqosBatchSubmitEventsResponse = p
        .call(
            "events/batch_submit",
            "PeaqosBatchSubmitEvents",
            PeaqosBatchSubmitEventsRequest {
                signer_address: String::new(),
                events_json: "{not json".into(),
            },
        )
        .await;
    assert_eq!(
        (b.error_code.as_str(), b.error_field.as_str()),
        ("VALIDATION_ERROR", "events_json"),
        "{b:?}"
    );
    assert_eq!(sdk.event_count(id).await.unwrap(), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrency_100_calls_from_4_participants_and_200_events_without_nonce_gap() {
    let net = TestNet::start().await;
    let machine = net.funded_key(50).await;
    let dir = tempfile::tempdir().unwrap();
    write_registry(dir.path(), &[&machine]);
    let domain = fresh_domain();
    let _node = node(
        config(
            dir.path(),
            &chain_yaml(&net, machine.address(), machine.address()),
        ),
        domain,
        ServiceMapping::Cyclone,
    )
    .await;

    // 4 participants x 25 concurrent calls, all answered, each with its own data hash.
    let mut peers: Vec<Peer> = (0..4)
        .map(|i| Peer::new(domain, ServiceMapping::Cyclone, &format!("load_{i}")))
        .collect();
    for p in &mut peers {
        p.prepare::<PeaqosValidateEventRequest, PeaqosValidateEventResponse>(
            "events/validate",
            "PeaqosValidateEvent",
        );
    }
    let mut jobs = Vec::new();
    for (i, p) in peers.iter_mut().enumerate() {
        let reqs: Vec<PeaqosValidateEventRequest> = (0..25u64)
            .map(|k| PeaqosValidateEventRequest {
                machine_id: 1 + i as u64,
                value: k,
                timestamp: 1_700_000_000,
                raw_data_hex: format!("{:02x}{:02x}", i, k),
                ..Default::default()
            })
            .collect();
        let c = p
            .client::<PeaqosValidateEventRequest, PeaqosValidateEventResponse>(
                "events/validate",
                "PeaqosValidateEvent",
            )
            .await;
        jobs.push(async move { (i, call_many(c, reqs, 25).await) });
    }
    let results = futures::future::join_all(jobs).await;
    let mut answered = 0;
    for (i, rs) in results {
        for (k, r) in rs.iter().enumerate() {
            assert!(r.success, "{r:?}");
            let expected = peaqos_sdk::compute_data_hash(&[i as u8, k as u8]);
            assert_eq!(r.data_hash, format!("{expected:#x}"));
            answered += 1;
        }
    }
    assert_eq!(answered, 100);

    // 200 events/submit for one signer at once: all land, nonces contiguous.
    let mut p = Peer::new(domain, ServiceMapping::Cyclone, "burst");
    p.prepare::<PeaqosRegisterMachineRequest, PeaqosRegisterMachineResponse>(
        "machine/register",
        "PeaqosRegisterMachine",
    );
    p.prepare::<PeaqosSubmitEventRequest, PeaqosSubmitEventResponse>(
        "events/submit",
        "PeaqosSubmitEvent",
    );
    let r: PeaqosRegisterMachineResponse = p
        .call(
            "machine/register",
            "PeaqosRegisterMachine",
            PeaqosRegisterMachineRequest::default(),
        )
        .await;
    assert!(r.success, "{r:?}");
    let id = r.machine_id;
    let reader = net.reader();
    let start = reader
        .get_transaction_count(machine.address())
        .await
        .unwrap();
    let ts = net.chain_time().await - 10;
    let me = machine.address().to_string();
    let reqs: Vec<PeaqosSubmitEventRequest> = (0..200u64)
        .map(|k| submit(&me, id, k + 1, ts, ""))
        .collect();
    let c = p
        .client::<PeaqosSubmitEventRequest, PeaqosSubmitEventResponse>(
            "events/submit",
            "PeaqosSubmitEvent",
        )
        .await;
    let rs = call_many(c, reqs, 10).await;
    let mut nonces = BTreeSet::new();
    for r in &rs {
        assert!(r.success, "{r:?}");
        let h: B256 = r.tx_hash.parse().unwrap();
        let tx = reader
            .get_transaction_by_hash(h)
            .await
            .unwrap()
            .expect("mined tx");
        nonces.insert(alloy::consensus::Transaction::nonce(&tx));
    }
    assert_eq!(nonces.len(), 200, "duplicate nonces");
    assert_eq!(
        nonces.iter().copied().collect::<Vec<_>>(),
        (start..start + 200).collect::<Vec<_>>(),
        "nonce gap"
    );
    assert_eq!(
        reader
            .get_transaction_count(machine.address())
            .await
            .unwrap(),
        start + 200
    );
    let sdk = peaqos_sdk::PeaqosClient::new(peaqos_sdk::PeaqosConfig::new(
        net.url(),
        Some(peaqos_sdk::PrivateKey::from(&machine)),
        net.contracts(),
    ))
    .unwrap();
    assert_eq!(sdk.event_count(id).await.unwrap(), 200);
}
