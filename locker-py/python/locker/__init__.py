"""locker: the smart-locker core for kiosk software written in Python.

QR tokens (:class:`QrKeyring`), OTP and pickup codes (:class:`TokenStore`), the v1
lock-controller wire (:func:`encode_frame`, :class:`FrameDecoder`), a lock controller
(:class:`Controller`, serial port or simulator) and faces (:class:`FaceEngine`,
:class:`Gallery`), and the locker service (:class:`Service`: check-in, reopen and
check-out by QR or face, lockers, events). Errors are subclasses of :class:`LockerError` with a numeric ``code``.

>>> import locker
>>> ring = locker.QrKeyring()
>>> ring.add_hmac(1, bytes(32))
>>> token = ring.issue("check_in", "0190c3c1-7b1a-7cc0-8e6c-3f1f2b3c4d5e", now=1768730400)
>>> ring.verify(token, now=1768730400).action
'check_in'
"""

from ._locker import *  # noqa: F401,F403
from ._locker import __version__  # noqa: F401
from . import _locker as _ext

__all__ = [name for name in dir(_ext) if not name.startswith("_")]
