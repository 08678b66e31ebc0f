"""Session fixture: our `peaqos up` on free ports (chain, MCR API, Gas Station), required: a
missing binary or a stack that never says it is ready fails the session; nothing is skipped.
The MCP client is the official Python SDK (`mcp` from PyPI); a missing package fails too.

This directory is its own pytest root (pytest.ini): interop/'s suite never collects it. The
process helpers are interop/stackproc.py (on the path through pytest.ini's `pythonpath = ..`)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from stackproc import clean_env, start_up


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
    work = tmp_path_factory.mktemp("up")
    p, e, env_out = start_up(work, [], clean_env(work))
    try:
        yield Stack(e, env_out, work, e["PEAQOS_RPC_URL"], e["PEAQOS_MCR_API_URL"].rstrip("/"),
                    e["PEAQOS_GAS_STATION_URL"].rstrip("/"))
    finally:
        p.stop()
