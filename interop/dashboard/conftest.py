"""Session fixtures of the dashboard suite: our `peaqos up` on free ports, a demo-like fleet
loaded over plain JSON-RPC (web3 + the contracts' ABIs from contracts/out), and headless
Chromium from Debian's packages driven by selenium. The process helpers are
interop/stackproc.py (on the path through pytest.ini's `pythonpath = ..`).

Every peer is required: a missing binary, Chromium, chromedriver or Python package, or a stack
that never prints `peaqos up: ready`, fails the session; nothing is skipped."""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests
from eth_account import Account
from web3 import Web3
from web3.logs import DISCARD

from stackproc import REPO, clean_env, start_up

DAY = 86_400
CHROMIUM = os.environ.get("CHROMIUM_BIN", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER_BIN", "/usr/bin/chromedriver")


def screenshot_dir() -> Path:
    d = Path(os.environ.get("DASHBOARD_SCREENSHOTS", REPO / "target" / "dashboard-screenshots"))
    d.mkdir(parents=True, exist_ok=True)
    return d


@dataclass
class Stack:
    env: dict[str, str]
    rpc_url: str
    mcr_url: str
    w3: Web3


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    work = tmp_path_factory.mktemp("up")
    up, e, _ = start_up(work, [], clean_env(work), split_stderr=True)
    try:
        # the ready block names the dashboard
        line = up.wait_for(lambda s: s.strip().startswith("dashboard"), "`peaqos up`", deadline_s=10)
        mcr = e["PEAQOS_MCR_API_URL"].rstrip("/")
        assert line.split()[-1] == f"{mcr}/dashboard", f"`peaqos up` prints the dashboard URL: {up.seen}"
        rpc = e["PEAQOS_RPC_URL"]
        yield Stack(env=e, rpc_url=rpc, mcr_url=mcr,
                    w3=Web3(Web3.HTTPProvider(rpc, request_kwargs={"timeout": 30})))
    finally:
        up.stop()


def abi(name: str) -> list:
    return json.loads((REPO / "contracts" / "out" / f"{name}.json").read_text())["abi"]


@dataclass
class Machine:
    story: str
    address: str
    machine_id: int
    events: list[dict] = field(default_factory=list)
    nft_token_id: int | None = None

    @property
    def did(self) -> str:
        return f"did:peaq:{self.address}"


@dataclass
class Fleet:
    operator: str
    machines: list[Machine]

    @property
    def operator_did(self) -> str:
        return f"did:peaq:{self.operator}"


class Sender:
    """Signs and sends transactions of one key with consecutive nonces."""

    def __init__(self, w3: Web3, key: str):
        self.w3, self.acct = w3, Account.from_key(key)
        self.nonce = w3.eth.get_transaction_count(self.acct.address)
        self.chain_id = w3.eth.chain_id
        self.pending: list[bytes] = []

    def send(self, fn, value: int = 0, gas: int = 600_000) -> None:
        tx = fn.build_transaction({"from": self.acct.address, "nonce": self.nonce, "gas": gas,
                                   "value": value, "chainId": self.chain_id,
                                   "gasPrice": self.w3.eth.gas_price})
        signed = self.acct.sign_transaction(tx)
        self.pending.append(self.w3.eth.send_raw_transaction(signed.raw_transaction))
        self.nonce += 1

    def transfer(self, to: str, value: int) -> None:
        tx = {"from": self.acct.address, "to": to, "nonce": self.nonce, "gas": 21_000, "value": value,
              "chainId": self.chain_id, "gasPrice": self.w3.eth.gas_price}
        self.pending.append(self.w3.eth.send_raw_transaction(self.acct.sign_transaction(tx).raw_transaction))
        self.nonce += 1

    def wait(self) -> list:
        out = [self.w3.eth.wait_for_transaction_receipt(h, timeout=60) for h in self.pending]
        self.pending = []
        for r in out:
            assert r.status == 1, r
        return out


STORIES = ["steady earner", "activity sensor", "EUR reporter", "new machine", "flagged"]


@pytest.fixture(scope="session")
def fleet(stack: Stack) -> Fleet:
    """Dev account 0 registers five machines as their proxy operator and submits their
    histories (backdated over 45 days); the flagged one is flagged in AdminFlags, the steady
    earner mints its Machine NFT."""
    w3, e = stack.w3, stack.env
    reg = w3.eth.contract(address=Web3.to_checksum_address(e["IDENTITY_REGISTRY_ADDRESS"]), abi=abi("IdentityRegistry"))
    er = w3.eth.contract(address=Web3.to_checksum_address(e["EVENT_REGISTRY_ADDRESS"]), abi=abi("EventRegistry"))
    af = w3.eth.contract(address=Web3.to_checksum_address(e["ADMIN_FLAGS_ADDRESS"]), abi=abi("AdminFlags"))
    nft = w3.eth.contract(address=Web3.to_checksum_address(e["MACHINE_NFT_ADDRESS"]), abi=abi("MachineNFT"))
    s = Sender(w3, e["PEAQOS_PRIVATE_KEY"])
    bond = reg.functions.minBond().call()
    keys = [Account.create() for _ in STORIES]
    addrs = [k.address for k in keys]
    for a in addrs:
        s.send(reg.functions.registerFor(a), value=bond)
    ids = []
    for r in s.wait():
        logs = reg.events.Registered().process_receipt(r, errors=DISCARD)
        ids.append(int(logs[0]["args"]["machineId"]))
    machines = [Machine(st, a, i) for st, a, i in zip(STORIES, addrs, ids)]
    now = w3.eth.get_block("latest")["timestamp"]

    def ev(m: Machine, kind: int, value: int, currency: str, ts: int, trust: int) -> None:
        m.events.append({"type": kind, "value": value, "currency": currency, "ts": ts, "trust": trust})
        s.send(er.functions.submitEvent(m.machine_id, kind, value, currency, ts, b"\x11" * 32, trust, 0,
                                        b"\x00" * 32, b""))

    steady, sensor, eur, new, flagged = machines
    for d in range(45, 0, -1):
        ev(steady, 0, 400 + (d % 5) * 50, "USD", now - d * DAY, 2)
        if d % 2 == 0:
            ev(steady, 1, 0, "", now - d * DAY + 600, 2)
    for d in range(30, 0, -1):
        for k in range(2):
            ev(sensor, 1, 0, "", now - d * DAY + k * 900, 0)
    for d in range(40, 0, -2):
        ev(eur, 0, 700, "EUR", now - d * DAY, 0)
    ev(new, 1, 0, "", now - 2 * DAY, 0)
    for d in range(20, 0, -1):
        ev(flagged, 0, 300, "USD", now - d * DAY, 0)
    s.wait()
    s.send(af.functions.flagMachine(flagged.machine_id))
    # the steady earner mints its Machine NFT to itself (its wallet pays the gas)
    s.transfer(steady.address, 10**18)
    s.wait()
    ms = Sender(w3, keys[0].key.hex())
    ms.send(nft.functions.mint(steady.machine_id, steady.address))
    minted = nft.events.MachineMinted().process_receipt(ms.wait()[0], errors=DISCARD)
    steady.nft_token_id = int(minted[0]["args"]["tokenId"])
    f = Fleet(operator=s.acct.address, machines=machines)
    # the MCR service has indexed everything: /ready (not rate limited) reaches the last block,
    # then every machine shows its events, its flag and its NFT
    last = w3.eth.block_number
    deadline = time.monotonic() + 60
    while True:
        ready = requests.get(f"{stack.mcr_url}/ready", timeout=10).json()
        if ready["index"]["indexed_block"] >= last:
            break
        assert time.monotonic() < deadline, f"the MCR index did not reach block {last}: {ready}"
        time.sleep(0.25)
    for m in machines:
        r = requests.get(f"{stack.mcr_url}/mcr/{m.did}", timeout=10)
        assert r.status_code == 200, r.text
        assert r.json()["event_count"] == len(m.events), (m.story, r.text)
        assert r.json()["negative_flag"] == (m is flagged), (m.story, r.text)
        p = requests.get(f"{stack.mcr_url}/machine/{m.did}", timeout=10).json()
        assert p["peaqos"]["nft_token_id"] == m.nft_token_id, (m.story, p)
    return f


@pytest.fixture(scope="session")
def browser():
    """Headless Chromium (Debian's chromium + chromium-driver) through selenium; required."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    for p in (CHROMIUM, CHROMEDRIVER):
        assert shutil.which(p) or Path(p).is_file(), (
            f"{p} is missing: apt-get install -y chromium chromium-driver"
        )
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
              "--window-size=1280,1000", "--force-device-scale-factor=1", "--no-proxy-server"):
        opts.add_argument(a)
    d = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=opts)
    d.set_page_load_timeout(60)
    yield d
    d.quit()
