//! Modbus RTU relay boards (8/16 channels), 9600 8N1, Modbus CRC-16 (low byte first).
//!
//! Unlock is a board-timed pulse: FC05 "write single coil" at register `0x0200 + relay`
//! with the pulse length in units of 100 ms as the value (`01 05 02 00 00 07 8D B0` =
//! relay 0 for 700 ms); the board echoes the request. Door inputs are read with FC02
//! "read discrete inputs" from 0 (`01 02 00 00 00 08 79 CC`); the reply is
//! `addr 02 count bits.. crc`. An exception reply (`addr fc|0x80 code crc`) is a fault.

use crc::{CRC_16_MODBUS, Crc};

use super::{
    BoardCodec, BoardConfig, BoardDecode, Command, Driver, Reply, UartError, check_channel, check_config, decode_frame,
    discard, doors_from_bits, narrow_to_channel,
};

/// Modbus CRC-16.
pub const CRC_MODBUS: Crc<u16> = Crc::<u16>::new(&CRC_16_MODBUS);
/// Write single coil (board-timed pulse).
pub const FC_PULSE: u8 = 0x05;
/// Read discrete inputs.
pub const FC_INPUTS: u8 = 0x02;
/// Register of relay 0's timed pulse.
pub const PULSE_BASE: u16 = 0x0200;

/// The Modbus relay codec.
#[derive(Debug, Clone)]
pub struct ModbusRelay {
    config: BoardConfig,
}

impl ModbusRelay {
    /// A codec for slave `config.address` (1..=247) with up to 64 relays.
    pub fn new(config: BoardConfig) -> Result<Self, UartError> {
        check_config(&config, 247, 1, 64)?;
        Ok(Self { config })
    }

    fn request(&self, command: Command) -> Result<[u8; 6], UartError> {
        let a = self.config.address;
        match command {
            Command::Unlock { channel } => {
                check_channel(channel, self.config.channels)?;
                let [rh, rl] = (PULSE_BASE + channel - 1).to_be_bytes();
                let [vh, vl] = (self.config.pulse_ms / 100).max(1).to_be_bytes();
                Ok([a, FC_PULSE, rh, rl, vh, vl])
            }
            Command::Status { channel } => {
                check_channel(channel, self.config.channels)?;
                self.request(Command::StatusAll)
            }
            Command::StatusAll => {
                let [nh, nl] = self.config.channels.to_be_bytes();
                Ok([a, FC_INPUTS, 0, 0, nh, nl])
            }
            Command::Ping | Command::Info => Err(UartError::Unsupported("modbus-relay has no ping/info command")),
        }
    }
}

fn crc_ok(f: &[u8]) -> bool {
    let (body, crc) = f.split_at(f.len() - 2);
    CRC_MODBUS.checksum(body).to_le_bytes() == [crc[0], crc[1]]
}

impl BoardCodec for ModbusRelay {
    fn driver(&self) -> Driver {
        Driver::ModbusRelay
    }

    fn config(&self) -> &BoardConfig {
        &self.config
    }

    fn encode(&self, command: Command, out: &mut Vec<u8>) -> Result<(), UartError> {
        let req = self.request(command)?;
        out.extend_from_slice(&req);
        out.extend_from_slice(&CRC_MODBUS.checksum(&req).to_le_bytes());
        Ok(())
    }

    fn decode(&self, command: Command, buf: &[u8]) -> BoardDecode {
        let Ok(req) = self.request(command) else { return discard(buf) };
        let fc = req[1];
        let total = |h: &[u8]| match h[1] {
            x if x == fc | 0x80 => Some(5),
            x if x == fc && fc == FC_PULSE => Some(8),
            x if x == fc => Some(5 + usize::from(h[2])),
            _ => None,
        };
        decode_frame(buf, self.config.address, 3, total, |f| {
            if !crc_ok(f) {
                return None;
            }
            if f[1] & 0x80 != 0 {
                return Some(Err(UartError::Fault(format!("modbus exception {:#04x}", f[2]))));
            }
            match command {
                Command::Unlock { channel } => (f[..6] == req).then_some(Ok(Reply::Unlocked { channel })),
                _ => Some(Ok(narrow_to_channel(
                    command,
                    Reply::Doors(doors_from_bits(&self.config, &f[3..f.len() - 2])),
                ))),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::DoorState;

    #[test]
    fn golden_vectors_from_design() {
        let mut cfg = BoardConfig::new(1, 8);
        cfg.pulse_ms = 700;
        let c = ModbusRelay::new(cfg).unwrap();
        let mut out = Vec::new();
        c.encode(Command::Unlock { channel: 1 }, &mut out).unwrap();
        assert_eq!(out, [0x01, 0x05, 0x02, 0x00, 0x00, 0x07, 0x8D, 0xB0]);
        assert_eq!(
            c.decode(Command::Unlock { channel: 1 }, &out),
            BoardDecode::Reply { reply: Reply::Unlocked { channel: 1 }, used: 8 }
        );
        out.clear();
        c.encode(Command::StatusAll, &mut out).unwrap();
        assert_eq!(out, [0x01, 0x02, 0x00, 0x00, 0x00, 0x08, 0x79, 0xCC]);
    }

    #[test]
    fn inputs_and_exceptions() {
        let c = ModbusRelay::new(BoardConfig::new(1, 8)).unwrap();
        let mut reply = vec![0x01, 0x02, 0x01, 0b0000_0100];
        reply.extend(CRC_MODBUS.checksum(&reply).to_le_bytes());
        assert_eq!(
            c.decode(Command::Status { channel: 3 }, &reply),
            BoardDecode::Reply { reply: Reply::Door { channel: 3, state: DoorState::Open }, used: 6 }
        );
        let mut exc = vec![0x01, 0x85, 0x02];
        exc.extend(CRC_MODBUS.checksum(&exc).to_le_bytes());
        assert!(matches!(c.decode(Command::Unlock { channel: 1 }, &exc), BoardDecode::Failed { used: 5, .. }));
        assert!(matches!(
            c.decode(Command::Unlock { channel: 1 }, &[0x01, 0x05, 0x02, 0x00, 0x00, 0x07, 0x8D, 0xB1]),
            BoardDecode::Garbage { .. }
        ));
    }
}
