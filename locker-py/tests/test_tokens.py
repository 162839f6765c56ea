"""locker.Tokens on a real SQLite file (and PostgreSQL when LOCKER_TEST_POSTGRES_URL is set)."""

import os
import time
import uuid

import pytest

import locker
from conftest import NOW, RENTAL, USER


def test_qr_is_single_use(store, ring):
    token = ring.issue("check_in", USER, now=NOW)
    claims = store.redeem_qr(ring, token, now=NOW)
    assert claims.user_id == USER
    with pytest.raises(locker.QrUsed) as info:
        store.redeem_qr(ring, token, now=NOW + 1)
    assert info.value.code == 303
    with pytest.raises(locker.TokenInvalid):
        store.redeem_qr(ring, "garbage", now=NOW)


def test_single_use_survives_reopening_the_file(tmp_path, ring):
    url = f"sqlite:{tmp_path / 'tokens.db'}"
    token = ring.issue("check_in", USER, now=NOW)
    locker.Tokens(url, bytes(32)).redeem_qr(ring, token, now=NOW)
    with pytest.raises(locker.QrUsed):
        locker.Tokens(url, bytes(32)).redeem_qr(ring, token, now=NOW)


def test_otp_flow_and_errors(store):
    now = int(time.time())
    code = store.request_otp("Kiosk@Example.com", now=now)
    assert len(code) == 6 and code.isdigit()
    wrong = f"{(int(code) + 1) % 1000000:06d}"
    with pytest.raises(locker.OtpInvalid):
        store.verify_otp("kiosk@example.com", wrong, now=now + 1)
    store.verify_otp("kiosk@example.com", code, now=now + 2)
    with pytest.raises(locker.OtpUsed):
        store.verify_otp("kiosk@example.com", code, now=now + 3)
    with pytest.raises((locker.OtpTooManyRequests, locker.RateLimited)):
        store.request_otp("kiosk@example.com", now=now + 5)
    with pytest.raises(locker.ValidationError):
        store.request_otp("not an address", now=now)


def test_otp_expires_and_limits_attempts(store):
    code = store.request_otp("+84901234567", now=NOW)
    with pytest.raises(locker.OtpExpired):
        store.verify_otp("+84901234567", code, now=NOW + 301)
    code = store.request_otp("+84909999999", now=NOW)
    wrong = f"{(int(code) + 1) % 1000000:06d}"
    for _ in range(5):
        with pytest.raises(locker.OtpInvalid):
            store.verify_otp("+84909999999", wrong, now=NOW + 1)
    with pytest.raises(locker.OtpTooManyAttempts):
        store.verify_otp("+84909999999", code, now=NOW + 2)


def test_pickup_codes(store):
    now = int(time.time())
    code = store.issue_pickup("CAB-1", RENTAL, expires_at=now + 3600, now=now)
    with pytest.raises(locker.PickupCodeInvalid):
        store.redeem_pickup("CAB-2", code, now=now + 1)
    assert store.redeem_pickup("CAB-1", code, now=now + 1) == RENTAL
    with pytest.raises(locker.PickupCodeInvalid) as info:
        store.redeem_pickup("CAB-1", code, now=now + 2)
    assert info.value.code == 307
    with pytest.raises(locker.ValidationError):
        store.issue_pickup("CAB-1", "bad", expires_at=now + 60)


def test_bad_urls_and_peppers(tmp_path):
    with pytest.raises(locker.ConfigError):
        locker.Tokens("mysql://x", bytes(32))
    with pytest.raises(locker.ValidationError):
        locker.Tokens(f"sqlite:{tmp_path / 'x.db'}", b"short")
    with pytest.raises(locker.StorageError):
        locker.Tokens(f"sqlite:{tmp_path / 'missing-dir' / 'x.db'}", bytes(32))


@pytest.mark.skipif(not os.environ.get("LOCKER_TEST_POSTGRES_URL"), reason="LOCKER_TEST_POSTGRES_URL not set")
def test_postgres_qr_single_use(ring):
    store = locker.Tokens(os.environ["LOCKER_TEST_POSTGRES_URL"], bytes(32))
    token = ring.issue("check_in", str(uuid.uuid4()))
    store.redeem_qr(ring, token)
    with pytest.raises(locker.QrUsed):
        store.redeem_qr(ring, token)
