"""Session fixture: our `peaqos up` on free ports (chain, MCR API, Gas Station), required: a
missing binary or a stack that never says it is ready fails the session; nothing is skipped.
The MCP client is the official Python SDK (`mcp` from PyPI); a missing package fails too.

This directory is its own pytest root (pytest.ini): interop/'s suite never collects it."""

from __future__ import annotations

import os
import queue
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
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.seen: list[str] = []
        self.proc = subprocess.Popen(
            argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True, start_new_session=True,
        )
        self.log = log
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
class Stack:
    env: dict[str, str]
    env_file: Path
    work: Path
    rpc_url: str
    mcr_url: str
    gas_station_url: str


@pytest.fixture(scope="session", autouse=True)
def peer_present() -> None:
    import mcp  # noqa: F401  (ImportError fails the session: the peer is required)
    from mcp.client.stdio import stdio_client  # noqa: F401


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    binary = our_bin()
    assert binary.is_file() and os.access(binary, os.X_OK), f"{binary} is missing: cargo build -p peaqos-cli"
    work = tmp_path_factory.mktemp("up")
    env_out = work / "up.env"
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(work), "LANG": "C.UTF-8", "NO_COLOR": "1"}
    p = Proc(
        [str(binary), "up", "--env-out", str(env_out), "--devnet-port", "0", "--mcr-port", "0",
         "--gas-station-port", "0", "--bundler-port", "0", "--base-port", "0"],
        work, env, work / "up.log",
    )
    try:
        p.wait_for("peaqos up: ready", "`peaqos up`")
        e = parse_env_file(env_out)
        yield Stack(e, env_out, work, e["PEAQOS_RPC_URL"], e["PEAQOS_MCR_API_URL"].rstrip("/"),
                    e["PEAQOS_GAS_STATION_URL"].rstrip("/"))
    finally:
        p.stop()
