"""Starting our `peaqos` binary for the interop suites: the binary's path, a clean process
environment, the env file `up --env-out` writes, a child process whose output lines are read
with a deadline, `peaqos up` on free ports until it says it is ready, and plain JSON-RPC.

Standard library only: interop/ (peaq's SDK and CLI), interop/mcp, interop/ros2 and
interop/dashboard each run in their own venv, and every one of them imports this module (the
sub-suites through `pythonpath = ..` in their pytest.ini, the bench scripts through sys.path).
Nothing here skips: a missing binary or a process that never prints its marker raises
AssertionError, which fails the fixture (and so the session) that called it."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import threading
import time
import urllib.request
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NamedTuple, Union

REPO = Path(__file__).resolve().parents[1]
READY_LINE = "peaqos up: ready"
# Every wait for a marker is bounded by this (a debug build on two shared cores starts slowly).
READY_DEADLINE_S = 180.0
# `peaqos up` on free ports for everything it serves, so that parallel runs never collide.
UP_FREE_PORTS = (
    "--devnet-port", "0", "--mcr-port", "0", "--gas-station-port", "0", "--bundler-port", "0",
    "--base-port", "0",
)

# A substring of the line waited for, or a predicate on it.
Marker = Union[str, Callable[[str], bool]]


def our_bin() -> Path:
    """Our `peaqos`: $PEAQOS_BIN (relative to the checkout when it is relative), else the debug
    build target/debug/peaqos."""
    p = Path(os.environ.get("PEAQOS_BIN", REPO / "target" / "debug" / "peaqos"))
    return p if p.is_absolute() else REPO / p


def require_bin() -> Path:
    """our_bin(), asserted to be an executable file."""
    binary = our_bin()
    assert binary.is_file() and os.access(binary, os.X_OK), (
        f"our peaqos binary {binary} is missing: build it (cargo build -p peaqos-cli) "
        "or set PEAQOS_BIN"
    )
    return binary


def clean_env(home: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """A process environment with nothing of the caller's peaqOS configuration: only PATH, a
    private HOME (so no ~/.ows or ~/.env leaks in), a UTF-8 locale, no colours, and `extra`."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home), "LANG": "C.UTF-8", "NO_COLOR": "1"}
    env.update(extra or {})
    return env


def parse_env_file(path: Path) -> dict[str, str]:
    """KEY=VALUE lines (comments and blank lines ignored), as both CLIs write them."""
    out: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        s = line.strip()
        if not s or s.startswith("#") or "=" not in s:
            continue
        k, v = s.split("=", 1)
        out[k.strip()] = v.strip()
    return out


def json_rpc(url: str, method: str, params: list) -> object:
    """One JSON-RPC call over HTTP (30 s timeout); asserts that the answer carries no error."""
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).encode()
    req = urllib.request.Request(url, body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        out = json.loads(r.read())
    assert "error" not in out, out
    return out["result"]


class Proc:
    """A child process in its own session whose stdout lines are pumped into a queue and, when
    `log` is given, into that file. stderr goes to the file `stderr` when given, else it is
    merged into stdout (and so into the queue and `log`)."""

    def __init__(self, argv: Sequence[str], cwd: Path, env: dict[str, str], log: Path | None,
                 stderr: Path | None = None) -> None:
        self.log = log
        self.stderr = stderr
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.seen: list[str] = []
        err = open(stderr, "w", encoding="utf-8") if stderr is not None else None
        try:
            self.proc = subprocess.Popen(
                [str(a) for a in argv], cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                stderr=err if err is not None else subprocess.STDOUT, text=True, start_new_session=True,
            )
        finally:
            if err is not None:
                err.close()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        f = open(self.log, "w", encoding="utf-8") if self.log is not None else None
        try:
            for line in self.proc.stdout:
                if f is not None:
                    f.write(line)
                    f.flush()
                self.lines.put(line.rstrip("\n"))
        finally:
            if f is not None:
                f.close()
            self.lines.put(None)

    def _tail(self) -> str:
        out = f"{self.seen[-20:]}"
        if self.stderr is not None:
            out += f"; stderr: {self.stderr.read_text(encoding='utf-8', errors='replace')[-3000:]}"
        return out

    def wait_for(self, marker: Marker, what: str, deadline_s: float = READY_DEADLINE_S) -> str:
        """Reads lines until one contains `marker` (or satisfies it, when it is a predicate) and
        returns that line; every line read is kept in `seen`. Fails when the process exits first
        or after `deadline_s`."""
        match = marker if callable(marker) else (lambda line: marker in line)
        name = repr(marker) if isinstance(marker, str) else "matching line"
        end = time.monotonic() + deadline_s
        while True:
            remaining = end - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"{what} printed no {name} within {deadline_s:.0f} s: {self._tail()}")
            try:
                line = self.lines.get(timeout=remaining)
            except queue.Empty:
                continue
            if line is None:
                self.lines.put(None)  # the end stays visible to a later wait
                self.proc.wait(timeout=10)
                raise AssertionError(f"{what} exited {self.proc.returncode} before it was ready: {self._tail()}")
            self.seen.append(line)
            if match(line):
                return line

    def stop(self) -> None:
        """Ctrl-C to the process group (`up` shuts its services down), SIGKILL after 30 s."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGINT)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)


class Up(NamedTuple):
    proc: Proc
    env: dict[str, str]
    env_file: Path


def start_up(work: Path, extra_args: Sequence[str], env: dict[str, str], *,
             markers: Sequence[Marker] = (READY_LINE,), what: str = "`peaqos up`",
             split_stderr: bool = False) -> Up:
    """`peaqos up --env-out work/up.env` on free ports (plus `extra_args`) in `work`, waiting for
    each of `markers` in turn (each within READY_DEADLINE_S), then reads the env file. The log
    is work/up.log (stdout and stderr), or with `split_stderr` work/up.stderr (stderr only; stdout
    is then only in `proc.seen`). The caller stops the returned process; when start-up fails it is
    stopped here and the AssertionError propagates."""
    binary = require_bin()
    env_file = work / "up.env"
    argv = [str(binary), "up", "--env-out", str(env_file), *UP_FREE_PORTS, *extra_args]
    if split_stderr:
        p = Proc(argv, work, env, None, stderr=work / "up.stderr")
    else:
        p = Proc(argv, work, env, work / "up.log")
    try:
        for m in markers:
            p.wait_for(m, what)
        return Up(p, parse_env_file(env_file), env_file)
    except BaseException:
        p.stop()
        raise
