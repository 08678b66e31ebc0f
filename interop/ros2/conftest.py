"""Session fixtures: our `peaqos up` (chain, MCR API, Gas Station) and our `peaqos node` on
a private ROS domain over loopback DDS, both required: a missing binary, a missing
`cyclonedds`, or a process that never says it is ready fails the session; nothing is skipped.

This directory is its own pytest root (pytest.ini): interop/'s suite never collects it."""

from __future__ import annotations

import os
import queue
import random
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
READY_DEADLINE_S = 180.0


def our_bin() -> Path:
    p = Path(os.environ.get("PEAQOS_BIN", ROOT / "target" / "debug" / "peaqos"))
    return p if p.is_absolute() else ROOT / p


def clean_env(home: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home), "LANG": "C.UTF-8", "NO_COLOR": "1"}
    env.update(extra or {})
    return env


def parse_env_file(path: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            k, v = line.split("=", 1)
            out[k.strip()] = v.strip().strip('"').strip("'")
    return out


class Proc:
    """A child process whose stdout+stderr lines are pumped into a queue."""

    def __init__(self, argv: list[str], cwd: Path, env: dict[str, str], log: Path) -> None:
        self.log = log
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.seen: list[str] = []
        self.proc = subprocess.Popen(
            argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True, start_new_session=True,
        )
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        with open(self.log, "w", encoding="utf-8") as f:
            for line in self.proc.stdout:
                f.write(line)
                f.flush()
                self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def wait_for(self, marker: str, what: str) -> None:
        end = time.monotonic() + READY_DEADLINE_S
        while True:
            remaining = end - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"{what} printed no {marker!r} within {READY_DEADLINE_S:.0f} s: {self.seen[-20:]}")
            try:
                line = self.lines.get(timeout=remaining)
            except queue.Empty:
                continue
            if line is None:
                self.proc.wait(timeout=10)
                raise AssertionError(f"{what} exited {self.proc.returncode} before it was ready: {self.seen[-20:]}")
            self.seen.append(line)
            if marker in line:
                return

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGINT)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)


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


@pytest.fixture(scope="session")
def peer_present() -> None:
    import cyclonedds  # noqa: F401  (ImportError fails the session: the peer is required)


@pytest.fixture(scope="session")
def stack(peer_present: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """`peaqos up --with-node --node-config peaq_robot.yaml`: the stack and the node in one
    process. The YAML names only the wallet registry (and another node's section, ignored):
    RPC, contracts, MCR API and Gas Station come from the stack."""
    binary = our_bin()
    assert binary.is_file() and os.access(binary, os.X_OK), f"{binary} is missing: cargo build -p peaqos-cli"
    work = tmp_path_factory.mktemp("up")
    env_out = work / "up.env"
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
    log = work / "up.log"
    p = Proc(
        [str(binary), "up", "--env-out", str(env_out), "--devnet-port", "0", "--mcr-port", "0",
         "--gas-station-port", "0", "--bundler-port", "0", "--base-port", "0",
         "--with-node", "--node-config", str(config)],
        work, clean_env(work, ros_env(domain, vault)), log,
    )
    try:
        p.wait_for("peaqos_node ready", "`peaqos up --with-node`")
        p.wait_for("peaqos up: ready", "`peaqos up --with-node`")
        p.wait_for("env file", "`peaqos up --with-node`")
        env = parse_env_file(env_out)
        yield Stack(
            env, env["PEAQOS_RPC_URL"], env["PEAQOS_MCR_API_URL"].rstrip("/"),
            env["PEAQOS_GAS_STATION_URL"].rstrip("/"), NodeInfo(domain, config, registry, vault, log),
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
    e = stack.env
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
  contracts:
    identity_registry: "{e['IDENTITY_REGISTRY_ADDRESS']}"
    identity_staking: "{e['IDENTITY_STAKING_ADDRESS']}"
    event_registry: "{e['EVENT_REGISTRY_ADDRESS']}"
    machine_nft: "{e['MACHINE_NFT_ADDRESS']}"
    did_registry: "{e['DID_REGISTRY_ADDRESS']}"
    batch_precompile: "{e['BATCH_PRECOMPILE_ADDRESS']}"
""")
    domain = random.randint(191, 230)
    log = work / "node.log"
    p = Proc([str(our_bin()), "node", "--config", str(config)], work, clean_env(work, ros_env(domain, vault)), log)
    try:
        p.wait_for("peaqos_node ready", "`peaqos node`")
        yield NodeInfo(domain, config, registry, vault, log)
    finally:
        p.stop()
