"""Session fixture: our `peaqos up` on free ports, driven by peaq's own SDK and CLI.

The binary is PEAQOS_BIN (default target/debug/peaqos). Every peer is required: a missing
binary, a missing peaq-os-sdk / peaq-os-cli, or a stack that never prints `peaqos up: ready`
fails the session; nothing is skipped."""

from __future__ import annotations

import importlib.metadata
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from web3 import Web3

from stackproc import our_bin, start_up
from support import Stack, clean_env, peaq_cli_argv, peaq_cli_path, run

PINNED = {"peaq-os-sdk": "0.1.0", "peaq-os-cli": "0.0.2"}


def pytest_report_header(config: pytest.Config) -> list[str]:
    lines = [f"our peaqos: {our_bin()}", f"peaq's peaqos: {peaq_cli_path()}"]
    for dist in (*PINNED, "web3", "eth-account", "open-wallet-standard"):
        try:
            lines.append(f"{dist} {importlib.metadata.version(dist)}")
        except importlib.metadata.PackageNotFoundError:
            lines.append(f"{dist} MISSING")
    return lines


@pytest.fixture(scope="session", autouse=True)
def peers_present() -> None:
    """peaq's SDK and CLI at the pinned versions, and peaq's `peaqos` entry point: required."""
    for dist, want in PINNED.items():
        got = importlib.metadata.version(dist)  # PackageNotFoundError fails the session
        assert got == want, f"{dist} {got} installed, the suite pins {want}"
    cli = peaq_cli_path()
    assert cli.is_file(), f"peaq's CLI entry point {cli} is missing (pip install peaq-os-cli)"
    assert cli.resolve() != our_bin().resolve(), "peaq's peaqos and ours are the same file"


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    work = tmp_path_factory.mktemp("up")
    up, env, env_out = start_up(work, [], clean_env(work), split_stderr=True)
    try:
        rpc = env["PEAQOS_RPC_URL"]
        w3 = Web3(Web3.HTTPProvider(rpc, request_kwargs={"timeout": 30}))
        yield Stack(
            env_file=env_out,
            env=env,
            rpc_url=rpc,
            mcr_url=env["PEAQOS_MCR_API_URL"].rstrip("/"),
            gas_station_url=env["PEAQOS_GAS_STATION_URL"].rstrip("/"),
            w3=w3,
        )
    finally:
        up.stop()  # Ctrl-C: `up` shuts its services down


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """A private working directory (and HOME) for one test's CLI runs."""
    d = tmp_path / "work"
    d.mkdir()
    return d


@pytest.fixture
def peaq_cli(workdir: Path):
    """Runs peaq's `peaqos` in `cwd` (default: the test's workdir) with a clean environment,
    from a venv link inside that directory (see support.peaq_cli_argv)."""

    def go(*args: str, cwd: Path | None = None, extra_env: dict[str, str] | None = None,
           stdin: str = ""):
        where = cwd or workdir
        return run([*peaq_cli_argv(where), *args], where, clean_env(where, extra_env), stdin)

    return go


@pytest.fixture
def our_cli(workdir: Path):
    """Runs our `peaqos` in `cwd` (default: the test's workdir) with a clean environment."""

    def go(*args: str, cwd: Path | None = None, extra_env: dict[str, str] | None = None,
           stdin: str = ""):
        where = cwd or workdir
        return run([str(our_bin()), *args], where, clean_env(where, extra_env), stdin)

    return go


def pytest_sessionstart(session: pytest.Session) -> None:
    # Guard against an accidental run of peaq's CLI against mainnet defaults: the suite never
    # sets PEAQOS_NETWORK=mainnet and runs every CLI with a clean environment.
    os.environ.pop("PEAQOS_NETWORK", None)

