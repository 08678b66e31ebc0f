"""Session fixtures: our `peaqos up` (chain, MCR API, Gas Station) and our `peaqos node` on
a private ROS domain over loopback DDS, both required: a missing binary, a missing
`cyclonedds`, or a process that never says it is ready fails the session; nothing is skipped.

This directory is its own pytest root (pytest.ini): interop/'s suite never collects it. The
process helpers are interop/stackproc.py (on the path through pytest.ini's `pythonpath = ..`)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from stackproc import READY_LINE, Proc, clean_env, our_bin, start_up


@dataclass
class NodeInfo:
    domain: int
    config: Path
    registry: Path
    vault: Path
    log: Path


@dataclass
class Stack:
    env: dict[str, str]
    rpc_url: str
    mcr_url: str
    gas_station_url: str
    node: NodeInfo
    ready_text: str


def ros_env(domain: int, vault: Path) -> dict[str, str]:
    """The ROS side of a node process: a private domain, the Cyclone reply mapping, discovery
    on localhost only, keys in an OWS vault under the test's HOME."""
    return {
        "ROS_DOMAIN_ID": str(domain),
        "RMW_IMPLEMENTATION": "rmw_cyclonedds_cpp",
        "ROS_AUTOMATIC_DISCOVERY_RANGE": "LOCALHOST",
        "OWS_VAULT_PATH": str(vault),
        "OWS_PASSPHRASE": "interop passphrase",
        "PEAQOS_LOG": "info",
    }


def node_contracts_yaml(env: dict[str, str]) -> str:
    """The `contracts:` section of a peaq_robot.yaml's `peaq_os:` (ending in a newline): the
    addresses of the stack whose env file is `env`."""
    keys = {
        "identity_registry": "IDENTITY_REGISTRY_ADDRESS", "identity_staking": "IDENTITY_STAKING_ADDRESS",
        "event_registry": "EVENT_REGISTRY_ADDRESS", "machine_nft": "MACHINE_NFT_ADDRESS",
        "did_registry": "DID_REGISTRY_ADDRESS", "batch_precompile": "BATCH_PRECOMPILE_ADDRESS",
    }
    return "  contracts:\n" + "".join(f'    {k}: "{env[v]}"\n' for k, v in keys.items())


@pytest.fixture(scope="session")
def peer_present() -> None:
    import cyclonedds  # noqa: F401  (ImportError fails the session: the peer is required)


@pytest.fixture(scope="session")
def stack(peer_present: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """`peaqos up --with-node --node-config peaq_robot.yaml`: the stack and the node in one
    process. The YAML names only the wallet registry (and another node's section, ignored):
    RPC, contracts, MCR API and Gas Station come from the stack."""
    work = tmp_path_factory.mktemp("up")
    registry = work / ".peaq_robot" / "peaqos_wallets.json"
    vault = work / ".ows"
    config = work / "peaq_robot.yaml"
    config.write_text(f"""# peaq_robot.yaml: other nodes' sections are ignored
network:
  hostname: robot-1
peaq_os:
  enabled: false   # the stack's parameters turn it on
  wallet_registry:
    path: {registry}
""")
    domain = random.randint(150, 190)
    p, env, _ = start_up(
        work, ["--with-node", "--node-config", str(config)], clean_env(work, ros_env(domain, vault)),
        markers=("peaqos_node ready", READY_LINE, "env file"), what="`peaqos up --with-node`",
    )
    try:
        yield Stack(
            env, env["PEAQOS_RPC_URL"], env["PEAQOS_MCR_API_URL"].rstrip("/"),
            env["PEAQOS_GAS_STATION_URL"].rstrip("/"), NodeInfo(domain, config, registry, vault, work / "up.log"),
            "\n".join(p.seen),
        )
    finally:
        p.stop()


@pytest.fixture(scope="session")
def node(stack: Stack) -> NodeInfo:
    return stack.node


@pytest.fixture(scope="session")
def peer(node: NodeInfo):
    import ros2peer

    return ros2peer.Peer(node.domain)


@pytest.fixture(scope="session")
def standalone(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[NodeInfo]:
    """`peaqos node --config peaq_robot.yaml` alone, against the stack's RPC as against any
    RPC: every address from the YAML file, peaq's plaintext registry, its own ROS domain."""
    work = tmp_path_factory.mktemp("node")
    registry = work / ".peaq_robot" / "peaqos_wallets.json"
    vault = work / ".ows"
    config = work / "peaq_robot.yaml"
    config.write_text(f"""peaq_os:
  enabled: true
  rpc_url: {stack.rpc_url}
  api_url: {stack.mcr_url}
  faucet:
    base_url: {stack.gas_station_url}
  wallet_registry:
    path: {registry}
    plaintext: true
{node_contracts_yaml(stack.env)}""")
    domain = random.randint(191, 230)
    log = work / "node.log"
    p = Proc([str(our_bin()), "node", "--config", str(config)], work, clean_env(work, ros_env(domain, vault)), log)
    try:
        p.wait_for("peaqos_node ready", "`peaqos node`")
        yield NodeInfo(domain, config, registry, vault, log)
    finally:
        p.stop()
