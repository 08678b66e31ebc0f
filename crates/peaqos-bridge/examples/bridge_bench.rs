//! Bridge figures on the two devnets (docs/PERFORMANCE.md): gas of `send` on each side, latency
//! send -> arrival with the relayer running, and relayer packets/s with 100 NFTs in flight.
//!
//! `cargo run --release -p peaqos-bridge --example bridge_bench` (needs `cd contracts && npm ci`).

use alloy::primitives::{Address, Bytes, U256};
use alloy::providers::Provider;
use alloy::signers::local::PrivateKeySigner;
use peaqos_bridge::packet::address_to_bytes32;
use peaqos_bridge::{LzArtifacts, RelayChain, Relayer, RelayerConfig, Side};
use peaqos_contracts::{MachineNFT, MachineNFTAdapter, MachineNFTBase};
use peaqos_devnet::{ChainKind, DevnetConfig};
use peaqos_testkit::{TestNet, mined};
use std::time::{Duration, Instant};

const IN_FLIGHT: usize = 100;
const LATENCY_RUNS: usize = 10;

fn param(dst: Side, to: Address, token: U256) -> MachineNFTAdapter::SendParam {
    MachineNFTAdapter::SendParam {
        dstEid: dst.eid(),
        to: address_to_bytes32(to),
        tokenId: token,
        extraOptions: Bytes::new(),
        composeMsg: Bytes::new(),
        onftCmd: Bytes::new(),
    }
}

#[tokio::main]
async fn main() {
    let peaq = TestNet::start().await;
    let base = TestNet::start_with(DevnetConfig {
        port: 0,
        ..DevnetConfig::of_kind(ChainKind::Base)
    })
    .await;
    let artifacts = LzArtifacts::locate().expect("cd contracts && npm ci");
    let relayer_key = PrivateKeySigner::random();
    peaq.fund(relayer_key.address(), 1000).await;
    base.fund(relayer_key.address(), 1000).await;
    let nft_addr = peaq.contracts().machine_nft;
    let peaq_side = peaqos_bridge::install(
        &peaq.url(),
        Side::Peaq,
        &artifacts,
        peaq.handle.signer(0),
        nft_addr,
        relayer_key.address(),
    )
    .await
    .unwrap();
    let base_side = peaqos_bridge::install(
        &base.url(),
        Side::Base,
        &artifacts,
        base.handle.signer(0),
        nft_addr,
        relayer_key.address(),
    )
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cfg = |name: &str| {
        let mut c = RelayerConfig::new(
            RelayChain::from_deployment(&peaq.url(), &peaq_side),
            RelayChain::from_deployment(&base.url(), &base_side),
            relayer_key.clone(),
            dir.path().join(name),
        );
        c.poll_interval = Duration::from_millis(20);
        c
    };

    // Machines with their NFTs.
    let mut machines = Vec::new();
    for _ in 0..IN_FLIGHT {
        let key = peaq.funded_key(5).await;
        let id = peaq.register(&key).await;
        let token = U256::from(peaq.mint(&key, id).await);
        let nft = MachineNFT::new(nft_addr, peaq.provider_for(key.clone()));
        mined(nft.approve(peaq_side.oapp, token)).await;
        machines.push((key, token));
    }

    // Gas and latency, one NFT at a time, with the relayer running (20 ms polls).
    let handle = peaqos_bridge::spawn(cfg("latency.json")).unwrap();
    let mut out_latency = Vec::new();
    let mut back_latency = Vec::new();
    let (mut gas_peaq, mut gas_base) = (0u64, 0u64);
    for (key, token) in machines.iter().take(LATENCY_RUNS) {
        let a = MachineNFTAdapter::new(peaq_side.oapp, peaq.provider_for(key.clone()));
        let sp = param(Side::Base, key.address(), *token);
        let fee = a.quoteSend(sp.clone(), false).call().await.unwrap();
        let t = Instant::now();
        let r = mined(a.send(sp, fee.clone(), key.address()).value(fee.nativeFee)).await;
        gas_peaq = r.gas_used;
        let b = MachineNFTBase::new(base_side.oapp, base.reader());
        while b.ownerOf(*token).call().await.is_err() {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        out_latency.push(t.elapsed());
        base.fund(key.address(), 1).await;
        let bn = MachineNFTBase::new(base_side.oapp, base.provider_for(key.clone()));
        let sp = MachineNFTBase::SendParam {
            dstEid: Side::Peaq.eid(),
            to: address_to_bytes32(key.address()),
            tokenId: *token,
            extraOptions: Bytes::new(),
            composeMsg: Bytes::new(),
            onftCmd: Bytes::new(),
        };
        let fee = bn.quoteSend(sp.clone(), false).call().await.unwrap();
        let t = Instant::now();
        let r = mined(bn.send(sp, fee.clone(), key.address()).value(fee.nativeFee)).await;
        gas_base = r.gas_used;
        let n = MachineNFT::new(nft_addr, peaq.reader());
        while n.ownerOf(*token).call().await.unwrap() != key.address() {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        back_latency.push(t.elapsed());
        let nft = MachineNFT::new(nft_addr, peaq.provider_for(key.clone()));
        mined(nft.approve(peaq_side.oapp, *token)).await;
    }
    handle.shutdown().await.unwrap();

    // 100 NFTs in flight: sent first, then one relayer pass verifies and delivers them all.
    for (key, token) in &machines {
        let a = MachineNFTAdapter::new(peaq_side.oapp, peaq.provider_for(key.clone()));
        let sp = param(Side::Base, key.address(), *token);
        let fee = a.quoteSend(sp.clone(), false).call().await.unwrap();
        mined(a.send(sp, fee.clone(), key.address()).value(fee.nativeFee)).await;
    }
    let mut relayer = Relayer::new(cfg("latency.json")).unwrap();
    let t = Instant::now();
    let r = relayer.tick().await.unwrap();
    let took = t.elapsed();
    assert_eq!(r.delivered, IN_FLIGHT, "{r:?}");
    let b = MachineNFTBase::new(base_side.oapp, base.reader());
    for (key, token) in &machines {
        assert_eq!(b.ownerOf(*token).call().await.unwrap(), key.address());
    }
    let _ = base.reader().get_block_number().await;

    let median = |v: &mut Vec<Duration>| {
        v.sort();
        v[v.len() / 2]
    };
    println!("bridge bench (two embedded devnets, instant blocks, relayer polling every 20 ms)");
    println!("  gas of send, peaq -> Base (MachineNFTAdapter.send: lock + endpoint): {gas_peaq}");
    println!("  gas of send, Base -> peaq (MachineNFTBase.send: burn + endpoint):    {gas_base}");
    println!(
        "  latency send -> arrival, peaq -> Base: median {:.1} ms over {LATENCY_RUNS}",
        median(&mut out_latency).as_secs_f64() * 1e3
    );
    println!(
        "  latency send -> arrival, Base -> peaq: median {:.1} ms over {LATENCY_RUNS}",
        median(&mut back_latency).as_secs_f64() * 1e3
    );
    println!(
        "  relayer, {IN_FLIGHT} NFTs in flight: {:.0} packets/s ({IN_FLIGHT} verified + delivered in {:.2} s; 3 transactions each: DVN verify, commit, lzReceive)",
        IN_FLIGHT as f64 / took.as_secs_f64(),
        took.as_secs_f64()
    );
}
