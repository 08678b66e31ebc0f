"""Onboarding through peaq's SDK: a self-managed machine and a proxy fleet of five, each
checked on chain with plain web3 and peaq's ABIs."""

from __future__ import annotations

import json

from peaq_os_sdk.did.did_precompile import read_attribute
from support import Stack, did_of

DOC_URL = "https://docs.peaq.xyz/peaqos"


def did_attrs(stack: Stack, client, address: str, names: list[str]) -> dict[str, str]:
    return {n: read_attribute(client, address, n)["value"] for n in names}


def machine_minted(stack: Stack, tx_hash: str) -> dict:
    receipt = stack.w3.eth.get_transaction_receipt(tx_hash)
    logs = stack.machine_nft.events.MachineMinted().process_receipt(receipt)
    assert len(logs) == 1, f"mint {tx_hash}: {len(logs)} MachineMinted events"
    return dict(logs[0]["args"])


def test_self_managed_onboarding(stack: Stack) -> None:
    acct = stack.new_account(peaq=5)
    client = stack.peaq_client(acct)

    machine_id = client.register_machine()
    assert machine_id > 0
    reg = stack.identity_registry.functions
    assert reg.machineIdOfOwner(acct.address).call() == machine_id
    owner, wallet, exists, _status = reg.getVerificationInfo(machine_id).call()
    assert (owner, wallet, exists) == (acct.address, acct.address, True)

    tx = client.mint_nft(machine_id, acct.address)
    minted = machine_minted(stack, tx if tx.startswith("0x") else "0x" + tx)
    token_id = client.token_id_of(machine_id)
    assert token_id > 0
    assert minted == {"tokenId": token_id, "machineId": machine_id, "recipient": acct.address}
    assert stack.machine_nft.functions.ownerOf(token_id).call() == acct.address
    assert stack.machine_nft.functions.machineIdOf(token_id).call() == machine_id

    data_api = f"{stack.mcr_url}/mcr/{did_of(acct.address)}"
    client.write_machine_did_attributes(machine_id, token_id, "", DOC_URL, data_api, "public")
    got = did_attrs(
        stack,
        client,
        acct.address,
        ["machineId", "nftTokenId", "operator", "documentation_url", "data_api", "data_visibility"],
    )
    assert got == {
        "machineId": str(machine_id),
        "nftTokenId": str(token_id),
        "operator": "",
        "documentation_url": DOC_URL,
        "data_api": data_api,
        "data_visibility": "public",
    }


def test_proxy_fleet_of_five(stack: Stack) -> None:
    operator = stack.new_account(peaq=12)
    op = stack.peaq_client(operator)
    operator_id = op.register_machine()
    operator_did = did_of(operator.address)

    fleet = []
    for _ in range(5):
        machine = stack.new_account(peaq=1)  # gas + the DID deposits of its own writes
        machine_id = op.register_for(machine.address)
        fleet.append((machine, machine_id))

    reg = stack.identity_registry.functions
    nft = stack.machine_nft.functions
    ids = [mid for _, mid in fleet]
    assert len(set(ids)) == 5 and operator_id not in ids
    for machine, machine_id in fleet:
        owner, wallet, exists, _ = reg.getVerificationInfo(machine_id).call()
        assert (owner, wallet, exists) == (operator.address, machine.address, True)
        assert reg.machineIdOfOwner(machine.address).call() == machine_id
        assert reg.operatorOf(machine_id).call() == operator.address

        # The proxy mints, to the machine's own address.
        op.mint_nft(machine_id, machine.address)
        token_id = op.token_id_of(machine_id)
        assert nft.ownerOf(token_id).call() == machine.address

        # The machine signs its own DID.
        mc = stack.peaq_client(machine)
        mc.write_machine_did_attributes(
            machine_id, token_id, operator_did, DOC_URL, f"{stack.mcr_url}/mcr/{did_of(machine.address)}",
            "onchain",
        )
        got = did_attrs(stack, mc, machine.address, ["machineId", "nftTokenId", "operator"])
        assert got == {"machineId": str(machine_id), "nftTokenId": str(token_id), "operator": operator_did}

    op.write_proxy_did_attributes(operator_id, ids)
    got = did_attrs(stack, op, operator.address, ["machineId", "machines"])
    assert got["machineId"] == str(operator_id)
    assert json.loads(got["machines"]) == ids

    # The MCR API shows the fleet under the operator.
    stack.wait_indexed()
    resp = op.query_operator_machines(operator_did)
    assert resp["operator_did"].lower() == operator_did.lower()
    listed = {m["machine_id"]: m for m in resp["machines"]}
    assert set(listed) == set(ids)
    for machine, machine_id in fleet:
        assert listed[machine_id]["did"].lower() == did_of(machine.address).lower()
        assert listed[machine_id]["mcr"] == "Provisioned"
    assert resp["pagination"]["total"] == 5
