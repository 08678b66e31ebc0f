"""peaq's PeaqosClient.from_wallet signing with an OWS vault wallet that our
`peaqos wallet create` made (vault OWS_VAULT_PATH, passphrase OWS_PASSPHRASE)."""

from __future__ import annotations

import pytest
from web3 import Web3

from peaq_os_sdk import PeaqosClient, PeaqosError, RpcError
from support import WEI, Stack, did_of

PASSPHRASE = "interop vault passphrase"


def our_wallet(our_cli, vault, name: str) -> str:
    res = our_cli(
        "wallet", "create", name, "--json",
        extra_env={"OWS_VAULT_PATH": str(vault), "OWS_PASSPHRASE": PASSPHRASE},
    ).ok()
    info = res.json()
    address = info.get("peaq_address") or info.get("peaqAddress")
    assert address, f"no peaq address in `peaqos wallet create --json`: {info}"
    return Web3.to_checksum_address(address)


def test_from_wallet_signs_with_a_vault_our_cli_created(stack: Stack, our_cli, workdir) -> None:
    vault = workdir / "vault"
    address = our_wallet(our_cli, vault, "interop-machine")

    # peaq's SDK (through the OWS reference library) reads the wallet our CLI wrote.
    info = PeaqosClient.get_wallet("interop-machine", str(vault))
    assert Web3.to_checksum_address(info.peaq_address) == address
    assert [w.name for w in PeaqosClient.list_wallets(str(vault))] == ["interop-machine"]

    stack.fund(address, 5 * WEI)
    client = PeaqosClient.from_wallet(
        "interop-machine", passphrase=PASSPHRASE, vault_path=str(vault), **stack.client_kwargs()
    )
    assert client.address == address
    machine_id = client.register_machine()  # signed inside OWS, chain id from the node
    assert stack.identity_registry.functions.machineIdOfOwner(address).call() == machine_id
    client.mint_nft(machine_id, address)
    token_id = client.token_id_of(machine_id)
    assert stack.machine_nft.functions.ownerOf(token_id).call() == address

    # The eager path: the SDK exports the key from our vault file and signs locally.
    eager = PeaqosClient.from_wallet(
        "interop-machine", passphrase=PASSPHRASE, vault_path=str(vault), ows_signing=False,
        **stack.client_kwargs(),
    )
    assert eager.address == address
    eager.write_machine_did_attributes(
        machine_id, token_id, "", "https://docs.peaq.xyz/peaqos",
        f"{stack.mcr_url}/mcr/{did_of(address)}", "private",
    )


def test_wrong_passphrase_signs_nothing(stack: Stack, our_cli, workdir) -> None:
    vault = workdir / "vault"
    address = our_wallet(our_cli, vault, "interop-locked")
    stack.fund(address, 2 * WEI)
    client = PeaqosClient.from_wallet(
        "interop-locked", passphrase="not the passphrase", vault_path=str(vault),
        **stack.client_kwargs(),
    )
    nonce = stack.w3.eth.get_transaction_count(address)
    with pytest.raises(PeaqosError) as exc:
        client.register_machine()
    assert not isinstance(exc.value, RpcError)
    assert exc.value.code == "INVALID_PASSPHRASE"
    assert stack.w3.eth.get_transaction_count(address) == nonce
