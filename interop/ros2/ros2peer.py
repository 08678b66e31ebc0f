"""An independent ROS 2 peer on Eclipse Cyclone DDS (the `cyclonedds` package from PyPI), with
no ROS installation: it builds the DDS types of peaq_ros2_interfaces from the shipped .srv
files and speaks rmw_cyclonedds_cpp's service wire (topics rq/<service>Request and
rr/<service>Reply, a 16-byte request header {uint64 client guid, int64 sequence} in front of
the CDR payload of both request and reply, XCDR1 little endian, RELIABLE + VOLATILE,
KEEP_LAST 10)."""

from __future__ import annotations

import dataclasses
import itertools
import os
import random
import time
import types
from pathlib import Path
from typing import Any

SRV_DIR = Path(__file__).resolve().parents[2] / "peaq_ros2_interfaces" / "srv"

# Discovery and traffic on the loopback interface only, no multicast: SPDP goes to the
# well-known unicast ports of localhost participants (the node's RustDDS participant does the
# same when ROS_AUTOMATIC_DISCOVERY_RANGE=LOCALHOST).
CYCLONE_LOCALHOST = """<CycloneDDS><Domain Id="any"><General>
<Interfaces><NetworkInterface address="127.0.0.1"/></Interfaces>
<AllowMulticast>false</AllowMulticast></General>
<Discovery><ParticipantIndex>auto</ParticipantIndex><MaxAutoParticipantIndex>60</MaxAutoParticipantIndex>
<Peers><Peer address="127.0.0.1"/></Peers></Discovery></Domain></CycloneDDS>"""
os.environ.setdefault("CYCLONEDDS_URI", CYCLONE_LOCALHOST)

from cyclonedds.core import InstanceState, Policy, Qos, ReadCondition, SampleState, ViewState, WaitSet  # noqa: E402
from cyclonedds.domain import DomainParticipant  # noqa: E402
from cyclonedds.idl import IdlStruct  # noqa: E402
from cyclonedds.idl import types as t  # noqa: E402
from cyclonedds.pub import DataWriter  # noqa: E402
from cyclonedds.sub import DataReader  # noqa: E402
from cyclonedds.topic import Topic  # noqa: E402

ROS_TYPES: dict[str, Any] = {
    "bool": bool,
    "uint8": t.uint8,
    "uint64": t.uint64,
    "string": str,
    "uint64[]": t.sequence[t.uint64],
}
DEFAULTS = {"bool": False, "string": "", "uint64[]": []}


def parse_srv(type_name: str) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(request fields, response fields) of a .srv file, as (name, ROS type)."""
    text = (SRV_DIR / f"{type_name}.srv").read_text()
    parts: list[list[tuple[str, str]]] = [[], []]
    side = 0
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if line == "---":
            side = 1
        elif line:
            ros_type, name = line.split()
            parts[side].append((name, ros_type))
    for p in parts:
        if not p:
            p.append(("structure_needs_at_least_one_member", "uint8"))
    return parts[0], parts[1]


def _struct(dds_name: str, fields: list[tuple[str, str]]) -> type:
    """A Cyclone IDL struct: the rmw_cyclonedds header, then the ROS fields."""
    annotations: dict[str, Any] = {"client_guid": t.uint64, "sequence_number": t.int64}
    defaults: dict[str, Any] = {}
    for name, ros_type in fields:
        annotations[name] = ROS_TYPES[ros_type]
        defaults[name] = dataclasses.field(default_factory=list) if ros_type.endswith("[]") else DEFAULTS.get(ros_type, 0)
    body = {"__annotations__": annotations, **defaults, "client_guid": 0, "sequence_number": 0}
    cls = types.new_class(
        dds_name.rsplit("::", 1)[-1],
        (IdlStruct,),
        {"typename": dds_name},
        lambda ns: ns.update(body),
    )
    return dataclasses.dataclass(cls)


class ServiceTypes:
    def __init__(self, type_name: str) -> None:
        self.type_name = type_name
        req, resp = parse_srv(type_name)
        self.request_fields = [n for n, _ in req]
        self.response_fields = [n for n, _ in resp]
        base = f"peaq_ros2_interfaces::srv::dds_::{type_name}"
        self.request = _struct(f"{base}_Request_", req)
        self.response = _struct(f"{base}_Response_", resp)


def qos(depth: int = 10) -> Qos:
    return Qos(
        Policy.Reliability.Reliable(max_blocking_time=1_000_000_000),
        Policy.Durability.Volatile,
        Policy.History.KeepLast(depth),
        Policy.DataRepresentation(use_cdrv0_representation=True),
    )


QOS = qos()


class Client:
    """One service client: a request writer and a reply reader on the node's topics."""

    def __init__(self, peer: "Peer", service: str, type_name: str) -> None:
        self.service = service
        self.types = ServiceTypes(type_name)
        self.guid = random.getrandbits(64)
        self.seq = itertools.count(1)
        rq = Topic(peer.dp, f"rq/peaqos_node/{service}Request", self.types.request, qos=QOS)
        rr = Topic(peer.dp, f"rr/peaqos_node/{service}Reply", self.types.response, qos=QOS)
        # A client sending many requests at once keeps them all until the node has acknowledged
        # them (a RELIABLE KEEP_LAST 10 writer may drop unacknowledged samples pushed out of its
        # history), and, since every client of a service reads every reply on its reply topic
        # (the Cyclone mapping has no per-client topic) and keeps its own by the header's GUID,
        # a deeper reader history too. Depth is local, not matched in discovery: the wire QoS
        # stays RELIABLE + VOLATILE, as a ROS 2 client's.
        self.writer = DataWriter(peer.dp, rq, qos=qos(peer.depth))
        self.reader = DataReader(peer.dp, rr, qos=qos(peer.depth))
        # Woken by the reply's arrival (no polling interval in the measured round trip).
        self.waitset = WaitSet(peer.dp)
        self.waitset.attach(ReadCondition(self.reader, SampleState.Any | ViewState.Any | InstanceState.Any))

    def wait_matched(self, timeout: float) -> None:
        """Until the node's request reader and reply writer are matched (the peer has
        discovered the node's service)."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.writer.get_matched_subscriptions() and self.reader.get_matched_publications():
                return
            time.sleep(0.02)
        raise AssertionError(f"{self.service}: the node was not discovered within {timeout:.0f} s")

    def send(self, **fields: Any) -> int:
        unknown = set(fields) - set(self.types.request_fields)
        assert not unknown, f"{self.types.type_name} has no fields {unknown}"
        seq = next(self.seq)
        self.writer.write(self.types.request(client_guid=self.guid, sequence_number=seq, **fields))
        return seq

    def collect(self, seqs: list[int], timeout: float, partial: bool = False) -> dict[int, Any]:
        want = set(seqs)
        got: dict[int, Any] = {}
        end = time.monotonic() + timeout
        while want - set(got):
            if time.monotonic() > end:
                if partial:
                    return got
                raise AssertionError(f"{self.service}: {len(want - set(got))} replies missing after {timeout:.0f} s")
            for s in self.reader.take(N=256):
                if s.client_guid == self.guid and s.sequence_number in want:
                    got[s.sequence_number] = s
            if want - set(got):
                left = max(0.0, end - time.monotonic())
                self.waitset.wait(int(min(left, 0.5) * 1e9))
        return got

    def call(self, _wait: float = 120.0, **fields: Any) -> Any:
        """One request, its reply within `_wait` seconds (`timeout` is a request field of
        PeaqosWaitForBridgeArrival)."""
        seq = self.send(**fields)
        return self.collect([seq], _wait)[seq]


class Peer:
    """A DDS participant in `domain` holding one client per service."""

    def __init__(self, domain: int, depth: int = 10) -> None:
        self.dp = DomainParticipant(domain)
        self.depth = depth
        self.clients: dict[str, Client] = {}

    def client(self, service: str, type_name: str, timeout: float = 60.0) -> Client:
        c = self.clients.get(service)
        if c is None:
            c = Client(self, service, type_name)
            c.wait_matched(timeout)
            self.clients[service] = c
        return c

    def call(self, service: str, type_name: str, **fields: Any) -> Any:
        return self.client(service, type_name).call(**fields)

    def matched_types(self, service: str, type_name: str) -> tuple[str, str]:
        """The DDS type names of the node's request reader and reply writer of `service`, as
        discovery announced them."""
        c = self.client(service, type_name)
        sub = c.writer.get_matched_subscription_data(c.writer.get_matched_subscriptions()[0])
        pub = c.reader.get_matched_publication_data(c.reader.get_matched_publications()[0])
        return sub.type_name, pub.type_name


SERVICES = {
    "wallet/create": "PeaqosCreateWallet", "wallet/list": "PeaqosListWallets",
    "wallet/get": "PeaqosGetWallet", "wallet/delete": "PeaqosDeleteWallet",
    "faucet/setup_2fa": "PeaqosSetupFaucet2FA", "faucet/confirm_2fa": "PeaqosConfirmFaucet2FA",
    "wallet/fund": "PeaqosFundWallet", "machine/register": "PeaqosRegisterMachine",
    "agent/register": "PeaqosRegisterAgent", "machine/register_for": "PeaqosRegisterFor",
    "agent/register_for": "PeaqosRegisterFor", "nft/mint": "PeaqosMintNft",
    "nft/token_id_of": "PeaqosTokenIdOf", "did/read_attribute": "PeaqosReadDidAttribute",
    "did/write_machine_attributes": "PeaqosWriteMachineDidAttributes",
    "did/write_proxy_attributes": "PeaqosWriteProxyDidAttributes",
    "events/validate": "PeaqosValidateEvent", "events/submit": "PeaqosSubmitEvent",
    "events/batch_submit": "PeaqosBatchSubmitEvents", "mcr/query": "PeaqosQueryMcr",
    "mcr/machine": "PeaqosQueryMachine", "mcr/operator_machines": "PeaqosQueryOperatorMachines",
    "smart_account/address": "PeaqosGetSmartAccountAddress",
    "smart_account/deploy": "PeaqosDeploySmartAccount", "bridge/nft": "PeaqosBridgeNft",
    "bridge/wait_arrival": "PeaqosWaitForBridgeArrival",
}


def cyclone_version() -> str:
    from importlib.metadata import version

    return version("cyclonedds")


def _load_main(argv: list[str]) -> None:
    """`python ros2peer.py validate-load DOMAIN INDEX N`: one client participant in its own
    process. It prints `ready` once it has discovered the node's events/validate, waits for
    `go` on stdin, sends N requests at once (raw data = bytes [INDEX, k]) and prints the
    replies as one JSON object {k: [success, data_hash, error]}."""
    import json
    import sys

    domain, index, n = int(argv[0]), int(argv[1]), int(argv[2])
    # Every client's reader sees all 4 x N replies of the burst.
    c = Peer(domain, depth=1000).client("events/validate", "PeaqosValidateEvent")
    print("ready", flush=True)
    assert sys.stdin.readline().strip() == "go"
    seqs = {
        c.send(machine_id=1 + index, event_type=0, value=k, timestamp=1_700_000_000, raw_data_hex=f"{index:02x}{k:02x}"): k
        for k in range(n)
    }
    got = c.collect(list(seqs), 120.0)
    print(json.dumps({seqs[s]: [r.success, r.data_hash, r.error] for s, r in got.items()}), flush=True)


if __name__ == "__main__":
    import sys

    assert sys.argv[1] == "validate-load", sys.argv
    _load_main(sys.argv[2:])
