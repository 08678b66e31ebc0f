"""ABI conformance: every function (selector, outputs, mutability), event (topic, indexed
flags) and error (selector) of the ABI that the installed peaq-os-sdk ships must exist in our
compiled artifact (contracts/out/<Name>.json).

Scope: every contract ABI peaq ships, by name: IdentityRegistry, IdentityStaking,
EventRegistry, MachineNFT, the smart accounts (MachineAccountFactory, MachineSmartAccount) and
the bridge (MachineNFTAdapter, MachineNFTBase). BatchPrecompile / DIDPrecompile are precompiles
of the devnet, not compiled contracts; they are deliberately not tested here."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from eth_utils import keccak

import peaq_os_sdk.abis
from stackproc import REPO

CONTRACTS = (
    "IdentityRegistry",
    "IdentityStaking",
    "EventRegistry",
    "MachineNFT",
    "MachineAccountFactory",
    "MachineSmartAccount",
    "MachineNFTAdapter",
    "MachineNFTBase",
)
SDK_ABI_DIR = Path(peaq_os_sdk.abis.__file__).parent
OUR_OUT_DIR = REPO / "contracts" / "out"


def canonical(param: dict[str, Any]) -> str:
    """The canonical type of an ABI parameter (tuples expanded, arrays kept)."""
    t = param["type"]
    if t.startswith("tuple"):
        inner = ",".join(canonical(c) for c in param.get("components", []))
        return f"({inner}){t[len('tuple'):]}"
    return t


def signature(item: dict[str, Any]) -> str:
    return f"{item['name']}({','.join(canonical(p) for p in item.get('inputs', []))})"


def selector(item: dict[str, Any]) -> str:
    return "0x" + keccak(text=signature(item))[:4].hex()


def topic(item: dict[str, Any]) -> str:
    return "0x" + keccak(text=signature(item)).hex()


def load(path: Path) -> list[dict[str, Any]]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return data["abi"] if isinstance(data, dict) else data


def by(abi: list[dict[str, Any]], kind: str, key) -> dict[str, dict[str, Any]]:
    return {key(i): i for i in abi if i.get("type") == kind}


def peaq_abi(name: str) -> list[dict[str, Any]]:
    path = SDK_ABI_DIR / f"{name}.json"
    assert path.is_file(), f"the installed peaq-os-sdk has no {path.name}"
    return load(path)


def our_abi(name: str) -> list[dict[str, Any]]:
    path = OUR_OUT_DIR / f"{name}.json"
    assert path.is_file(), f"our compiled artifact {path} is missing"
    return load(path)


def test_scope_is_every_shipped_contract() -> None:
    """Every contract ABI peaq ships is under test; the precompiles are named here so that a
    new ABI shows up as a decision, not as silence."""
    shipped = {p.stem for p in SDK_ABI_DIR.glob("*.json")}
    later: set[str] = set()
    precompiles = {"BatchPrecompile", "DIDPrecompile"}
    assert set(CONTRACTS) <= shipped
    assert shipped == set(CONTRACTS) | later | precompiles, (
        f"peaq-os-sdk ships ABIs the suite does not classify: {shipped - set(CONTRACTS) - later - precompiles}"
    )


@pytest.mark.parametrize("name", CONTRACTS)
def test_functions(name: str) -> None:
    theirs = by(peaq_abi(name), "function", selector)
    ours = by(our_abi(name), "function", selector)
    problems = []
    for sel, f in sorted(theirs.items(), key=lambda kv: kv[1]["name"]):
        o = ours.get(sel)
        if o is None:
            problems.append(f"missing function {signature(f)} [{sel}]")
            continue
        want_out = [canonical(p) for p in f.get("outputs", [])]
        got_out = [canonical(p) for p in o.get("outputs", [])]
        if want_out != got_out:
            problems.append(f"{signature(f)}: outputs {got_out}, peaq's ABI has {want_out}")
        if f.get("stateMutability") != o.get("stateMutability"):
            problems.append(
                f"{signature(f)}: stateMutability {o.get('stateMutability')!r}, "
                f"peaq's ABI has {f.get('stateMutability')!r}"
            )
    assert not problems, f"{name} ({len(problems)} of {len(theirs)} functions):\n" + "\n".join(problems)


@pytest.mark.parametrize("name", CONTRACTS)
def test_events(name: str) -> None:
    theirs = by(peaq_abi(name), "event", topic)
    ours = by(our_abi(name), "event", topic)
    problems = []
    for t, e in sorted(theirs.items(), key=lambda kv: kv[1]["name"]):
        o = ours.get(t)
        if o is None:
            problems.append(f"missing event {signature(e)} [{t[:10]}…]")
            continue
        want = [bool(p.get("indexed")) for p in e.get("inputs", [])]
        got = [bool(p.get("indexed")) for p in o.get("inputs", [])]
        if want != got:
            problems.append(f"{signature(e)}: indexed flags {got}, peaq's ABI has {want}")
        if bool(e.get("anonymous")) != bool(o.get("anonymous")):
            problems.append(f"{signature(e)}: anonymous {o.get('anonymous')}, peaq's {e.get('anonymous')}")
    assert not problems, f"{name} ({len(problems)} of {len(theirs)} events):\n" + "\n".join(problems)


@pytest.mark.parametrize("name", CONTRACTS)
def test_errors(name: str) -> None:
    theirs = by(peaq_abi(name), "error", selector)
    ours = by(our_abi(name), "error", selector)
    missing = [f"missing error {signature(e)} [{s}]" for s, e in sorted(theirs.items()) if s not in ours]
    assert not missing, f"{name} ({len(missing)} of {len(theirs)} errors):\n" + "\n".join(missing)


@pytest.mark.parametrize("name", CONTRACTS)
def test_artifact_has_bytecode(name: str) -> None:
    """The artifact is a compiled contract, not an ABI alone."""
    data = json.loads((OUR_OUT_DIR / f"{name}.json").read_text(encoding="utf-8"))
    code = data.get("bytecode") if isinstance(data, dict) else None
    if isinstance(code, dict):
        code = code.get("object")
    assert isinstance(code, str) and len(code.removeprefix("0x")) > 2, f"{name}.json has no bytecode"
