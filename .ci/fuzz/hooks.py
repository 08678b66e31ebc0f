"""Schemathesis hooks for the fuzz campaign (.ci/fuzz.sh): strategies of the custom string
formats the Gas Station's OpenAPI document uses, so schema-valid inputs are valid addresses.

- `evm-address`: 0x + 40 hex digits, all lowercase or all uppercase (both need no checksum).
- `peaq-owner-address`: an `evm-address` or an SS58 address (prefix 42, a random 32-byte
  account, its blake2b-512 "SS58PRE" checksum).
"""

import hashlib

import schemathesis
from hypothesis import strategies as st

B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def b58encode(raw: bytes) -> str:
    n = int.from_bytes(raw, "big")
    out = ""
    while n:
        n, r = divmod(n, 58)
        out = B58[r] + out
    return "1" * (len(raw) - len(raw.lstrip(b"\0"))) + out


def ss58(prefix: int, account: bytes) -> str:
    body = bytes([prefix]) + account
    checksum = hashlib.blake2b(b"SS58PRE" + body, digest_size=64).digest()[:2]
    return b58encode(body + checksum)


evm = st.binary(min_size=20, max_size=20).flatmap(
    lambda b: st.sampled_from(["0x" + b.hex(), "0x" + b.hex().upper()])
)
owner = st.one_of(evm, st.binary(min_size=32, max_size=32).map(lambda a: ss58(42, a)))

schemathesis.openapi.format("evm-address", evm)
schemathesis.openapi.format("peaq-owner-address", owner)
