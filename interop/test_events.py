"""Events through peaq's SDK (submit_event, batch_submit_events), read back on chain and
through the MCR API with peaq's query methods (query_mcr, query_machine,
query_operator_machines)."""

from __future__ import annotations

import time

from eth_utils import keccak

from peaq_os_sdk.types.events import SubmitEventParams as Params
from support import Stack, did_of

DOC_URL = "https://docs.peaq.xyz/peaqos"


def onboard(stack: Stack, client, address: str, visibility: str) -> int:
    machine_id = client.register_machine()
    client.mint_nft(machine_id, address)
    token_id = client.token_id_of(machine_id)
    client.write_machine_did_attributes(
        machine_id, token_id, "", DOC_URL, f"{stack.mcr_url}/mcr/{did_of(address)}", visibility
    )
    return machine_id


def block_of(stack: Stack, tx_hash: str) -> int:
    h = tx_hash if tx_hash.startswith("0x") else "0x" + tx_hash
    return stack.w3.eth.get_transaction_receipt(h)["blockNumber"]


def test_submit_and_batch_events_then_query(stack: Stack) -> None:
    acct = stack.new_account(peaq=5)
    client = stack.peaq_client(acct)
    machine_id = onboard(stack, client, acct.address, "onchain")
    did = did_of(acct.address)
    now = int(time.time())
    er = stack.event_registry.functions

    # One event.
    raw = b"meter:1250"
    tx_hash, data_hash = client.submit_event(
        machine_id=machine_id,
        event_type=0,
        value=1250,
        timestamp=now - 3600,
        raw_data=raw,
        trust_level=0,
        source_chain_id=0,
        source_tx_hash=None,
        metadata=b'{"site":"A"}',
        currency="USD",
    )
    assert data_hash == keccak(raw)
    assert er.getEventCount(machine_id).call() == 1
    ev = er.getEventAt(machine_id, 0).call()
    assert list(ev[0:4]) == [machine_id, 0, 1250, now - 3600]
    assert bytes(ev[4]) == keccak(raw) and ev[5] == 0 and ev[6] == 0
    assert bytes(ev[8]) == b'{"site":"A"}' and ev[9] == "USD"
    receipt = stack.w3.eth.get_transaction_receipt(tx_hash if tx_hash.startswith("0x") else "0x" + tx_hash)
    logs = stack.event_registry.events.EventSubmitted().process_receipt(receipt)
    assert [(l["args"]["machineId"], l["args"]["eventIndex"], l["args"]["eventType"], l["args"]["value"])
            for l in logs] == [(machine_id, 0, 0, 1250)]

    # A batch of three: on-chain-verifiable EUR revenue, activity, hardware-signed USD revenue.
    src_tx = "0x" + "ab" * 32
    hashes = client.batch_submit_events(
        [
            Params(machine_id=machine_id, event_type=0, value=900, timestamp=now - 1800,
                   raw_data=None, trust_level=1, source_chain_id=8453, source_tx_hash=src_tx,
                   metadata=b"", currency="EUR"),
            {"machine_id": machine_id, "event_type": 1, "value": 1, "timestamp": now - 1200,
             "raw_data": b"ping", "trust_level": 0, "source_chain_id": 0, "source_tx_hash": None,
             "metadata": b'{"kind":"heartbeat"}', "currency": ""},
            Params(machine_id=machine_id, event_type=0, value=300, timestamp=now - 600,
                   raw_data=b"hsm", trust_level=2, source_chain_id=3338, source_tx_hash=None,
                   metadata=b"", currency="USD"),
        ]
    )
    assert len(hashes) == 3 and len(set(hashes)) == 1
    assert er.getEventCount(machine_id).call() == 4
    batch = er.getEvents(machine_id, 1, 3).call()
    assert [(e[1], e[2], e[5], e[6], e[9]) for e in batch] == [
        (0, 900, 1, 8453, "EUR"),
        (1, 1, 0, 0, ""),
        (0, 300, 2, 3338, "USD"),
    ]
    assert bytes(batch[0][7]) == bytes.fromhex("ab" * 32)
    assert bytes(batch[0][4]) == bytes(32)  # no raw data: bytes32(0)

    # The MCR indexes asynchronously: wait for the block of the batch, then query once.
    stack.wait_indexed(block_of(stack, hashes[0]))
    mcr = client.query_mcr(did)
    assert mcr["machine_id"] == machine_id
    assert mcr["did"].lower() == did.lower()
    assert (mcr["event_count"], mcr["revenue_event_count"], mcr["activity_event_count"]) == (4, 3, 1)
    assert mcr["bond_status"] == "bonded"
    assert mcr["mcr"] == "Provisioned" and mcr["mcr_score"] == 0
    assert mcr["negative_flag"] is False

    profile = client.query_machine(did)
    p = profile["peaqos"]
    assert p["machine_id"] == machine_id and p["event_count"] == 4
    assert p["data_visibility"] == "onchain" and p["documentation_url"] == DOC_URL
    entries = p.get("event_data")
    assert entries is not None, f"onchain visibility but no event_data: {sorted(p)}"
    assert [(e["event_type"], e["origin_value"], e["trust_level"]) for e in entries] == [
        (0, 1250, 0), (0, 900, 1), (1, 1, 0), (0, 300, 2)
    ]
    assert [e.get("origin_currency") for e in entries] == ["USD", "EUR", None, "USD"]
    assert entries[0]["usd_value"] == 1250 and entries[0]["amount_status"] == "ok"
    assert entries[0]["metadata"] == {"site": "A"}


def test_operator_machines_lists_a_proxy_fleet_with_events(stack: Stack) -> None:
    operator = stack.new_account(peaq=6)
    op = stack.peaq_client(operator)
    operator_id = op.register_machine()
    machines = []
    for _ in range(2):
        m = stack.new_account(peaq=1)
        mid = op.register_for(m.address)
        op.mint_nft(mid, m.address)
        stack.peaq_client(m).write_machine_did_attributes(
            mid, op.token_id_of(mid), did_of(operator.address), DOC_URL,
            f"{stack.mcr_url}/mcr/{did_of(m.address)}", "private",
        )
        machines.append(mid)
    op.write_proxy_did_attributes(operator_id, machines)
    now = int(time.time())
    # The operator (owner of both identities) submits for its fleet in one batch.
    hashes = op.batch_submit_events(
        [
            {"machine_id": mid, "event_type": 0, "value": 500 + i, "timestamp": now - 60 * (i + 1),
             "raw_data": None, "trust_level": 0, "source_chain_id": 0, "source_tx_hash": None,
             "metadata": b"", "currency": "USD"}
            for i, mid in enumerate(machines)
        ]
    )
    stack.wait_indexed(block_of(stack, hashes[0]))
    fleet = op.query_operator_machines(did_of(operator.address))
    assert sorted(m["machine_id"] for m in fleet["machines"]) == sorted(machines)
    for mid in machines:
        profile_did = next(m["did"] for m in fleet["machines"] if m["machine_id"] == mid)
        assert op.query_mcr(profile_did)["event_count"] == 1
