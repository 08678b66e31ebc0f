"""peaq's CLI (`peaqos` of peaq-os-cli 0.0.2, from its venv's bin dir) run from the .env that
our `peaqos up --env-out` wrote: the file is copied unchanged into the working directory as
`.env` (peaq's CLI reads ./.env), with only PEAQOS_PRIVATE_KEY replaced by a fresh funded key
where a test needs its own identity."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest
from eth_account import Account

from peaq_os_sdk.did.did_precompile import read_attribute
from support import (
    Authenticator,
    Stack,
    clean_env,
    copy_env_with_key,
    did_of,
    key_hex,
    kv_lines,
    peaq_cli_argv,
)

DOC_URL = "https://docs.peaq.xyz/peaqos"


def activate_self(stack: Stack, peaq_cli, workdir: Path, peaq: float = 5):
    """A fresh operator activated self-managed by peaq's CLI in `workdir`."""
    acct = stack.new_account(peaq=peaq)
    copy_env_with_key(stack, workdir, key_hex(acct))
    res = peaq_cli(
        "activate", "--doc-url", DOC_URL, "--data-api", f"{stack.mcr_url}/mcr/{did_of(acct.address)}",
    ).ok()
    return acct, res


def test_version_is_the_pinned_peer(peaq_cli) -> None:
    out = peaq_cli("--version").ok().stdout
    assert out.strip() == "peaq-os-cli 0.0.2 (peaq_os_sdk 0.1.0)"


def test_whoami_from_our_env_file(stack: Stack, peaq_cli, workdir: Path) -> None:
    shutil.copy(stack.env_file, workdir / ".env")
    out = peaq_cli("whoami").ok().stdout
    rows = kv_lines(out)
    assert rows["Chain ID"] == str(stack.chain_id)
    assert rows["RPC URL"] == stack.rpc_url
    assert rows["MCR API"] == stack.mcr_url
    assert rows["Network"] == stack.env["PEAQOS_NETWORK"]
    dev0 = Account.from_key(stack.env["PEAQOS_PRIVATE_KEY"]).address
    assert rows["Address"].startswith(dev0[:6]) and rows["Address"].endswith(dev0[-4:])


def test_activate_self_managed(stack: Stack, peaq_cli, workdir: Path) -> None:
    acct, res = activate_self(stack, peaq_cli, workdir)
    rows = kv_lines(res.stdout)
    machine_id, token_id = int(rows["Machine ID"]), int(rows["Token ID"])
    assert rows["Machine DID"] == did_of(acct.address)
    assert "[2/6] 2FA enrollment - skipped (all wallets funded)" in res.stderr
    reg, nft = stack.identity_registry.functions, stack.machine_nft.functions
    assert reg.machineIdOfOwner(acct.address).call() == machine_id
    assert nft.tokenIdOf(machine_id).call() == token_id
    assert nft.ownerOf(token_id).call() == acct.address
    client = stack.peaq_client(acct)
    assert read_attribute(client, acct.address, "machineId")["value"] == str(machine_id)
    assert read_attribute(client, acct.address, "nftTokenId")["value"] == str(token_id)
    log = [json.loads(l) for l in (workdir / "peaqos.log").read_text().splitlines() if l.strip()]
    assert [e["status"] for e in log if e["step"] in ("register", "mint_nft", "machine_did")] == [
        "confirmed", "confirmed", "confirmed"
    ]

    # A re-run changes nothing on chain.
    nonce = stack.w3.eth.get_transaction_count(acct.address)
    again = peaq_cli(
        "activate", "--doc-url", DOC_URL, "--data-api", f"{stack.mcr_url}/mcr/{did_of(acct.address)}",
    ).ok()
    assert kv_lines(again.stdout)["Machine ID"] == str(machine_id)
    assert stack.w3.eth.get_transaction_count(acct.address) == nonce


def machine_key_file(workdir: Path, machine) -> Path:
    key_file = workdir / "machine.key"
    key_file.write_text(key_hex(machine) + "\n")
    os.chmod(key_file, 0o600)
    return key_file


def activate_for(stack: Stack, peaq_cli, workdir: Path, machine):
    return peaq_cli(
        "activate", "--for", machine.address, "--machine-key", str(machine_key_file(workdir, machine)),
        "--doc-url", DOC_URL, "--data-api", f"{stack.mcr_url}/mcr/{did_of(machine.address)}",
        "--visibility", "onchain",
    )


def test_activate_proxy_with_for_and_machine_key(stack: Stack, peaq_cli, workdir: Path) -> None:
    """The operator is registered (peaq's SDK, register_machine) without a DID of its own yet;
    peaq's activate --for registers, mints and writes both DIDs."""
    operator = stack.new_account(peaq=6)
    operator_id = stack.peaq_client(operator).register_machine()
    copy_env_with_key(stack, workdir, key_hex(operator))
    machine = stack.new_account(peaq=1)
    res = activate_for(stack, peaq_cli, workdir, machine).ok()
    rows = kv_lines(res.stdout)
    machine_id, token_id = int(rows["Machine ID"]), int(rows["Token ID"])
    assert rows["Machine Address"].lower() == machine.address.lower()
    assert rows["Operator DID"] == did_of(operator.address)
    reg, nft = stack.identity_registry.functions, stack.machine_nft.functions
    owner, wallet, exists, _ = reg.getVerificationInfo(machine_id).call()
    assert (owner, wallet, exists) == (operator.address, machine.address, True)
    assert nft.tokenIdOf(machine_id).call() == token_id
    assert nft.ownerOf(token_id).call() == machine.address
    client = stack.peaq_client(operator)
    assert read_attribute(client, machine.address, "machineId")["value"] == str(machine_id)
    assert read_attribute(client, machine.address, "operator")["value"] == did_of(operator.address)
    assert read_attribute(client, machine.address, "data_visibility")["value"] == "onchain"
    assert json.loads(read_attribute(client, operator.address, "machines")["value"]) == [machine_id]
    assert read_attribute(client, operator.address, "machineId")["value"] == str(operator_id)


PROXY_AFTER_SELF = (
    "peer-side (peaq-os-cli 0.0.2 + peaq-os-sdk 0.1.0): after a self-managed activate the operator's "
    "DID already holds machineId; write_proxy_did_attributes adds machineId again "
    "(did/write_proxy_did_attributes.py), the DID precompile refuses with 'AttributeAlreadyExist' "
    "(as peaq's node does), and activate.py's _step6_write_proxy_did only recovers from "
    "'AlreadyExists' / 'AttributeExists' (see KNOWN-GAPS.md)"
)


def test_activate_proxy_after_self_activation_reaches_the_proxy_did(stack: Stack, peaq_cli, workdir: Path) -> None:
    """The CLI's own advice: activate the operator self-managed, then --for. Registration, mint
    and the machine's DID (steps 4 to 6a) land; the proxy DID step is the next test."""
    operator, _ = activate_self(stack, peaq_cli, workdir, peaq=6)
    machine = stack.new_account(peaq=1)
    res = activate_for(stack, peaq_cli, workdir, machine)
    machine_id = stack.identity_registry.functions.machineIdOfOwner(machine.address).call()
    assert machine_id > 0, res.explain()
    owner, wallet, _, _ = stack.identity_registry.functions.getVerificationInfo(machine_id).call()
    assert (owner, wallet) == (operator.address, machine.address)
    token_id = stack.machine_nft.functions.tokenIdOf(machine_id).call()
    assert stack.machine_nft.functions.ownerOf(token_id).call() == machine.address
    client = stack.peaq_client(operator)
    assert read_attribute(client, machine.address, "operator")["value"] == did_of(operator.address)
    assert "Wrote 6 machine DID attributes" in res.stderr, res.explain()


@pytest.mark.xfail(strict=True, reason=PROXY_AFTER_SELF)
def test_activate_proxy_after_self_activation_completes(stack: Stack, peaq_cli, workdir: Path) -> None:
    activate_self(stack, peaq_cli, workdir, peaq=6)
    machine = stack.new_account(peaq=1)
    res = activate_for(stack, peaq_cli, workdir, machine)
    assert res.returncode == 0, res.explain()


def test_qualify_event_then_mcr_and_show(stack: Stack, peaq_cli, workdir: Path) -> None:
    acct, res = activate_self(stack, peaq_cli, workdir)
    machine_id = int(kv_lines(res.stdout)["Machine ID"])
    did = did_of(acct.address)
    ts = datetime.fromtimestamp(int(time.time()) - 7200, tz=timezone.utc).isoformat()
    out = peaq_cli(
        "qualify", "event", "--machine-id", str(machine_id), "--type", "revenue", "--value", "1234",
        "--currency", "USD", "--ts", ts,
    ).ok().stdout
    assert "Event submitted." in out
    er = stack.event_registry.functions
    assert er.getEventCount(machine_id).call() == 1
    ev = er.getEventAt(machine_id, 0).call()
    assert (ev[1], ev[2], ev[9]) == (0, 1234, "USD")
    out = peaq_cli(
        "qualify", "event", "--machine-id", str(machine_id), "--type", "activity", "--value", "1",
        "--ts", str(int(time.time()) - 60),
    ).ok().stdout
    assert er.getEventCount(machine_id).call() == 2

    stack.wait_indexed()
    mcr = peaq_cli("qualify", "mcr", did, "--json").ok().json()
    assert mcr["machine_id"] == machine_id
    assert (mcr["event_count"], mcr["revenue_event_count"], mcr["activity_event_count"]) == (2, 1, 1)
    assert mcr["mcr"] == "Provisioned"
    peaq_cli("qualify", "mcr", did).ok()

    profile = peaq_cli("show", "machine", did, "--json").ok().json()
    assert profile["peaqos"]["machine_id"] == machine_id
    assert profile["peaqos"]["event_count"] == 2
    human = peaq_cli("show", "machine", did).ok().stdout
    assert f"Machine: {did}" in human


def test_show_operator_machines(stack: Stack, peaq_cli, workdir: Path) -> None:
    operator = stack.new_account(peaq=6)
    op = stack.peaq_client(operator)
    operator_id = op.register_machine()
    copy_env_with_key(stack, workdir, key_hex(operator))
    machine = stack.new_account(peaq=1)
    machine_id = int(kv_lines(activate_for(stack, peaq_cli, workdir, machine).ok().stdout)["Machine ID"])
    assert operator_id != machine_id
    stack.wait_indexed()
    fleet = peaq_cli("show", "operator", "machines", did_of(operator.address), "--json").ok().json()
    assert [m["machine_id"] for m in fleet["machines"]] == [machine_id]
    assert fleet["machines"][0]["did"].lower() == did_of(machine.address).lower()
    human = peaq_cli("show", "operator", "machines", did_of(operator.address)).ok().stdout
    assert "Machines: 1" in human


def test_activate_funds_a_new_wallet_through_our_gas_station(stack: Stack, workdir: Path) -> None:
    """peaq's activate on an empty wallet: 2FA enrolment (the otpauth URI it prints, the code
    typed on stdin), Gas Station funding, registration. The code is computed from the URI the
    CLI prints, as an authenticator app would.

    peaq's CLI knows the networks mainnet and testnet only (KNOWN-GAPS P5), so the file says
    testnet here; it asks the Gas Station for chain "agung", which `peaqos up` serves on the
    local chain. Everything else in the file is ours, unchanged."""
    acct = stack.new_account()  # nothing on it
    copy_env_with_key(stack, workdir, key_hex(acct), network="testnet")
    argv = [*peaq_cli_argv(workdir), "activate", "--doc-url", DOC_URL,
            "--data-api", f"{stack.mcr_url}/mcr/{did_of(acct.address)}"]
    proc = subprocess.Popen(
        argv, cwd=workdir, env=clean_env(workdir), stdin=subprocess.PIPE,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    out_lines: list[str] = []
    err_lines: list[str] = []
    codes: list[str] = []

    def watch_stderr() -> None:
        assert proc.stderr is not None and proc.stdin is not None
        for line in proc.stderr:
            err_lines.append(line)
            if "otpauth URI :" in line:
                auth = Authenticator(line.split("otpauth URI :", 1)[1].strip())
                code = auth.next_code()
                codes.append(code)
                proc.stdin.write(code + "\n")
                proc.stdin.flush()

    def read_stdout() -> None:
        assert proc.stdout is not None
        out_lines.extend(proc.stdout)

    threads = [threading.Thread(target=f, daemon=True) for f in (watch_stderr, read_stdout)]
    for t in threads:
        t.start()
    try:
        proc.wait(timeout=240)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
    for t in threads:
        t.join(timeout=10)
    assert proc.returncode == 0, (
        f"exit {proc.returncode}\nstdout: {''.join(out_lines)}\nstderr: {''.join(err_lines)}"
    )
    assert codes, "peaq's activate never printed an otpauth URI"
    assert stack.w3.eth.get_balance(acct.address) > 0
    machine_id = int(kv_lines("".join(out_lines))["Machine ID"])
    assert stack.identity_registry.functions.machineIdOfOwner(acct.address).call() == machine_id
