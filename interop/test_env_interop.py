"""The .env file and the working directory are interchangeable between peaq's CLI and ours:
our `peaqos` reads the layout peaq's `init --non-interactive` writes, and an activation one
CLI finished is finished for the other (nothing registered, minted or written twice: checked on
chain)."""

from __future__ import annotations

from pathlib import Path

from stackproc import parse_env_file
from support import Stack, copy_env_with_key, did_of, key_hex, kv_lines

DOC_URL = "https://docs.peaq.xyz/peaqos"
# The keys peaq's init writes (peaq_os_cli/commands/init_cmd.py, _ENV_TEMPLATE), in order.
PEAQ_INIT_KEYS = [
    "PEAQOS_PRIVATE_KEY", "PEAQOS_RPC_URL", "PEAQOS_MCR_API_URL", "PEAQOS_NETWORK",
    "PEAQOS_GAS_STATION_URL", "IDENTITY_REGISTRY_ADDRESS", "IDENTITY_STAKING_ADDRESS",
    "EVENT_REGISTRY_ADDRESS", "MACHINE_NFT_ADDRESS", "DID_REGISTRY_ADDRESS",
    "BATCH_PRECOMPILE_ADDRESS",
]


def chain_state(stack: Stack, address: str) -> dict:
    reg, nft = stack.identity_registry, stack.machine_nft.functions
    machine_id = reg.functions.machineIdOfOwner(address).call()
    registered = reg.events.Registered.get_logs(from_block=0, argument_filters={"owner": address})
    return {
        "machine_id": machine_id,
        "token_id": nft.tokenIdOf(machine_id).call() if machine_id else 0,
        "registered_events": len(registered),
        "total_minted": nft.totalMinted().call(),
        "nonce": stack.w3.eth.get_transaction_count(address),
    }


def test_our_cli_reads_the_layout_peaq_init_writes(stack: Stack, peaq_cli, our_cli, workdir: Path) -> None:
    acct = stack.new_account(peaq=5)
    peaq_cli(
        "init", "--non-interactive",
        extra_env={
            "PEAQOS_NETWORK": "devnet",
            "PEAQOS_PRIVATE_KEY": key_hex(acct),
            "PEAQOS_RPC_URL": stack.rpc_url,
            "PEAQOS_MCR_API_URL": stack.mcr_url,
            "PEAQOS_GAS_STATION_URL": stack.gas_station_url,
            "EVENT_REGISTRY_ADDRESS": stack.env["EVENT_REGISTRY_ADDRESS"],
        },
    ).ok()
    written = parse_env_file(workdir / ".env")
    assert list(written) == PEAQ_INIT_KEYS
    assert written["PEAQOS_RPC_URL"] == stack.rpc_url

    who = our_cli("whoami", "--json").ok().json()
    assert who["address"].lower() == acct.address.lower()
    assert who["rpcUrl"] == stack.rpc_url
    assert int(who["chainId"]) == stack.chain_id
    assert who["mcrApiUrl"].rstrip("/") == stack.mcr_url
    contracts = {k: v.lower() for k, v in who["contracts"].items()}
    for var in ("IDENTITY_REGISTRY_ADDRESS", "IDENTITY_STAKING_ADDRESS", "EVENT_REGISTRY_ADDRESS",
                "MACHINE_NFT_ADDRESS", "DID_REGISTRY_ADDRESS", "BATCH_PRECOMPILE_ADDRESS"):
        assert contracts.get(var) == stack.env[var].lower(), f"{var}: {who['contracts']}"

    # And it signs from that file.
    res = our_cli(
        "activate", "--skip-funding", "--json", "--doc-url", DOC_URL,
        "--data-api", f"{stack.mcr_url}/mcr/{did_of(acct.address)}",
    ).ok().json()
    assert stack.identity_registry.functions.machineIdOfOwner(acct.address).call() == int(res["machineId"])


def test_our_activate_after_peaqs_registers_nothing_twice(stack: Stack, peaq_cli, our_cli, workdir: Path) -> None:
    acct = stack.new_account(peaq=5)
    copy_env_with_key(stack, workdir, key_hex(acct))
    data_api = f"{stack.mcr_url}/mcr/{did_of(acct.address)}"
    first = peaq_cli("activate", "--doc-url", DOC_URL, "--data-api", data_api).ok()
    rows = kv_lines(first.stdout)
    before = chain_state(stack, acct.address)
    assert before["machine_id"] == int(rows["Machine ID"]) and before["registered_events"] == 1
    peaq_log = (workdir / "peaqos.log").read_text()

    res = our_cli(
        "activate", "--skip-funding", "--json", "--doc-url", DOC_URL, "--data-api", data_api,
        "--visibility", "public",
    ).ok().json()
    assert int(res["machineId"]) == before["machine_id"]
    assert int(res["tokenId"]) == before["token_id"]
    after = chain_state(stack, acct.address)
    assert after["registered_events"] == 1
    assert after["total_minted"] == before["total_minted"]
    assert after["nonce"] == before["nonce"], "our activate sent transactions for a finished activation"
    assert (workdir / "peaqos.log").read_text().startswith(peaq_log), "peaq's journal lines were altered"


def test_peaqs_activate_after_ours_registers_nothing_twice(stack: Stack, peaq_cli, our_cli, workdir: Path) -> None:
    acct = stack.new_account(peaq=5)
    copy_env_with_key(stack, workdir, key_hex(acct))
    data_api = f"{stack.mcr_url}/mcr/{did_of(acct.address)}"
    ours = our_cli("activate", "--skip-funding", "--json", "--doc-url", DOC_URL, "--data-api", data_api).ok().json()
    before = chain_state(stack, acct.address)
    assert before["machine_id"] == int(ours["machineId"]) and before["registered_events"] == 1

    res = peaq_cli("activate", "--doc-url", DOC_URL, "--data-api", data_api).ok()
    rows = kv_lines(res.stdout)
    assert int(rows["Machine ID"]) == before["machine_id"]
    assert int(rows["Token ID"]) == before["token_id"]
    after = chain_state(stack, acct.address)
    assert after["registered_events"] == 1 and after["total_minted"] == before["total_minted"]
    assert after["nonce"] == before["nonce"], "peaq's activate sent transactions for a finished activation"
