"""Fixtures: scratch databases, the face models and photos (skipped politely without them,
unless LOCKER_REQUIRE_MODELS=1)."""

import os
import pathlib

import pytest

import locker

ROOT = pathlib.Path(__file__).resolve().parents[2]
MODELS = pathlib.Path(os.environ.get("LOCKER_MODELS_DIR", ROOT.parent / "shared" / "models"))
FACES = pathlib.Path(os.environ.get("LOCKER_FACES_DIR", ROOT.parent / "shared" / "faces"))

NOW = 1768730400
USER = "0190c3c1-7b1a-7cc0-8e6c-3f1f2b3c4d5e"
RENTAL = "0190c3c1-7b1a-7cc0-8e6c-aaaaaaaaaaaa"


@pytest.fixture
def ring() -> locker.QrKeyring:
    ring = locker.QrKeyring()
    ring.add_ed25519(1, bytes(range(32)))
    return ring


@pytest.fixture
def store(tmp_path) -> locker.Tokens:
    return locker.Tokens(f"sqlite:{tmp_path / 'tokens.db'}", bytes([7]) * 32)


@pytest.fixture
def controller():
    ctrl = locker.Controller.simulator(4)
    yield ctrl
    ctrl.close()


@pytest.fixture(scope="session")
def engine() -> locker.FaceEngine:
    if not (MODELS / "yunet_dynamic.onnx").exists():
        if os.environ.get("LOCKER_REQUIRE_MODELS") == "1":
            pytest.fail(f"face models missing in {MODELS} (LOCKER_REQUIRE_MODELS=1)")
        pytest.skip(f"no face models in {MODELS}")
    return locker.FaceEngine(str(MODELS))


@pytest.fixture(scope="session")
def photos():
    def read(person: str, n: int) -> bytes:
        path = FACES / person / f"{n}.jpg"
        if not path.exists():
            if os.environ.get("LOCKER_REQUIRE_MODELS") == "1":
                pytest.fail(f"face photo missing: {path}")
            pytest.skip(f"no face photos in {FACES}")
        return path.read_bytes()

    return read


def next_event_where(svc: locker.Service, pick, within: float = 5.0) -> locker.Event:
    """The next service event satisfying `pick`, within `within` seconds."""
    import time

    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        event = svc.next_event(timeout=0.2)
        if event is not None and pick(event):
            return event
    pytest.fail("no such service event in time")


@pytest.fixture
def service(tmp_path):
    """A service on a fresh SQLite file with lockers A01 (small) and A02 (medium) on a
    3-channel simulator whose doors move only by `sim_set_door`; closed after the test."""
    with locker.Service.open(f"sqlite:{tmp_path / 'service.db'}", str(tmp_path / "keys"), sim_channels=3) as svc:
        svc.add_locker("A01", "small", 1)
        svc.add_locker("A02", "medium", 2)
        yield svc
