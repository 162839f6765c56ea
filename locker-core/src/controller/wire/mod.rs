//! The lock-controller wire: the v1 frame codec and the off-the-shelf board codecs.
//!
//! Everything here is sans-IO: codecs turn commands into bytes and bytes into replies,
//! and never panic on untrusted input (proptest and `locker-core/fuzz` check that).
//!
//! - [`v1`]: our ESP32 firmware, COBS frames with CRC-16/CCITT-FALSE.
//! - [`kerong_cu16`], [`kerong_cu12`], [`rs485_generic`], [`modbus_relay`]: polled RS-485
//!   boards behind the [`BoardCodec`] trait.
//!
//! Channels are numbered from 1 everywhere in this API (the number painted on the door);
//! each codec maps them to its board's own numbering.

pub mod kerong_cu12;
pub mod kerong_cu16;
pub mod modbus_relay;
pub mod rs485_generic;
pub mod v1;

use std::fmt;
use std::str::FromStr;

use crate::cause::Cause;
use crate::domain::DoorState;
use crate::error_code::ErrorCode;

/// Why a command to the lock controller failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UartError {
    /// No valid answer after the last retry.
    #[error("lock controller did not answer (UART timeout)")]
    Timeout,
    /// The controller answered with an error result.
    #[error("lock controller reported a fault: {0}")]
    Fault(String),
    /// The serial port, or the thread that drives it, failed; `source` is the library or
    /// OS error.
    #[error("serial port error: {context}")]
    Port {
        /// What was being done (`open /dev/ttyUSB0`, `list ports`, ...).
        context: String,
        /// The underlying error.
        #[source]
        source: Cause,
    },
    /// The controller was closed (or its IO thread stopped): no command reaches it.
    #[error("the lock controller is closed")]
    Closed,
    /// No lock controller is attached for this locker (none is wired to its controller, or
    /// that controller is not connected to this service).
    #[error("locker {locker} has no connected lock controller")]
    NotAttached {
        /// The locker's code.
        locker: String,
    },
    /// The channel is outside `1..=max` for this controller.
    #[error("channel {channel} is out of range (this controller has channels 1..={max})")]
    BadChannel {
        /// The channel asked for.
        channel: u16,
        /// The highest channel of this controller.
        max: u16,
    },
    /// A v1 payload longer than [`v1::MAX_PAYLOAD`] bytes.
    #[error("payload of {len} bytes is too long (at most {max})")]
    PayloadTooLong {
        /// The length asked for.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// A driver name that is not one of [`Driver::ALL`].
    #[error("unknown driver {0:?}; expected one of: v1, kerong-cu16, kerong-cu12, rs485-generic, modbus-relay")]
    UnknownDriver(String),
    /// The serial device does not exist; `source` is the OS error.
    #[error("serial port not found: {path}")]
    PortNotFound {
        /// The device path asked for.
        path: String,
        /// The OS error.
        #[source]
        source: Cause,
    },
    /// The board configuration is impossible (address or channel count out of range).
    #[error("bad board configuration: {0}")]
    BadConfig(String),
    /// The controller or its driver does not offer this command.
    #[error("not supported by this driver: {0}")]
    Unsupported(&'static str),
    /// A board that polls over HTTP: its command could not be queued (the database failed).
    #[error("the command could not be queued for the board")]
    CommandQueue(#[source] Cause),
    /// The process that drives the controller (issue 19) fired nothing: its controller
    /// failed, or the command was never taken.
    #[error("the process driving the lock controller reported: {0}")]
    Remote(String),
    /// The process that drives the controller gave no outcome within the requester's
    /// deadline. `claimed`: it had taken the command (the door is then settled from its
    /// sensor, never by a second pulse); otherwise the command was withdrawn unfired.
    #[error("no outcome from the process driving controller {controller} within {waited_ms} ms ({})", timeout_note(.claimed))]
    RemoteTimeout {
        /// The controller's name or id.
        controller: String,
        /// How long the requester waited.
        waited_ms: u64,
        /// Whether the owner had claimed the command.
        claimed: bool,
    },
    /// The controller is attached to another process whose heartbeat stopped.
    #[error("controller {controller} is attached to process {instance}, which has stopped answering")]
    OwnerGone {
        /// The controller's name or id.
        controller: String,
        /// The owning process's instance id.
        instance: String,
    },
}

impl UartError {
    /// A [`UartError::Port`]: `context` failed because of `source`.
    pub fn port(context: impl Into<String>, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        UartError::Port { context: context.into(), source: Cause::new(source) }
    }

    /// The stable code of this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            UartError::Timeout => ErrorCode::UartTimeout,
            UartError::Fault(_) => ErrorCode::ControllerFault,
            UartError::Port { .. } | UartError::Closed => ErrorCode::SerialPort,
            UartError::NotAttached { .. } => ErrorCode::ControllerNotAttached,
            UartError::BadChannel { .. } => ErrorCode::UartBadChannel,
            UartError::PayloadTooLong { .. } => ErrorCode::UartPayloadTooLong,
            UartError::UnknownDriver(_) => ErrorCode::UartUnknownDriver,
            UartError::PortNotFound { .. } => ErrorCode::SerialPortNotFound,
            UartError::BadConfig(_) => ErrorCode::Config,
            UartError::Unsupported(_) => ErrorCode::UartUnsupported,
            UartError::CommandQueue(_) => ErrorCode::Storage,
            UartError::Remote(_) => ErrorCode::ControllerFault,
            UartError::RemoteTimeout { .. } => ErrorCode::UartTimeout,
            UartError::OwnerGone { .. } => ErrorCode::ControllerNotAttached,
        }
    }
}

/// What became of a command whose requester timed out ([`UartError::RemoteTimeout`]).
fn timeout_note(claimed: &bool) -> &'static str {
    if *claimed {
        "it took the command; the door will be read, not fired again"
    } else {
        "the command was withdrawn unfired"
    }
}

/// Checks `channel` against `1..=max`.
pub fn check_channel(channel: u16, max: u16) -> Result<(), UartError> {
    if channel == 0 || channel > max { Err(UartError::BadChannel { channel, max }) } else { Ok(()) }
}

/// A command any lock controller understands (the common ground of all drivers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    /// Is anyone there?
    Ping,
    /// Firmware and channel count.
    Info,
    /// Fire the relay of `channel` once.
    Unlock {
        /// Channel, from 1.
        channel: u16,
    },
    /// Read the door sensor of `channel`.
    Status {
        /// Channel, from 1.
        channel: u16,
    },
    /// Read every door sensor.
    StatusAll,
}

/// The answer to a [`Command`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// Answer to [`Command::Ping`].
    Pong,
    /// Answer to [`Command::Info`].
    Info(ControllerInfo),
    /// The relay fired. This is not "the door opened": only the sensor says that.
    Unlocked {
        /// Channel, from 1.
        channel: u16,
    },
    /// One door sensor.
    Door {
        /// Channel, from 1.
        channel: u16,
        /// What its sensor says.
        state: DoorState,
    },
    /// Every door sensor, index 0 is channel 1.
    Doors(Vec<DoorState>),
}

/// What a controller says about itself.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ControllerInfo {
    /// Driver name (`v1`, `kerong-cu16`, ...).
    pub driver: String,
    /// Firmware version, when the board reports one.
    pub firmware: Option<String>,
    /// Number of lock channels.
    pub channels: u16,
}

/// Something the controller reports without being asked (v1), or that polling noticed
/// (boards).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum DeviceEvent {
    /// A door sensor changed.
    Door {
        /// Channel, from 1.
        channel: u16,
        /// The new reading.
        state: DoorState,
    },
    /// A channel fault (relay coil open, over-current, ...), with the firmware's code.
    Fault {
        /// Channel, from 1.
        channel: u16,
        /// Firmware fault code.
        code: u8,
    },
    /// The cabinet's tamper switch tripped.
    Tamper,
    /// Battery level report.
    Power {
        /// Percent, 0..=100.
        percent: u8,
    },
}

/// What a running controller reports to its subscribers.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ControllerEvent {
    /// The controller reported something (already acknowledged on the wire).
    Device {
        /// The event.
        event: DeviceEvent,
    },
    /// The serial device went away; commands time out until it is back.
    Disconnected {
        /// What the OS said.
        reason: String,
    },
    /// The serial device was opened again.
    Reconnected,
}

/// The result of an unlock. Only the sensor says whether the door opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum UnlockOutcome {
    /// The controller confirmed the relay pulse.
    Pulsed,
    /// No confirmation after the last retry; the pulse was not repeated. A STATUS query
    /// afterwards found the door in this state.
    Unconfirmed {
        /// The door state found afterwards.
        door: DoorState,
    },
}

/// The driver families, as named on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Driver {
    /// Our ESP32 firmware, protocol v1.
    V1,
    /// Kerong CU16/KU16 (legacy).
    KerongCu16,
    /// Kerong CU12/DS12.
    KerongCu12,
    /// The generic 8–50 channel RS-485 board.
    Rs485Generic,
    /// Modbus RTU relay boards.
    ModbusRelay,
}

impl Driver {
    /// Every driver.
    pub const ALL: &'static [Driver] =
        &[Driver::V1, Driver::KerongCu16, Driver::KerongCu12, Driver::Rs485Generic, Driver::ModbusRelay];

    /// The command-line spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Driver::V1 => "v1",
            Driver::KerongCu16 => "kerong-cu16",
            Driver::KerongCu12 => "kerong-cu12",
            Driver::Rs485Generic => "rs485-generic",
            Driver::ModbusRelay => "modbus-relay",
        }
    }

    /// The board's factory baud rate.
    pub fn default_baud(self) -> u32 {
        match self {
            Driver::V1 => 115_200,
            Driver::KerongCu16 | Driver::KerongCu12 => 19_200,
            Driver::Rs485Generic | Driver::ModbusRelay => 9_600,
        }
    }

    /// The codec of a polled board, or `None` for v1 (which has its own link).
    pub fn board_codec(self, config: BoardConfig) -> Result<Option<Box<dyn BoardCodec>>, UartError> {
        Ok(match self {
            Driver::V1 => None,
            Driver::KerongCu16 => Some(Box::new(kerong_cu16::KerongCu16::new(config)?)),
            Driver::KerongCu12 => Some(Box::new(kerong_cu12::KerongCu12::new(config)?)),
            Driver::Rs485Generic => Some(Box::new(rs485_generic::Rs485Generic::new(config)?)),
            Driver::ModbusRelay => Some(Box::new(modbus_relay::ModbusRelay::new(config)?)),
        })
    }
}

impl fmt::Display for Driver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Driver {
    type Err = UartError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Driver::ALL.iter().copied().find(|d| d.as_str() == s).ok_or_else(|| UartError::UnknownDriver(s.to_owned()))
    }
}

/// Configuration of a polled board: where it sits on the bus and how its sensors are wired.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BoardConfig {
    /// Bus address (board number) as the board's DIP switches set it.
    pub address: u8,
    /// Number of lock channels wired.
    pub channels: u16,
    /// `true` when a set feedback bit means "door open" (the usual wiring); `false` inverts.
    pub open_when_set: bool,
    /// Relay pulse length for boards that time the pulse themselves (Modbus), in ms.
    pub pulse_ms: u16,
}

impl BoardConfig {
    /// A board at `address` with `channels` channels, sensors reading "set = open", 500 ms pulse.
    pub fn new(address: u8, channels: u16) -> Self {
        Self { address, channels, open_when_set: true, pulse_ms: 500 }
    }

    /// Door state from one feedback bit, honouring the wiring polarity.
    pub fn door_from_bit(&self, bit: bool) -> DoorState {
        if bit == self.open_when_set { DoorState::Open } else { DoorState::Closed }
    }
}

/// The result of looking for a board's reply in received bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BoardDecode {
    /// Not enough bytes yet; keep them and feed more.
    NeedMore,
    /// The first `skip` bytes are not a valid reply: drop them and try again.
    Garbage {
        /// Bytes to drop from the front.
        skip: usize,
    },
    /// A valid frame in which the board refuses the command, using the first `used` bytes.
    Failed {
        /// What the board said.
        error: UartError,
        /// Bytes consumed from the front.
        used: usize,
    },
    /// A valid reply, using the first `used` bytes.
    Reply {
        /// The decoded answer.
        reply: Reply,
        /// Bytes consumed from the front.
        used: usize,
    },
}

/// A polled RS-485 board's codec: commands to request bytes, reply bytes to [`Reply`].
///
/// `decode` gets the command it answers because these boards' replies are not
/// self-describing. It must never panic, whatever the bytes.
pub trait BoardCodec: Send {
    /// The driver this codec speaks.
    fn driver(&self) -> Driver;
    /// The board configuration.
    fn config(&self) -> &BoardConfig;
    /// Appends the request frame for `command` to `out`. [`Command::Status`] may be sent as
    /// an all-status request when the board has no single-channel query.
    fn encode(&self, command: Command, out: &mut Vec<u8>) -> Result<(), UartError>;
    /// Looks for the reply to `command` at the front of `buf`.
    fn decode(&self, command: Command, buf: &[u8]) -> BoardDecode;
}

/// Door states of `channels` channels from a little-endian bit field (bit 0 of byte 0 is
/// channel 1), honouring polarity. Missing bytes read as [`DoorState::Unknown`].
pub(crate) fn doors_from_bits(config: &BoardConfig, bits: &[u8]) -> Vec<DoorState> {
    (0..config.channels as usize)
        .map(|i| match bits.get(i / 8) {
            Some(byte) => config.door_from_bit(byte & (1 << (i % 8)) != 0),
            None => DoorState::Unknown,
        })
        .collect()
}

/// Picks one channel out of an all-status reply (for boards that answer a single-channel
/// query with everything).
pub(crate) fn narrow_to_channel(command: Command, reply: Reply) -> Reply {
    match (command, reply) {
        (Command::Status { channel }, Reply::Doors(doors)) => Reply::Door {
            channel,
            state: doors.get(usize::from(channel).wrapping_sub(1)).copied().unwrap_or(DoorState::Unknown),
        },
        (_, reply) => reply,
    }
}

/// Shared reply scanner of the fixed-layout boards: the frame starts with `start`, its
/// total length is known from its first `header` bytes (`total`), and `parse` checks and
/// reads a complete frame (`None`: not a valid reply, resynchronise at the next `start`).
pub(crate) fn decode_frame(
    buf: &[u8],
    start: u8,
    header: usize,
    total: impl Fn(&[u8]) -> Option<usize>,
    parse: impl Fn(&[u8]) -> Option<Result<Reply, UartError>>,
) -> BoardDecode {
    match buf.first() {
        None => return BoardDecode::NeedMore,
        Some(&b) if b != start => return skip_to(buf, start),
        Some(_) => {}
    }
    if buf.len() < header {
        return BoardDecode::NeedMore;
    }
    let Some(len) = total(&buf[..header]) else { return skip_to(buf, start) };
    if buf.len() < len {
        return BoardDecode::NeedMore;
    }
    match parse(&buf[..len]) {
        Some(Ok(reply)) => BoardDecode::Reply { reply, used: len },
        Some(Err(error)) => BoardDecode::Failed { error, used: len },
        None => skip_to(buf, start),
    }
}

/// Drops everything (bytes that cannot answer the pending command).
pub(crate) fn discard(buf: &[u8]) -> BoardDecode {
    if buf.is_empty() { BoardDecode::NeedMore } else { BoardDecode::Garbage { skip: buf.len() } }
}

/// Byte sum modulo 256 (Kerong checksums).
pub(crate) fn sum8(bytes: &[u8]) -> u8 {
    bytes.iter().fold(0u8, |a, b| a.wrapping_add(*b))
}

/// Checks a board configuration against the board's limits.
pub(crate) fn check_config(
    config: &BoardConfig,
    max_address: u8,
    min_address: u8,
    max_channels: u16,
) -> Result<(), UartError> {
    if config.address < min_address || config.address > max_address {
        return Err(UartError::BadConfig(format!(
            "address {} out of range {min_address}..={max_address}",
            config.address
        )));
    }
    if config.channels == 0 || config.channels > max_channels {
        return Err(UartError::BadConfig(format!("channel count {} out of range 1..={max_channels}", config.channels)));
    }
    Ok(())
}

/// Position of the first occurrence of `start` in `buf`, for resynchronising.
pub(crate) fn skip_to(buf: &[u8], start: u8) -> BoardDecode {
    match buf.iter().skip(1).position(|&b| b == start) {
        Some(p) => BoardDecode::Garbage { skip: p + 1 },
        None => BoardDecode::Garbage { skip: buf.len() },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn driver_names_round_trip_and_unknown_is_typed() {
        for d in Driver::ALL {
            assert_eq!(d.as_str().parse::<Driver>().unwrap(), *d);
        }
        let err = "kerong-cu99".parse::<Driver>().unwrap_err();
        assert_eq!(err, UartError::UnknownDriver("kerong-cu99".into()));
        assert_eq!(err.code(), ErrorCode::UartUnknownDriver);
    }

    #[test]
    fn bad_channel_is_typed() {
        assert_eq!(check_channel(0, 16), Err(UartError::BadChannel { channel: 0, max: 16 }));
        assert_eq!(check_channel(17, 16).unwrap_err().code(), ErrorCode::UartBadChannel);
        assert!(check_channel(16, 16).is_ok());
    }

    fn all_codecs() -> Vec<Box<dyn BoardCodec>> {
        Driver::ALL.iter().filter_map(|d| d.board_codec(BoardConfig::new(1, 8)).unwrap()).collect()
    }

    proptest::proptest! {
        #[test]
        fn board_codecs_never_panic(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..256), ch in 1u16..=8) {
            for codec in all_codecs() {
                for command in [Command::Unlock { channel: ch }, Command::Status { channel: ch }, Command::StatusAll, Command::Ping] {
                    let mut rest = &bytes[..];
                    // Drain the buffer the way the link does; every step must make progress.
                    loop {
                        match codec.decode(command, rest) {
                            BoardDecode::NeedMore => break,
                            BoardDecode::Garbage { skip: used } | BoardDecode::Reply { used, .. } | BoardDecode::Failed { used, .. } => {
                                proptest::prop_assert!(used > 0 && used <= rest.len());
                                rest = &rest[used..];
                            }
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn polarity_is_configuration() {
        let mut c = BoardConfig::new(0, 10);
        assert_eq!(
            doors_from_bits(&c, &[0b0000_0101, 0b10])[..3],
            [DoorState::Open, DoorState::Closed, DoorState::Open]
        );
        c.open_when_set = false;
        assert_eq!(doors_from_bits(&c, &[0b0000_0101, 0b10])[9], DoorState::Closed);
        assert_eq!(doors_from_bits(&c, &[0b0000_0101])[9], DoorState::Unknown);
    }
}
