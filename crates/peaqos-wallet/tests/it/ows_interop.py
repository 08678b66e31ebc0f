#!/usr/bin/env python3
"""Drives the Open Wallet Standard reference implementation (PyPI `open-wallet-standard`,
module `ows`) for the peaqos-wallet interop test. Prints one JSON document on stdout.

  ows_interop.py probe
  ows_interop.py create <vault> <passphrase>            reference creates "ref-mnemonic" and "ref-key"
  ows_interop.py check <vault> <passphrase> <hash_hex> <tx_hex> <name>...
                                                         reference lists/gets/exports/signs our wallets
"""
import json
import secrets
import sys


def main():
    try:
        import ows
    except ImportError as e:  # the Rust test fails with this error
        print(json.dumps({"available": False, "error": str(e)}))
        return
    cmd = sys.argv[1]
    if cmd == "probe":
        print(json.dumps({"available": True}))
        return
    vault, passphrase = sys.argv[2], sys.argv[3]
    if cmd == "create":
        ows.create_wallet("ref-mnemonic", passphrase, 12, vault_path_opt=vault)
        ows.import_wallet_private_key(
            "ref-key", secrets.token_hex(32), chain="ethereum", passphrase=passphrase, vault_path_opt=vault
        )
        out = {}
        for name in ("ref-mnemonic", "ref-key"):
            out[name] = {
                "wallet": ows.get_wallet(name, vault_path_opt=vault),
                "export": ows.export_wallet(name, passphrase, vault_path_opt=vault),
            }
        print(json.dumps({"available": True, "wallets": out}))
    elif cmd == "check":
        hash_hex, tx_hex, names = sys.argv[4], sys.argv[5], sys.argv[6:]
        listed = [w["name"] for w in ows.list_wallets(vault_path_opt=vault)]
        out = {}
        for name in names:
            out[name] = {
                "wallet": ows.get_wallet(name, vault_path_opt=vault),
                "export": ows.export_wallet(name, passphrase, vault_path_opt=vault),
                "sign_hash": ows.sign_hash(name, "ethereum", hash_hex, passphrase, vault_path_opt=vault),
                "sign_transaction": ows.sign_transaction(name, "ethereum", tx_hex, passphrase, vault_path_opt=vault),
                "sign_message": ows.sign_message(name, "ethereum", "hello peaq", passphrase, vault_path_opt=vault),
            }
        print(json.dumps({"available": True, "listed": listed, "wallets": out}))
    else:
        raise SystemExit("unknown command " + cmd)


if __name__ == "__main__":
    main()
