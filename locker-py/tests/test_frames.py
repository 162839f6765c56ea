"""encode_frame and FrameDecoder."""

import pytest

import locker


def test_round_trip_in_any_chunking():
    payload = bytes([3, 0xF4, 0x01, 0x00])
    wire = locker.encode_frame(7, "request", 0x10, payload)
    assert wire.endswith(b"\x00") and b"\x00" not in wire[:-1]
    dec = locker.FrameDecoder()
    assert dec.feed(wire[:3]) == []
    (frame,) = dec.feed(wire[3:])
    assert isinstance(frame, locker.Frame)
    assert (frame.seq, frame.kind, frame.cmd, frame.payload) == (7, "request", 0x10, payload)
    frames = dec.feed(wire + locker.encode_frame(8, "event", 0x80, b"\x02\x01"))
    assert [f.seq for f in frames] == [7, 8]
    assert frames[1].kind == "event"


def test_corruption_is_dropped_never_delivered():
    wire = bytearray(locker.encode_frame(1, "response", 0x10, b"\x00"))
    wire[2] ^= 0x01
    dec = locker.FrameDecoder()
    items = dec.feed(bytes(wire))
    # A flipped COBS byte can split the bytes into more than one dropped piece; none is a frame.
    assert items and all(isinstance(i, locker.DroppedFrame) and i.reason for i in items)


def test_reset_forgets_a_partial_frame():
    wire = locker.encode_frame(1, "ack", 0x80, b"")
    dec = locker.FrameDecoder()
    dec.feed(wire[:-2])
    dec.reset()
    items = dec.feed(wire[-2:])
    assert not any(isinstance(i, locker.Frame) for i in items)


def test_encode_errors():
    with pytest.raises(locker.UartPayloadTooLong) as info:
        locker.encode_frame(1, "request", 1, bytes(256))
    assert info.value.code == 504
    with pytest.raises(locker.ValidationError):
        locker.encode_frame(1, "shout", 1, b"")
    with pytest.raises(OverflowError):
        locker.encode_frame(300, "request", 1, b"")
