"""Figures of `peaqos node` over loopback DDS, measured from an independent ROS 2 peer (Eclipse
Cyclone DDS, the Cyclone reply mapping), printed, never asserted:

* round-trip latency of events/validate (no chain access) and mcr/query (one HTTP GET to the
  MCR API), p50 / p99 / mean over sequential calls;
* events/s through events/batch_submit (one batchAll transaction per call), and a burst of
  events/submit calls for one signer sent at once;
* the node's memory (VmRSS of its process) at rest after start-up and again after the load.

The node runs alone (`peaqos node --config ...`), so its RSS is the node's own; the chain, MCR
API and Gas Station come from a `peaqos up --no-bridge` beside it; mcr/query goes to a second
`peaqos mcr serve` on that chain with the API's rate limit off.

    cargo build --release -p peaqos-cli
    python3 -m venv .venv-ros2 && .venv-ros2/bin/pip install -r interop/ros2/requirements.txt
    PEAQOS_BIN=target/release/peaqos .venv-ros2/bin/python interop/ros2/bench.py [--validate 2000] ..."""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]  # ros2peer and conftest here, stackproc in interop/

from conftest import node_contracts_yaml, ros_env  # noqa: E402
from stackproc import Proc, clean_env, json_rpc as rpc, require_bin, start_up  # noqa: E402


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, timeout: float) -> None:
    end = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        assert time.monotonic() < end, f"{url} did not answer within {timeout:.0f} s"
        time.sleep(0.2)


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


def pct(xs: list[float], p: float) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, max(0, round(p / 100 * len(s) + 0.5) - 1))]


def latency(client, n: int, fields) -> dict[str, float]:
    """n sequential round trips (send, then wait for that reply), in milliseconds."""
    out = []
    for i in range(n):
        t0 = time.perf_counter()
        r = client.call(**fields(i))
        out.append((time.perf_counter() - t0) * 1000)
        assert r.success, r
    return {"n": n, "p50": pct(out, 50), "p99": pct(out, 99), "mean": statistics.fmean(out), "max": max(out)}


def ok(r, what: str):
    assert r.success, f"{what}: {r}"
    return r


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--validate", type=int, default=2000, help="events/validate round trips (default 2000)")
    ap.add_argument("--query", type=int, default=500, help="mcr/query round trips (default 500)")
    ap.add_argument("--batch-size", type=int, default=50, help="events per events/batch_submit call (default 50)")
    ap.add_argument("--batches", type=int, default=20, help="events/batch_submit calls, sequential (default 20)")
    ap.add_argument("--burst", type=int, default=200, help="events/submit calls sent at once (default 200)")
    ap.add_argument("--rest", type=float, default=5.0, help="seconds idle before each RSS reading (default 5)")
    args = ap.parse_args()

    import ros2peer

    binary = require_bin()
    work = Path(tempfile.mkdtemp(prefix="peaqos-ros2-bench-"))
    procs: list[Proc] = []
    try:
        up, e, env_out = start_up(work, ["--no-bridge"], clean_env(work))
        procs.append(up)
        # A second MCR service on the same chain without the API's per-client rate limit
        # (90 requests a minute, peaq's), so that hundreds of mcr/query calls can be timed.
        mcr_port = free_port()
        mcr = Proc(
            [str(binary), "--env-file", str(env_out), "mcr", "serve", "--listen", f"127.0.0.1:{mcr_port}",
             "--rate-limit", "0", "--database-url", str(work / "bench-mcr.sqlite"), "--no-fx-refresh",
             "--fx-cache", str(work / "fx.csv"), "--poll-interval-ms", "200"],
            work, clean_env(work), work / "mcr.log",
        )
        procs.append(mcr)
        mcr_url = f"http://127.0.0.1:{mcr_port}"
        wait_http(f"{mcr_url}/health", 120)
        registry = work / "peaqos_wallets.json"
        config = work / "peaq_robot.yaml"
        config.write_text(f"""peaq_os:
  enabled: true
  rpc_url: {e['PEAQOS_RPC_URL']}
  api_url: {mcr_url}
  faucet_base_url: {e['PEAQOS_GAS_STATION_URL']}
  wallet_registry:
    path: {registry}
    plaintext: true
{node_contracts_yaml(e)}""")
        domain = random.randint(100, 149)
        node = Proc([str(binary), "node", "--config", str(config)], work,
                    clean_env(work, {**ros_env(domain, work / ".ows"), "PEAQOS_LOG": "warn"}), work / "node.log")
        procs.append(node)
        node.wait_for("peaqos_node ready", "`peaqos node`")
        time.sleep(args.rest)
        rss_start = rss_kib(node.proc.pid)

        peer = ros2peer.Peer(domain, depth=max(1000, args.burst * 2))
        rpc_url = e["PEAQOS_RPC_URL"]
        machine = ok(peer.call("wallet/create", "PeaqosCreateWallet", label="bench"), "wallet/create").address
        rpc(rpc_url, "anvil_setBalance", [machine, hex(10**24)])
        machine_id = ok(peer.call("machine/register", "PeaqosRegisterMachine", address=machine), "register").machine_id
        ts = int(rpc(rpc_url, "eth_getBlockByNumber", ["latest", False])["timestamp"], 16) - 10

        validate = peer.client("events/validate", "PeaqosValidateEvent")
        vfields = lambda i: dict(machine_id=machine_id, event_type=0, value=i, timestamp=ts, raw_data_hex=f"{i:08x}")  # noqa: E731
        latency(validate, 50, vfields)  # warm-up
        v = latency(validate, args.validate, vfields)

        did = f"did:peaq:{machine}"
        query = peer.client("mcr/query", "PeaqosQueryMcr")
        deadline = time.monotonic() + 60
        while not query.call(did=did).success:  # the indexer has seen the registration
            assert time.monotonic() < deadline, "MCR never indexed the machine"
            time.sleep(0.5)
        latency(query, 20, lambda i: dict(did=did))
        q = latency(query, args.query, lambda i: dict(did=did))

        batch = peer.client("events/batch_submit", "PeaqosBatchSubmitEvents")
        ev = lambda k: {"machine_id": machine_id, "event_type": 0, "value": 100 + k, "timestamp": ts}  # noqa: E731
        ok(batch.call(signer_address=machine, events_json=json.dumps([ev(k) for k in range(args.batch_size)])), "warm-up batch")
        t0 = time.perf_counter()
        for b in range(args.batches):
            events = [ev(b * args.batch_size + k) for k in range(args.batch_size)]
            ok(batch.call(signer_address=machine, events_json=json.dumps(events)), "batch_submit")
        t_batch = time.perf_counter() - t0
        n_batch = args.batches * args.batch_size

        submit = peer.client("events/submit", "PeaqosSubmitEvent")
        nonce0 = int(rpc(rpc_url, "eth_getTransactionCount", [machine, "latest"]), 16)
        t0 = time.perf_counter()
        seqs = [submit.send(signer_address=machine, machine_id=machine_id, event_type=0, value=k + 1, timestamp=ts) for k in range(args.burst)]
        got = submit.collect(seqs, 600.0)
        t_burst = time.perf_counter() - t0
        assert all(r.success for r in got.values()), [r for r in got.values() if not r.success][:3]
        nonce1 = int(rpc(rpc_url, "eth_getTransactionCount", [machine, "latest"]), 16)

        time.sleep(args.rest)
        rss_after = rss_kib(node.proc.pid)

        print(f"peaqos node over loopback DDS (Cyclone reply mapping, Cyclone DDS {ros2peer.cyclone_version()} peer), {os.cpu_count()} CPUs")
        print(f"  events/validate round trip   n={v['n']:<5} p50 {v['p50']:.2f} ms  p99 {v['p99']:.2f} ms  mean {v['mean']:.2f} ms  max {v['max']:.1f} ms")
        print(f"  mcr/query round trip         n={q['n']:<5} p50 {q['p50']:.2f} ms  p99 {q['p99']:.2f} ms  mean {q['mean']:.2f} ms  max {q['max']:.1f} ms")
        print(f"  events/batch_submit          {n_batch} events in {args.batches} calls of {args.batch_size}: {t_batch:.2f} s = {n_batch / t_batch:.0f} events/s")
        print(f"  events/submit burst          {args.burst} calls at once: {t_burst:.2f} s = {args.burst / t_burst:.0f} events/s, nonces {nonce0}..{nonce1 - 1} ({nonce1 - nonce0} txs)")
        print(f"  node RSS at rest             {rss_start / 1024:.1f} MiB after start-up, {rss_after / 1024:.1f} MiB after the load")
    finally:
        for p in reversed(procs):
            p.stop()


if __name__ == "__main__":
    main()
