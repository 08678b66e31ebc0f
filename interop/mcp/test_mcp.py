"""`peaqos mcp` driven by an independent MCP client, the official Python SDK (`mcp` from PyPI),
over stdio against our `peaqos up`: the handshake, the tool and resource lists, every tool
called, each answer checked against the chain (JSON-RPC) or the MCR API (HTTP), the CLI's exit
codes on failures, only the protocol on stdout, and no key or TOTP secret in any answer or log.

The tests run in file order and share state (the activated machines) through `S`."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import os
import struct
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from eth_utils import keccak
from mcp import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client

from conftest import Stack
from stackproc import REPO, our_bin

TOOLS = {
    "whoami", "activate", "submit_event", "query_mcr", "show_machine", "explain_rating",
    "operator_fleet", "rating_history", "fund_from_gas_station",
}
INDEX_DEADLINE_S = 60.0


class S:
    """State shared by the ordered tests, and every text the server produced."""

    transcript: list[str] = []
    logs: list[str] = []
    secrets: list[str] = []
    operator: str = ""
    machine_id: int = 0
    proxied: list[dict[str, Any]] = []
    auth: "Authenticator | None" = None


# -- independent checks: JSON-RPC and HTTP -----------------------------------------------


def http_json(url: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, headers={"content-type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def rpc(stack: Stack, method: str, params: list[Any]) -> Any:
    status, v = http_json(stack.rpc_url, {"jsonrpc": "2.0", "id": 1, "method": method, "params": params})
    assert status == 200 and "result" in v, (method, v)
    return v["result"]


def call_uint(stack: Stack, to: str, signature: str, arg: int | str) -> int:
    word = (int(arg, 16) if isinstance(arg, str) else arg).to_bytes(32, "big")
    data = "0x" + (keccak(text=signature)[:4] + word).hex()
    return int(rpc(stack, "eth_call", [{"to": to, "data": data}, "latest"]), 16)


def balance(stack: Stack, addr: str) -> int:
    return int(rpc(stack, "eth_getBalance", [addr, "latest"]), 16)


def receipt_ok(stack: Stack, tx: str) -> None:
    r = rpc(stack, "eth_getTransactionReceipt", [tx])
    assert r is not None and int(r["status"], 16) == 1, r


def wait_indexed(stack: Stack) -> None:
    head = int(rpc(stack, "eth_blockNumber", []), 16)
    end = time.monotonic() + INDEX_DEADLINE_S
    last = None
    while time.monotonic() < end:
        _, v = http_json(f"{stack.mcr_url}/ready")
        try:
            last = int(v["index"]["indexed_block"])
        except (TypeError, KeyError, ValueError):
            last = None
        if last is not None and last >= head:
            return
        time.sleep(0.1)
    raise AssertionError(f"the MCR index did not reach block {head} (last {last})")


DEV_MNEMONIC = "test test test test test test test test test test test junk"
Account.enable_unaudited_hdwallet_features()


def send_from_dev(stack: Stack, i: int, to: str, wei: int) -> None:
    """A plain transfer from dev account `i`, signed here, mined before it returns."""
    dev = Account.from_mnemonic(DEV_MNEMONIC, account_path=f"m/44'/60'/0'/0/{i}")
    tx = {"to": to, "value": wei, "gas": 21_000, "gasPrice": int(rpc(stack, "eth_gasPrice", []), 16),
          "nonce": int(rpc(stack, "eth_getTransactionCount", [dev.address, "pending"]), 16),
          "chainId": int(rpc(stack, "eth_chainId", []), 16)}
    raw = dev.sign_transaction(tx).raw_transaction
    h = rpc(stack, "eth_sendRawTransaction", ["0x" + raw.hex().removeprefix("0x")])
    end = time.monotonic() + 60
    while rpc(stack, "eth_getTransactionReceipt", [h]) is None:
        assert time.monotonic() < end, f"transfer {h} not mined"
        time.sleep(0.05)
    receipt_ok(stack, h)


def did_of(addr: str) -> str:
    return f"did:peaq:{addr}"


def new_machine(stack: Stack, name: str) -> tuple[Any, Path]:
    """A fresh machine key in a 0600 file (the only way a key reaches the server)."""
    m = Account.create()
    key = m.key.hex()
    key = key if key.startswith("0x") else "0x" + key
    S.secrets.append(key.removeprefix("0x"))
    f = stack.work / f"{name}.key"
    f.write_text(key)
    f.chmod(0o600)
    return m, f


# -- TOTP: the test is the person with the authenticator -----------------------------------


def totp_at(secret_b32: str, step: int) -> str:
    key = base64.b32decode(secret_b32.upper() + "=" * (-len(secret_b32) % 8))
    mac = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    off = mac[-1] & 0x0F
    return f"{(struct.unpack('>I', mac[off:off + 4])[0] & 0x7FFFFFFF) % 10**6:06d}"


class Authenticator:
    """Codes for strictly increasing time steps within the server's +/-1 step window: three
    codes without waiting (previous, current and next step)."""

    def __init__(self, otpauth_uri: str) -> None:
        self.secret = urllib.parse.parse_qs(urllib.parse.urlparse(otpauth_uri).query)["secret"][0]
        self.last: int | None = None

    def next_code(self) -> str:
        now = int(time.time()) // 30
        step = now - 1 if self.last is None else max(self.last + 1, now - 1)
        assert step <= now + 1, "no unused TOTP step within the window (test design error)"
        self.last = step
        return totp_at(self.secret, step)

    def wrong_code(self) -> str:
        """Six digits valid for none of the steps the server accepts now."""
        now = int(time.time()) // 30
        valid = {totp_at(self.secret, s) for s in range(now - 2, now + 3)}
        return next(c for c in ("000000", "111111", "123456", "654321", "999999") if c not in valid)


# -- the MCP client ------------------------------------------------------------------------


def server_params(stack: Stack, env_file: Path | None = None, extra: dict[str, str] | None = None) -> StdioServerParameters:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(stack.work), "LANG": "C.UTF-8",
           "NO_COLOR": "1", "PEAQOS_LOG": "debug"}
    env.update(extra or {})
    return StdioServerParameters(
        command=str(our_bin()), args=["--env-file", str(env_file or stack.env_file), "mcp"],
        env=env, cwd=str(stack.work),
    )


def session(stack: Stack, body, env_file: Path | None = None, extra: dict[str, str] | None = None) -> Any:
    """Runs `body(session)` against a fresh `peaqos mcp`; its stderr is kept for the secrets check."""
    log = stack.work / f"mcp-stderr-{len(S.transcript)}.log"

    async def main() -> Any:
        with open(log, "w", encoding="utf-8") as errlog:
            async with stdio_client(server_params(stack, env_file, extra), errlog=errlog) as (read, write):
                async with ClientSession(read, write) as s:
                    init = await s.initialize()
                    assert init.server_info.name == "peaqos"
                    return await body(s)

    try:
        return asyncio.run(main())
    finally:
        S.logs.append(log.read_text(encoding="utf-8"))
        S.transcript.append(S.logs[-1])


async def call(s: ClientSession, tool: str, args: dict[str, Any]) -> tuple[bool, Any]:
    r = await s.call_tool(tool, args)
    texts = [c.text for c in r.content if getattr(c, "text", None) is not None]
    S.transcript.extend(texts)
    S.transcript.append(json.dumps(r.structured_content))
    assert texts and json.loads(texts[0]) == r.structured_content, "text and structured content agree"
    return r.is_error, r.structured_content


def call_one(stack: Stack, tool: str, args: dict[str, Any], **kw: Any) -> tuple[bool, Any]:
    async def body(s: ClientSession) -> tuple[bool, Any]:
        return await call(s, tool, args)

    return session(stack, body, **kw)


def ok(stack: Stack, tool: str, args: dict[str, Any]) -> Any:
    err, v = call_one(stack, tool, args)
    assert not err, f"{tool} failed: {v}"
    return v


def failed(stack: Stack, tool: str, args: dict[str, Any], exit_code: int, code: str | None, **kw: Any) -> Any:
    err, v = call_one(stack, tool, args, **kw)
    assert err, f"{tool} should fail: {v}"
    assert v["exitCode"] == exit_code and v["code"] == code, v
    assert v["kind"] == {1: "user", 2: "network", 3: "config"}[exit_code], v
    return v


# -- the tests -----------------------------------------------------------------------------


def test_handshake_lists_every_tool_with_a_schema_and_the_docs(stack: Stack) -> None:
    S.secrets.append(stack.env["PEAQOS_PRIVATE_KEY"].lower().removeprefix("0x"))

    async def body(s: ClientSession) -> None:
        tools = (await s.list_tools()).tools
        assert {t.name for t in tools} == TOOLS
        for t in tools:
            assert t.description and t.input_schema["type"] == "object", t.name
        schema = {t.name: t.input_schema for t in tools}
        assert set(schema["fund_from_gas_station"]["required"]) == {"two_factor_code"}
        assert set(schema["submit_event"]["required"]) >= {"machine_id", "event_type", "value", "timestamp"}
        assert "did" in schema["operator_fleet"]["properties"] and "filter" in schema["operator_fleet"]["properties"]
        res = (await s.list_resources()).resources
        names = {r.name for r in res}
        on_disk = {p.name for p in (REPO / "docs").glob("*.md")}
        assert names == on_disk, (names ^ on_disk)
        arch = await s.read_resource("peaqos://docs/ARCHITECTURE.md")
        assert arch.contents[0].text == (REPO / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
        assert arch.contents[0].mime_type == "text/markdown"

    session(stack, body)


def test_stdout_carries_only_the_protocol(stack: Stack) -> None:
    """A raw client: every stdout line is one JSON-RPC message; the logs are on stderr."""
    p = server_params(stack)
    msgs = [
        {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "raw", "version": "0"}}},
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "whoami", "arguments": {}}},
        {"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {"name": "query_mcr", "arguments": {"did": "nope"}}},
    ]
    out = subprocess.run(
        [p.command, *p.args], input="".join(json.dumps(m) + "\n" for m in msgs), capture_output=True,
        text=True, env=p.env, cwd=p.cwd, timeout=120,
    )
    S.transcript.extend([out.stdout, out.stderr])
    lines = [line for line in out.stdout.splitlines() if line.strip()]
    replies = [json.loads(line) for line in lines]
    assert all(r.get("jsonrpc") == "2.0" for r in replies), lines
    by_id = {r["id"]: r for r in replies if "id" in r}
    assert set(by_id) == {1, 2, 3}, by_id
    assert by_id[1]["result"]["serverInfo"]["name"] == "peaqos"
    assert by_id[2]["result"]["isError"] is False
    assert by_id[3]["result"]["isError"] is True
    assert "tool call" in out.stderr, "the logs go to stderr"


def test_whoami_matches_the_chain(stack: Stack) -> None:
    v = ok(stack, "whoami", {})
    addr = Account.from_key(stack.env["PEAQOS_PRIVATE_KEY"]).address
    assert v["address"] == addr and v["did"] == did_of(addr)
    assert v["chainId"] == int(rpc(stack, "eth_chainId", []), 16)
    assert int(v["balanceWei"]) == balance(stack, addr)
    assert v["rpcUrl"].rstrip("/") == stack.rpc_url.rstrip("/")
    assert v["mcrApiUrl"].rstrip("/") == stack.mcr_url
    assert v["contracts"]["IDENTITY_REGISTRY_ADDRESS"].lower() == stack.env["IDENTITY_REGISTRY_ADDRESS"].lower()
    S.operator = addr


def test_a_missing_signer_is_a_configuration_error(stack: Stack) -> None:
    bare = stack.work / "no-key.env"
    bare.write_text("".join(f"{k}={v}\n" for k, v in stack.env.items() if k != "PEAQOS_PRIVATE_KEY"))
    failed(stack, "whoami", {}, 3, None, env_file=bare)


def test_an_ows_vault_wallet_signs_and_its_passphrase_stays_out(stack: Stack) -> None:
    """PEAQOS_OWS_WALLET + OWS_PASSPHRASE configure the signer as for the CLI; a wrong
    passphrase is a configuration error with its code (exit 3)."""
    m, key_file = new_machine(stack, "vault-key")
    vault = stack.work / "vault"
    passphrase = "correct horse battery staple 7f3a"
    S.secrets.append(passphrase.lower())
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(stack.work), "LANG": "C.UTF-8",
           "OWS_VAULT_PATH": str(vault), "OWS_PASSPHRASE": passphrase}
    imp = subprocess.run([str(our_bin()), "--env-file", str(stack.work / "none.env"), "wallet", "import", "fleet",
                          "--private-key-file", str(key_file)], capture_output=True, text=True, env=env, timeout=120)
    assert imp.returncode == 0, imp.stderr
    wallet_env = stack.work / "wallet.env"
    wallet_env.write_text("".join(f"{k}={v}\n" for k, v in stack.env.items() if k != "PEAQOS_PRIVATE_KEY")
                          + "PEAQOS_OWS_WALLET=fleet\n")
    extra = {"OWS_VAULT_PATH": str(vault), "OWS_PASSPHRASE": passphrase}
    err, v = call_one(stack, "whoami", {}, env_file=wallet_env, extra=extra)
    assert not err and v["address"] == m.address and v["wallet"] == "fleet", v
    failed(stack, "whoami", {}, 3, "INVALID_PASSPHRASE", env_file=wallet_env,
           extra={"OWS_VAULT_PATH": str(vault), "OWS_PASSPHRASE": "wrong"})
    failed(stack, "whoami", {}, 3, "WALLET_NOT_FOUND", env_file=wallet_env,
           extra={"OWS_VAULT_PATH": str(stack.work / "empty-vault"), "OWS_PASSPHRASE": passphrase})


def test_activate_self_managed_registers_mints_and_writes_the_did(stack: Stack) -> None:
    v = ok(stack, "activate", {})
    assert v["machineAddress"] == S.operator and v["machineDid"] == did_of(S.operator)
    reg = stack.env["IDENTITY_REGISTRY_ADDRESS"]
    nft = stack.env["MACHINE_NFT_ADDRESS"]
    assert call_uint(stack, reg, "machineIdOfOwner(address)", S.operator) == v["machineId"] > 0
    assert call_uint(stack, nft, "tokenIdOf(uint256)", v["machineId"]) == v["tokenId"] > 0
    S.machine_id = v["machineId"]
    # idempotent: the same answer, nothing sent
    nonce = rpc(stack, "eth_getTransactionCount", [S.operator, "latest"])
    assert ok(stack, "activate", {}) == v
    assert rpc(stack, "eth_getTransactionCount", [S.operator, "latest"]) == nonce


def test_activate_refuses_usage_errors_with_exit_1(stack: Stack) -> None:
    failed(stack, "activate", {"for_address": "0x" + "11" * 20}, 1, "VALIDATION_ERROR")
    failed(stack, "activate", {"visibility": "everyone"}, 1, "VALIDATION_ERROR")


def test_the_agent_never_touches_the_2fa_enrolment(stack: Stack) -> None:
    """Not enrolled: funding is refused (2FA_NOT_CONFIGURED). While a person's enrolment is
    pending, an agent's activation that needs funding is refused (2FA_NOT_ACTIVE) and leaves
    the pending secret alone: the person's confirmation with it still works."""
    failed(stack, "fund_from_gas_station", {"two_factor_code": "123456"}, 2, "2FA_NOT_CONFIGURED")
    status, v = http_json(f"{stack.gas_station_url}/2fa/setup", {"ownerAddress": S.operator, "format": "svg"})
    assert status == 200, v
    auth = Authenticator(v.get("data", v)["otpauthUri"])
    S.secrets.append(auth.secret.lower())
    m, key_file = new_machine(stack, "pending")
    failed(stack, "activate", {"for_address": m.address, "machine_key_file": str(key_file), "totp": ["123456"]},
           2, "2FA_NOT_ACTIVE")
    reg = stack.env["IDENTITY_REGISTRY_ADDRESS"]
    assert call_uint(stack, reg, "machineIdOfOwner(address)", m.address) == 0, "nothing sent before funding"
    status, v = http_json(f"{stack.gas_station_url}/2fa/confirm", {"ownerAddress": S.operator, "twoFactorCode": auth.next_code()})
    assert status == 200, ("the person's pending secret was replaced", v)
    S.auth = auth


def test_fund_from_gas_station_with_a_2fa_code(stack: Stack) -> None:
    assert S.auth is not None
    target = Account.create()
    S.secrets.append(target.key.hex().removeprefix("0x"))
    # A wrong code: the Gas Station's refusal, exit 2.
    failed(stack, "fund_from_gas_station", {"two_factor_code": S.auth.wrong_code(), "target_address": target.address}, 2, "INVALID_2FA")
    before = balance(stack, target.address)
    v = ok(stack, "fund_from_gas_station", {"two_factor_code": S.auth.next_code(), "target_address": target.address})
    assert v["status"] == "success" and v["target"] == target.address, v
    receipt_ok(stack, v["txHash"])
    assert balance(stack, target.address) - before == int(v["fundedAmountWei"]) > 0
    failed(stack, "fund_from_gas_station", {"two_factor_code": "123456", "target_address": "0x12"}, 1, "VALIDATION_ERROR")


def test_activate_proxy_operator_with_funding(stack: Stack) -> None:
    """Proxy mode: the operator (registered above) activates two fresh machines: the first's
    DID deposits paid by the Gas Station after the person's 2FA code, the second funded by a
    transfer (no code needed once it holds enough)."""
    assert S.auth is not None
    reg = stack.env["IDENTITY_REGISTRY_ADDRESS"]
    nft = stack.env["MACHINE_NFT_ADDRESS"]
    for i in range(2):
        m, key_file = new_machine(stack, f"machine-{i}")
        args: dict[str, Any] = {"for_address": m.address, "machine_key_file": str(key_file)}
        if i == 1:
            # An empty machine with --skip-funding: exit 1, nothing registered.
            failed(stack, "activate", {**args, "skip_funding": True}, 1, None)
            assert call_uint(stack, reg, "machineIdOfOwner(address)", m.address) == 0
            # Without a code: exit 1, asking for one (never prompting: stdin is the protocol).
            v = failed(stack, "activate", args, 1, None)
            assert "2FA code" in v["message"], v
            send_from_dev(stack, 1, m.address, 10**18)
            v = ok(stack, "activate", args)
        else:
            v = ok(stack, "activate", {**args, "totp": [S.auth.next_code()]})
        assert v["machineAddress"] == m.address and v["operatorDid"] == did_of(S.operator)
        assert call_uint(stack, reg, "machineIdOfOwner(address)", m.address) == v["machineId"] > 0
        assert call_uint(stack, nft, "tokenIdOf(uint256)", v["machineId"]) == v["tokenId"] > 0
        S.proxied.append(v)
    failed(stack, "activate", {"for_address": S.operator, "machine_key_file": str(stack.work / "machine-0.key")}, 1, None)


def test_submit_event_lands_on_chain(stack: Stack) -> None:
    ts = int(time.time()) - 3600
    v = ok(stack, "submit_event", {"machine_id": S.machine_id, "event_type": "revenue", "value": "12500",
                                    "currency": "USD", "timestamp": str(ts)})
    receipt_ok(stack, v["txHash"])
    assert v["dataHash"].startswith("0x") and len(v["dataHash"]) == 66
    v = ok(stack, "submit_event", {"machine_id": S.machine_id, "event_type": "activity", "value": "1",
                                    "timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))})
    receipt_ok(stack, v["txHash"])
    failed(stack, "submit_event", {"machine_id": S.machine_id, "event_type": "activity", "value": "1",
                                   "timestamp": "yesterday"}, 1, "VALIDATION_ERROR")
    failed(stack, "submit_event", {"machine_id": S.machine_id, "event_type": "activity", "value": "1",
                                   "currency": "USD", "timestamp": str(ts)}, 1, "VALIDATION_ERROR")


def test_ratings_and_profiles_are_the_mcr_apis(stack: Stack) -> None:
    wait_indexed(stack)
    did = did_of(S.operator)
    for tool, path in (("query_mcr", f"/mcr/{did}"), ("show_machine", f"/machine/{did}"),
                       ("explain_rating", f"/mcr/{did}/explain")):
        v = ok(stack, tool, {"did": did})
        status, api = http_json(stack.mcr_url + path)
        assert status == 200
        assert v == api, tool
    q = ok(stack, "query_mcr", {"did": did})
    assert q["machine_id"] == S.machine_id and q["revenue_event_count"] >= 1
    failed(stack, "query_mcr", {"did": "did:peaq:0x" + "ab" * 20}, 2, "NOT_FOUND")
    failed(stack, "show_machine", {"did": "not-a-did"}, 1, "VALIDATION_ERROR")


def test_operator_fleet_with_the_no_or_low_rating_filter(stack: Stack) -> None:
    wait_indexed(stack)
    did = did_of(S.operator)
    status, api = http_json(f"{stack.mcr_url}/operator/{did}/machines?offset=0&limit=20")
    assert status == 200
    v = ok(stack, "operator_fleet", {"did": did})
    assert v["total"] == api["pagination"]["total"] == v["count"] >= len(S.proxied)
    assert v["machines"] == api["machines"]
    assert {m["machine_id"] for m in v["machines"]} >= {p["machineId"] for p in S.proxied}
    unrated = ok(stack, "operator_fleet", {"did": did, "filter": "unrated"})
    assert unrated["machines"] == [m for m in api["machines"] if m["mcr"] in ("NR", "Provisioned")]
    low = ok(stack, "operator_fleet", {"did": did, "filter": "low"})
    assert low["machines"] == [m for m in api["machines"] if m["mcr"] in ("NR", "Provisioned", "B", "BB")]
    assert low["total"] == v["total"] and low["count"] == len(low["machines"])

    async def body(s: ClientSession) -> None:
        # Arguments that do not fit the schema: a tool error naming the field, nothing called.
        r = await s.call_tool("operator_fleet", {"did": did, "filter": "shiny"})
        assert r.is_error and "shiny" in r.content[0].text, r
        r = await s.call_tool("operator_fleet", {"filter": "low"})
        assert r.is_error and "did" in r.content[0].text, r

    session(stack, body)


def test_rating_history_is_the_mcr_apis(stack: Stack) -> None:
    wait_indexed(stack)
    did = did_of(S.operator)
    status, api = http_json(f"{stack.mcr_url}/mcr/{did}/history")
    assert status == 200, f"GET /mcr/{{did}}/history answered {status}: {api}"
    assert ok(stack, "rating_history", {"did": did}) == api
    day = time.strftime("%Y-%m-%d", time.gmtime())
    status, api = http_json(f"{stack.mcr_url}/mcr/{did}/history?from={day}&to={day}")
    assert status == 200
    assert ok(stack, "rating_history", {"did": did, "from": day, "to": day}) == api
    failed(stack, "rating_history", {"did": "did:peaq:0x" + "cd" * 20}, 2, "NOT_FOUND")


def test_no_key_or_totp_secret_in_any_answer_or_log(stack: Stack) -> None:
    assert len(S.transcript) > 20 and len(S.secrets) >= 3
    text = "\n".join(S.transcript).lower()
    for secret in S.secrets:
        assert secret and secret not in text, "a secret appeared in a tool answer or the server's log"
    # The servers ran with PEAQOS_LOG=debug: still no tool arguments (2FA codes) in their logs.
    logs = "\n".join(S.logs)
    assert "tool call" in logs
    for arg in ("two_factor_code", "\"totp\"", "machine_key_file"):
        assert arg not in logs, f"the server logged the argument {arg}"
