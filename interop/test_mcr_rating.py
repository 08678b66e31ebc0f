"""A machine graduates from Provisioned to a letter rating on backdated history (the MCR
model, docs/MCR-MODEL.md: a first-to-last event span of at least 14 days and at least 10
revenue events on qualifying days, a day qualifying at >= $1 of revenue)."""

from __future__ import annotations

import time

from support import Stack, did_of

DAY = 86_400
LETTERS = {"AAA", "AA", "A", "BBB", "BB", "B"}


def revenue(machine_id: int, ts: int, cents: int) -> dict:
    return {"machine_id": machine_id, "event_type": 0, "value": cents, "timestamp": ts,
            "raw_data": None, "trust_level": 0, "source_chain_id": 0, "source_tx_hash": None,
            "metadata": b"", "currency": "USD"}


def last_block(stack: Stack, tx_hash: str) -> int:
    h = tx_hash if tx_hash.startswith("0x") else "0x" + tx_hash
    return stack.w3.eth.get_transaction_receipt(h)["blockNumber"]


def test_provisioned_machine_graduates_to_a_letter(stack: Stack) -> None:
    acct = stack.new_account(peaq=5)
    client = stack.peaq_client(acct)
    machine_id = client.register_machine()
    did = did_of(acct.address)
    today_noon = (int(time.time()) // DAY) * DAY + 12 * 3600 - DAY  # yesterday noon UTC
    # 16 daily revenue events of $5, 15..0 days before yesterday: a 15-day span.
    days = [today_noon - d * DAY for d in range(15, -1, -1)]

    # First 9 events over 8 days: neither the span nor the event count is met.
    first = client.batch_submit_events([revenue(machine_id, ts, 500) for ts in days[:9]])
    stack.wait_indexed(last_block(stack, first[0]))
    before = client.query_mcr(did)
    assert before["event_count"] == 9
    assert before["mcr"] == "Provisioned" and before["mcr_score"] == 0

    # The rest: 16 qualifying days spanning 15 days.
    rest = client.batch_submit_events([revenue(machine_id, ts, 500) for ts in days[9:]])
    stack.wait_indexed(last_block(stack, rest[0]))
    after = client.query_mcr(did)
    assert after["event_count"] == 16 and after["revenue_event_count"] == 16
    assert after["mcr"] in LETTERS, f"expected a letter rating, got {after}"
    assert 30 <= after["mcr_score"] <= 100
    assert after["total_revenue"] > 0
    assert after["revenue_trend"] in {"up", "stable", "down", "insufficient"}
