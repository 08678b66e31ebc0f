"""Eclipse Cyclone DDS as an independent ROS 2 peer of `peaqos node`: it discovers the node's
services with their exact DDS types, then drives the whole machine flow through them against
`peaqos up`, checking every answer and the chain itself (plain JSON-RPC, keccak from
pycryptodome, no peaqOS code on this side)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import stat
import struct
import time
import urllib.parse
import urllib.request

import pytest
from Crypto.Hash import keccak

import ros2peer
from stackproc import json_rpc as rpc


def k256(data: bytes) -> bytes:
    return keccak.new(digest_bits=256, data=data).digest()


def call_uint(url: str, to: str, signature: str, *args: int) -> int:
    data = "0x" + k256(signature.encode())[:4].hex() + "".join(f"{a:064x}" for a in args)
    return int(rpc(url, "eth_call", [{"to": to, "data": data}, "latest"]), 16)


def call_word(url: str, to: str, signature: str, *args: int) -> str | None:
    """The first 32-byte word an eth_call returns as 0x hex, or None when the call reverts."""
    data = "0x" + k256(signature.encode())[:4].hex() + "".join(f"{a:064x}" for a in args)
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_call", "params": [{"to": to, "data": data}, "latest"]}).encode()
    req = urllib.request.Request(url, body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        out = json.loads(r.read())
    if "error" in out:
        return None
    return out["result"][:66]


def owner_of(url: str, nft: str, token_id: int) -> str | None:
    """ownerOf(tokenId), lower-case, or None when the token does not exist on that chain."""
    w = call_word(url, nft, "ownerOf(uint256)", token_id)
    return None if w is None else "0x" + w[-40:]


def wait_until(check, timeout: float, what: str):
    end = time.monotonic() + timeout
    while True:
        v = check()
        if v:
            return v
        assert time.monotonic() < end, f"{what} within {timeout:.0f} s"
        time.sleep(0.2)


def totp(secret_b32: str, step: int) -> str:
    key = base64.b32decode(secret_b32.upper() + "=" * (-len(secret_b32) % 8))
    mac = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    off = mac[-1] & 0x0F
    return f"{(struct.unpack('>I', mac[off:off + 4])[0] & 0x7FFFFFFF) % 10**6:06d}"


class Flow:
    """State shared by the ordered steps of the machine flow."""

    machine = ""
    proxy = ""
    owner = ""
    secret = ""
    machine_id = 0
    proxied_id = 0
    token_id = 0
    ts = 0


F = Flow()


def ok(r, what: str):
    assert r.success, f"{what}: {r}"
    assert (r.error, getattr(r, "error_code", "")) == ("", ""), f"{what}: {r}"
    return r


def test_up_with_node_names_the_node_in_its_ready_line(stack, node) -> None:
    line = next(x for x in stack.ready_text.splitlines() if "ROS 2 node" in x)
    assert line.strip() == (
        f"ROS 2 node   /peaqos_node  (ROS_DOMAIN_ID={node.domain}, 26 services, rmw_cyclonedds_cpp reply mapping)"
    ), line


def test_discovers_the_node_with_exact_ros2_types(peer) -> None:
    assert len(ros2peer.SERVICES) == 26
    for service, type_name in ros2peer.SERVICES.items():
        base = f"peaq_ros2_interfaces::srv::dds_::{type_name}"
        assert peer.matched_types(service, type_name) == (f"{base}_Request_", f"{base}_Response_"), service


def test_wallet_create_and_list_keep_keys_in_the_vault(peer, node) -> None:
    for label in ("machine_wallet", "proxy", "owner"):
        r = ok(peer.call("wallet/create", "PeaqosCreateWallet", label=label), "wallet/create")
        assert r.address.startswith("0x") and len(r.address) == 42
        setattr(F, {"machine_wallet": "machine", "proxy": "proxy", "owner": "owner"}[label], r.address)
    r = ok(peer.call("wallet/list", "PeaqosListWallets"), "wallet/list")
    wallets = json.loads(r.wallets_json)
    assert [w["label"] for w in wallets] == ["machine_wallet", "owner", "proxy"]
    assert {w["address"] for w in wallets} == {F.machine, F.proxy, F.owner}
    for w in wallets:
        assert set(w) == {"address", "label", "created_at", "account_id", "chain_id", "network"}
        assert w["account_id"] == f"eip155:3338:{w['address']}"
    assert "private_key" not in r.wallets_json
    assert r.wallets_json == json.dumps(wallets, sort_keys=True)
    # On disk: peaq's registry format, 0600, no key; the keys are in the OWS vault, encrypted.
    assert stat.S_IMODE(os.stat(node.registry).st_mode) == 0o600
    reg = json.loads(node.registry.read_text())
    assert reg["version"] == 1 and set(reg["wallets"]) == {F.machine, F.proxy, F.owner}
    assert all("private_key" not in w and w["key_store"] == "ows" for w in reg["wallets"].values())
    vault_files = list((node.vault / "wallets").glob("*.json"))
    assert len(vault_files) == 3
    assert all(json.loads(f.read_text())["crypto"]["cipher"] == "aes-256-gcm" for f in vault_files)


def test_faucet_2fa_and_fund_through_the_gas_station(peer, stack, node) -> None:
    r = ok(peer.call("faucet/setup_2fa", "PeaqosSetupFaucet2FA", owner_address=F.owner, qr_format=""), "setup_2fa")
    assert r.owner_address.lower() == F.owner.lower()
    assert r.otpauth_uri.startswith("otpauth://totp/") and r.qr_image_url
    F.secret = urllib.parse.parse_qs(urllib.parse.urlparse(r.otpauth_uri).query)["secret"][0]
    bad = peer.call("faucet/confirm_2fa", "PeaqosConfirmFaucet2FA", owner_address=F.owner, two_factor_code="000000" if totp(F.secret, int(time.time()) // 30) != "000000" else "111111")
    assert (bad.success, bad.error_code) == (False, "INVALID_2FA"), bad
    step = int(time.time()) // 30
    code = totp(F.secret, step)
    ok(peer.call("faucet/confirm_2fa", "PeaqosConfirmFaucet2FA", owner_address=F.owner, two_factor_code=code), "confirm_2fa")
    chain_id = str(int(rpc(stack.rpc_url, "eth_chainId", []), 16))
    for target, c in ((F.machine, code), (F.proxy, totp(F.secret, step + 1))):
        r = ok(peer.call("wallet/fund", "PeaqosFundWallet", owner_address=F.owner, target_address=target, chain_id=chain_id, two_factor_code=c, request_id=""), "wallet/fund")
        assert r.status == "success" and r.tx_hash.startswith("0x") and int(r.funded_amount) > 0, r
        assert len(r.request_id) == 36  # the node made a UUID v4
        assert int(rpc(stack.rpc_url, "eth_getBalance", [target, "latest"]), 16) >= int(r.funded_amount)
    # 2FA codes never reach the log.
    assert code not in node.log.read_text()


def test_register_and_register_for(peer, stack) -> None:
    r = ok(peer.call("machine/register", "PeaqosRegisterMachine", address=F.machine), "machine/register")
    F.machine_id = r.machine_id
    reg = stack.env["IDENTITY_REGISTRY_ADDRESS"]
    assert call_uint(stack.rpc_url, reg, "machineIdOfOwner(address)", int(F.machine, 16)) == F.machine_id
    again = peer.call("machine/register", "PeaqosRegisterMachine", address=F.machine)
    # A second registration fails (AlreadyRegistered, or the bond exceeds what is left).
    assert not again.success and again.error_code and again.error, again
    fresh = ok(peer.call("wallet/create", "PeaqosCreateWallet", label="fleet_robot"), "wallet/create").address
    r = ok(peer.call("machine/register_for", "PeaqosRegisterFor", proxy_address=F.proxy, machine_address=fresh), "register_for")
    F.proxied_id = r.machine_id
    assert F.proxied_id > F.machine_id
    assert call_uint(stack.rpc_url, reg, "machineIdOfOwner(address)", int(fresh, 16)) == F.proxied_id


def test_nft_mint_and_token_id_of(peer, stack) -> None:
    r = ok(peer.call("nft/mint", "PeaqosMintNft", signer_address=F.machine, machine_id=F.machine_id, recipient=F.machine), "nft/mint")
    receipt = rpc(stack.rpc_url, "eth_getTransactionReceipt", [r.tx_hash])
    assert receipt and int(receipt["status"], 16) == 1
    r = ok(peer.call("nft/token_id_of", "PeaqosTokenIdOf", signer_address=F.machine, machine_id=F.machine_id), "token_id_of")
    assert r.token_id >= 1
    assert call_uint(stack.rpc_url, stack.env["MACHINE_NFT_ADDRESS"], "tokenIdOf(uint256)", F.machine_id) == r.token_id
    F.token_id = r.token_id


def test_did_write_machine_attributes_and_read_back(peer) -> None:
    r = ok(peer.call(
        "did/write_machine_attributes", "PeaqosWriteMachineDidAttributes", signer_address=F.machine,
        machine_id=F.machine_id, nft_token_id=F.token_id, operator_did="",
        documentation_url="https://docs.example.org/robot-1", data_api="https://data.example.org/robot-1",
        data_visibility="public",
    ), "write_machine_attributes")
    assert r.tx_hash.startswith("0x")
    for name, value in (("machineId", str(F.machine_id)), ("data_visibility", "public"), ("documentation_url", "https://docs.example.org/robot-1")):
        a = ok(peer.call("did/read_attribute", "PeaqosReadDidAttribute", signer_address="", did_address=f"did:peaq:{F.machine}", name=name), "read_attribute")
        assert (a.attribute_name, a.value) == (name, value)
        assert a.created > 0
    bad = peer.call("did/read_attribute", "PeaqosReadDidAttribute", signer_address="", did_address="did:peaq:0x12", name="x")
    assert (bad.success, bad.error_code, bad.error_field) == (False, "VALIDATION_ERROR", "did_address"), bad


def event_fields(**over):
    f = dict(machine_id=F.machine_id, event_type=0, value=12_500, timestamp=F.ts, raw_data_hex="", trust_level=0, source_chain_id=0, source_tx_hash="", metadata_hex="")
    f.update(over)
    return f


def test_events_validate_hash_equals_keccak_and_bad_requests_named(peer, stack) -> None:
    F.ts = int(rpc(stack.rpc_url, "eth_getBlockByNumber", ["latest", False])["timestamp"], 16) - 5
    raw = b"robot-1 sensor frame"
    r = ok(peer.call("events/validate", "PeaqosValidateEvent", **event_fields(raw_data_hex="0x" + raw.hex())), "validate")
    assert r.data_hash == "0x" + k256(raw).hex()
    r = ok(peer.call("events/validate", "PeaqosValidateEvent", **event_fields()), "validate")
    assert r.data_hash == "0x" + "00" * 32
    for over, field in (
        (dict(event_type=2), "event_type"), (dict(trust_level=5), "trust_level"),
        (dict(raw_data_hex="0xabc"), "raw_data_hex"), (dict(metadata_hex="zz"), "metadata_hex"),
        (dict(source_chain_id=1), "source_chain_id"), (dict(trust_level=1), "source_tx_hash"),
    ):
        r = peer.call("events/validate", "PeaqosValidateEvent", **event_fields(**over))
        assert (r.success, r.error_code, r.error_field) == (False, "VALIDATION_ERROR", field), r


def test_events_submit_and_batch_submit_land_on_chain(peer, stack) -> None:
    er = stack.env["EVENT_REGISTRY_ADDRESS"]
    count = lambda: call_uint(stack.rpc_url, er, "getEventCount(uint256)", F.machine_id)  # noqa: E731
    before = count()
    raw = b"\x01\x02\x03"
    r = ok(peer.call("events/submit", "PeaqosSubmitEvent", signer_address=F.machine, **event_fields(raw_data_hex=raw.hex())), "submit")
    assert r.data_hash == "0x" + k256(raw).hex()
    assert int(rpc(stack.rpc_url, "eth_getTransactionReceipt", [r.tx_hash])["status"], 16) == 1
    assert count() == before + 1
    nonce = rpc(stack.rpc_url, "eth_getTransactionCount", [F.machine, "latest"])
    bad = peer.call("events/submit", "PeaqosSubmitEvent", signer_address=F.machine, **event_fields(raw_data_hex="0x1"))
    assert (bad.success, bad.error_field) == (False, "raw_data_hex"), bad
    assert rpc(stack.rpc_url, "eth_getTransactionCount", [F.machine, "latest"]) == nonce  # nothing sent
    events = [
        {"machine_id": F.machine_id, "event_type": 0, "value": 100, "timestamp": F.ts},
        {"machineId": F.machine_id, "eventType": 1, "value": 0, "timestamp": F.ts, "rawDataHex": "0xff"},
    ]
    r = ok(peer.call("events/batch_submit", "PeaqosBatchSubmitEvents", signer_address=F.machine, events_json=json.dumps(events)), "batch_submit")
    hashes = json.loads(r.tx_hashes_json)
    assert len(hashes) == 2 and hashes[0] == hashes[1]
    assert count() == before + 3
    bad = peer.call("events/batch_submit", "PeaqosBatchSubmitEvents", signer_address=F.machine, events_json=json.dumps([{"event_type": 0, "value": 1, "timestamp": F.ts}]))
    assert (bad.success, bad.error) == (False, "events_json[0].machine_id is required"), bad


def test_burst_of_200_events_submit_for_one_signer_lands_without_a_nonce_gap(node, stack) -> None:
    """200 events/submit requests for one signer sent at once from a fresh client: all answered
    with success, 200 transactions with contiguous nonces, 200 more events on chain."""
    er = stack.env["EVENT_REGISTRY_ADDRESS"]
    before = call_uint(stack.rpc_url, er, "getEventCount(uint256)", F.machine_id)
    rpc(stack.rpc_url, "anvil_setBalance", [F.machine, hex(10**21)])  # gas for 200 transactions
    start = int(rpc(stack.rpc_url, "eth_getTransactionCount", [F.machine, "latest"]), 16)
    c = ros2peer.Peer(node.domain, depth=1000).client("events/submit", "PeaqosSubmitEvent")
    seqs = [c.send(signer_address=F.machine, **event_fields(value=k + 1, raw_data_hex=f"{k:04x}")) for k in range(200)]
    got = c.collect(seqs, 300.0)
    assert all(r.success for r in got.values()), [r for r in got.values() if not r.success][:3]
    nonces = sorted(int(rpc(stack.rpc_url, "eth_getTransactionByHash", [r.tx_hash])["nonce"], 16) for r in got.values())
    assert nonces == list(range(start, start + 200)), "nonce gap or duplicate"
    assert int(rpc(stack.rpc_url, "eth_getTransactionCount", [F.machine, "latest"]), 16) == start + 200
    assert call_uint(stack.rpc_url, er, "getEventCount(uint256)", F.machine_id) == before + 200
    assert {r.data_hash for r in got.values()} == {"0x" + k256(k.to_bytes(2, "big")).hex() for k in range(200)}


def wait_json(peer, service: str, type_name: str, did: str, ready) -> dict:
    """The MCR service indexes asynchronously: ask until its answer shows the chain state."""
    deadline = time.monotonic() + 90
    while True:
        r = peer.call(service, type_name, did=did)
        if r.success:
            body = json.loads(r.result_json)
            if ready(body):
                return body
        assert time.monotonic() < deadline, f"{service}: {r}"
        time.sleep(1)


def test_mcr_query_machine_and_operator_machines(peer, stack) -> None:
    did = f"did:peaq:{F.machine}"
    body = wait_json(peer, "mcr/query", "PeaqosQueryMcr", did, lambda b: b.get("event_count", b.get("total_events", 0)) or b.get("machine_id") == F.machine_id)
    assert body["machine_id"] == F.machine_id
    r = peer.call("mcr/query", "PeaqosQueryMcr", did=did)
    assert r.result_json == json.dumps(json.loads(r.result_json), sort_keys=True)
    with urllib.request.urlopen(f"{stack.mcr_url}/mcr/{did}", timeout=30) as h:
        direct = json.loads(h.read())
    assert set(direct) == set(json.loads(r.result_json))  # the API body, unchanged
    body = wait_json(peer, "mcr/machine", "PeaqosQueryMachine", did, lambda b: "peaqos" in b)
    assert body["peaqos"]["machine_id"] == F.machine_id
    body = wait_json(peer, "mcr/operator_machines", "PeaqosQueryOperatorMachines", f"did:peaq:{F.proxy}", lambda b: b.get("machines"))
    assert F.proxied_id in [m["machine_id"] for m in body["machines"]]
    bad = peer.call("mcr/query", "PeaqosQueryMcr", did="did:peaq:nope")
    assert (bad.success, bad.error_code, bad.error_field) == (False, "VALIDATION_ERROR", "did"), bad
    missing = peer.call("mcr/machine", "PeaqosQueryMachine", did="did:peaq:0x000000000000000000000000000000000000dEaD")
    assert (missing.success, missing.error_code) == (False, "NOT_FOUND"), missing


def test_100_concurrent_calls_from_4_client_participants_all_answered(node) -> None:
    """4 client participants, each in its own process (its own DDS participant and GUID
    prefix, as 4 robot processes are), send 25 events/validate requests each, all at once
    once every one has discovered the node: each of the 100 requests is answered once, with
    its own data hash, nothing re-sent."""
    import subprocess
    import sys

    here = os.path.dirname(os.path.abspath(__file__))
    procs = [
        subprocess.Popen(
            [sys.executable, os.path.join(here, "ros2peer.py"), "validate-load", str(node.domain), str(i), "25"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=here,
        )
        for i in range(4)
    ]
    try:
        for p in procs:
            assert p.stdout.readline().strip() == "ready", f"client exited {p.poll()}"
        for p in procs:
            p.stdin.write("go\n")
            p.stdin.flush()
        answered = 0
        for i, p in enumerate(procs):
            out, _ = p.communicate(timeout=180)
            assert p.returncode == 0, out
            replies = json.loads(out.strip().splitlines()[-1])
            assert sorted(int(k) for k in replies) == list(range(25))
            for k, (success, data_hash, error) in replies.items():
                assert success and error == "", (i, k, error)
                assert data_hash == "0x" + k256(bytes([i, int(k)])).hex()
                answered += 1
        assert answered == 100
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()


def sa_fields(**over):
    f = dict(signer_address=F.machine, owner=F.owner, machine=F.machine, daily_limit="", salt="7")
    f.update(over)
    return f


def test_smart_account_address_and_deploy_checked_against_the_factory(peer, stack) -> None:
    factory = stack.env["MACHINE_ACCOUNT_FACTORY_ADDRESS"]
    r = ok(peer.call("smart_account/address", "PeaqosGetSmartAccountAddress", **sa_fields()), "smart_account/address")
    word = call_word(stack.rpc_url, factory, "getAddress(address,address,uint256)", int(F.owner, 16), int(F.machine, 16), 7)
    assert word is not None and r.address.lower() == "0x" + word[-40:], (r, word)
    assert r.address != r.address.lower()  # checksummed
    assert rpc(stack.rpc_url, "eth_getCode", [r.address, "latest"]) in ("0x", "0x0")  # not deployed yet
    # The salt in hex is the same salt; daily_limit is ignored.
    same = ok(peer.call("smart_account/address", "PeaqosGetSmartAccountAddress", **sa_fields(salt="0x7", daily_limit="100")), "address")
    assert same.address == r.address
    other = ok(peer.call("smart_account/address", "PeaqosGetSmartAccountAddress", **sa_fields(salt="8")), "address")
    assert other.address != r.address
    # A bad request is refused before anything is sent.
    nonce = rpc(stack.rpc_url, "eth_getTransactionCount", [F.machine, "latest"])
    for over, field in ((dict(salt="seven"), "salt"), (dict(owner="0x12"), "owner"), (dict(machine="nope"), "machine")):
        bad = peer.call("smart_account/deploy", "PeaqosDeploySmartAccount", **sa_fields(**over))
        assert (bad.success, bad.error_code, bad.error_field) == (False, "VALIDATION_ERROR", field), bad
        assert bad.error, bad
    assert rpc(stack.rpc_url, "eth_getTransactionCount", [F.machine, "latest"]) == nonce
    d = ok(peer.call("smart_account/deploy", "PeaqosDeploySmartAccount", **sa_fields()), "smart_account/deploy")
    assert d.address == r.address
    assert len(rpc(stack.rpc_url, "eth_getCode", [d.address, "latest"])) > 2, "no code at the smart account"
    assert int(rpc(stack.rpc_url, "eth_getTransactionCount", [F.machine, "latest"]), 16) == int(nonce, 16) + 1
    # Its owner and machine, as the account itself reports them.
    for sig, want in (("owner()", F.owner), ("machine()", F.machine)):
        w = call_word(stack.rpc_url, d.address, sig)
        assert w is not None and "0x" + w[-40:] == want.lower(), (sig, w)


BRIDGE_TIMEOUT_S = 61  # the node requires more than 60 (0 = 300)


def bridge_fields(**over):
    f = dict(signer_address=F.machine, token_id=F.token_id, source="peaq", destination="base", recipient=F.machine, base_rpc_url="", base_nft_address="", options_hex="")
    f.update(over)
    return f


def test_bridge_nft_peaq_to_base_and_back_checked_with_owner_of(peer, stack) -> None:
    e = stack.env
    adapter, nft = e["MACHINE_NFT_ADAPTER_ADDRESS"], e["MACHINE_NFT_ADDRESS"]
    base_url, base_nft = e["BASE_RPC_URL"], e["BASE_MACHINE_NFT_ADDRESS"]
    assert int(rpc(base_url, "eth_chainId", []), 16) == 31338
    assert owner_of(stack.rpc_url, nft, F.token_id) == F.machine.lower()
    assert owner_of(base_url, base_nft, F.token_id) is None
    # Bad requests are refused before anything is signed.
    nonce = rpc(stack.rpc_url, "eth_getTransactionCount", [F.machine, "latest"])
    for over, field in (
        (dict(source="mars"), "source"), (dict(destination="peaq"), "destination"),
        (dict(recipient="0x1234"), "recipient"), (dict(options_hex="0x123"), "options_hex"), (dict(token_id=0), "token_id"),
    ):
        bad = peer.call("bridge/nft", "PeaqosBridgeNft", **bridge_fields(**over))
        assert (bad.success, bad.error_code, bad.error_field) == (False, "VALIDATION_ERROR", field), bad
    bad = peer.call("bridge/wait_arrival", "PeaqosWaitForBridgeArrival", dst_rpc_url=base_url, dst_nft_address=base_nft, token_id=F.token_id, timeout=30)
    assert (bad.success, bad.error_code, bad.error_field) == (False, "VALIDATION_ERROR", "timeout"), bad
    assert rpc(stack.rpc_url, "eth_getTransactionCount", [F.machine, "latest"]) == nonce

    # peaq -> Base: the node approves the adapter, quotes and sends; the adapter holds the token.
    r = ok(peer.call("bridge/nft", "PeaqosBridgeNft", **bridge_fields(source="PEAQ", destination="Base")), "bridge/nft peaq->base")
    assert int(rpc(stack.rpc_url, "eth_getTransactionReceipt", [r.tx_hash])["status"], 16) == 1
    assert owner_of(stack.rpc_url, nft, F.token_id) == adapter.lower()
    w = ok(peer.client("bridge/wait_arrival", "PeaqosWaitForBridgeArrival").call(
        _wait=BRIDGE_TIMEOUT_S + 60, dst_rpc_url=base_url, dst_nft_address=base_nft, token_id=F.token_id, timeout=BRIDGE_TIMEOUT_S,
    ), "bridge/wait_arrival on Base")
    assert w.arrived, w
    assert owner_of(base_url, base_nft, F.token_id) == F.machine.lower()

    # Base -> peaq: the holder pays the fee on Base (gas from the Base devnet), the token is
    # burned there and the adapter releases it on peaq.
    rpc(base_url, "anvil_setBalance", [F.machine, hex(10**20)])
    r = ok(peer.call("bridge/nft", "PeaqosBridgeNft", **bridge_fields(source="base", destination="peaq", base_rpc_url=base_url, base_nft_address=base_nft)), "bridge/nft base->peaq")
    assert int(rpc(base_url, "eth_getTransactionReceipt", [r.tx_hash])["status"], 16) == 1
    assert owner_of(base_url, base_nft, F.token_id) is None, "burned on Base"
    # wait_arrival counts any owner (the adapter too): the release is waited for here first.
    wait_until(lambda: owner_of(stack.rpc_url, nft, F.token_id) == F.machine.lower(), BRIDGE_TIMEOUT_S, "the token released on peaq")
    w = ok(peer.client("bridge/wait_arrival", "PeaqosWaitForBridgeArrival").call(
        _wait=BRIDGE_TIMEOUT_S + 60, dst_rpc_url=stack.rpc_url, dst_nft_address=nft, token_id=F.token_id, timeout=0,
    ), "bridge/wait_arrival on peaq")
    assert w.arrived, w


def test_peaqos_node_alone_against_the_rpc(standalone, stack) -> None:
    """`peaqos node` outside `up`, configured only by its YAML: peaq's plaintext registry as
    asked, chain reads against the stack's RPC and MCR API."""
    p = ros2peer.Peer(standalone.domain)
    r = ok(p.call("wallet/create", "PeaqosCreateWallet", label=""), "wallet/create")
    reg = json.loads(standalone.registry.read_text())
    entry = reg["wallets"][r.address]
    assert entry["label"] == "machine_wallet" and entry["account_id"] == f"eip155:3338:{r.address}"
    assert entry["private_key"].startswith("0x") and len(entry["private_key"]) == 66  # plaintext, as configured
    assert stat.S_IMODE(os.stat(standalone.registry).st_mode) == 0o600
    got = ok(p.call("wallet/get", "PeaqosGetWallet", address=r.address), "wallet/get")
    assert "private_key" not in got.wallet_json and json.loads(got.wallet_json)["address"] == r.address
    t = ok(p.call("nft/token_id_of", "PeaqosTokenIdOf", signer_address="", machine_id=F.machine_id), "token_id_of")
    assert t.token_id == F.token_id
    q = ok(p.call("mcr/query", "PeaqosQueryMcr", did=F.machine), "mcr/query")
    assert json.loads(q.result_json)["machine_id"] == F.machine_id
    # No faucet 2FA through a node whose registry does not hold the owner: the chain services
    # it has no key for answer WALLET_NOT_FOUND.
    bad = p.call("events/submit", "PeaqosSubmitEvent", signer_address=F.machine, **event_fields())
    assert (bad.success, bad.error_code, bad.error_field) == (False, "WALLET_NOT_FOUND", "signer_address"), bad


def test_up_with_node_json_ready_line_and_defaults(tmp_path) -> None:
    """`peaqos up --with-node --json` without --node-config: the ready line's ros2Node object,
    and a node on the stack's contracts (the factory for smart_account/address) with the
    default registry under HOME."""
    import random

    from conftest import ros_env
    from stackproc import Proc, clean_env, our_bin

    domain = random.randint(231, 232)
    p = Proc(
        [str(our_bin()), "up", "--json", "--no-bridge", "--with-node", "--devnet-port", "0", "--mcr-port", "0",
         "--gas-station-port", "0", "--bundler-port", "0"],
        tmp_path, clean_env(tmp_path, ros_env(domain, tmp_path / ".ows")), tmp_path / "up.log",
    )
    try:
        p.wait_for('"status":"ready"', "`peaqos up --with-node --json`")
        ready = json.loads(next(x for x in p.seen if x.startswith("{")))
        assert ready["ros2Node"] == {"name": "peaqos_node", "domainId": domain, "rmw": "rmw_cyclonedds_cpp", "services": 26, "localhostOnly": True}, ready
        peer = ros2peer.Peer(domain)
        w = ok(peer.call("wallet/create", "PeaqosCreateWallet", label="json"), "wallet/create")
        assert (tmp_path / ".peaq_robot" / "peaqos_wallets.json").is_file()  # the default registry
        a = ok(peer.call("smart_account/address", "PeaqosGetSmartAccountAddress", signer_address=w.address, owner=w.address, machine=w.address, daily_limit="", salt="1"), "smart_account/address")
        word = call_word(ready["rpcUrl"], ready["contracts"]["machine_account_factory"], "getAddress(address,address,uint256)", int(w.address, 16), int(w.address, 16), 1)
        assert word is not None and a.address.lower() == "0x" + word[-40:]
    finally:
        p.stop()
