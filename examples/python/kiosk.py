"""A kiosk loop in Python on the locker service (the same story as the Rust and C kiosks).

The service opens on a SQLite file with four lockers on the simulated controller, whose
simulated customer opens and shuts each unlocked door. A customer checks in with a QR token
(a replay is refused), the door cycle arrives as service events (printed), and the customer
checks out with a second QR token. With the face models present, a guest checks in by face,
a stranger is refused at check-out, and the guest checks out by face alone.

Run after installing the wheel (scripts/test-python does both):
    python examples/python/kiosk.py
"""

import json
import os
import pathlib
import tempfile
import time
from typing import Callable

import locker

ROOT = pathlib.Path(__file__).resolve().parents[2]
MODELS = pathlib.Path(os.environ.get("LOCKER_MODELS_DIR", ROOT.parent / "shared" / "models"))
FACES = pathlib.Path(os.environ.get("LOCKER_FACES_DIR", ROOT.parent / "shared" / "faces"))


def print_events_until(svc: locker.Service, until: Callable[[locker.Event], bool]) -> None:
    """Prints service events until one satisfies `until` (within 5 s)."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        event = svc.next_event(timeout=0.2)
        if event is None:
            continue
        print(f"  event: {json.dumps(event.to_dict(), separators=(',', ':'))}")
        if until(event):
            return
    raise SystemExit("the awaited event did not come within 5 s")


def until_active(rental: str) -> Callable[[locker.Event], bool]:
    return lambda e: isinstance(e, locker.SessionUpdated) and e.session_id == rental and e.action == "sensor_trigger"


def print_door_cycle(svc: locker.Service, code: str) -> None:
    """Prints events until the door of locker `code` has been opened and shut again."""
    for wanted in ("open", "closed"):
        print_events_until(svc, lambda e: isinstance(e, locker.LockerStatusChanged) and e.locker_code == code and e.door_state == wanted)


def main() -> None:
    workdir = tempfile.mkdtemp()
    with_faces = (MODELS / "yunet_dynamic.onnx").exists() and FACES.exists()
    # Leaving the `with` block closes the service: its timers and the controller stop.
    with locker.Service.open(
        f"sqlite:{workdir}/kiosk.db",
        f"{workdir}/keys",
        models_dir=str(MODELS) if with_faces else None,
        sim_channels=4,
        sim_person_ms=100,
        kiosk="Pi_python",
    ) as svc:
        run(svc, with_faces)


def run(svc: locker.Service, with_faces: bool) -> None:
    """The story on an open service: QR check-in and check-out, then the face part."""
    for n in range(1, 5):
        svc.add_locker(f"A0{n}", "small", n)
    user = svc.add_user("Nguyen Van Lan", "lan@example.com")
    print(f"kiosk ready: {len(svc.lockers())} lockers, faces {'on' if svc.has_faces else 'off'}")

    token = svc.issue_qr("check_in", user)
    done = svc.check_in_qr(token)
    rental = done.rental.id
    print(f"check-in by QR: rental {rental}, locker {done.locker.code}")
    try:
        svc.check_in_qr(token)
        raise SystemExit("a replayed QR token was accepted")
    except locker.QrUsed as e:
        print(f"replayed check-in QR refused: {type(e).__name__} (code {e.code})")
    print_events_until(svc, until_active(rental))

    out = svc.check_out(rental, qr_token=svc.issue_qr("check_out", user, rental))
    print(f"check-out by QR: rental {rental}, locker {out.locker.code}")
    print_door_cycle(svc, out.locker.code)

    if with_faces:
        done = svc.check_in_face((FACES / "Cate_Blanchett" / "1.jpg").read_bytes())
        rental = done.rental.id
        print(f"check-in by face: rental {rental}, locker {done.locker.code}")
        print_events_until(svc, until_active(rental))
        try:
            svc.check_out_face((FACES / "Al_Sharpton" / "1.jpg").read_bytes())
            raise SystemExit("a stranger's face opened the locker")
        except locker.FaceMismatch as e:
            print(f"stranger refused at check-out: {type(e).__name__}")
        out = svc.check_out_face((FACES / "Cate_Blanchett" / "2.jpg").read_bytes())
        print(f"check-out by face: rental {out.rental.id}, locker {out.locker.code}, score {out.match_score:.3f}")
        print_door_cycle(svc, out.locker.code)
    else:
        print(f"face part skipped: no models in {MODELS}")
    lockers = svc.lockers()
    free = sum(1 for l in lockers if l.status == "available")
    print(f"kiosk done: {free} of {len(lockers)} lockers available")


if __name__ == "__main__":
    main()
