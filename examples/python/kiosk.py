"""A kiosk loop in Python on the simulated controller (the same story as the Rust and C
kiosks): QR check-in, a refused replay, QR check-out, door events printed, and with the face
models present a face check-out that refuses a stranger.

Run after installing the wheel (scripts/test-python does both):
    python examples/python/kiosk.py
"""

import os
import pathlib
import secrets
import tempfile
import uuid

import locker

ROOT = pathlib.Path(__file__).resolve().parents[2]
MODELS = pathlib.Path(os.environ.get("LOCKER_MODELS_DIR", ROOT.parent / "shared" / "models"))
FACES = pathlib.Path(os.environ.get("LOCKER_FACES_DIR", ROOT.parent / "shared" / "faces"))


def use_door(ctrl: locker.Controller, channel: int) -> None:
    """Unlocks `channel`; the simulated customer opens and shuts the door."""
    print(f"  unlock channel {channel}: confirmed={ctrl.unlock(channel).confirmed}")
    for is_open in (True, False):
        ctrl.sim_set_door(channel, is_open)
        event = ctrl.next_event(timeout=2.0)
        if event is None:
            raise SystemExit("no door event within 2 s")
        print(f"  event: {event.kind} channel={event.channel} door={event.door}")


def main() -> None:
    server = locker.QrKeyring()
    server.add_ed25519(1, secrets.token_bytes(32))
    kiosk_keys = server.to_verifier()
    workdir = tempfile.mkdtemp()
    tokens = locker.TokenStore(f"sqlite:{workdir}/kiosk.db", secrets.token_bytes(32))
    rentals: dict[str, dict] = {}
    free = [4, 3, 2, 1]

    with locker.Controller.simulator(4) as ctrl:
        print(f"kiosk ready: 4 lockers, doors {ctrl.status_all()}")
        user = str(uuid.uuid4())

        def check_in(token: str, face=None) -> str:
            claims = tokens.redeem_qr(kiosk_keys, token)
            rental, channel = str(uuid.uuid4()), free.pop()
            print(f"check-in by QR for user {claims.user_id}: rental {rental}, locker {channel}")
            use_door(ctrl, channel)
            rentals[rental] = {"channel": channel, "face": face}
            return rental

        first = server.issue("check_in", user)
        rental = check_in(first)
        try:
            check_in(first)
            raise SystemExit("a replayed QR token was accepted")
        except locker.QrUsed as e:
            print(f"replayed check-in QR refused: {e} (code {e.code})")

        claims = tokens.redeem_qr(kiosk_keys, server.issue("check_out", user, rental))
        channel = rentals.pop(claims.rental_id)["channel"]
        print(f"check-out by QR: rental {claims.rental_id}, locker {channel}")
        use_door(ctrl, channel)
        free.append(channel)

        if (MODELS / "yunet_dynamic.onnx").exists():
            engine = locker.FaceEngine(str(MODELS))
            template = engine.embed((FACES / "Cate_Blanchett" / "1.jpg").read_bytes())
            rental = check_in(server.issue("check_in", user), face=template)
            try:
                engine.verify((FACES / "Al_Sharpton" / "1.jpg").read_bytes(), template)
                raise SystemExit("a stranger's face opened the locker")
            except locker.FaceMismatch as e:
                print(f"stranger refused at check-out: {e}")
            score = engine.verify((FACES / "Cate_Blanchett" / "2.jpg").read_bytes(), template)
            channel = rentals.pop(rental)["channel"]
            print(f"check-out by face: rental {rental}, locker {channel}, score {score:.3f}")
            use_door(ctrl, channel)
        else:
            print(f"face part skipped: no models in {MODELS}")
        print(f"kiosk done: {len(rentals)} live rentals, doors {ctrl.status_all()}")


if __name__ == "__main__":
    main()
