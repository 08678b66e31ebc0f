"""The Gas Station through peaq's SDK: setup_faucet_2fa, confirm_faucet_2fa,
fund_from_gas_station (funded and skipped), and the error codes as peaq's SDK maps them.

TOTP codes come from the otpauth secret (support.Authenticator, RFC 6238). The Gas Station takes
a code once per 30 s step with +/-1 step of skew, so every owner here uses at most two codes
(the current step's and the next one's) and nothing waits for the clock."""

from __future__ import annotations

import threading
import uuid

import pytest
import requests

from peaq_os_sdk import ApiError
from support import WEI, Authenticator, Stack


def enrolled(stack: Stack, client, owner: str) -> Authenticator:
    """setup + confirm through peaq's SDK; returns the owner's authenticator."""
    setup = client.setup_faucet_2fa(owner, stack.gas_station_url)
    auth = Authenticator(setup["otpauth_uri"])
    client.confirm_faucet_2fa(owner, stack.gas_station_url, auth.next_code())
    return auth


def fund(stack: Stack, client, owner: str, target: str, code: str, request_id: str | None = None):
    return client.fund_from_gas_station(
        owner, target, str(stack.chain_id), code, stack.gas_station_url, request_id
    )


def api_error(fn) -> ApiError:
    with pytest.raises(ApiError) as exc:
        fn()
    return exc.value


def test_setup_returns_otpauth_uri_and_live_qr(stack: Stack) -> None:
    owner = stack.new_account()
    client = stack.peaq_client(owner)
    setup = client.setup_faucet_2fa(owner.address, stack.gas_station_url)
    assert setup["owner_address"].lower() == owner.address.lower()
    assert setup["otpauth_uri"].startswith("otpauth://totp/")
    assert Authenticator(setup["otpauth_uri"]).secret
    img = requests.get(setup["qr_image_url"], timeout=10)
    assert img.status_code == 200 and img.content
    png = client.setup_faucet_2fa(owner.address, stack.gas_station_url, qr_format="png")
    assert requests.get(png["qr_image_url"], timeout=10).content[:8] == b"\x89PNG\r\n\x1a\n"


def test_confirm_activates_2fa(stack: Stack) -> None:
    owner = stack.new_account()
    client = stack.peaq_client(owner)
    setup = client.setup_faucet_2fa(owner.address, stack.gas_station_url)
    auth = Authenticator(setup["otpauth_uri"])
    # peaq's SDK returns None on {"status": "success", "code": "2FA_ACTIVATED"}.
    assert client.confirm_faucet_2fa(owner.address, stack.gas_station_url, auth.next_code()) is None


def test_fund_then_skipped(stack: Stack) -> None:
    owner = stack.new_account()
    client = stack.peaq_client(owner)
    auth = enrolled(stack, client, owner.address)
    target = stack.new_account()
    before = stack.w3.eth.get_balance(target.address)
    res = fund(stack, client, owner.address, target.address, auth.next_code())
    assert res["status"] == "success", res
    funded = int(res["funded_amount"])
    assert funded > 0
    tx = stack.w3.eth.get_transaction_receipt(res["tx_hash"])
    assert tx["status"] == 1
    assert stack.w3.eth.get_balance(target.address) == before + funded

    # A second owner asks for a wallet that already holds enough: skipped, nothing sent.
    owner2 = stack.new_account()
    c2 = stack.peaq_client(owner2)
    auth2 = enrolled(stack, c2, owner2.address)
    rich = stack.new_account(peaq=3)
    skipped = fund(stack, c2, owner2.address, rich.address, auth2.next_code())
    assert skipped["status"] == "skipped", skipped
    assert int(skipped["current_balance"]) == 3 * WEI
    assert int(skipped["min_gas_balance"]) <= 3 * WEI
    assert stack.w3.eth.get_balance(rich.address) == 3 * WEI


def test_setup_when_active_is_2fa_already_configured(stack: Stack) -> None:
    """peaq's activate calls setup for an owner whose 2FA may already be active and expects the
    code 2FA_ALREADY_CONFIGURED (then it prompts for a code and skips enrolment)."""
    owner = stack.new_account()
    client = stack.peaq_client(owner)
    enrolled(stack, client, owner.address)
    err = api_error(lambda: client.setup_faucet_2fa(owner.address, stack.gas_station_url))
    assert err.code == "2FA_ALREADY_CONFIGURED", f"{err.code}: {err}"


def test_fund_with_the_code_that_confirmed(stack: Stack) -> None:
    """What peaq's activate does (peaq_os_cli/commands/activate.py, _step2_enroll_2fa returns
    the code it confirmed with, and step 3 funds with that same code within its 30 s window)."""
    owner = stack.new_account()
    client = stack.peaq_client(owner)
    setup = client.setup_faucet_2fa(owner.address, stack.gas_station_url)
    code = Authenticator(setup["otpauth_uri"]).next_code()
    client.confirm_faucet_2fa(owner.address, stack.gas_station_url, code)
    target = stack.new_account()
    res = fund(stack, client, owner.address, target.address, code)
    assert res["status"] == "success", res
    assert stack.w3.eth.get_balance(target.address) == int(res["funded_amount"])


def test_invalid_2fa(stack: Stack) -> None:
    owner = stack.new_account()
    client = stack.peaq_client(owner)
    setup = client.setup_faucet_2fa(owner.address, stack.gas_station_url)
    auth = Authenticator(setup["otpauth_uri"])
    err = api_error(lambda: client.confirm_faucet_2fa(owner.address, stack.gas_station_url, auth.wrong_code()))
    assert err.code == "INVALID_2FA"
    assert str(err) == "Invalid 2FA code"


def test_2fa_not_configured(stack: Stack) -> None:
    owner = stack.new_account()
    client = stack.peaq_client(owner)
    err = api_error(lambda: client.confirm_faucet_2fa(owner.address, stack.gas_station_url, "123456"))
    assert err.code == "2FA_NOT_CONFIGURED"
    target = stack.new_account()
    err = api_error(lambda: fund(stack, client, owner.address, target.address, "123456"))
    assert err.code == "2FA_NOT_CONFIGURED"


def test_2fa_not_active(stack: Stack) -> None:
    owner = stack.new_account()
    client = stack.peaq_client(owner)
    setup = client.setup_faucet_2fa(owner.address, stack.gas_station_url)
    auth = Authenticator(setup["otpauth_uri"])
    target = stack.new_account()
    err = api_error(lambda: fund(stack, client, owner.address, target.address, auth.next_code()))
    assert err.code == "2FA_NOT_ACTIVE"
    assert stack.w3.eth.get_balance(target.address) == 0


def test_duplicate_request_and_request_already_processed(stack: Stack) -> None:
    """Concurrent requests with one requestId: one transfer; the others answer
    DUPLICATE_REQUEST while it is in flight or REQUEST_ALREADY_PROCESSED after it. A retry once
    it is done answers REQUEST_ALREADY_PROCESSED. Up to three rounds (fresh owner, target and
    requestId each) to observe an in-flight DUPLICATE_REQUEST."""
    seen_duplicate = False
    for _round in range(3):
        owner = stack.new_account()
        client = stack.peaq_client(owner)
        auth = enrolled(stack, client, owner.address)
        target = stack.new_account()
        request_id = str(uuid.uuid4())
        code = auth.next_code()
        n = 8
        barrier = threading.Barrier(n)
        results: list[object] = [None] * n

        def worker(i: int) -> None:
            c = stack.peaq_client(owner)  # one HTTP session per thread
            barrier.wait(timeout=30)
            try:
                results[i] = fund(stack, c, owner.address, target.address, code, request_id)
            except ApiError as e:
                results[i] = e

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        successes = [r for r in results if isinstance(r, dict)]
        codes = [r.code for r in results if isinstance(r, ApiError)]
        assert len(successes) == 1, f"results: {results}"
        assert set(codes) <= {"DUPLICATE_REQUEST", "REQUEST_ALREADY_PROCESSED"}, codes
        assert stack.w3.eth.get_balance(target.address) == int(successes[0]["funded_amount"])

        # Done now: the same requestId is answered before the 2FA check, any code will do.
        err = api_error(lambda: fund(stack, client, owner.address, target.address, "000000", request_id))
        assert err.code == "REQUEST_ALREADY_PROCESSED"
        assert str(err) == "Request ID has already been completed"
        if "DUPLICATE_REQUEST" in codes:
            seen_duplicate = True
            break
    assert seen_duplicate, "no request was ever answered DUPLICATE_REQUEST while in flight"


def test_cap_exceeded_wallet(stack: Stack) -> None:
    """The wallet daily cap holds across owners: fund one target until the cap, draining it
    below the minimum gas balance in between so nothing is skipped."""
    target = stack.new_account()
    sink = stack.new_account()
    total = 0
    for _ in range(10):
        owner = stack.new_account()
        client = stack.peaq_client(owner)
        auth = enrolled(stack, client, owner.address)
        try:
            res = fund(stack, client, owner.address, target.address, auth.next_code())
        except ApiError as err:
            assert err.code == "CAP_EXCEEDED_WALLET", err.code
            assert str(err) == "Wallet daily funding cap exceeded"
            assert total > 0
            return
        assert res["status"] == "success", res
        total += int(res["funded_amount"])
        # Drain all but a little gas so the next request is not skipped.
        bal = stack.w3.eth.get_balance(target.address)
        stack.send_from(target, sink.address, bal - WEI // 100)
    raise AssertionError(f"funded {total} wei to one wallet without CAP_EXCEEDED_WALLET")
