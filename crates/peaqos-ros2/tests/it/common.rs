//! A node on a fresh ROS domain and a ros2-client peer that calls it.

use std::any::Any;
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::Duration;

use peaqos_ros2::config::{NodeConfig, Sources};
use peaqos_ros2::interfaces::PACKAGE;
use peaqos_ros2::node::{RosOptions, participant, service_qos};
use peaqos_ros2::{Handlers, Registry, RunningNode};
use peaqos_wallet::Vault;
use ros2_client::{
    Context, Message, Name, Node, NodeName, NodeOptions, ServiceMapping, ServiceTypeName,
};
use zeroize::Zeroizing;

/// Each node of this binary gets its own ROS domain (tests run in parallel).
static NEXT_DOMAIN: AtomicU16 = AtomicU16::new(120);

pub(crate) fn fresh_domain() -> u16 {
    let d = NEXT_DOMAIN.fetch_add(1, Ordering::SeqCst);
    assert!(d <= 232, "out of ROS domains");
    d
}

pub(crate) const PASSPHRASE: &str = "correct horse battery staple";

pub(crate) fn opts(domain_id: u16, mapping: ServiceMapping) -> RosOptions {
    RosOptions {
        domain_id,
        mapping,
        localhost_only: true,
    }
}

/// A config from YAML text with the registry and vault under `dir`.
pub(crate) fn config(dir: &std::path::Path, yaml_section: &str) -> NodeConfig {
    let yaml = format!(
        "peaq_os:\n  wallet_registry:\n    path: {}\n    vault_path: {}\n{yaml_section}",
        dir.join("peaqos_wallets.json").display(),
        dir.join("ows").display()
    );
    NodeConfig::resolve(&Sources {
        yaml: Some(yaml),
        env: BTreeMap::new(),
        params: BTreeMap::new(),
    })
    .expect("config")
}

pub(crate) fn handlers(cfg: NodeConfig) -> Handlers {
    let reg = Registry::new(
        cfg.wallet_registry_path.clone(),
        Vault::at(cfg.vault_path.clone()),
        Some(Zeroizing::new(PASSPHRASE.to_string())),
        cfg.wallet_plaintext,
    );
    Handlers::new(cfg, reg)
}

pub(crate) async fn node(cfg: NodeConfig, domain: u16, mapping: ServiceMapping) -> RunningNode {
    peaqos_ros2::start(handlers(cfg), opts(domain, mapping))
        .await
        .expect("node starts")
}

/// A ROS 2 client participant (its own DDS participant and node), one cached client per service.
///
/// ros2-client's `wait_for_service` wakes up on discovery events only, so it misses a match
/// that happens while discovery is quiet: clients are best created ([`Peer::prepare`]) right
/// after the participant, while the node is being discovered. A wait that still misses ends
/// after 10 s (the match has long happened by then) and the call goes ahead.
pub(crate) struct Peer {
    node: Node,
    dp: rustdds::DomainParticipant,
    mapping: ServiceMapping,
    clients: HashMap<String, (Box<dyn Any + Send + Sync>, bool)>,
    _spin: tokio::task::JoinHandle<()>,
}

impl Peer {
    pub(crate) fn new(domain: u16, mapping: ServiceMapping, name: &str) -> Self {
        let dp = participant(&opts(domain, mapping)).expect("participant");
        let ctx = Context::from_domain_participant(dp).expect("context");
        let dp = ctx.domain_participant();
        let mut node = ctx
            .new_node(
                NodeName::new("/", name).unwrap(),
                NodeOptions::new().enable_rosout(false),
            )
            .expect("node");
        let spinner = node.spinner().expect("spinner");
        let spin = tokio::spawn(async move {
            let _ = spinner.spin().await;
        });
        Self {
            node,
            dp,
            mapping,
            clients: HashMap::new(),
            _spin: spin,
        }
    }

    /// Creates (once) the client of `/peaqos_node/<service>`.
    pub(crate) fn prepare<Req, Resp>(&mut self, service: &str, type_name: &str)
    where
        Req: Message + Clone + Send + Sync + 'static,
        Resp: Message + Send + Sync + 'static,
    {
        if self.clients.contains_key(service) {
            return;
        }
        let (ns, base) = service.rsplit_once('/').unwrap();
        let c = self
            .node
            .create_client::<Req, Resp>(
                self.mapping,
                &Name::new(&format!("/peaqos_node/{ns}"), base).unwrap(),
                &ServiceTypeName::new(PACKAGE, type_name),
                service_qos(),
                service_qos(),
            )
            .expect("client");
        self.clients
            .insert(service.to_string(), (Box::new(c), false));
    }

    /// The client of `service`, once the node's endpoints are discovered and matched.
    pub(crate) async fn client<Req, Resp>(
        &mut self,
        service: &str,
        type_name: &str,
    ) -> &ros2_client::Client<Req, Resp>
    where
        Req: Message + Clone + Send + Sync + 'static,
        Resp: Message + Send + Sync + 'static,
    {
        self.prepare::<Req, Resp>(service, type_name);
        let ready = self.clients[service].1;
        if !ready {
            self.wait_for_server(service).await;
            let c = self.clients[service]
                .0
                .downcast_ref::<ros2_client::Client<Req, Resp>>()
                .expect("client type");
            let _ =
                tokio::time::timeout(Duration::from_secs(10), c.wait_for_service(&self.node)).await;
            self.clients.get_mut(service).unwrap().1 = true;
        }
        self.clients[service]
            .0
            .downcast_ref::<ros2_client::Client<Req, Resp>>()
            .expect("client type")
    }

    /// Waits (bounded) until the node's request reader and reply writer of `service` are in
    /// the discovery database.
    pub(crate) async fn wait_for_server(&self, service: &str) {
        let (rq, rr) = peaqos_ros2::interfaces::dds_topics(service);
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        loop {
            let reader = self
                .dp
                .discovered_readers()
                .iter()
                .any(|r| r.subscription_topic_data.topic_name() == &rq);
            let writer = self
                .dp
                .discovered_writers()
                .iter()
                .any(|w| w.publication_topic_data.topic_name == rr);
            if reader && writer {
                return;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "{service} not discovered within 60 s"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// One call (bounded: a lost reply fails the test instead of hanging it).
    pub(crate) async fn call<Req, Resp>(&mut self, service: &str, type_name: &str, req: Req) -> Resp
    where
        Req: Message + Clone + Send + Sync + 'static,
        Resp: Message + Send + Sync + 'static,
    {
        let c = self.client::<Req, Resp>(service, type_name).await;
        tokio::time::timeout(Duration::from_secs(120), c.async_call_service(req))
            .await
            .unwrap_or_else(|_| panic!("{service}: no reply within 120 s"))
            .unwrap_or_else(|e| panic!("{service}: call failed on the wire: {e:?}"))
    }
}
