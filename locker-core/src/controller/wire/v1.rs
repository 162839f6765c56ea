//! Locker wire protocol v1 (our ESP32 firmware): frames, messages and a streaming decoder.
//!
//! On the line every frame is COBS-encoded and ends with one `0x00`. Decoded, a frame is
//!
//! ```text
//! ver:u8 = 1 | seq:u8 | kind:u8 | cmd:u8 | payload (0..=255 bytes) | crc:u16 LE
//! ```
//!
//! with CRC-16/CCITT-FALSE (poly `0x1021`, init `0xFFFF`) over everything before it.
//! Responses and acks carry the `seq` and `cmd` of what they answer.
//!
//! Payloads (channels count from 1; door `0` closed, `1` open, `2` unknown):
//!
//! | cmd | request | response (`result` first) | event |
//! |---|---|---|---|
//! | `0x01` PING | – | `result` | |
//! | `0x02` INFO | – | `result, channels, firmware utf-8…` | |
//! | `0x10` UNLOCK | `channel, pulse_ms:u16 LE` | `result, channel` | |
//! | `0x11` STATUS | `channel` | `result, channel, door` | |
//! | `0x12` STATUS_ALL | – | `result, door…` (one per channel) | |
//! | `0x13` SET_LED | `channel, mode` | `result, channel` | |
//! | `0x80` DOOR | | | `channel, door` |
//! | `0x81` FAULT | | | `channel, code` |
//! | `0x82` TAMPER | | | – |
//! | `0x83` POWER | | | `percent` |
//!
//! Guarantees: [`FrameDecoder::feed`] accepts bytes in any chunking, never panics, drops a
//! bad frame with a [`DropReason`] and resynchronises at the next `0x00`. A frame is only
//! accepted with a matching CRC, the right version and a known kind; messages are only
//! accepted with exactly the payload length their command defines.

use crc::{CRC_16_IBM_3740, Crc, Table};

use super::UartError;
use crate::domain::DoorState;

/// Protocol version byte.
pub const VERSION: u8 = 1;
/// Longest payload.
pub const MAX_PAYLOAD: usize = 255;
/// Header bytes before the payload (`ver, seq, kind, cmd`).
pub const HEADER_LEN: usize = 4;
/// CRC bytes after the payload.
pub const CRC_LEN: usize = 2;
/// Longest decoded frame.
pub const MAX_FRAME: usize = HEADER_LEN + MAX_PAYLOAD + CRC_LEN;
/// Longest frame on the line (COBS overhead plus the `0x00` delimiter).
pub const MAX_ENCODED: usize = MAX_FRAME + MAX_FRAME.div_ceil(254) + 1;

/// CRC-16/CCITT-FALSE, catalogued as CRC-16/IBM-3740 (poly 0x1021, init 0xFFFF, no
/// reflection), slice-by-16 tables (8 KiB; the one-table default is no faster than a
/// bitwise loop, see `wire/v1/crc/*` in the benches).
pub const CRC16: Crc<u16, Table<16>> = Crc::<u16, Table<16>>::new(&CRC_16_IBM_3740);

/// Command numbers.
pub mod cmd {
    /// Liveness check.
    pub const PING: u8 = 0x01;
    /// Firmware and channel count.
    pub const INFO: u8 = 0x02;
    /// Fire a relay.
    pub const UNLOCK: u8 = 0x10;
    /// One door sensor.
    pub const STATUS: u8 = 0x11;
    /// All door sensors.
    pub const STATUS_ALL: u8 = 0x12;
    /// Set a channel LED.
    pub const SET_LED: u8 = 0x13;
    /// Event: a door sensor changed.
    pub const DOOR: u8 = 0x80;
    /// Event: a channel fault.
    pub const FAULT: u8 = 0x81;
    /// Event: tamper switch.
    pub const TAMPER: u8 = 0x82;
    /// Event: battery level.
    pub const POWER: u8 = 0x83;
}

/// What a frame is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Kind {
    /// Host -> device.
    Request = 0x01,
    /// Device -> host, answering a request with the same `seq`.
    Response = 0x02,
    /// Device -> host, unsolicited.
    Event = 0x03,
    /// Host -> device, acknowledging an event with the same `seq`.
    Ack = 0x04,
}

impl Kind {
    fn from_u8(b: u8) -> Option<Self> {
        Some(match b {
            0x01 => Kind::Request,
            0x02 => Kind::Response,
            0x03 => Kind::Event,
            0x04 => Kind::Ack,
            _ => return None,
        })
    }
}

/// The result code that starts every response payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum ResultCode {
    /// Done.
    Ok = 0,
    /// The device saw a bad CRC (it normally just drops such frames).
    BadCrc = 1,
    /// Command not known.
    UnknownCmd = 2,
    /// Channel out of range.
    BadChannel = 3,
    /// Busy (another relay pulse in progress).
    Busy = 4,
    /// Hardware fault.
    Fault = 5,
}

impl ResultCode {
    /// Parses a result byte.
    pub fn from_u8(b: u8) -> Option<Self> {
        Some(match b {
            0 => ResultCode::Ok,
            1 => ResultCode::BadCrc,
            2 => ResultCode::UnknownCmd,
            3 => ResultCode::BadChannel,
            4 => ResultCode::Busy,
            5 => ResultCode::Fault,
            _ => return None,
        })
    }

    /// The upper-case protocol name.
    pub fn as_str(self) -> &'static str {
        match self {
            ResultCode::Ok => "OK",
            ResultCode::BadCrc => "BAD_CRC",
            ResultCode::UnknownCmd => "UNKNOWN_CMD",
            ResultCode::BadChannel => "BAD_CHANNEL",
            ResultCode::Busy => "BUSY",
            ResultCode::Fault => "FAULT",
        }
    }
}

/// One decoded frame, checked for version, kind, length and CRC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// Sequence number.
    pub seq: u8,
    /// What the frame is.
    pub kind: Kind,
    /// Command number (see [`cmd`]).
    pub cmd: u8,
    /// Payload, at most [`MAX_PAYLOAD`] bytes.
    pub payload: Vec<u8>,
}

/// Why the decoder dropped a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DropReason {
    /// The bytes between two delimiters are not valid COBS.
    #[error("invalid COBS encoding")]
    Cobs,
    /// Shorter than header plus CRC.
    #[error("frame too short ({len} bytes)")]
    TooShort {
        /// Decoded length.
        len: usize,
    },
    /// More bytes than the longest frame before a delimiter.
    #[error("frame too long (no delimiter within {MAX_ENCODED} bytes)")]
    TooLong,
    /// The CRC does not match.
    #[error("bad CRC: computed {computed:#06x}, frame says {received:#06x}")]
    BadCrc {
        /// CRC over the received bytes.
        computed: u16,
        /// CRC the frame carries.
        received: u16,
    },
    /// Not protocol version 1.
    #[error("unsupported version {0}")]
    BadVersion(u8),
    /// Unknown kind byte.
    #[error("unknown frame kind {0:#04x}")]
    BadKind(u8),
}

impl Frame {
    /// A frame; fails with [`UartError::PayloadTooLong`] above [`MAX_PAYLOAD`].
    pub fn new(seq: u8, kind: Kind, cmd: u8, payload: Vec<u8>) -> Result<Self, UartError> {
        if payload.len() > MAX_PAYLOAD {
            return Err(UartError::PayloadTooLong { len: payload.len(), max: MAX_PAYLOAD });
        }
        Ok(Self { seq, kind, cmd, payload })
    }

    /// Appends the line encoding (COBS plus the `0x00` delimiter) to `out`; returns the
    /// number of bytes appended.
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<usize, UartError> {
        encode_parts(self.seq, self.kind, self.cmd, &self.payload, out)
    }

    /// Checks and parses one COBS-decoded frame (without delimiter).
    pub fn parse(raw: &[u8]) -> Result<Self, DropReason> {
        if raw.len() < HEADER_LEN + CRC_LEN {
            return Err(DropReason::TooShort { len: raw.len() });
        }
        if raw.len() > MAX_FRAME {
            return Err(DropReason::TooLong);
        }
        let (body, crc) = raw.split_at(raw.len() - CRC_LEN);
        let received = u16::from_le_bytes([crc[0], crc[1]]);
        let computed = CRC16.checksum(body);
        if computed != received {
            return Err(DropReason::BadCrc { computed, received });
        }
        if body[0] != VERSION {
            return Err(DropReason::BadVersion(body[0]));
        }
        let kind = Kind::from_u8(body[2]).ok_or(DropReason::BadKind(body[2]))?;
        Ok(Self { seq: body[1], kind, cmd: body[3], payload: body[HEADER_LEN..].to_vec() })
    }
}

/// Encodes a frame from its parts without building a [`Frame`] first.
pub fn encode_parts(seq: u8, kind: Kind, cmd: u8, payload: &[u8], out: &mut Vec<u8>) -> Result<usize, UartError> {
    if payload.len() > MAX_PAYLOAD {
        return Err(UartError::PayloadTooLong { len: payload.len(), max: MAX_PAYLOAD });
    }
    let mut raw = [0u8; MAX_FRAME];
    let n = HEADER_LEN + payload.len();
    raw[..HEADER_LEN].copy_from_slice(&[VERSION, seq, kind as u8, cmd]);
    raw[HEADER_LEN..n].copy_from_slice(payload);
    let crc = CRC16.checksum(&raw[..n]);
    raw[n..n + CRC_LEN].copy_from_slice(&crc.to_le_bytes());
    let raw = &raw[..n + CRC_LEN];
    let start = out.len();
    out.resize(start + cobs::max_encoding_length(raw.len()), 0);
    let written = cobs::encode(raw, &mut out[start..]);
    out.truncate(start + written);
    out.push(0);
    Ok(written + 1)
}

/// What [`FrameDecoder::feed`] hands out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decoded {
    /// A frame that passed every check.
    Frame(Frame),
    /// A frame that was dropped, and why.
    Dropped(DropReason),
}

/// Streaming frame decoder: feed it bytes as they arrive, in any chunking.
#[derive(Debug, Default, Clone)]
pub struct FrameDecoder {
    buf: Vec<u8>,
    overflow: bool,
}

impl FrameDecoder {
    /// An empty decoder.
    pub fn new() -> Self {
        Self { buf: Vec::with_capacity(MAX_ENCODED), overflow: false }
    }

    /// Feeds `bytes`, calling `sink` for every frame completed or dropped. Bytes of an
    /// unfinished frame are kept for the next call.
    pub fn feed(&mut self, bytes: &[u8], mut sink: impl FnMut(Decoded)) {
        let mut rest = bytes;
        while !rest.is_empty() {
            match rest.iter().position(|&b| b == 0) {
                None => {
                    self.push(rest, &mut sink);
                    return;
                }
                Some(end) => {
                    self.push(&rest[..end], &mut sink);
                    rest = &rest[end + 1..];
                    self.finish(&mut sink);
                }
            }
        }
    }

    /// Forgets a partial frame (after the port was reopened).
    pub fn reset(&mut self) {
        self.buf.clear();
        self.overflow = false;
    }

    fn push(&mut self, chunk: &[u8], sink: &mut impl FnMut(Decoded)) {
        if self.overflow {
            return;
        }
        if self.buf.len() + chunk.len() > MAX_ENCODED {
            self.buf.clear();
            self.overflow = true;
            sink(Decoded::Dropped(DropReason::TooLong));
            return;
        }
        self.buf.extend_from_slice(chunk);
    }

    fn finish(&mut self, sink: &mut impl FnMut(Decoded)) {
        if std::mem::take(&mut self.overflow) || self.buf.is_empty() {
            self.buf.clear();
            return;
        }
        let mut raw = [0u8; MAX_ENCODED];
        let decoded = match cobs::decode(&self.buf, &mut raw) {
            Ok(report) => Frame::parse(&raw[..report.frame_size()]),
            Err(_) => Err(DropReason::Cobs),
        };
        self.buf.clear();
        sink(match decoded {
            Ok(frame) => Decoded::Frame(frame),
            Err(reason) => Decoded::Dropped(reason),
        });
    }
}

/// A host request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Request {
    /// Liveness.
    Ping,
    /// Firmware and channel count.
    Info,
    /// Fire the relay of `channel` for `pulse_ms`.
    Unlock {
        /// Channel, from 1.
        channel: u8,
        /// Pulse length.
        pulse_ms: u16,
    },
    /// One sensor.
    Status {
        /// Channel, from 1.
        channel: u8,
    },
    /// All sensors.
    StatusAll,
    /// LED of a channel.
    SetLed {
        /// Channel, from 1.
        channel: u8,
        /// Firmware-defined mode (0 off, 1 on, 2 blink).
        mode: u8,
    },
}

impl Request {
    /// The command number.
    pub fn cmd(&self) -> u8 {
        match self {
            Request::Ping => cmd::PING,
            Request::Info => cmd::INFO,
            Request::Unlock { .. } => cmd::UNLOCK,
            Request::Status { .. } => cmd::STATUS,
            Request::StatusAll => cmd::STATUS_ALL,
            Request::SetLed { .. } => cmd::SET_LED,
        }
    }

    /// The payload bytes.
    pub fn payload(&self) -> Vec<u8> {
        match *self {
            Request::Ping | Request::Info | Request::StatusAll => vec![],
            Request::Unlock { channel, pulse_ms } => {
                let [lo, hi] = pulse_ms.to_le_bytes();
                vec![channel, lo, hi]
            }
            Request::Status { channel } => vec![channel],
            Request::SetLed { channel, mode } => vec![channel, mode],
        }
    }

    /// Appends the line encoding of this request with `seq`.
    pub fn encode(&self, seq: u8, out: &mut Vec<u8>) -> Result<usize, UartError> {
        encode_parts(seq, Kind::Request, self.cmd(), &self.payload(), out)
    }

    /// Parses a request frame's command and payload; `None` if the command is unknown or
    /// the payload length is wrong.
    pub fn parse(cmd: u8, p: &[u8]) -> Option<Self> {
        Some(match (cmd, p) {
            (cmd::PING, []) => Request::Ping,
            (cmd::INFO, []) => Request::Info,
            (cmd::UNLOCK, &[channel, lo, hi]) => Request::Unlock { channel, pulse_ms: u16::from_le_bytes([lo, hi]) },
            (cmd::STATUS, &[channel]) => Request::Status { channel },
            (cmd::STATUS_ALL, []) => Request::StatusAll,
            (cmd::SET_LED, &[channel, mode]) => Request::SetLed { channel, mode },
            _ => return None,
        })
    }
}

/// Door state as one byte.
pub fn door_to_u8(d: DoorState) -> u8 {
    match d {
        DoorState::Closed => 0,
        DoorState::Open => 1,
        DoorState::Unknown => 2,
    }
}

/// Door state from one byte; anything unexpected is `None`.
pub fn door_from_u8(b: u8) -> Option<DoorState> {
    match b {
        0 => Some(DoorState::Closed),
        1 => Some(DoorState::Open),
        2 => Some(DoorState::Unknown),
        _ => None,
    }
}

/// The body of a successful response, by command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResponseBody {
    /// PING.
    Pong,
    /// INFO.
    Info {
        /// Channel count.
        channels: u8,
        /// Firmware version text.
        firmware: String,
    },
    /// UNLOCK: the relay fired.
    Unlocked {
        /// Channel.
        channel: u8,
    },
    /// STATUS.
    Door {
        /// Channel.
        channel: u8,
        /// Sensor reading.
        state: DoorState,
    },
    /// STATUS_ALL, index 0 is channel 1.
    Doors(Vec<DoorState>),
    /// SET_LED.
    Led {
        /// Channel.
        channel: u8,
    },
}

/// A device response: a result code and, when `Ok`, a body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Response {
    /// `OK` with its body.
    Ok(ResponseBody),
    /// Any other result code (the rest of the payload is ignored).
    Err(ResultCode),
}

impl Response {
    /// The payload bytes (result code first).
    pub fn payload(&self) -> Vec<u8> {
        match self {
            Response::Err(code) => vec![*code as u8],
            Response::Ok(body) => {
                let mut p = vec![ResultCode::Ok as u8];
                match body {
                    ResponseBody::Pong => {}
                    ResponseBody::Info { channels, firmware } => {
                        p.push(*channels);
                        p.extend(firmware.bytes().take(MAX_PAYLOAD - 2));
                    }
                    ResponseBody::Unlocked { channel } | ResponseBody::Led { channel } => p.push(*channel),
                    ResponseBody::Door { channel, state } => p.extend([*channel, door_to_u8(*state)]),
                    ResponseBody::Doors(doors) => p.extend(doors.iter().take(MAX_PAYLOAD - 1).map(|d| door_to_u8(*d))),
                }
                p
            }
        }
    }

    /// Parses the response to command `cmd`; `None` if malformed.
    pub fn parse(cmd: u8, p: &[u8]) -> Option<Self> {
        let (&code, body) = p.split_first()?;
        let code = ResultCode::from_u8(code)?;
        if code != ResultCode::Ok {
            return Some(Response::Err(code));
        }
        Some(Response::Ok(match (cmd, body) {
            (cmd::PING, []) => ResponseBody::Pong,
            (cmd::INFO, [channels, fw @ ..]) => {
                ResponseBody::Info { channels: *channels, firmware: String::from_utf8_lossy(fw).into_owned() }
            }
            (cmd::UNLOCK, &[channel]) => ResponseBody::Unlocked { channel },
            (cmd::STATUS, &[channel, d]) => ResponseBody::Door { channel, state: door_from_u8(d)? },
            (cmd::STATUS_ALL, doors) => {
                ResponseBody::Doors(doors.iter().map(|&d| door_from_u8(d)).collect::<Option<Vec<_>>>()?)
            }
            (cmd::SET_LED, &[channel]) => ResponseBody::Led { channel },
            _ => return None,
        }))
    }
}

/// A device event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// A door sensor changed.
    Door {
        /// Channel.
        channel: u8,
        /// New reading.
        state: DoorState,
    },
    /// A channel fault.
    Fault {
        /// Channel.
        channel: u8,
        /// Firmware fault code.
        code: u8,
    },
    /// Tamper switch.
    Tamper,
    /// Battery level.
    Power {
        /// Percent.
        percent: u8,
    },
}

impl Event {
    /// Command number and payload.
    pub fn to_parts(&self) -> (u8, Vec<u8>) {
        match *self {
            Event::Door { channel, state } => (cmd::DOOR, vec![channel, door_to_u8(state)]),
            Event::Fault { channel, code } => (cmd::FAULT, vec![channel, code]),
            Event::Tamper => (cmd::TAMPER, vec![]),
            Event::Power { percent } => (cmd::POWER, vec![percent]),
        }
    }

    /// Parses an event; `None` if malformed.
    pub fn parse(cmd: u8, p: &[u8]) -> Option<Self> {
        Some(match (cmd, p) {
            (cmd::DOOR, &[channel, d]) => Event::Door { channel, state: door_from_u8(d)? },
            (cmd::FAULT, &[channel, code]) => Event::Fault { channel, code },
            (cmd::TAMPER, []) => Event::Tamper,
            (cmd::POWER, &[percent]) if percent <= 100 => Event::Power { percent },
            _ => return None,
        })
    }

    /// The driver-neutral form.
    pub fn to_device_event(self) -> super::DeviceEvent {
        use super::DeviceEvent as D;
        match self {
            Event::Door { channel, state } => D::Door { channel: channel.into(), state },
            Event::Fault { channel, code } => D::Fault { channel: channel.into(), code },
            Event::Tamper => D::Tamper,
            Event::Power { percent } => D::Power { percent },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn encoded(seq: u8, kind: Kind, cmd: u8, payload: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        encode_parts(seq, kind, cmd, payload, &mut out).unwrap();
        out
    }

    fn decode_all(bytes: &[u8]) -> Vec<Decoded> {
        let mut dec = FrameDecoder::new();
        let mut out = Vec::new();
        dec.feed(bytes, |d| out.push(d));
        out
    }

    #[test]
    fn crc_is_ccitt_false() {
        // The catalogue check value of CRC-16/CCITT-FALSE.
        assert_eq!(CRC16.checksum(b"123456789"), 0x29B1);
    }

    // Golden vectors, computed independently (Python: binascii.crc_hqx(data, 0xFFFF) and a
    // hand COBS encoder) and pinned here.
    #[test]
    fn golden_ping_seq_0() {
        // raw 01 00 01 01 | crc 0xD164 LE; the seq 0 byte is COBS-stuffed.
        assert_eq!(encoded(0, Kind::Request, cmd::PING, &[]), [0x02, 0x01, 0x05, 0x01, 0x01, 0x64, 0xD1, 0x00]);
    }

    #[test]
    fn golden_unlock_channel_3_500ms_seq_7() {
        let mut out = Vec::new();
        Request::Unlock { channel: 3, pulse_ms: 500 }.encode(7, &mut out).unwrap();
        assert_eq!(out, [0x0A, 0x01, 0x07, 0x01, 0x10, 0x03, 0xF4, 0x01, 0x6C, 0xA6, 0x00]);
        let frames = decode_all(&out);
        let Decoded::Frame(f) = &frames[0] else { panic!("{frames:?}") };
        assert_eq!((f.seq, f.kind, f.cmd), (7, Kind::Request, cmd::UNLOCK));
        assert_eq!(Request::parse(f.cmd, &f.payload), Some(Request::Unlock { channel: 3, pulse_ms: 500 }));
    }

    #[test]
    fn golden_door_open_event_and_ack() {
        let (c, p) = Event::Door { channel: 2, state: DoorState::Open }.to_parts();
        assert_eq!(encoded(9, Kind::Event, c, &p), [0x09, 0x01, 0x09, 0x03, 0x80, 0x02, 0x01, 0x09, 0x35, 0x00]);
        assert_eq!(encoded(9, Kind::Ack, c, &[]), [0x07, 0x01, 0x09, 0x04, 0x80, 0xA9, 0x31, 0x00]);
    }

    #[test]
    fn golden_status_response_with_zero_bytes() {
        // OK, channel 4, closed: the zero bytes are COBS-stuffed.
        let body = Response::Ok(ResponseBody::Door { channel: 4, state: DoorState::Closed }).payload();
        assert_eq!(body, [0, 4, 0]);
        assert_eq!(
            encoded(1, Kind::Response, cmd::STATUS, &body),
            [0x05, 0x01, 0x01, 0x02, 0x11, 0x02, 0x04, 0x03, 0x5B, 0xE9, 0x00]
        );
    }

    #[test]
    fn payload_too_long_is_typed() {
        let err = Frame::new(0, Kind::Request, cmd::PING, vec![0; 256]).unwrap_err();
        assert_eq!(err, UartError::PayloadTooLong { len: 256, max: 255 });
        assert_eq!(err.code(), crate::ErrorCode::UartPayloadTooLong);
        assert!(Frame::new(0, Kind::Request, cmd::PING, vec![0; 255]).is_ok());
    }

    #[test]
    fn max_payload_round_trips() {
        let payload: Vec<u8> = (0..=254).collect();
        let bytes = encoded(200, Kind::Response, cmd::STATUS_ALL, &payload);
        assert!(bytes.len() <= MAX_ENCODED);
        assert_eq!(
            decode_all(&bytes),
            [Decoded::Frame(Frame { seq: 200, kind: Kind::Response, cmd: cmd::STATUS_ALL, payload })]
        );
    }

    #[test]
    fn drop_reasons_are_reported() {
        let mut bad = encoded(1, Kind::Request, cmd::PING, &[]);
        bad[3] ^= 0x40;
        assert!(matches!(decode_all(&bad)[..], [Decoded::Dropped(DropReason::BadCrc { .. })]));
        assert_eq!(decode_all(&[0x02, 0x01, 0x00]), [Decoded::Dropped(DropReason::TooShort { len: 1 })]);
        assert_eq!(decode_all(&[0x05, 0x01, 0x00]), [Decoded::Dropped(DropReason::Cobs)]);
        let mut long = vec![0x55; MAX_ENCODED + 10];
        long.push(0);
        long.extend(encoded(2, Kind::Request, cmd::PING, &[]));
        let out = decode_all(&long);
        assert_eq!(out[0], Decoded::Dropped(DropReason::TooLong));
        assert!(matches!(&out[1], Decoded::Frame(f) if f.seq == 2));
        // Wrong version with a valid CRC.
        let mut raw = vec![2, 0, 1, 1];
        raw.extend(CRC16.checksum(&raw).to_le_bytes());
        let mut line = cobs::encode_vec(&raw);
        line.push(0);
        assert_eq!(decode_all(&line), [Decoded::Dropped(DropReason::BadVersion(2))]);
    }

    #[test]
    fn resyncs_after_garbage() {
        let mut line = vec![0x13, 0x37, 0xFF];
        line.push(0);
        line.extend(encoded(5, Kind::Request, cmd::STATUS_ALL, &[]));
        let out = decode_all(&line);
        assert_eq!(out.len(), 2);
        assert!(matches!(&out[1], Decoded::Frame(f) if f.seq == 5));
    }

    #[test]
    fn malformed_messages_are_refused() {
        assert_eq!(Request::parse(cmd::UNLOCK, &[1, 2]), None);
        assert_eq!(Request::parse(0x7F, &[]), None);
        assert_eq!(Response::parse(cmd::STATUS, &[0, 1, 9]), None);
        assert_eq!(Response::parse(cmd::STATUS, &[3]), Some(Response::Err(ResultCode::BadChannel)));
        assert_eq!(Event::parse(cmd::POWER, &[101]), None);
    }

    proptest! {
        #[test]
        fn any_chunking_gives_the_same_frames(seqs in proptest::collection::vec(any::<u8>(), 1..8), cuts in proptest::collection::vec(0usize..64, 0..10)) {
            let mut line = Vec::new();
            for s in &seqs {
                Request::Unlock { channel: *s, pulse_ms: u16::from(*s) * 3 }.encode(*s, &mut line).unwrap();
            }
            let whole = decode_all(&line);
            let mut dec = FrameDecoder::new();
            let mut parts = Vec::new();
            let mut rest = &line[..];
            for c in cuts {
                let c = c.min(rest.len());
                dec.feed(&rest[..c], |d| parts.push(d));
                rest = &rest[c..];
            }
            dec.feed(rest, |d| parts.push(d));
            prop_assert_eq!(&whole, &parts);
            prop_assert_eq!(whole.len(), seqs.len());
        }

        #[test]
        fn decoder_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
            let mut dec = FrameDecoder::new();
            dec.feed(&bytes, |d| {
                if let Decoded::Frame(f) = d {
                    let _ = Request::parse(f.cmd, &f.payload);
                    let _ = Response::parse(f.cmd, &f.payload);
                    let _ = Event::parse(f.cmd, &f.payload);
                }
            });
        }
    }
}
