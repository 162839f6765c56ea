"""Type stubs of the compiled extension ``locker._locker`` (re-exported by ``locker``)."""

from datetime import datetime
from types import TracebackType
from typing import ClassVar, Literal, Optional, Sequence, Type

__version__: str

Action = Literal["check_in", "check_out", "update"]
Door = Literal["open", "closed", "unknown"]
FrameKind = Literal["request", "response", "event", "ack"]
PickMode = Literal["single", "largest", "central"]

class LockerError(Exception):
    """Base of every locker error; ``code`` is the core's stable number."""

    code: int

class ValidationError(LockerError): ...
class NotFound(LockerError): ...
class AlreadyExists(LockerError): ...
class Conflict(LockerError): ...
class ConfigError(LockerError): ...
class InternalError(LockerError): ...
class NoAvailableLocker(LockerError): ...
class InvalidTransition(LockerError): ...
class StorageError(LockerError): ...
class LockerInUse(Conflict): ...
class InsufficientBalance(LockerError): ...
class PaymentNotConfigured(LockerError): ...
class PaymentDeclined(LockerError): ...
class TokenError(LockerError): ...
class InvalidCredentials(TokenError): ...
class TokenInvalid(TokenError): ...
class TokenExpired(TokenError): ...
class TokenRevoked(TokenError): ...
class TokenReused(TokenError): ...
class QrUsed(TokenError): ...
class QrExpired(TokenError): ...
class PickupCodeInvalid(TokenError): ...
class RateLimited(TokenError): ...
class OtpError(TokenError): ...
class OtpInvalid(OtpError): ...
class OtpExpired(OtpError): ...
class OtpUsed(OtpError): ...
class OtpTooManyAttempts(OtpError): ...
class OtpTooManyRequests(OtpError): ...
class OtpSendFailed(OtpError): ...
class FaceError(LockerError): ...
class FaceNotFound(FaceError): ...
class MultipleFaces(FaceError): ...
class FaceTooSmall(FaceError): ...
class ImageUnreadable(FaceError): ...
class ImageTooLarge(FaceError): ...
class ImageEmpty(FaceError): ...
class ImageTooSmall(FaceError): ...
class FaceMismatch(FaceError): ...
class FaceModelError(FaceError): ...
class TemplateError(FaceError): ...
class UartError(LockerError): ...
class UartTimeout(UartError): ...
class ControllerFault(UartError): ...
class SerialPortError(UartError): ...
class SerialPortNotFound(UartError): ...
class UartBadChannel(UartError): ...
class UartPayloadTooLong(UartError): ...
class UartUnknownDriver(UartError): ...
class UartUnsupported(UartError): ...
class ControllerNotAttached(UartError): ...

class QrClaims:
    """What a verified QR token says."""

    key_id: int
    action: Action
    user_id: str
    rental_id: Optional[str]
    token_id: str
    expires_at: int

class QrKeyring:
    """QR keys by key id: one issues, every non-retired key verifies."""

    lifetime_secs: int
    def __init__(self) -> None: ...
    def add_ed25519(self, key_id: int, seed: bytes) -> None: ...
    def add_ed25519_public(self, key_id: int, public_key: bytes) -> None: ...
    def add_hmac(self, key_id: int, secret: bytes) -> None: ...
    def set_active(self, key_id: int) -> None: ...
    def retire(self, key_id: int) -> None: ...
    def to_verifier(self) -> QrKeyring: ...
    def issue(self, action: Action, user_id: str, rental_id: Optional[str] = None, now: Optional[int] = None) -> str: ...
    def verify(self, token: str, now: Optional[int] = None) -> QrClaims: ...

def qr_png(token: str) -> bytes:
    """The token as a PNG QR code."""

def qr_svg(token: str) -> str:
    """The token as an SVG document."""

def qr_data_url(token: str) -> str:
    """The token as ``data:image/png;base64,...``."""

class Tokens:
    """Single-use QR, OTP and pickup codes in a database (``sqlite:FILE`` or ``postgres://``).

    Rust ``locker_core::kiosk::Tokens``, C ``locker_tokens``. Formerly ``TokenStore``
    (deprecated alias, warns on use).
    """

    def __init__(self, url: str, pepper: bytes) -> None: ...
    def redeem_qr(self, keyring: QrKeyring, token: str, now: Optional[int] = None) -> QrClaims: ...
    def request_otp(self, address: str, now: Optional[int] = None) -> str: ...
    def verify_otp(self, address: str, code: str, now: Optional[int] = None) -> None: ...
    def issue_pickup(self, cabinet: str, rental_id: str, expires_at: int, now: Optional[int] = None) -> str: ...
    def redeem_pickup(self, cabinet: str, code: str, now: Optional[int] = None) -> str: ...

def encode_frame(seq: int, kind: FrameKind, cmd: int, payload: bytes) -> bytes:
    """One v1 frame, COBS-encoded, ending with the 0x00 delimiter."""

class Frame:
    """A decoded v1 frame."""

    seq: int
    kind: FrameKind
    cmd: int
    payload: bytes

class DroppedFrame:
    """Bytes the decoder dropped, and why."""

    reason: str

class FrameDecoder:
    """Streaming v1 decoder."""

    def __init__(self) -> None: ...
    def feed(self, data: bytes) -> list[Frame | DroppedFrame]: ...
    def reset(self) -> None: ...

class UnlockResult:
    confirmed: bool
    door_after: Optional[Door]

class ControllerEvent:
    kind: Literal["door", "fault", "tamper", "power", "disconnected", "reconnected"]
    channel: Optional[int]
    door: Optional[Door]
    fault_code: Optional[int]
    battery_percent: Optional[int]
    reason: Optional[str]

class Controller:
    """A lock controller: serial port or the in-process simulator."""

    @staticmethod
    def simulator(channels: int) -> Controller: ...
    @staticmethod
    def serial(path: str, driver: str = "v1", channels: int = 0, timeout_ms: int = 0) -> Controller: ...
    def unlock(self, channel: int) -> UnlockResult: ...
    def status(self, channel: int) -> Door: ...
    def status_all(self) -> list[Door]: ...
    def next_event(self, timeout: float = 1.0) -> Optional[ControllerEvent]: ...
    def sim_set_door(self, channel: int, open: bool) -> None: ...
    def close(self) -> None: ...
    def __enter__(self) -> Controller: ...
    def __exit__(self, *args: object) -> bool: ...

class Embedding:
    """An L2-normalised face embedding (128 floats)."""

    def __init__(self, values: Sequence[float]) -> None: ...
    @property
    def values(self) -> list[float]: ...
    def to_bytes(self) -> bytes: ...
    @staticmethod
    def from_bytes(data: bytes) -> Embedding: ...
    def cosine(self, other: Embedding) -> float: ...
    def __len__(self) -> int: ...

class FaceBox:
    x: float
    y: float
    w: float
    h: float
    score: float
    landmarks: list[tuple[float, float]]

class FaceEngine:
    """Face detection and embedding (releases the GIL while running)."""

    verify_threshold: float
    identify_threshold: float
    def __init__(self, models_dir: Optional[str] = None) -> None: ...
    def detect(self, image: bytes) -> list[FaceBox]: ...
    def embed(self, image: bytes, pick: PickMode = "central") -> Embedding: ...
    def verify(self, image: bytes, template: Embedding) -> float: ...

class Match:
    id: str
    score: float

class Gallery:
    """Enrolled embeddings, searchable 1:N."""

    def __init__(self) -> None: ...
    def add(self, id: str, embedding: Embedding) -> None: ...
    def remove(self, id: str) -> None: ...
    def ids(self) -> list[str]: ...
    def __len__(self) -> int: ...
    def identify(self, probe: Embedding, threshold: float = 0.45) -> Optional[Match]: ...

Size = Literal["small", "medium", "large"]
LockerStatus = Literal["available", "reserved", "in_use", "maintenance"]
RentalKind = Literal["session", "order"]
RentalState = Literal["pending_payment", "reserved", "opening", "active", "completed", "cancelled", "expired"]
AuthMethod = Literal["face_id", "qr_code", "pickup_code", "password", "admin"]
AlertType = Literal[
    "unauthorized_open", "tamper", "sensor_malfunction", "lock_jam", "door_left_open",
    "device_offline", "low_battery", "order_overdue", "cabinet_maintenance",
]
Severity = Literal["low", "medium", "high", "critical"]
SessionStatus = Literal["active", "completed", "cancelled"]

class ServiceClosed(Conflict):
    """The service was closed (:meth:`Service.close` or the end of its ``with`` block)."""

class Locker:
    """One locker. Frozen; equal when every field is."""

    __match_args__: ClassVar[tuple[str, ...]]
    id: str
    code: str
    station: str
    location: str
    size: Size
    status: LockerStatus
    door: Door
    controller_id: Optional[str]
    relay_channel: int
    sensor_channel: int
    price_per_hour: int
    """Minor units."""
    last_used_at: Optional[datetime]
    created_at: datetime
    updated_at: datetime
    def to_dict(self) -> dict:
        """The core's JSON shape (ids, names and times as strings)."""

class Rental:
    """One rental of one locker. Frozen; equal when every field is. Times are UTC."""

    __match_args__: ClassVar[tuple[str, ...]]
    id: str
    locker_id: str
    user_id: Optional[str]
    kind: RentalKind
    state: RentalState
    auth_method: AuthMethod
    half_hours: int
    price_per_hour: int
    amount: int
    created_at: datetime
    started_at: Optional[datetime]
    paid_until: Optional[datetime]
    last_access_at: Optional[datetime]
    ended_at: Optional[datetime]
    def to_dict(self) -> dict:
        """The core's JSON shape (ids, names and times as strings)."""

class CheckIn:
    """A check-in: the rental (``opening`` until its door was opened and shut) and its locker."""

    __match_args__: ClassVar[tuple[str, ...]]
    rental: Rental
    locker: Locker
    def to_dict(self) -> dict:
        """``{"rental": {...}, "locker": {...}}`` as the core's JSON."""

class Reopened:
    """A reopened rental, its locker, and the face score when reopened by face."""

    __match_args__: ClassVar[tuple[str, ...]]
    rental: Rental
    locker: Locker
    match_score: Optional[float]
    def to_dict(self) -> dict:
        """``{"rental": {...}, "locker": {...}, "match_score": ...}`` as the core's JSON."""

class CheckedOut:
    """An ended rental (``completed``), its locker, and the face score when by face."""

    __match_args__: ClassVar[tuple[str, ...]]
    rental: Rental
    locker: Locker
    match_score: Optional[float]
    def to_dict(self) -> dict:
        """``{"rental": {...}, "locker": {...}, "match_score": ...}`` as the core's JSON."""

class Event:
    """A service event: always one of :class:`SessionUpdated`, :class:`LockerStatusChanged`,
    :class:`SecurityAlert`. Frozen; equal when kind and fields are."""

    @property
    def event(self) -> Literal["session_updated", "locker_status_changed", "security_alert"]: ...
    def to_dict(self) -> dict:
        """``{"event": ..., "data": {...}}``, as on the server's WebSocket."""

class SessionUpdated(Event):
    """A rental moved on (``event == "session_updated"``)."""

    __match_args__: ClassVar[tuple[str, ...]]
    @property
    def event(self) -> Literal["session_updated"]: ...
    session_id: str
    action: str
    """``check_in``, ``update``, ``check_out``, ``sensor_trigger``, ``cancel``, ..."""
    locker_code: str
    status: SessionStatus

class LockerStatusChanged(Event):
    """A locker's status or door changed (``event == "locker_status_changed"``)."""

    __match_args__: ClassVar[tuple[str, ...]]
    @property
    def event(self) -> Literal["locker_status_changed"]: ...
    locker_id: str
    locker_code: str
    status: LockerStatus
    door_state: Door

class SecurityAlert(Event):
    """An alert was raised (``event == "security_alert"``)."""

    __match_args__: ClassVar[tuple[str, ...]]
    @property
    def event(self) -> Literal["security_alert"]: ...
    alert_id: str
    locker_id: Optional[str]
    locker_code: Optional[str]
    alert_type: AlertType
    severity: Severity
    message: str

class Service:
    """The locker service on a database with one lock controller (simulator or serial port).

    Rust ``locker_core::kiosk::Service``, C ``locker_service``. Check-in returns a
    :class:`CheckIn`, reopen a :class:`Reopened`, check-out a :class:`CheckedOut`; events
    are :class:`Event` subclasses. Waits release the GIL. :meth:`close` (or the end of a
    ``with`` block) stops it; later calls raise :class:`ServiceClosed`.
    """

    @staticmethod
    def open(
        database_url: str,
        keys_dir: str,
        models_dir: Optional[str] = None,
        serial_port: Optional[str] = None,
        driver: Optional[str] = None,
        sim_channels: int = 8,
        sim_person_ms: int = 0,
        controller_name: str = "SIM_001",
        kiosk: str = "kiosk",
    ) -> "Service": ...
    def close(self) -> None:
        """Stops the timers and the controller; waits for calls in progress. Idempotent."""
    @property
    def closed(self) -> bool: ...
    def __enter__(self) -> "Service": ...
    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> bool: ...
    @property
    def has_faces(self) -> bool: ...
    def add_user(self, full_name: str, email: str) -> str: ...
    def add_locker(self, code: str, size: Size, channel: int) -> Locker: ...
    def issue_qr(self, action: Action, user_id: str, rental_id: Optional[str] = None) -> str: ...
    def check_in_qr(self, token: str, size: Optional[Size] = None) -> CheckIn: ...
    def check_in_face(self, photo: bytes, user_id: Optional[str] = None, size: Optional[Size] = None) -> CheckIn: ...
    def reopen(self, rental_id: str, qr_token: Optional[str] = None, photo: Optional[bytes] = None) -> Reopened: ...
    def check_out(self, rental_id: str, qr_token: Optional[str] = None, photo: Optional[bytes] = None) -> CheckedOut: ...
    def check_out_face(self, photo: bytes) -> CheckedOut: ...
    def lockers(self) -> list[Locker]: ...
    def next_event(self, timeout: float = 1.0) -> Optional[Event]: ...
    def sim_set_door(self, channel: int, open: bool) -> None: ...
