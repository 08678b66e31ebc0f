//! A relayer killed with SIGKILL between verification and delivery: restarted from its state
//! file, it delivers the packet exactly once and does not verify it again.
//!
//! The relayer runs in a child process (this test binary re-run on [`relayer_child`]) with the
//! halt-after-verify hook: once the verification is mined and recorded it creates a marker file
//! and makes no more progress; the parent kills it there with SIGKILL.

use crate::util::{Bridge, count_logs, send_to_base};
use alloy::signers::local::PrivateKeySigner;
use alloy::sol_types::SolEvent;
use peaqos_bridge::abi::EndpointV2;
use peaqos_bridge::{RelayChain, RelayerConfig};
use std::path::PathBuf;
use std::time::{Duration, Instant};

const CHILD_ENV: &str = "PEAQOS_BRIDGE_TEST_RELAYER_CHILD";

#[derive(serde::Serialize, serde::Deserialize)]
struct ChildConfig {
    peaq: RelayChain,
    base: RelayChain,
    key: String,
    state: PathBuf,
    marker: PathBuf,
}

/// The relayer process of [`killed_between_verification_and_delivery_delivers_once`]; only runs
/// when that test starts it (ignored otherwise).
#[tokio::test]
#[ignore = "started as a child process by the crash test"]
async fn relayer_child() {
    let Some(path) = std::env::var_os(CHILD_ENV) else {
        return;
    };
    let c: ChildConfig = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let key: PrivateKeySigner = c.key.parse().unwrap();
    let mut cfg = RelayerConfig::new(c.peaq, c.base, key, c.state);
    cfg.halt_after_verify = Some(c.marker);
    peaqos_bridge::spawn(cfg).unwrap().wait().await.unwrap();
}

#[tokio::test]
async fn killed_between_verification_and_delivery_delivers_once() {
    let b = Bridge::start().await;
    let (key, token) = b.machine().await;
    let recipient = b.base.address(6);
    send_to_base(&b, &key, recipient, token).await;

    let cfg = b.relayer_config();
    let marker = b.dir.path().join("verified.marker");
    let child_cfg = b.dir.path().join("child.json");
    std::fs::write(
        &child_cfg,
        serde_json::to_vec(&ChildConfig {
            peaq: cfg.peaq.clone(),
            base: cfg.base.clone(),
            key: alloy::primitives::hex::encode(b.relayer_key.to_bytes()),
            state: cfg.state_path.clone(),
            marker: marker.clone(),
        })
        .unwrap(),
    )
    .unwrap();
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "crash::relayer_child",
            "--ignored",
            "--nocapture",
        ])
        .env(CHILD_ENV, &child_cfg)
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("start the relayer child");
    let deadline = Instant::now() + Duration::from_secs(120);
    while !marker.exists() {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the relayer child ended before verifying: {status}");
        }
        assert!(
            Instant::now() < deadline,
            "the relayer child never verified"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    child.kill().unwrap(); // SIGKILL
    let status = child.wait().unwrap();
    assert!(!status.success());

    // Killed there: verified on Base, not delivered.
    let base = b.base.reader();
    let verified = EndpointV2::PacketVerified::SIGNATURE_HASH;
    let delivered = EndpointV2::PacketDelivered::SIGNATURE_HASH;
    assert_eq!(count_logs(&base, b.base_side.endpoint, verified).await, 1);
    assert_eq!(count_logs(&base, b.base_side.endpoint, delivered).await, 0);
    assert_eq!(b.base_owner(token).await, None);

    // Restarted from the same state file: delivered once, not verified again.
    let mut relayer = b.relayer();
    assert_eq!(
        relayer.state().pending.len(),
        1,
        "the state file kept the packet"
    );
    let r = relayer.tick().await.unwrap();
    assert_eq!((r.seen, r.verified, r.delivered, r.failed), (0, 0, 1, 0));
    assert_eq!(b.base_owner(token).await, Some(recipient));
    let r = relayer.tick().await.unwrap();
    assert_eq!((r.seen, r.verified, r.delivered), (0, 0, 0));
    assert_eq!(count_logs(&base, b.base_side.endpoint, verified).await, 1);
    assert_eq!(count_logs(&base, b.base_side.endpoint, delivered).await, 1);

    // A relayer with a fresh state file rescans from genesis and finds it delivered.
    let mut cfg = b.relayer_config();
    cfg.state_path = b.dir.path().join("fresh.json");
    let mut fresh = peaqos_bridge::Relayer::new(cfg).unwrap();
    let r = fresh.tick().await.unwrap();
    assert_eq!(
        (r.seen, r.verified, r.delivered, r.already_delivered),
        (1, 0, 0, 1)
    );
    assert_eq!(count_logs(&base, b.base_side.endpoint, delivered).await, 1);
}

/// A crash between the DVN's verification and the commit: the restarted relayer finds the DVN's
/// verification in ReceiveUln302 and only commits (one `PayloadVerified`), then delivers.
#[tokio::test]
async fn a_dvn_verification_already_submitted_is_not_submitted_again() {
    let b = Bridge::start().await;
    let (key, token) = b.machine().await;
    let r = send_to_base(&b, &key, key.address(), token).await;
    let sent = r
        .inner
        .logs()
        .iter()
        .find_map(|l| EndpointV2::PacketSent::decode_log_data(l.data()).ok())
        .unwrap();
    let packet = peaqos_bridge::packet::Packet::decode(&sent.encodedPayload).unwrap();
    // What the relayer's first step did before "crashing".
    let dvn = peaqos_bridge::abi::LocalDVN::new(
        b.base_side.dvn,
        b.base.provider_for(b.relayer_key.clone()),
    );
    peaqos_testkit::mined(dvn.verify(
        packet.header().to_vec().into(),
        packet.payload_hash(),
        peaqos_bridge::deploy::ULN_CONFIRMATIONS,
    ))
    .await;
    let r = b.relayer().tick().await.unwrap();
    assert_eq!((r.verified, r.delivered, r.failed), (1, 1, 0));
    let submitted = peaqos_bridge::abi::ReceiveUln302::PayloadVerified::SIGNATURE_HASH;
    assert_eq!(
        count_logs(&b.base.reader(), b.base_side.receive_lib, submitted).await,
        1
    );
    assert_eq!(b.base_owner(token).await, Some(key.address()));
}
