"""locker.Service: the locker service on a real SQLite file (and PostgreSQL when
LOCKER_TEST_POSTGRES_URL is set) with the simulated controller."""

import datetime
import os
import uuid

import pytest

import locker
from conftest import RENTAL, MODELS, next_event_where


def active(rental: str):
    return lambda e: isinstance(e, locker.SessionUpdated) and e.session_id == rental and e.action == "sensor_trigger"


def door_cycle(svc: locker.Service, channel: int, code: str) -> None:
    """The customer opens and shuts the door after an unlock; waits until the service saw both."""
    for is_open, state in ((True, "open"), (False, "closed")):
        svc.sim_set_door(channel, is_open)
        next_event_where(svc, lambda e: isinstance(e, locker.LockerStatusChanged) and e.locker_code == code and e.door_state == state)


def test_qr_check_in_reopen_check_out_with_events(service):
    user = service.add_user("Lan", "lan@example.com")
    assert uuid.UUID(user)
    token = service.issue_qr("check_in", user)
    done = service.check_in_qr(token)
    assert isinstance(done, locker.CheckIn)
    rental, locker_ = done.rental, done.locker
    assert (locker_.code, rental.state, rental.auth_method, rental.user_id) == ("A01", "opening", "qr_code", user)
    checked_in = next_event_where(service, lambda e: e.event == "session_updated")
    assert checked_in.to_dict() == {"event": "session_updated", "data": {"session_id": rental.id, "action": "check_in", "locker_code": "A01", "status": "active"}}
    assert (checked_in.session_id, checked_in.action, checked_in.locker_code, checked_in.status) == (rental.id, "check_in", "A01", "active")
    with pytest.raises(locker.QrUsed) as replay:
        service.check_in_qr(token)
    assert replay.value.code == 303

    # The customer opens and shuts the door: the rental becomes active.
    service.sim_set_door(1, True)
    service.sim_set_door(1, False)
    next_event_where(service, active(rental.id))

    again = service.reopen(rental.id, qr_token=service.issue_qr("update", user, rental.id))
    assert isinstance(again, locker.Reopened)
    assert again.rental.state == "active" and isinstance(again.rental.last_access_at, datetime.datetime)
    assert again.match_score is None
    door_cycle(service, 1, "A01")
    with pytest.raises(locker.ValidationError):
        service.reopen(rental.id, qr_token=service.issue_qr("check_in", user))
    with pytest.raises(locker.ValidationError):
        service.reopen(rental.id)  # neither a token nor a photo

    with pytest.raises(locker.TokenInvalid):
        service.check_out(rental.id, qr_token=service.issue_qr("check_out", user, RENTAL))
    out = service.check_out(rental.id, qr_token=service.issue_qr("check_out", user, rental.id))
    assert isinstance(out, locker.CheckedOut)
    assert out.rental.state == "completed" and out.locker.status == "available"
    assert out.rental.id == rental.id and out.rental.ended_at is not None
    next_event_where(service, lambda e: isinstance(e, locker.SessionUpdated) and e.action == "check_out")
    assert [l.code for l in service.lockers()] == ["A01", "A02"]
    assert all(l.status == "available" for l in service.lockers())


def test_next_event_times_out_with_none(service):
    while service.next_event(timeout=0.1) is not None:
        pass
    assert service.next_event(timeout=0.05) is None
    with pytest.raises(locker.ValidationError):
        service.next_event(timeout=float("inf"))


def test_errors_map_to_the_exception_tree(service, tmp_path):
    user = service.add_user("Minh", "minh@example.com")
    with pytest.raises(locker.AlreadyExists):
        service.add_user("Minh", "minh@example.com")
    with pytest.raises(locker.ValidationError):
        service.add_user("Nobody", "")
    with pytest.raises(locker.AlreadyExists):
        service.add_locker("A01", "small", 3)
    with pytest.raises(locker.ValidationError):
        service.add_locker("A03", "huge", 3)
    with pytest.raises(locker.ValidationError):
        service.issue_qr("fly", user)
    with pytest.raises(locker.ValidationError):
        service.issue_qr("check_in", "not-a-uuid")
    with pytest.raises(locker.TokenInvalid):
        service.check_in_qr("garbage")
    with pytest.raises(locker.NoAvailableLocker):
        service.check_in_qr(service.issue_qr("check_in", user), size="large")
    with pytest.raises(locker.NotFound):
        service.check_out(RENTAL, qr_token="x")
    with pytest.raises(locker.ValidationError):
        service.check_out("nope", qr_token="x")
    # No models loaded: face calls are a configuration error.
    assert service.has_faces is False
    with pytest.raises(locker.ConfigError):
        service.check_in_face(b"\xff\xd8 not really a photo")
    with pytest.raises(locker.ConfigError):
        service.check_out_face(b"x")
    with pytest.raises(locker.UartBadChannel):
        service.sim_set_door(9, True)
    with pytest.raises(TypeError):
        service.check_in_face("not bytes")
    # A QR token's user must exist.
    with pytest.raises(locker.NotFound):
        service.check_in_qr(service.issue_qr("check_in", str(uuid.uuid4())))


def test_open_errors(tmp_path):
    keys = str(tmp_path / "keys")
    with pytest.raises(locker.ConfigError):
        locker.Service.open("mysql://nope", keys)
    with pytest.raises(locker.ValidationError):
        locker.Service.open(f"sqlite:{tmp_path / 'a.db'}", keys, sim_channels=0)
    with pytest.raises(locker.SerialPortNotFound):
        locker.Service.open(f"sqlite:{tmp_path / 'a.db'}", keys, serial_port="/dev/locker-no-such-port")
    with pytest.raises(locker.UartUnknownDriver):
        locker.Service.open(f"sqlite:{tmp_path / 'a.db'}", keys, serial_port="/dev/null", driver="warp")
    with pytest.raises(locker.FaceModelError):
        locker.Service.open(f"sqlite:{tmp_path / 'a.db'}", keys, models_dir="/nonexistent/models")


def test_a_simulated_customer_and_reopening_the_database(tmp_path):
    url, keys = f"sqlite:{tmp_path / 'k.db'}", str(tmp_path / "keys")
    svc = locker.Service.open(url, keys, sim_channels=2, sim_person_ms=30)
    svc.add_locker("B01", "large", 2)
    user = svc.add_user("Hoa", "hoa@example.com")
    done = svc.check_in_qr(svc.issue_qr("check_in", user), size="small")
    assert done.locker.code == "B01"  # a larger size is given when none is free
    next_event_where(svc, active(done.rental.id))
    svc.close()
    # Same file and keys: the rental is still there and the old keys still sign.
    with locker.Service.open(url, keys, sim_channels=2) as svc:
        assert [l.status for l in svc.lockers()] == ["in_use"]
        rental = done.rental.id
        out = svc.check_out(rental, qr_token=svc.issue_qr("check_out", user, rental))
        assert out.rental.state == "completed"


@pytest.mark.skipif(not os.environ.get("LOCKER_TEST_POSTGRES_URL"), reason="LOCKER_TEST_POSTGRES_URL not set")
def test_postgres_check_in_and_out(tmp_path):
    svc = locker.Service.open(os.environ["LOCKER_TEST_POSTGRES_URL"], str(tmp_path / "keys"), sim_channels=40, controller_name=f"PY_{uuid.uuid4().hex[:8]}")
    code = f"P{uuid.uuid4().hex[:8]}"
    svc.add_locker(code, "large", 40)
    user = svc.add_user("Pg", f"pg-{uuid.uuid4().hex[:8]}@example.com")
    done = svc.check_in_qr(svc.issue_qr("check_in", user), size="large")
    assert done.locker.size == "large"
    svc.sim_set_door(done.locker.relay_channel, True)
    svc.sim_set_door(done.locker.relay_channel, False)
    next_event_where(svc, active(done.rental.id))
    rental = done.rental.id
    out = svc.check_out(rental, qr_token=svc.issue_qr("check_out", user, rental))
    assert out.rental.state == "completed"
    svc.close()


def test_face_check_in_reopen_and_check_out_by_face(tmp_path, engine, photos):
    svc = locker.Service.open(f"sqlite:{tmp_path / 'f.db'}", str(tmp_path / "keys"), models_dir=str(MODELS), sim_channels=2, sim_person_ms=30)
    assert svc.has_faces
    svc.add_locker("F01", "small", 1)
    with pytest.raises(locker.ImageUnreadable):
        svc.check_in_face(b"nope")
    done = svc.check_in_face(photos("Cate_Blanchett", 1))
    rental = done.rental.id
    assert done.rental.auth_method == "face_id" and done.rental.user_id is None
    next_event_where(svc, active(rental))
    with pytest.raises(locker.FaceMismatch):
        svc.reopen(rental, photo=photos("Al_Sharpton", 1))
    again = svc.reopen(rental, photo=photos("Cate_Blanchett", 2))
    assert isinstance(again.match_score, float) and again.match_score > 0.28
    with pytest.raises(locker.FaceMismatch) as stranger:
        svc.check_out_face(photos("Al_Sharpton", 1))
    assert stranger.value.code == 405
    out = svc.check_out_face(photos("Cate_Blanchett", 2))
    assert out.rental.id == rental and out.rental.state == "completed"
    assert isinstance(out.match_score, float) and out.to_dict()["match_score"] == pytest.approx(out.match_score)
    svc.close()
