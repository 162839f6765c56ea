"""locker: the smart-locker core for kiosk software written in Python.

QR tokens (:class:`QrKeyring`), OTP and pickup codes (:class:`Tokens`), the v1
lock-controller wire (:func:`encode_frame`, :class:`FrameDecoder`), a lock controller
(:class:`Controller`, serial port or simulator) and faces (:class:`FaceEngine`,
:class:`Gallery`), and the locker service (:class:`Service`: check-in, reopen and
check-out by QR or face, lockers, events; ``close()`` and ``with``). The service returns
typed, immutable records (:class:`CheckIn`, :class:`Reopened`, :class:`CheckedOut`,
:class:`Rental`, :class:`Locker`, and :class:`Event` subclasses), each with ``to_dict()``.
Errors are subclasses of :class:`LockerError` with a numeric ``code``.

Each object has one name in Rust, C and Python (``Service`` / ``locker_service``,
``Tokens`` / ``locker_tokens``, ``Controller`` / ``locker_controller``). The former
Python name ``TokenStore`` still works for one release and warns with
:class:`DeprecationWarning`.

>>> import locker
>>> ring = locker.QrKeyring()
>>> ring.add_hmac(1, bytes(32))
>>> token = ring.issue("check_in", "0190c3c1-7b1a-7cc0-8e6c-3f1f2b3c4d5e", now=1768730400)
>>> ring.verify(token, now=1768730400).action
'check_in'
"""

import warnings as _warnings
from typing import TYPE_CHECKING as _TYPE_CHECKING, Any as _Any

from ._locker import *  # noqa: F401,F403
from ._locker import __version__  # noqa: F401
from . import _locker as _ext

__all__ = [name for name in dir(_ext) if not name.startswith("_")]

# Former names, kept for one release: name -> (object, what to use instead).
_DEPRECATED = {
    "TokenStore": ("Tokens", "locker.TokenStore is deprecated; use locker.Tokens (the same class)"),
}


def __getattr__(name: str) -> _Any:
    """Resolves a deprecated name to its object, warning with DeprecationWarning (PEP 562)."""
    if name in _DEPRECATED:
        target, message = _DEPRECATED[name]
        _warnings.warn(message, DeprecationWarning, stacklevel=2)
        return getattr(_ext, target)
    raise AttributeError(f"module 'locker' has no attribute {name!r}")


if _TYPE_CHECKING:  # what type checkers see of the former names
    from typing_extensions import deprecated as _deprecated

    @_deprecated("locker.TokenStore is deprecated; use locker.Tokens (the same class)")
    class TokenStore(Tokens): ...  # noqa: F405
