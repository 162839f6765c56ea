"""Controller: the in-process simulator, and a real pseudo-terminal with nobody answering."""

import os
import pty

import pytest

import locker


def test_unlock_status_and_door_events(controller):
    assert controller.status_all() == ["closed"] * 4
    result = controller.unlock(2)
    assert isinstance(result, locker.UnlockResult)
    assert result.confirmed and result.door_after is None
    assert controller.next_event(0.05) is None
    controller.sim_set_door(2, True)
    event = controller.next_event(2.0)
    assert (event.kind, event.channel, event.door) == ("door", 2, "open")
    assert controller.status(2) == "open"
    controller.sim_set_door(2, False)
    event = controller.next_event(2.0)
    assert (event.kind, event.channel, event.door) == ("door", 2, "closed")


def test_bad_channels(controller):
    with pytest.raises(locker.UartBadChannel) as info:
        controller.unlock(9)
    assert info.value.code == 503
    with pytest.raises(locker.UartBadChannel):
        controller.status(0)
    with pytest.raises(locker.UartBadChannel):
        controller.sim_set_door(5, True)
    with pytest.raises(locker.ValidationError):
        locker.Controller.simulator(0)


def test_closed_controller_raises_serial_port_error():
    with locker.Controller.simulator(2) as ctrl:
        assert ctrl.unlock(1).confirmed
    for call in (lambda: ctrl.unlock(1), lambda: ctrl.status(1), ctrl.status_all, lambda: ctrl.next_event(0.01)):
        with pytest.raises(locker.SerialPortError):
            call()
    ctrl.close()


def test_serial_errors_and_a_silent_line():
    with pytest.raises(locker.SerialPortNotFound):
        locker.Controller.serial("/dev/locker-no-such-port")
    with pytest.raises(locker.UartUnknownDriver):
        locker.Controller.serial("/dev/null", driver="warp-drive")
    master, slave = pty.openpty()
    try:
        ctrl = locker.Controller.serial(os.ttyname(slave), channels=4, timeout_ms=20)
        with pytest.raises(locker.UartTimeout) as info:
            ctrl.unlock(1)
        assert info.value.code == 500
        with pytest.raises(locker.UartUnsupported):
            ctrl.sim_set_door(1, True)
        ctrl.close()
        with pytest.raises(locker.SerialPortError):
            ctrl.unlock(1)
    finally:
        os.close(master)
        os.close(slave)
