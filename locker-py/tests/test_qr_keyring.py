"""QrKeyring, QrClaims and the render functions."""

import pytest

import locker
from conftest import NOW, RENTAL, USER


def test_issue_and_verify_round_trip(ring):
    ring.lifetime_secs = 120
    token = ring.issue("check_out", USER, RENTAL, now=NOW)
    claims = ring.verify(token, now=NOW + 10)
    assert isinstance(claims, locker.QrClaims)
    assert (claims.action, claims.user_id, claims.rental_id, claims.key_id) == ("check_out", USER, RENTAL, 1)
    assert claims.expires_at == NOW + 120
    assert len(claims.token_id) == 24
    assert "check_out" in repr(claims)


def test_expired_tampered_and_foreign_tokens_are_refused(ring):
    token = ring.issue("check_in", USER, now=NOW)
    assert ring.verify(token, now=NOW).rental_id is None
    with pytest.raises(locker.QrExpired) as info:
        ring.verify(token, now=NOW + 300 + 6)
    assert info.value.code == 304
    tampered = token[:10] + ("B" if token[10] == "A" else "A") + token[11:]
    with pytest.raises(locker.TokenInvalid):
        ring.verify(tampered, now=NOW)
    other = locker.QrKeyring()
    other.add_ed25519(1, bytes([9]) * 32)
    with pytest.raises(locker.TokenInvalid):
        other.verify(token, now=NOW)


def test_verifier_copy_verifies_but_cannot_issue(ring):
    token = ring.issue("update", USER, now=NOW)
    kiosk = ring.to_verifier()
    assert kiosk.verify(token, now=NOW).action == "update"
    with pytest.raises(locker.TokenInvalid):
        kiosk.issue("update", USER, now=NOW)
    with pytest.raises(locker.TokenInvalid):
        kiosk.set_active(1)


def test_hmac_rotation_and_retirement(ring):
    old = ring.issue("check_in", USER, now=NOW)
    ring.add_hmac(2, bytes([5]) * 32)
    ring.set_active(2)
    new = ring.issue("check_in", USER, now=NOW)
    assert ring.verify(new, now=NOW).key_id == 2
    assert ring.verify(old, now=NOW).key_id == 1
    ring.retire(1)
    with pytest.raises(locker.TokenInvalid):
        ring.verify(old, now=NOW)


def test_bad_arguments_are_validation_errors(ring):
    with pytest.raises(locker.ValidationError):
        ring.add_ed25519(1, b"short")
    with pytest.raises(locker.ValidationError):
        ring.add_hmac(1, b"x" * 31)
    with pytest.raises(locker.ValidationError):
        ring.issue("check_in", "not-a-uuid", now=NOW)
    with pytest.raises(locker.ValidationError):
        ring.issue("check_in", USER, "nope", now=NOW)
    with pytest.raises(locker.ValidationError):
        ring.lifetime_secs = 0
    with pytest.raises(locker.TokenInvalid):
        locker.QrKeyring().issue("check_in", USER, now=NOW)
    with pytest.raises(locker.ValidationError):
        ring.verify("x", now=10**13)


def test_public_key_ring_refuses_foreign_tokens(ring):
    pub = locker.QrKeyring()
    with pytest.raises(locker.ValidationError):
        pub.add_ed25519_public(1, b"\x00" * 5)
    # 32 bytes that do or do not decode as a point: either refused, or a key that is not ours.
    try:
        pub.add_ed25519_public(1, b"\x01" + b"\x00" * 31)
    except locker.TokenInvalid:
        pass
    token = ring.issue("check_in", USER, now=NOW)
    with pytest.raises(locker.TokenInvalid):
        pub.verify(token, now=NOW)


def test_render_png_svg_and_data_url(ring):
    token = ring.issue("check_in", USER, RENTAL, now=NOW)
    png = locker.qr_png(token)
    assert isinstance(png, bytes) and png.startswith(b"\x89PNG")
    svg = locker.qr_svg(token)
    assert "<svg" in svg
    url = locker.qr_data_url(token)
    assert url.startswith("data:image/png;base64,")
    with pytest.raises(locker.ValidationError):
        locker.qr_svg("A" * 8000)
