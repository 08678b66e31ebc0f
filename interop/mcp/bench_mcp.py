"""Figures for `peaqos mcp` (not a test; prints numbers): against a `peaqos up` on free ports,
the time to start the server and finish the handshake, then tool round trips in one session
(whoami: two node calls; query_mcr: one MCR API call; list_tools), as median and p95.

    PEAQOS_BIN=target/release/peaqos python interop/mcp/bench_mcp.py [CALLS]

Run it with the venv .ci/mcp.sh creates (the `mcp` package from PyPI)."""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from mcp import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from stackproc import clean_env, require_bin, start_up  # noqa: E402


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p * (len(xs) - 1))))]


def show(name: str, xs: list[float]) -> None:
    ms = [x * 1000 for x in xs]
    print(f"{name:<28} n={len(ms):<4} median {statistics.median(ms):7.2f} ms   p95 {pct(ms, 0.95):7.2f} ms")


async def session_start(params: StdioServerParameters) -> float:
    t = time.perf_counter()
    async with stdio_client(params, errlog=open(os.devnull, "w")) as (r, w):
        async with ClientSession(r, w) as s:
            await s.initialize()
            return time.perf_counter() - t


async def round_trips(params: StdioServerParameters, did: str, calls: int) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {"list_tools": [], "whoami": [], "query_mcr (not found)": []}
    async with stdio_client(params, errlog=open(os.devnull, "w")) as (r, w):
        async with ClientSession(r, w) as s:
            await s.initialize()
            for _ in range(calls):
                t = time.perf_counter()
                await s.list_tools()
                out["list_tools"].append(time.perf_counter() - t)
                t = time.perf_counter()
                r1 = await s.call_tool("whoami", {})
                out["whoami"].append(time.perf_counter() - t)
                assert not r1.is_error, r1
                t = time.perf_counter()
                await s.call_tool("query_mcr", {"did": did})
                out["query_mcr (not found)"].append(time.perf_counter() - t)
    return out


def main() -> None:
    calls = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    binary = require_bin()
    with tempfile.TemporaryDirectory() as d:
        work = Path(d)
        env = clean_env(work)
        up, _, env_file = start_up(work, [], env)
        try:
            params = StdioServerParameters(command=str(binary), args=["--env-file", str(env_file), "mcp"],
                                           env=env, cwd=str(work))
            print(f"peaqos mcp: {binary} ({calls} calls per tool)")
            starts = [asyncio.run(session_start(params)) for _ in range(max(5, calls // 10))]
            show("spawn + handshake", starts)
            did = "did:peaq:0x" + "ab" * 20
            for name, xs in asyncio.run(round_trips(params, did, calls)).items():
                show(name, xs)
        finally:
            up.stop()


if __name__ == "__main__":
    main()
