//! Machine NFTs across chains: peaq -> Base -> peaq, checked with `ownerOf` on both chains; the
//! fee, owner and pause checks; the relayer's exactly-once bookkeeping.

use crate::util::{Bridge, base_send_param, count_logs, send_param, send_to_base, send_to_peaq};
use alloy::primitives::U256;
use alloy::sol_types::SolEvent;
use peaqos_bridge::abi::EndpointV2;
use peaqos_contracts::{MachineNFT, MachineNFTAdapter, MachineNFTBase};
use peaqos_testkit::mined;

fn revert_name_of(e: &alloy::contract::Error) -> String {
    let data = e
        .as_revert_data()
        .unwrap_or_else(|| panic!("not a revert: {e}"));
    peaqos_bridge::relayer::revert_name(&data)
}

#[tokio::test]
async fn round_trip_peaq_base_peaq() {
    let b = Bridge::start().await;
    let (key, token) = b.machine().await;
    let recipient = b.base.address(3);
    assert_eq!(b.peaq_owner(token).await, key.address());

    // peaq -> Base: locked in the adapter, minted on Base once the relayer has run.
    send_to_base(&b, &key, recipient, token).await;
    assert_eq!(
        b.peaq_owner(token).await,
        b.peaq_side.oapp,
        "locked in the adapter"
    );
    assert_eq!(
        b.base_owner(token).await,
        None,
        "not on Base before relaying"
    );
    let mut relayer = b.relayer();
    let r = relayer.tick().await.unwrap();
    assert_eq!((r.seen, r.verified, r.delivered, r.failed), (1, 1, 1, 0));
    assert_eq!(b.base_owner(token).await, Some(recipient));
    // A second poll finds nothing to do.
    let r = relayer.tick().await.unwrap();
    assert_eq!((r.seen, r.verified, r.delivered), (0, 0, 0));

    // Base -> peaq: burned on Base, unlocked on peaq to the given recipient.
    let holder = b.base.handle.signer(3);
    let back_to = b.peaq.address(4);
    send_to_peaq(&b, &holder, back_to, token).await;
    assert_eq!(b.base_owner(token).await, None, "burned on Base");
    assert_eq!(b.peaq_owner(token).await, b.peaq_side.oapp, "still locked");
    let r = relayer.tick().await.unwrap();
    assert_eq!((r.seen, r.verified, r.delivered, r.failed), (1, 1, 1, 0));
    assert_eq!(b.peaq_owner(token).await, back_to, "unlocked");
    assert_eq!(relayer.state().delivered, 2);
    assert!(relayer.state().pending.is_empty());

    // One delivery per packet on each endpoint.
    let topic = EndpointV2::PacketDelivered::SIGNATURE_HASH;
    assert_eq!(
        count_logs(&b.base.reader(), b.base_side.endpoint, topic).await,
        1
    );
    assert_eq!(
        count_logs(&b.peaq.reader(), b.peaq_side.endpoint, topic).await,
        1
    );
    let received = MachineNFTBase::ONFTReceived::SIGNATURE_HASH;
    assert_eq!(
        count_logs(&b.base.reader(), b.base_side.oapp, received).await,
        1
    );
    assert_eq!(
        count_logs(&b.peaq.reader(), b.peaq_side.oapp, received).await,
        1
    );
}

#[tokio::test]
async fn a_fee_below_the_quote_reverts_not_enough_native() {
    let b = Bridge::start().await;
    let (key, token) = b.machine().await;
    let nft = MachineNFT::new(
        b.peaq.contracts().machine_nft,
        b.peaq.provider_for(key.clone()),
    );
    mined(nft.approve(b.peaq_side.oapp, token)).await;
    let a = b.adapter(&key);
    let sp = send_param(peaqos_bridge::Side::Base, key.address(), token);
    let fee = a.quoteSend(sp.clone(), false).call().await.unwrap();
    let low = fee.nativeFee - U256::from(1);
    let e = a
        .send(sp.clone(), fee.clone(), key.address())
        .value(low)
        .call()
        .await
        .unwrap_err();
    assert_eq!(
        revert_name_of(&e),
        format!("NotEnoughNative(NotEnoughNative {{ msgValue: {low} }})")
    );
    // More than the quote is refused too: the value must equal the quoted fee.
    let e = a
        .send(sp, fee.clone(), key.address())
        .value(fee.nativeFee + U256::from(1))
        .call()
        .await
        .unwrap_err();
    assert!(revert_name_of(&e).starts_with("NotEnoughNative"));
    assert_eq!(b.peaq_owner(token).await, key.address(), "nothing locked");
}

#[tokio::test]
async fn a_bridge_by_a_non_owner_reverts_on_both_sides() {
    let b = Bridge::start().await;
    let (key, token) = b.machine().await;
    // The owner approved the adapter, but a stranger sends: transferFrom(stranger, ...) fails.
    let nft = MachineNFT::new(
        b.peaq.contracts().machine_nft,
        b.peaq.provider_for(key.clone()),
    );
    mined(nft.approve(b.peaq_side.oapp, token)).await;
    let stranger = b.peaq.funded_key(5).await;
    let a = b.adapter(&stranger);
    let sp = send_param(peaqos_bridge::Side::Base, stranger.address(), token);
    let fee = a.quoteSend(sp.clone(), false).call().await.unwrap();
    let e = a
        .send(sp, fee.clone(), stranger.address())
        .value(fee.nativeFee)
        .call()
        .await
        .unwrap_err();
    let data = e.as_revert_data().expect("revert");
    let name = alloy::sol_types::SolInterface::abi_decode(&data)
        .map(|e: MachineNFT::MachineNFTErrors| format!("{e:?}"))
        .unwrap();
    assert!(name.starts_with("ERC721IncorrectOwner"), "{name}");

    // On Base: only the holder may send (OnlyNFTOwner).
    send_to_base(&b, &key, b.base.address(3), token).await;
    b.relayer().tick().await.unwrap();
    let thief = b.base.handle.signer(5);
    let n = b.base_nft(&thief);
    let sp = base_send_param(peaqos_bridge::Side::Peaq, thief.address(), token);
    let fee = n.quoteSend(sp.clone(), false).call().await.unwrap();
    let e = n
        .send(sp, fee.clone(), thief.address())
        .value(fee.nativeFee)
        .call()
        .await
        .unwrap_err();
    let data = e.as_revert_data().expect("revert");
    let decoded: MachineNFTBase::MachineNFTBaseErrors =
        alloy::sol_types::SolInterface::abi_decode(&data).unwrap();
    assert!(
        matches!(
            decoded,
            MachineNFTBase::MachineNFTBaseErrors::OnlyNFTOwner(_)
        ),
        "{decoded:?}"
    );
    assert_eq!(b.base_owner(token).await, Some(b.base.address(3)));
}

#[tokio::test]
async fn a_paused_machine_nft_stops_bridging_out_of_peaq() {
    let b = Bridge::start().await;
    let (key, token) = b.machine().await;
    let nft = MachineNFT::new(
        b.peaq.contracts().machine_nft,
        b.peaq.provider_for(key.clone()),
    );
    mined(nft.approve(b.peaq_side.oapp, token)).await;
    let admin = MachineNFT::new(b.peaq.contracts().machine_nft, b.peaq.provider(0));
    mined(admin.pause()).await;
    let a = b.adapter(&key);
    let sp = send_param(peaqos_bridge::Side::Base, key.address(), token);
    let fee = a.quoteSend(sp.clone(), false).call().await.unwrap();
    let e = a
        .send(sp, fee.clone(), key.address())
        .value(fee.nativeFee)
        .call()
        .await
        .unwrap_err();
    let data = e.as_revert_data().unwrap();
    let decoded: MachineNFTAdapter::MachineNFTAdapterErrors =
        alloy::sol_types::SolInterface::abi_decode(&data).unwrap();
    assert!(matches!(
        decoded,
        MachineNFTAdapter::MachineNFTAdapterErrors::BridgePausedByNFT(_)
    ));
    mined(admin.unpause()).await;
    crate::util::send_to_base(&b, &key, key.address(), token).await;
}

#[tokio::test]
async fn only_the_relayer_may_verify() {
    let b = Bridge::start().await;
    let (key, token) = b.machine().await;
    let r = send_to_base(&b, &key, key.address(), token).await;
    let log = r
        .inner
        .logs()
        .iter()
        .find_map(|l| EndpointV2::PacketSent::decode_log_data(l.data()).ok())
        .expect("PacketSent");
    let packet = peaqos_bridge::packet::Packet::decode(&log.encodedPayload).unwrap();
    let header = alloy::primitives::Bytes::from(packet.header().to_vec());
    // Through the DVN: only its verifier.
    let dvn = peaqos_bridge::abi::LocalDVN::new(b.base_side.dvn, b.base.provider(2));
    let e = dvn
        .verify(header.clone(), packet.payload_hash(), 1)
        .call()
        .await
        .unwrap_err();
    assert_eq!(
        peaqos_bridge::relayer::revert_name(&e.as_revert_data().unwrap()),
        "OnlyVerifier(OnlyVerifier)"
    );
    // Straight to ReceiveUln302 as a DVN of one's own: stored, but not a required DVN, so the
    // commit is refused.
    let uln = peaqos_bridge::abi::ReceiveUln302::new(b.base_side.receive_lib, b.base.provider(2));
    mined(uln.verify(header.clone(), packet.payload_hash(), 1)).await;
    let e = uln
        .commitVerification(header, packet.payload_hash())
        .call()
        .await
        .unwrap_err();
    assert_eq!(
        peaqos_bridge::relayer::revert_name(&e.as_revert_data().unwrap()),
        "LZ_ULN_Verifying(LZ_ULN_Verifying)"
    );
    assert_eq!(b.base_owner(token).await, None);
    // The relayer's path goes through.
    let r = b.relayer().tick().await.unwrap();
    assert_eq!((r.verified, r.delivered), (1, 1));
}

#[tokio::test]
async fn a_relayer_without_gas_says_so_and_resumes_once_funded() {
    let b = Bridge::start_with_relayer_funds(0).await;
    let (key, token) = b.machine().await;
    send_to_base(&b, &key, key.address(), token).await;
    let mut relayer = b.relayer();
    let r = relayer.tick().await.unwrap();
    assert_eq!((r.seen, r.verified, r.delivered, r.failed), (1, 0, 0, 1));
    let base = &relayer.state().chains["base"];
    let dry = base.out_of_funds.as_deref().expect("out of funds reported");
    assert!(dry.contains(&b.relayer_key.address().to_string()), "{dry}");
    assert!(dry.contains("fund it"), "{dry}");
    assert_eq!(base.balance, "0");
    let pending = relayer.state().pending.values().next().unwrap();
    assert_eq!(pending.attempts, 1);
    // Persisted for `peaqos relayer status`.
    let saved = peaqos_bridge::RelayerState::load(&b.relayer_config().state_path).unwrap();
    assert!(saved.chains["base"].out_of_funds.is_some());

    // A refused send consumed no nonce: once funded, the next poll goes through.
    b.base.fund(b.relayer_key.address(), 1).await;
    let r = relayer.tick().await.unwrap();
    assert_eq!((r.verified, r.delivered, r.failed), (1, 1, 0));
    assert!(relayer.state().chains["base"].out_of_funds.is_none());
    assert_eq!(b.base_owner(token).await, Some(key.address()));
}
