"""The typed results of locker.Service (fields, Python types, equality, repr, to_dict), its
close() and `with` support, and the deprecated former names."""

import datetime
import json
import threading
import time
import uuid
import warnings

import pytest

import locker
from conftest import next_event_where

UTC = datetime.timezone.utc


def assert_fields(obj, types: dict) -> None:
    """`obj` has exactly these attributes (in __match_args__ order) with these types."""
    assert type(obj).__match_args__ == tuple(types)
    for name, kind in types.items():
        value = getattr(obj, name)
        assert isinstance(value, kind), f"{type(obj).__name__}.{name} = {value!r} is not {kind}"
        if isinstance(value, datetime.datetime):
            assert value.tzinfo is not None and value.utcoffset() == datetime.timedelta(0), f"{name} is not UTC"


OPT_STR, OPT_TIME = (str, type(None)), (datetime.datetime, type(None))
LOCKER = {
    "id": str, "code": str, "station": str, "location": str, "size": str, "status": str, "door": str,
    "controller_id": OPT_STR, "relay_channel": int, "sensor_channel": int, "price_per_hour": int,
    "last_used_at": OPT_TIME, "created_at": datetime.datetime, "updated_at": datetime.datetime,
}
RENTAL = {
    "id": str, "locker_id": str, "user_id": OPT_STR, "kind": str, "state": str, "auth_method": str,
    "half_hours": int, "price_per_hour": int, "amount": int, "created_at": datetime.datetime,
    "started_at": OPT_TIME, "paid_until": OPT_TIME, "last_access_at": OPT_TIME, "ended_at": OPT_TIME,
}


def iso(t: datetime.datetime) -> datetime.datetime:
    """An RFC 3339 time of to_dict() read back (Python 3.9 does not take the trailing Z)."""
    return datetime.datetime.fromisoformat(t.replace("Z", "+00:00"))


def test_locker_fields_types_equality_repr_and_dict(service):
    made = service.add_locker("A03", "large", 3)
    assert isinstance(made, locker.Locker)
    assert_fields(made, LOCKER)
    assert (made.code, made.size, made.status, made.door, made.relay_channel, made.sensor_channel) == ("A03", "large", "available", "closed", 3, 3)
    assert uuid.UUID(made.id) and uuid.UUID(made.controller_id)
    assert made.last_used_at is None and made.price_per_hour == 0
    listed = {l.code: l for l in service.lockers()}
    assert listed["A03"] == made and listed["A03"] is not made
    assert listed["A01"] != made and made != made.to_dict()
    # Frozen: the fields are read-only.
    with pytest.raises(AttributeError):
        made.code = "Z99"
    # to_dict is the core's JSON shape, the same values as the attributes.
    d = made.to_dict()
    assert set(d) == set(LOCKER)
    assert json.loads(json.dumps(d)) == d
    assert (d["id"], d["code"], d["size"], d["relay_channel"], d["controller_id"]) == (made.id, "A03", "large", 3, made.controller_id)
    assert iso(d["created_at"]) == made.created_at
    # repr names every field.
    text = repr(made)
    assert text.startswith("Locker(id=") and "code='A03'" in text and "size='large'" in text
    assert all(f"{name}=" in text for name in LOCKER)


def test_check_in_reopen_check_out_and_rental_types(service):
    user = service.add_user("Lan", "lan@example.com")
    done = service.check_in_qr(service.issue_qr("check_in", user))
    assert type(done) is locker.CheckIn
    assert type(done).__match_args__ == ("rental", "locker")
    assert isinstance(done.rental, locker.Rental) and isinstance(done.locker, locker.Locker)
    assert_fields(done.rental, RENTAL)
    rental = done.rental
    assert (rental.kind, rental.state, rental.auth_method, rental.user_id, rental.locker_id) == ("session", "opening", "qr_code", user, done.locker.id)
    assert rental.ended_at is None and rental.half_hours == 0
    assert abs(datetime.datetime.now(UTC) - rental.created_at) < datetime.timedelta(minutes=5)
    assert done.to_dict() == {"rental": rental.to_dict(), "locker": done.locker.to_dict()}
    assert set(rental.to_dict()) == set(RENTAL)
    assert repr(done).startswith("CheckIn(rental=Rental(id=") and "locker=Locker(" in repr(done)

    service.sim_set_door(1, True)
    service.sim_set_door(1, False)
    next_event_where(service, lambda e: isinstance(e, locker.SessionUpdated) and e.action == "sensor_trigger")
    again = service.reopen(rental.id, qr_token=service.issue_qr("update", user, rental.id))
    assert type(again) is locker.Reopened
    assert type(again).__match_args__ == ("rental", "locker", "match_score")
    assert again.match_score is None and again.to_dict()["match_score"] is None
    assert again.rental.id == rental.id and again.rental != rental  # state and last access moved on
    assert isinstance(again.rental.started_at, datetime.datetime)
    for is_open in (True, False):
        service.sim_set_door(1, is_open)
    next_event_where(service, lambda e: isinstance(e, locker.LockerStatusChanged) and e.door_state == "closed")
    out = service.check_out(rental.id, qr_token=service.issue_qr("check_out", user, rental.id))
    assert type(out) is locker.CheckedOut
    assert (out.rental.state, out.locker.status, out.match_score) == ("completed", "available", None)
    assert isinstance(out.rental.ended_at, datetime.datetime) and out.rental.ended_at >= out.rental.created_at
    assert out == out and out != again


def test_events_are_typed_subclasses(service):
    user = service.add_user("Minh", "minh@example.com")
    done = service.check_in_qr(service.issue_qr("check_in", user))
    session = next_event_where(service, lambda e: e.event == "session_updated")
    assert type(session) is locker.SessionUpdated and isinstance(session, locker.Event)
    assert type(session).__match_args__ == ("session_id", "action", "locker_code", "status")
    assert (session.session_id, session.action, session.locker_code, session.status) == (done.rental.id, "check_in", "A01", "active")
    assert session.to_dict() == {"event": "session_updated", "data": {"session_id": done.rental.id, "action": "check_in", "locker_code": "A01", "status": "active"}}
    assert repr(session) == f"SessionUpdated(session_id='{done.rental.id}', action='check_in', locker_code='A01', status='active')"
    with pytest.raises(AttributeError):
        session.status = "completed"

    service.sim_set_door(1, True)
    changed = next_event_where(service, lambda e: isinstance(e, locker.LockerStatusChanged) and e.door_state == "open")
    assert changed.event == "locker_status_changed"
    assert (changed.locker_id, changed.locker_code) == (done.locker.id, "A01")
    assert changed.to_dict() == {"event": "locker_status_changed", "data": {"locker_id": done.locker.id, "locker_code": "A01", "status": changed.status, "door_state": "open"}}
    assert changed != session and changed == changed


def test_an_unauthorized_open_is_a_security_alert(service):
    # Nobody unlocked A02: its door opening is an alert.
    service.sim_set_door(2, True)
    alert = next_event_where(service, lambda e: isinstance(e, locker.SecurityAlert))
    assert alert.event == "security_alert"
    assert_fields(alert, {"alert_id": str, "locker_id": OPT_STR, "locker_code": OPT_STR, "alert_type": str, "severity": str, "message": str})
    assert (alert.locker_code, alert.alert_type) == ("A02", "unauthorized_open")
    assert alert.severity in ("low", "medium", "high", "critical") and alert.message
    assert alert.to_dict()["data"]["alert_type"] == "unauthorized_open"


def test_close_stops_the_service_and_later_calls_raise(tmp_path):
    svc = locker.Service.open(f"sqlite:{tmp_path / 'c.db'}", str(tmp_path / "keys"), sim_channels=2)
    svc.add_locker("C01", "small", 1)
    user = svc.add_user("Hoa", "hoa@example.com")
    assert svc.closed is False and repr(svc) == "<locker.Service open>"
    svc.close()
    assert svc.closed is True and repr(svc) == "<locker.Service closed>"
    svc.close()  # idempotent
    calls = [
        lambda: svc.lockers(),
        lambda: svc.add_locker("C02", "small", 2),
        lambda: svc.issue_qr("check_in", user),
        lambda: svc.check_in_qr("token"),
        lambda: svc.check_out_face(b"x"),
        lambda: svc.next_event(timeout=0.0),
        lambda: svc.sim_set_door(1, True),
        lambda: svc.has_faces,
    ]
    for call in calls:
        with pytest.raises(locker.ServiceClosed) as info:
            call()
        assert "closed" in str(info.value)
    # Part of the tree: a state conflict with the core's number.
    assert issubclass(locker.ServiceClosed, locker.Conflict) and issubclass(locker.ServiceClosed, locker.LockerError)
    assert info.value.code == 103  # ErrorCode::Conflict
    # The database and the keys are free again: a new service opens on them.
    with locker.Service.open(f"sqlite:{tmp_path / 'c.db'}", str(tmp_path / "keys"), sim_channels=2) as again:
        assert [l.code for l in again.lockers()] == ["C01"]


def test_with_closes_on_exit_and_on_error(tmp_path):
    url, keys = f"sqlite:{tmp_path / 'w.db'}", str(tmp_path / "keys")
    with locker.Service.open(url, keys, sim_channels=1) as svc:
        assert isinstance(svc, locker.Service) and not svc.closed
        svc.add_locker("W01", "small", 1)
    assert svc.closed
    with pytest.raises(locker.ServiceClosed):
        svc.lockers()
    with pytest.raises(KeyError):  # an exception inside the block propagates, and closes
        with locker.Service.open(url, keys, sim_channels=1) as svc2:
            raise KeyError("boom")
    assert svc2.closed


def test_close_waits_for_a_call_in_progress(tmp_path):
    svc = locker.Service.open(f"sqlite:{tmp_path / 't.db'}", str(tmp_path / "keys"), sim_channels=1)
    outcome = {}

    def wait():
        try:
            outcome["event"] = svc.next_event(timeout=0.5)
        except Exception as e:  # noqa: BLE001
            outcome["error"] = e

    waiter = threading.Thread(target=wait)
    waiter.start()
    time.sleep(0.1)  # the waiter is inside next_event
    svc.close()
    waiter.join(5)
    assert not waiter.is_alive()
    assert svc.closed
    # The call in progress either finished normally or saw the service closed; nothing hangs.
    assert outcome.get("event") is None or isinstance(outcome.get("event"), locker.Event)
    assert "error" not in outcome or isinstance(outcome["error"], locker.ServiceClosed)


def test_token_store_is_a_deprecated_alias_of_tokens(tmp_path, ring):
    with pytest.warns(DeprecationWarning, match="use locker.Tokens"):
        cls = locker.TokenStore
    assert cls is locker.Tokens
    with pytest.warns(DeprecationWarning):
        from locker import TokenStore  # noqa: F401
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the old name still works, only warns
        with pytest.warns(DeprecationWarning):
            store = locker.TokenStore(f"sqlite:{tmp_path / 'old.db'}", bytes(32))
    assert isinstance(store, locker.Tokens)
    token = ring.issue("check_in", "0190c3c1-7b1a-7cc0-8e6c-3f1f2b3c4d5e")
    assert store.redeem_qr(ring, token).action == "check_in"
    # The current names do not warn, and the old one is not exported by `import *`.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert locker.Tokens and locker.Service and locker.Controller
    assert "TokenStore" not in locker.__all__ and "Tokens" in locker.__all__
    with pytest.raises(AttributeError):
        locker.NoSuchName
