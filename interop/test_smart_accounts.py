"""Smart accounts (ERC-4337 v0.6): peaq's SDK against our MachineAccountFactory, our CLI giving
the same address, and a UserOperation built and signed independently of our code (the userOpHash
computed here as the spec defines it, signed with eth-account) accepted by our bundler and
executed on chain."""

from __future__ import annotations

import requests
from eth_abi import encode
from eth_account import Account
from eth_account.messages import encode_defunct
from eth_utils import keccak
from peaq_os_sdk import PeaqosClient
from support import Stack, copy_env_with_key, key_hex, load_abi, wait_until
from web3 import Web3

ENTRY_POINT = "0x5FF137D4b0FDCD49DcA30c7CF57E578a026d2789"
SALT = 7


def factory(stack: Stack):
    return stack.contract("MachineAccountFactory", "MACHINE_ACCOUNT_FACTORY_ADDRESS")


def peaq_client_with_factory(stack: Stack, acct) -> PeaqosClient:
    return PeaqosClient(
        private_key=key_hex(acct),
        machine_account_factory=stack.env["MACHINE_ACCOUNT_FACTORY_ADDRESS"],
        **stack.client_kwargs(),
    )


def test_peaq_sdk_addresses_and_deploys_where_our_factory_and_cli_say(stack: Stack, workdir, our_cli) -> None:
    owner = stack.new_account(peaq=5)
    machine = Account.create()
    client = peaq_client_with_factory(stack, owner)

    predicted = client.get_smart_account_address(owner.address, machine.address, SALT)
    assert predicted == factory(stack).functions.getAddress(owner.address, machine.address, SALT).call()

    copy_env_with_key(stack, workdir, key_hex(owner))
    ours = our_cli("account", "address", "--machine", machine.address, "--salt", str(SALT), "--json").ok().json()
    assert Web3.to_checksum_address(ours["account"]) == predicted
    assert ours["deployed"] is False

    deployed = client.deploy_smart_account(owner.address, machine.address, SALT)
    assert deployed == predicted
    assert len(stack.w3.eth.get_code(deployed)) > 0
    account = stack.w3.eth.contract(address=deployed, abi=load_abi("MachineSmartAccount"))
    assert account.functions.owner().call() == owner.address
    assert account.functions.machine().call() == machine.address
    assert account.functions.entryPoint().call() == ENTRY_POINT

    again = our_cli("account", "address", "--machine", machine.address, "--salt", str(SALT), "--json").ok().json()
    assert again["deployed"] is True


def user_op_hash(op: dict, chain_id: int) -> bytes:
    """ERC-4337 v0.6: keccak256(abi.encode(keccak256(pack(op)), entryPoint, chainId))."""
    packed = encode(
        ["address", "uint256", "bytes32", "bytes32", "uint256", "uint256", "uint256", "uint256", "uint256", "bytes32"],
        [
            op["sender"],
            op["nonce"],
            keccak(op["initCode"]),
            keccak(op["callData"]),
            op["callGasLimit"],
            op["verificationGasLimit"],
            op["preVerificationGas"],
            op["maxFeePerGas"],
            op["maxPriorityFeePerGas"],
            keccak(op["paymasterAndData"]),
        ],
    )
    return keccak(encode(["bytes32", "address", "uint256"], [keccak(packed), ENTRY_POINT, chain_id]))


def rpc(url: str, method: str, params: list) -> dict:
    r = requests.post(url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": params}, timeout=60)
    r.raise_for_status()
    return r.json()


def hexed(op: dict) -> dict:
    return {k: (Web3.to_hex(v) if isinstance(v, (bytes, int)) else v) for k, v in op.items()}


def test_an_independently_built_user_operation_deploys_the_account_and_executes(stack: Stack) -> None:
    bundler = stack.env["PEAQOS_BUNDLER_URL"]
    owner = stack.new_account(peaq=1)
    machine = Account.create()
    f = factory(stack)
    sender = f.functions.getAddress(owner.address, machine.address, SALT).call()
    init_code = bytes(f.functions.getInitCode(owner.address, machine.address, SALT).call())
    stack.fund(sender, 10**18)  # the account pays its own gas (prefund)

    receiver = Account.create().address
    account = stack.w3.eth.contract(address=sender, abi=load_abi("MachineSmartAccount"))
    call_data = bytes.fromhex(account.encode_abi("execute", args=[receiver, 12345, b""])[2:])
    entry_point = stack.w3.eth.contract(address=ENTRY_POINT, abi=[{
        "type": "function", "name": "getNonce", "stateMutability": "view",
        "inputs": [{"name": "sender", "type": "address"}, {"name": "key", "type": "uint192"}],
        "outputs": [{"name": "nonce", "type": "uint256"}],
    }])
    gas_price = stack.w3.eth.gas_price
    op = {
        "sender": sender,
        "nonce": entry_point.functions.getNonce(sender, 0).call(),
        "initCode": init_code,
        "callData": call_data,
        "callGasLimit": 200_000,
        "verificationGasLimit": 1_000_000,
        "preVerificationGas": 100_000,
        "maxFeePerGas": gas_price,
        "maxPriorityFeePerGas": gas_price,
        "paymasterAndData": b"",
        "signature": b"",
    }
    digest = user_op_hash(op, stack.chain_id)
    op["signature"] = machine.sign_message(encode_defunct(digest)).signature

    sent = rpc(bundler, "eth_sendUserOperation", [hexed(op), ENTRY_POINT])
    assert "result" in sent, sent
    assert sent["result"] == Web3.to_hex(digest), "the bundler's userOpHash must be the spec's"

    # Bundle now (the stack's bundler may be in auto mode; either way a receipt follows).
    rpc(bundler, "debug_bundler_sendBundleNow", [])
    found: list[dict] = []

    def included() -> bool:
        r = rpc(bundler, "eth_getUserOperationReceipt", [Web3.to_hex(digest)]).get("result")
        if r:
            found.append(r)
        return bool(r)

    wait_until(included, 30, "the UserOperation's receipt")
    receipt = found[-1]
    assert receipt["success"] is True, receipt
    assert Web3.to_checksum_address(receipt["sender"]) == sender
    assert stack.w3.eth.get_balance(receiver) == 12345
    assert len(stack.w3.eth.get_code(sender)) > 0

    # A signature by a key that is neither owner nor machine is refused before it is pooled.
    op2 = dict(op, nonce=entry_point.functions.getNonce(sender, 0).call(), initCode=b"", signature=b"")
    digest2 = user_op_hash(op2, stack.chain_id)
    op2["signature"] = Account.create().sign_message(encode_defunct(digest2)).signature
    refused = rpc(bundler, "eth_sendUserOperation", [hexed(op2), ENTRY_POINT])
    assert "error" in refused, refused
    assert refused["error"]["code"] in (-32507, -32500), refused
