//! The ROS 2 node on DDS/RTPS: a RustDDS participant in `ROS_DOMAIN_ID`, the node
//! `peaqos_node` (ros2-client) and one service server per catalog entry, answering with the
//! reply mapping of the RMW named by `RMW_IMPLEMENTATION`.
//!
//! Requests are handled concurrently: each request runs in its own task and its reply goes
//! back through the server's task, so a slow chain call never holds up other services or other
//! calls of the same service.

use std::collections::HashSet;
use std::future::Future;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ros2_client::{
    Context, Message, Name, Node, NodeName, NodeOptions, QosProfile, ServiceMapping,
    ServiceTypeName,
    qos::{Durability, History, WhenFull},
};
use rustdds::DomainParticipantBuilder;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::handlers::{Handlers, respond};
use crate::interfaces::*;
use crate::outcome::{Outcome, codes};

/// Node start-up failures.
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    /// `RMW_IMPLEMENTATION` names an RMW whose reply mapping the node does not speak.
    #[error(
        "RMW_IMPLEMENTATION={0} is not supported (rmw_fastrtps_cpp, rmw_fastrtps_dynamic_cpp or rmw_cyclonedds_cpp)"
    )]
    UnsupportedRmw(String),
    /// `ROS_DOMAIN_ID` is not a domain id.
    #[error("ROS_DOMAIN_ID={0} is not a domain id (0-232)")]
    BadDomain(String),
    /// DDS refused to create an entity.
    #[error("DDS: {0}")]
    Dds(String),
}

/// How the node joins ROS 2: domain, reply mapping, discovery range, namespace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosOptions {
    /// `ROS_DOMAIN_ID` (default 0).
    pub domain_id: u16,
    /// From `RMW_IMPLEMENTATION`: Enhanced (Fast DDS, the default) or Cyclone.
    pub mapping: ServiceMapping,
    /// `ROS_AUTOMATIC_DISCOVERY_RANGE=LOCALHOST` (Jazzy) or `ROS_LOCALHOST_ONLY=1` (Humble):
    /// discovery and traffic on the loopback interface only.
    pub localhost_only: bool,
}

/// The reply mapping for an `RMW_IMPLEMENTATION` value (empty: the Humble/Jazzy default,
/// Fast DDS).
pub fn mapping_for_rmw(rmw: &str) -> Result<ServiceMapping, NodeError> {
    match rmw.trim() {
        "" | "rmw_fastrtps_cpp" | "rmw_fastrtps_dynamic_cpp" => Ok(ServiceMapping::Enhanced),
        "rmw_cyclonedds_cpp" => Ok(ServiceMapping::Cyclone),
        other => Err(NodeError::UnsupportedRmw(other.to_string())),
    }
}

impl RosOptions {
    /// From an environment lookup (`ROS_DOMAIN_ID`, `RMW_IMPLEMENTATION`,
    /// `ROS_AUTOMATIC_DISCOVERY_RANGE`, `ROS_LOCALHOST_ONLY`).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, NodeError> {
        let domain = get("ROS_DOMAIN_ID").unwrap_or_default();
        let domain_id = if domain.trim().is_empty() {
            0
        } else {
            domain
                .trim()
                .parse::<u16>()
                .ok()
                .filter(|d| *d <= 232)
                .ok_or_else(|| NodeError::BadDomain(domain.clone()))?
        };
        let mapping = mapping_for_rmw(&get("RMW_IMPLEMENTATION").unwrap_or_default())?;
        let range = get("ROS_AUTOMATIC_DISCOVERY_RANGE").unwrap_or_default();
        let localhost_only = range.trim().eq_ignore_ascii_case("LOCALHOST")
            || get("ROS_LOCALHOST_ONLY").is_some_and(|v| v.trim() == "1");
        Ok(Self {
            domain_id,
            mapping,
            localhost_only,
        })
    }

    /// From the process environment.
    pub fn from_env() -> Result<Self, NodeError> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    /// The `RMW_IMPLEMENTATION` whose reply mapping the node speaks (`rmw_fastrtps_cpp` for
    /// the enhanced mapping, `rmw_cyclonedds_cpp`).
    pub fn rmw(&self) -> &'static str {
        match self.mapping {
            ServiceMapping::Cyclone => "rmw_cyclonedds_cpp",
            _ => "rmw_fastrtps_cpp",
        }
    }
}

/// Services' QoS: RELIABLE, VOLATILE, KEEP_LAST 10 (ROS 2's services default), what clients
/// use.
pub fn service_qos() -> QosProfile {
    QosProfile::publisher_default()
        .reliability_reliable(WhenFull::DEFAULT)
        .durability(Durability::Volatile)
        .history(History::KeepLast { depth: 10 })
}

/// History depth of the node's own request readers and reply writers. Depth is local (it is
/// not matched in discovery): the wire QoS stays RELIABLE + VOLATILE, but a burst from many
/// clients at once is neither overwritten in the node's reader nor in its reply writer while
/// replies wait for their acknowledgements.
pub const NODE_HISTORY_DEPTH: usize = 1000;

/// The node's side of [`service_qos`]: the same reliability and durability, deeper history.
pub fn node_qos() -> QosProfile {
    service_qos().history(History::KeepLast {
        depth: NODE_HISTORY_DEPTH,
    })
}

/// A DDS participant for `opts` (loopback only when asked).
pub fn participant(opts: &RosOptions) -> Result<rustdds::DomainParticipant, NodeError> {
    let mut b = DomainParticipantBuilder::new(opts.domain_id);
    if opts.localhost_only {
        b = b.with_only_networks([IpAddr::V4(Ipv4Addr::LOCALHOST)]);
    }
    b.build().map_err(|e| NodeError::Dds(e.to_string()))
}

/// The running node. Dropping it stops every service.
pub struct RunningNode {
    tasks: Vec<JoinHandle<()>>,
    spinner: JoinHandle<()>,
    _node: Node,
    handlers: Arc<Handlers>,
    opts: RosOptions,
}

impl std::fmt::Debug for RunningNode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunningNode")
            .field("opts", &self.opts)
            .field("services", &self.tasks.len())
            .finish()
    }
}

impl RunningNode {
    /// The handlers behind the services.
    pub fn handlers(&self) -> &Arc<Handlers> {
        &self.handlers
    }
    /// The options it runs with.
    pub fn options(&self) -> &RosOptions {
        &self.opts
    }
    /// How many services it serves (26).
    pub fn service_count(&self) -> usize {
        self.tasks.len()
    }
}

impl Drop for RunningNode {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
        self.spinner.abort();
    }
}

/// Holds a reply until the requesting participant's reply reader is discovered.
///
/// A VOLATILE reply written before the server's reply writer knows the client's reader is
/// lost (the classic ROS 2 service race, which rmw_fastrtps closes the same way): the first
/// request of a new client can arrive before that client's reader announcement. The client is
/// recognised by its participant's GUID prefix as the request id carries it: all 12 bytes
/// under the enhanced mapping (the full writer GUID), the first 8 under the Cyclone mapping
/// (the rest of its request id is rmw_cyclonedds's 64-bit client id).
struct ReplyGate {
    dp: rustdds::DomainParticipant,
    topic: String,
    key_len: usize,
    seen: Mutex<HashSet<[u8; 12]>>,
}

/// How many bytes of the caller's GUID prefix a request id of `mapping` carries.
fn caller_key_len(mapping: ServiceMapping) -> usize {
    match mapping {
        ServiceMapping::Cyclone => 8,
        _ => 12,
    }
}

/// How long a reply waits for its client's reader before it is sent anyway.
const REPLY_GATE_WAIT: Duration = Duration::from_secs(5);

/// Once per client and service, after its reply reader first shows in discovery: the time the
/// participant's event loop gets to match it to the reply writer. Discovery records the reader
/// before the writer is matched with it (a hand-over between RustDDS's threads that neither
/// rustdds nor ros2-client exposes for a service's writer), and a VOLATILE reply written in
/// between reaches nobody: the client waits for a reply that never comes.
const REPLY_MATCH_GRACE: Duration = Duration::from_millis(250);

impl ReplyGate {
    fn key(&self, id: &ros2_client::RmwRequestId) -> [u8; 12] {
        let b = id.writer_gid.to_bytes16();
        let mut k = [0u8; 12];
        k[..self.key_len].copy_from_slice(&b[..self.key_len]);
        k
    }

    fn known(&self, key: &[u8; 12]) -> bool {
        self.seen.lock().is_ok_and(|s| s.contains(key))
    }

    async fn wait(&self, id: &ros2_client::RmwRequestId) {
        let key = self.key(id);
        if self.known(&key) {
            return;
        }
        let deadline = Instant::now() + REPLY_GATE_WAIT;
        loop {
            let found = self.dp.discovered_readers().iter().any(|r| {
                r.subscription_topic_data.topic_name() == &self.topic
                    && r.reader_proxy.remote_reader_guid.to_bytes()[..self.key_len]
                        == key[..self.key_len]
            });
            if found {
                tokio::time::sleep(REPLY_MATCH_GRACE).await;
                if let Ok(mut s) = self.seen.lock() {
                    s.insert(key);
                }
                return;
            }
            if Instant::now() >= deadline {
                tracing::warn!(topic = %self.topic, "the client's reply reader is still unknown; replying anyway");
                return;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
}

/// A server for `service` (private name under `/peaqos_node/`) of `type_name`, answering each
/// request with `handler` in its own task (or `DISABLED` when the node is disabled).
fn serve<Req, Resp, F, Fut>(
    node: &mut Node,
    node_dp: &rustdds::DomainParticipant,
    mapping: ServiceMapping,
    service: &'static str,
    type_name: &'static str,
    enabled: bool,
    handler: F,
) -> Result<JoinHandle<()>, NodeError>
where
    Req: Message + Clone + Send + Sync + 'static,
    Resp: Message + Outcome + Send + Sync + 'static,
    F: Fn(Req) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Resp> + Send + 'static,
{
    let (ns, base) = service.rsplit_once('/').unwrap_or(("", service));
    let name = Name::new(&format!("/{NODE_NAME}/{ns}"), base)
        .map_err(|e| NodeError::Dds(format!("service name {service}: {e:?}")))?;
    let server = node
        .create_server::<Req, Resp>(
            mapping,
            &name,
            &ServiceTypeName::new(PACKAGE, type_name),
            node_qos(),
            node_qos(),
        )
        .map_err(|e| NodeError::Dds(format!("{service}: {e:?}")))?;
    let handler = Arc::new(handler);
    let gate = Arc::new(ReplyGate {
        key_len: caller_key_len(mapping),
        dp: node_dp.clone(),
        topic: dds_topics(service).1,
        seen: Mutex::new(HashSet::new()),
    });
    Ok(tokio::spawn(async move {
        let (tx, mut rx) = mpsc::unbounded_channel::<(ros2_client::RmwRequestId, Resp)>();
        loop {
            tokio::select! {
                r = server.async_receive_request() => match r {
                    Ok((id, req)) => {
                        let tx = tx.clone();
                        let handler = Arc::clone(&handler);
                        let gate = Arc::clone(&gate);
                        tokio::spawn(async move {
                            let resp = if enabled {
                                handler(req).await
                            } else {
                                Resp::failed(codes::DISABLED, "", "peaq_os.enabled=false")
                            };
                            let code = if resp.is_success() { "ok" } else { "failed" };
                            tracing::debug!(service, outcome = code, "answered");
                            gate.wait(&id).await;
                            let _ = tx.send((id, resp));
                        });
                    }
                    Err(e) => tracing::warn!(service, "undecodable request: {e:?}"),
                },
                Some((id, resp)) = rx.recv() => {
                    if let Err(e) = server.async_send_response(id, resp).await {
                        tracing::warn!(service, "reply not sent: {e:?}");
                    }
                }
            }
        }
    }))
}

macro_rules! service {
    ($node:expr, $dp:expr, $mapping:expr, $enabled:expr, $h:expr, $svc:literal, $ty:literal, $req:ty, |$hh:ident, $r:ident| $body:expr) => {{
        let h = Arc::clone(&$h);
        serve::<$req, _, _, _>(
            &mut $node,
            &$dp,
            $mapping,
            $svc,
            $ty,
            $enabled,
            move |$r: $req| {
                let $hh = Arc::clone(&h);
                async move { respond($body) }
            },
        )?
    }};
}

/// Starts the node: participant, node, the 26 services, the ROS graph spinner. Logs
/// `peaqos_node ready` when every service is up.
pub async fn start(handlers: Handlers, opts: RosOptions) -> Result<RunningNode, NodeError> {
    let h = Arc::new(handlers);
    let dp = participant(&opts)?;
    let ctx = Context::from_domain_participant(dp).map_err(|e| NodeError::Dds(format!("{e:?}")))?;
    let mut node = ctx
        .new_node(
            NodeName::new("/", NODE_NAME).map_err(|e| NodeError::Dds(format!("{e:?}")))?,
            NodeOptions::new().enable_rosout(true),
        )
        .map_err(|e| NodeError::Dds(format!("{e:?}")))?;
    let m = opts.mapping;
    let dp = ctx.domain_participant();
    let on = h.config().enabled;
    let tasks = vec![
        service!(
            node,
            dp,
            m,
            on,
            h,
            "wallet/create",
            "PeaqosCreateWallet",
            PeaqosCreateWalletRequest,
            |h, r| h.wallet_create(r).await
        ),
        service!(
            node,
            dp,
            m,
            on,
            h,
            "wallet/list",
            "PeaqosListWallets",
            PeaqosListWalletsRequest,
            |h, r| h.wallet_list(r).await
        ),
        service!(
            node,
            dp,
            m,
            on,
            h,
            "wallet/get",
            "PeaqosGetWallet",
            PeaqosGetWalletRequest,
            |h, r| h.wallet_get(r).await
        ),
        service!(
            node,
            dp,
            m,
            on,
            h,
            "wallet/delete",
            "PeaqosDeleteWallet",
            PeaqosDeleteWalletRequest,
            |h, r| h.wallet_delete(r).await
        ),
        service!(
            node,
            dp,
            m,
            on,
            h,
            "faucet/setup_2fa",
            "PeaqosSetupFaucet2FA",
            PeaqosSetupFaucet2FARequest,
            |h, r| h.setup_2fa(r).await
        ),
        service!(
            node,
            dp,
            m,
            on,
            h,
            "faucet/confirm_2fa",
            "PeaqosConfirmFaucet2FA",
            PeaqosConfirmFaucet2FARequest,
            |h, r| h.confirm_2fa(r).await
        ),
        service!(
            node,
            dp,
            m,
            on,
            h,
            "wallet/fund",
            "PeaqosFundWallet",
            PeaqosFundWalletRequest,
            |h, r| h.fund(r).await
        ),
        service!(
            node,
            dp,
            m,
            on,
            h,
            "machine/register",
            "PeaqosRegisterMachine",
            PeaqosRegisterMachineRequest,
            |h, r| h
                .register(&r.address)
                .await
                .map(|id| PeaqosRegisterMachineResponse {
                    machine_id: id,
                    ..Default::default()
                })
        ),
        service!(
            node,
            dp,
            m,
            on,
            h,
            "agent/register",
            "PeaqosRegisterAgent",
            PeaqosRegisterAgentRequest,
            |h, r| h
                .register(&r.address)
                .await
                .map(|id| PeaqosRegisterAgentResponse {
                    machine_id: id,
                    ..Default::default()
                })
        ),
        service!(
            node,
            dp,
            m,
            on,
            h,
            "machine/register_for",
            "PeaqosRegisterFor",
            PeaqosRegisterForRequest,
            |h, r| h.register_for(r).await
        ),
        service!(
            node,
            dp,
            m,
            on,
            h,
            "agent/register_for",
            "PeaqosRegisterFor",
            PeaqosRegisterForRequest,
            |h, r| h.register_for(r).await
        ),
        service!(
            node,
            dp,
            m,
            on,
            h,
            "nft/mint",
            "PeaqosMintNft",
            PeaqosMintNftRequest,
            |h, r| h.mint(r).await
        ),
        service!(
            node,
            dp,
            m,
            on,
            h,
            "nft/token_id_of",
            "PeaqosTokenIdOf",
            PeaqosTokenIdOfRequest,
            |h, r| h.token_id_of(r).await
        ),
        service!(
            node,
            dp,
            m,
            on,
            h,
            "did/read_attribute",
            "PeaqosReadDidAttribute",
            PeaqosReadDidAttributeRequest,
            |h, r| h.read_attribute(r).await
        ),
        service!(
            node,
            dp,
            m,
            on,
            h,
            "did/write_machine_attributes",
            "PeaqosWriteMachineDidAttributes",
            PeaqosWriteMachineDidAttributesRequest,
            |h, r| h.write_machine_attributes(r).await
        ),
        service!(
            node,
            dp,
            m,
            on,
            h,
            "did/write_proxy_attributes",
            "PeaqosWriteProxyDidAttributes",
            PeaqosWriteProxyDidAttributesRequest,
            |h, r| h.write_proxy_attributes(r).await
        ),
        service!(
            node,
            dp,
            m,
            on,
            h,
            "events/validate",
            "PeaqosValidateEvent",
            PeaqosValidateEventRequest,
            |h, r| h.validate_event(r).await
        ),
        service!(
            node,
            dp,
            m,
            on,
            h,
            "events/submit",
            "PeaqosSubmitEvent",
            PeaqosSubmitEventRequest,
            |h, r| h.submit_event(r).await
        ),
        service!(
            node,
            dp,
            m,
            on,
            h,
            "events/batch_submit",
            "PeaqosBatchSubmitEvents",
            PeaqosBatchSubmitEventsRequest,
            |h, r| h.batch_submit(r).await
        ),
        service!(
            node,
            dp,
            m,
            on,
            h,
            "mcr/query",
            "PeaqosQueryMcr",
            PeaqosQueryMcrRequest,
            |h, r| h
                .query("mcr", &r.did)
                .await
                .map(|j| PeaqosQueryMcrResponse {
                    result_json: j,
                    ..Default::default()
                })
        ),
        service!(
            node,
            dp,
            m,
            on,
            h,
            "mcr/machine",
            "PeaqosQueryMachine",
            PeaqosQueryMachineRequest,
            |h, r| h
                .query("machine", &r.did)
                .await
                .map(|j| PeaqosQueryMachineResponse {
                    result_json: j,
                    ..Default::default()
                })
        ),
        service!(
            node,
            dp,
            m,
            on,
            h,
            "mcr/operator_machines",
            "PeaqosQueryOperatorMachines",
            PeaqosQueryOperatorMachinesRequest,
            |h, r| h
                .query("operator", &r.did)
                .await
                .map(|j| PeaqosQueryOperatorMachinesResponse {
                    result_json: j,
                    ..Default::default()
                })
        ),
        service!(
            node,
            dp,
            m,
            on,
            h,
            "smart_account/address",
            "PeaqosGetSmartAccountAddress",
            PeaqosGetSmartAccountAddressRequest,
            |h, r| h.smart_account_address(r).await
        ),
        service!(
            node,
            dp,
            m,
            on,
            h,
            "smart_account/deploy",
            "PeaqosDeploySmartAccount",
            PeaqosDeploySmartAccountRequest,
            |h, r| h.smart_account_deploy(r).await
        ),
        service!(
            node,
            dp,
            m,
            on,
            h,
            "bridge/nft",
            "PeaqosBridgeNft",
            PeaqosBridgeNftRequest,
            |h, r| h.bridge_nft(r).await
        ),
        service!(
            node,
            dp,
            m,
            on,
            h,
            "bridge/wait_arrival",
            "PeaqosWaitForBridgeArrival",
            PeaqosWaitForBridgeArrivalRequest,
            |h, r| h.bridge_wait(r).await
        ),
    ];
    let spinner = node
        .spinner()
        .map_err(|e| NodeError::Dds(format!("{e:?}")))?;
    let spinner = tokio::spawn(async move {
        if let Err(e) = spinner.spin().await {
            tracing::warn!("ROS graph spinner stopped: {e:?}");
        }
    });
    if on {
        let missing = h.config().missing(&[]);
        if !missing.is_empty() {
            tracing::warn!(
                "chain services will answer CONFIG_ERROR: missing peaqOS config: {}",
                missing.join(", ")
            );
        }
    }
    tracing::info!(
        domain = opts.domain_id,
        mapping = ?opts.mapping,
        enabled = on,
        "peaqos_node ready"
    );
    Ok(RunningNode {
        tasks,
        spinner,
        _node: node,
        handlers: h,
        opts,
    })
}
