"""Shared helpers of the interop suite: the running stack, funded accounts, peaq's clients,
TOTP codes, bounded waits and CLI runs. Nothing here talks to anything but 127.0.0.1."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import json
import os
import shutil
import struct
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path
from typing import Any, Callable

import requests
from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import Web3

from peaq_os_sdk import PeaqosClient
from peaq_os_sdk.abis import load_abi

import stackproc

DEV_MNEMONIC = "test test test test test test test test test test test junk"
WEI = 10**18
# Dev accounts: 0 is the env file's key (and the contracts' owner), 8 the Gas Station's hot
# wallet. The suite funds fresh accounts from dev account 1 only.
FUNDER_INDEX = 1
# Every wait in the suite is bounded by one of these.
INDEX_DEADLINE_S = 60.0
CLI_TIMEOUT_S = 240.0

Account.enable_unaudited_hdwallet_features()


def dev_account(i: int) -> LocalAccount:
    """Dev account `i` of the devnet's mnemonic (m/44'/60'/0'/0/i)."""
    return Account.from_mnemonic(DEV_MNEMONIC, account_path=f"m/44'/60'/0'/0/{i}")


def key_hex(acct: LocalAccount) -> str:
    return "0x" + acct.key.hex().removeprefix("0x")


def did_of(address: str) -> str:
    return f"did:peaq:{Web3.to_checksum_address(address)}"


def write_env_file(path: Path, values: dict[str, str]) -> None:
    path.write_text("".join(f"{k}={v}\n" for k, v in values.items()), encoding="utf-8")
    os.chmod(path, 0o600)


@dataclasses.dataclass
class Stack:
    """The `peaqos up` the session started."""

    env_file: Path
    env: dict[str, str]
    rpc_url: str
    mcr_url: str
    gas_station_url: str
    w3: Web3
    _fund_lock: threading.Lock = dataclasses.field(default_factory=threading.Lock)

    # -- contracts (peaq's ABIs, for independent checks with plain web3) ---------------
    def contract(self, name: str, env_var: str) -> Any:
        return self.w3.eth.contract(
            address=Web3.to_checksum_address(self.env[env_var]), abi=load_abi(name)
        )

    @property
    def identity_registry(self) -> Any:
        return self.contract("IdentityRegistry", "IDENTITY_REGISTRY_ADDRESS")

    @property
    def machine_nft(self) -> Any:
        return self.contract("MachineNFT", "MACHINE_NFT_ADDRESS")

    @property
    def event_registry(self) -> Any:
        return self.contract("EventRegistry", "EVENT_REGISTRY_ADDRESS")

    @property
    def did_precompile(self) -> Any:
        return self.contract("DIDPrecompile", "DID_REGISTRY_ADDRESS")

    @property
    def chain_id(self) -> int:
        return int(self.w3.eth.chain_id)

    # -- accounts --------------------------------------------------------------------
    def fund(self, address: str, wei: int) -> None:
        """Sends `wei` from dev account 1 and waits for the receipt."""
        funder = dev_account(FUNDER_INDEX)
        with self._fund_lock:
            tx = {
                "to": Web3.to_checksum_address(address),
                "value": wei,
                "gas": 21_000,
                "gasPrice": self.w3.eth.gas_price,
                "nonce": self.w3.eth.get_transaction_count(funder.address, "pending"),
                "chainId": self.chain_id,
            }
            signed = funder.sign_transaction(tx)
            h = self.w3.eth.send_raw_transaction(signed.raw_transaction)
            r = self.w3.eth.wait_for_transaction_receipt(h, timeout=60)
            assert r["status"] == 1, f"funding {address} failed: {r}"

    def new_account(self, peaq: float = 0) -> LocalAccount:
        """A fresh random account holding `peaq` PEAQ."""
        acct = Account.create()
        if peaq:
            self.fund(acct.address, int(peaq * WEI))
        return acct

    def send_from(self, acct: LocalAccount, to: str, wei: int) -> None:
        """A plain transfer signed by `acct` (used to drain test wallets)."""
        tx = {
            "to": Web3.to_checksum_address(to),
            "value": wei,
            "gas": 21_000,
            "gasPrice": self.w3.eth.gas_price,
            "nonce": self.w3.eth.get_transaction_count(acct.address, "pending"),
            "chainId": self.chain_id,
        }
        h = self.w3.eth.send_raw_transaction(acct.sign_transaction(tx).raw_transaction)
        r = self.w3.eth.wait_for_transaction_receipt(h, timeout=60)
        assert r["status"] == 1

    # -- peaq's SDK --------------------------------------------------------------------
    def client_kwargs(self) -> dict[str, Any]:
        e = self.env
        return {
            "rpc_url": self.rpc_url,
            "identity_registry": e["IDENTITY_REGISTRY_ADDRESS"],
            "identity_staking": e["IDENTITY_STAKING_ADDRESS"],
            "event_registry": e["EVENT_REGISTRY_ADDRESS"],
            "machine_nft": e["MACHINE_NFT_ADDRESS"],
            "did_registry": e["DID_REGISTRY_ADDRESS"],
            "batch_precompile": e["BATCH_PRECOMPILE_ADDRESS"],
            "api_url": self.mcr_url,
        }

    def peaq_client(self, acct: LocalAccount) -> PeaqosClient:
        """peaq's PeaqosClient signing with `acct`, configured from our env file."""
        return PeaqosClient(private_key=key_hex(acct), **self.client_kwargs())

    # -- MCR indexer -----------------------------------------------------------------
    def indexed_block(self) -> int | None:
        r = requests.get(f"{self.mcr_url}/ready", timeout=5)
        try:
            return int(r.json()["index"]["indexed_block"])
        except (ValueError, KeyError, TypeError):
            return None

    def wait_indexed(self, block: int | None = None, deadline_s: float = INDEX_DEADLINE_S) -> None:
        """Polls the MCR service's /ready until its index reached `block` (default: the chain
        head now). Bounded: fails after `deadline_s`."""
        target = self.w3.eth.block_number if block is None else block
        wait_until(
            lambda: (self.indexed_block() or -1) >= target,
            deadline_s,
            f"MCR index reaching block {target} (last: {self.indexed_block()})",
        )


def wait_until(pred: Callable[[], bool], deadline_s: float, what: str) -> None:
    """Polls `pred` every 0.1 s until it holds; fails after `deadline_s` naming `what`."""
    end = time.monotonic() + deadline_s
    while True:
        if pred():
            return
        if time.monotonic() > end:
            raise AssertionError(f"timed out after {deadline_s:.0f} s waiting for {what}")
        time.sleep(0.1)


# -- TOTP (RFC 6238: HMAC-SHA1, 6 digits, 30 s) ------------------------------------------


def totp_at(secret_b32: str, step: int, digits: int = 6) -> str:
    key = base64.b32decode(secret_b32.upper() + "=" * (-len(secret_b32) % 8))
    mac = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    off = mac[-1] & 0x0F
    code = (struct.unpack(">I", mac[off : off + 4])[0] & 0x7FFFFFFF) % 10**digits
    return f"{code:0{digits}d}"


class Authenticator:
    """An authenticator app for one otpauth URI. The Gas Station accepts a code once per time
    step and +/-1 step of skew, so `next_code` hands out the current step's code, then the
    next step's: two codes per owner without waiting (the suite never needs more)."""

    def __init__(self, otpauth_uri: str) -> None:
        q = urllib.parse.parse_qs(urllib.parse.urlparse(otpauth_uri).query)
        self.secret = q["secret"][0]
        self.period = int(q.get("period", ["30"])[0])
        self.digits = int(q.get("digits", ["6"])[0])
        self._last: int | None = None

    def now_step(self) -> int:
        return int(time.time()) // self.period

    def next_code(self) -> str:
        now = self.now_step()
        step = now if self._last is None else max(self._last + 1, now)
        if step > now + 1:
            raise RuntimeError("no unused TOTP step within the skew window (test design error)")
        self._last = step
        return totp_at(self.secret, step, self.digits)

    def wrong_code(self) -> str:
        """A code valid for none of the steps the server accepts now."""
        now = self.now_step()
        valid = {totp_at(self.secret, s, self.digits) for s in range(now - 2, now + 3)}
        for c in ("000000", "111111", "123456", "654321", "999999"):
            if c not in valid:
                return c
        raise RuntimeError("unreachable")


# -- CLIs ---------------------------------------------------------------------------------


@dataclasses.dataclass
class CliResult:
    argv: list[str]
    returncode: int
    stdout: str
    stderr: str

    def ok(self) -> "CliResult":
        assert self.returncode == 0, self.explain()
        return self

    def explain(self) -> str:
        return (
            f"`{' '.join(self.argv)}` exited {self.returncode}\n"
            f"--- stdout ---\n{self.stdout[-4000:]}\n--- stderr ---\n{self.stderr[-4000:]}"
        )

    def json(self) -> Any:
        return json.loads(self.stdout)


def clean_env(home: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """stackproc.clean_env with unbuffered Python output (peaq's CLI is a Python program)."""
    return stackproc.clean_env(home, {"PYTHONUNBUFFERED": "1", **(extra or {})})


def run(argv: list[str], cwd: Path, env: dict[str, str], stdin: str = "") -> CliResult:
    p = subprocess.run(
        argv,
        cwd=cwd,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT_S,
    )
    return CliResult([str(a) for a in argv], p.returncode, p.stdout, p.stderr)


def peaq_cli_path() -> Path:
    """peaq's `peaqos` (peaq-os-cli): the entry point in this interpreter's venv bin dir."""
    return Path(sys.executable).parent / "peaqos"


def peaq_cli_argv(project: Path) -> list[str]:
    """How a user runs peaq's CLI in `project`: from a venv inside the project directory.

    peaq's CLI calls python-dotenv's `load_dotenv()` without a path (peaq_os_cli/main.py,
    peaq_os_cli/config.py), and `find_dotenv()` then searches upward from the directory of the
    calling module, not from the working directory: the .env is found only when it sits in an
    ancestor of the installation. So `project/.venv` links to this venv and the entry point runs
    through that link, which puts `project/.env` on the search path, as in a real project."""
    link = project / ".venv"
    if not link.exists():
        link.symlink_to(Path(sys.prefix), target_is_directory=True)
    return [str(link / "bin" / "python"), str(link / "bin" / peaq_cli_path().name)]


def kv_lines(text: str) -> dict[str, str]:
    """`Label:  value` / `Label  value` lines of a CLI summary, keyed by label."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        s = line.strip()
        if ":" in s:
            k, v = s.split(":", 1)
            out[k.strip()] = v.strip()
    return out


def copy_env_with_key(stack: Stack, dest_dir: Path, key: str, network: str | None = None) -> Path:
    """Our `up --env-out` file, unchanged but for PEAQOS_PRIVATE_KEY (and PEAQOS_NETWORK when
    `network` is given), as `dest_dir/.env`."""
    lines = []
    for line in stack.env_file.read_text(encoding="utf-8").splitlines():
        if line.startswith("PEAQOS_PRIVATE_KEY="):
            line = f"PEAQOS_PRIVATE_KEY={key}"
        if network is not None and line.startswith("PEAQOS_NETWORK="):
            line = f"PEAQOS_NETWORK={network}"
        lines.append(line)
    dest = dest_dir / ".env"
    dest.write_text("\n".join(lines) + "\n", encoding="utf-8")
    os.chmod(dest, 0o600)
    return dest


def which_or_fail(name: str) -> str:
    p = shutil.which(name)
    assert p, f"{name} not found on PATH"
    return p
