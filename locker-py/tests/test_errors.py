"""The exception tree mirrors locker_core::ErrorCode: groups, subclasses and codes."""

import pytest

import locker


@pytest.mark.parametrize(
    "cls, base",
    [
        (locker.QrUsed, locker.TokenError),
        (locker.QrExpired, locker.TokenError),
        (locker.TokenInvalid, locker.TokenError),
        (locker.OtpInvalid, locker.OtpError),
        (locker.OtpError, locker.TokenError),
        (locker.PickupCodeInvalid, locker.TokenError),
        (locker.FaceNotFound, locker.FaceError),
        (locker.FaceMismatch, locker.FaceError),
        (locker.ImageUnreadable, locker.FaceError),
        (locker.UartTimeout, locker.UartError),
        (locker.UartBadChannel, locker.UartError),
        (locker.SerialPortNotFound, locker.UartError),
        (locker.ControllerNotAttached, locker.UartError),
        (locker.LockerInUse, locker.Conflict),
        (locker.InsufficientBalance, locker.LockerError),
        (locker.PaymentNotConfigured, locker.LockerError),
        (locker.PaymentDeclined, locker.LockerError),
        (locker.ValidationError, locker.LockerError),
        (locker.StorageError, locker.LockerError),
        (locker.TokenError, locker.LockerError),
        (locker.FaceError, locker.LockerError),
        (locker.UartError, locker.LockerError),
        (locker.LockerError, Exception),
    ],
)
def test_hierarchy(cls, base):
    assert issubclass(cls, base)
    assert cls.__module__ == "locker"


def test_raised_errors_carry_the_core_code_and_message(ring):
    with pytest.raises(locker.TokenInvalid) as info:
        ring.verify("not a token", now=0)
    assert info.value.code == 301
    assert "invalid token" in str(info.value)
    with pytest.raises(locker.ValidationError) as info:
        ring.issue("teleport", "0190c3c1-7b1a-7cc0-8e6c-3f1f2b3c4d5e")
    assert info.value.code == 100
    assert "teleport" in str(info.value)


def test_every_group_catches_as_locker_error(ring):
    with pytest.raises(locker.LockerError):
        ring.verify("", now=0)


def test_argument_type_errors_stay_python_type_errors(ring):
    with pytest.raises(TypeError):
        ring.verify(12345)  # type: ignore[arg-type]


def test_version_and_exports():
    assert locker.__version__ == "0.1.0"
    for name in ["QrKeyring", "Tokens", "FrameDecoder", "Controller", "FaceEngine", "Gallery", "LockerError"]:
        assert name in locker.__all__


def test_messages_carry_their_cause():
    """The core keeps the OS error as the source; the message shows the whole chain."""
    with pytest.raises(locker.SerialPortNotFound) as info:
        locker.Controller.serial("/dev/ttyDOESNOTEXIST")
    assert info.value.code == 506
    assert str(info.value).startswith("serial port not found: /dev/ttyDOESNOTEXIST: ")
    assert "os error 2" in str(info.value)
