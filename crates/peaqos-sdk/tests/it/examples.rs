//! Runs the main logic of every example against an embedded devnet, so CI exercises them.

// The examples are programs whose `run` and result types are `pub` for their readers; included
// here they are private modules.
#[allow(unreachable_pub)]
#[path = "../../examples/proxy_fleet.rs"]
mod proxy_fleet;
#[allow(unreachable_pub)]
#[path = "../../examples/self_managed.rs"]
mod self_managed;
#[allow(unreachable_pub)]
#[path = "../../examples/submit_events.rs"]
mod submit_events;

use crate::common::{Net, SdkNet};
use alloy::providers::Provider;

trait ReceiptOk {
    async fn provider_receipt_ok(&self, h: alloy::primitives::B256) -> bool;
}

impl ReceiptOk for peaqos_sdk::PeaqosClient {
    async fn provider_receipt_ok(&self, h: alloy::primitives::B256) -> bool {
        self.provider()
            .get_transaction_receipt(h)
            .await
            .unwrap()
            .is_some_and(|r| r.status())
    }
}

#[tokio::test]
async fn self_managed_example() {
    let net = Net::start().await;
    let out = self_managed::run(net.config_for(&net.handle.signer(0)), None)
        .await
        .unwrap();
    let c = net.dev(0);
    assert_eq!(
        c.machine_id_of_owner(out.machine_address).await.unwrap(),
        out.machine_id
    );
    assert_eq!(c.token_id_of(out.machine_id).await.unwrap(), out.token_id);
    assert_eq!(
        c.read_attribute(out.machine_address, "machineId")
            .await
            .unwrap()
            .value,
        out.machine_id.to_string()
    );
    assert_eq!(c.event_count(out.machine_id).await.unwrap(), 1);
    assert!(c.provider_receipt_ok(out.first_event).await);
}

#[tokio::test]
async fn proxy_fleet_example() {
    let net = Net::start().await;
    let operator = net.handle.signer(1);
    let fleet = proxy_fleet::run(net.config_for(&operator), 10)
        .await
        .unwrap();
    assert_eq!(fleet.machines.len(), 10);
    let c = net.dev(1);
    let ids: Vec<u64> = fleet.machines.iter().map(|m| m.machine_id).collect();
    assert_eq!(
        c.read_attribute(operator.address(), "machines")
            .await
            .unwrap()
            .value,
        serde_json::to_string(&ids).unwrap()
    );
    for m in &fleet.machines {
        assert_eq!(c.token_id_of(m.machine_id).await.unwrap(), m.token_id);
        let op = c.read_attribute(m.address, "operator").await.unwrap();
        assert_eq!(
            op.value,
            format!("did:peaq:{}", operator.address().to_checksum(None))
        );
    }
    // Re-running keeps the proxy's machine id and rewrites the fleet attribute.
    let again = proxy_fleet::run(net.config_for(&operator), 1)
        .await
        .unwrap();
    assert_eq!(again.proxy_machine_id, fleet.proxy_machine_id);
}

#[tokio::test]
async fn submit_events_example() {
    let net = Net::start().await;
    let out = submit_events::run(net.config_for(&net.handle.signer(2)), None)
        .await
        .unwrap();
    assert_eq!(out.single.len(), 3);
    assert_eq!(out.batch.len(), 24);
    assert_eq!(net.dev(2).event_count(out.machine_id).await.unwrap(), 27);
}
