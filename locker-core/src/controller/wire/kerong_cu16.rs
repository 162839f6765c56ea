//! Kerong CU16/KU16 (legacy) lock board, 19200 8N1, polled.
//!
//! Request `02 ADDR CMD 03 SUM`, SUM = byte sum & 0xFF, ADDR = board << 4 | (lock - 1).
//! Commands: `0x30` status of one lock, `0x31` unlock, `0x32` all status (ADDR `0xF0 | board`,
//! so board 0 gives the documented `02 F0 32 03 27`), `0x33` unlock all (never sent).
//!
//! Replies (vendor tables disagree; this is the layout we accept, checked by SUM):
//! unlock echoes the request; status is `02 ADDR 30 ST 03 SUM` (bit 0 of ST is the
//! feedback bit); all status is `02 ADDR 32 D0 D1 03 SUM` (bit 0 of D0 is lock 1).

use super::{
    BoardCodec, BoardConfig, BoardDecode, Command, Driver, Reply, UartError, check_channel, check_config, decode_frame,
    discard, doors_from_bits, sum8,
};

const STX: u8 = 0x02;
const ETX: u8 = 0x03;
/// Status of one lock.
pub const CMD_STATUS: u8 = 0x30;
/// Unlock one lock.
pub const CMD_UNLOCK: u8 = 0x31;
/// Status of all locks.
pub const CMD_STATUS_ALL: u8 = 0x32;

/// The CU16 codec.
#[derive(Debug, Clone)]
pub struct KerongCu16 {
    config: BoardConfig,
}

impl KerongCu16 {
    /// A codec for board `config.address` (0..=15) with up to 16 channels.
    pub fn new(config: BoardConfig) -> Result<Self, UartError> {
        check_config(&config, 15, 0, 16)?;
        Ok(Self { config })
    }

    fn addr(&self, command: Command) -> u8 {
        match command {
            Command::Unlock { channel } | Command::Status { channel } => {
                (self.config.address << 4) | (channel.wrapping_sub(1) as u8 & 0x0F)
            }
            _ => 0xF0 | self.config.address,
        }
    }

    fn cmd(command: Command) -> Option<u8> {
        match command {
            Command::Unlock { .. } => Some(CMD_UNLOCK),
            Command::Status { .. } => Some(CMD_STATUS),
            Command::StatusAll => Some(CMD_STATUS_ALL),
            Command::Ping | Command::Info => None,
        }
    }
}

impl BoardCodec for KerongCu16 {
    fn driver(&self) -> Driver {
        Driver::KerongCu16
    }

    fn config(&self) -> &BoardConfig {
        &self.config
    }

    fn encode(&self, command: Command, out: &mut Vec<u8>) -> Result<(), UartError> {
        if let Command::Unlock { channel } | Command::Status { channel } = command {
            check_channel(channel, self.config.channels)?;
        }
        let cmd = Self::cmd(command).ok_or(UartError::Unsupported("kerong-cu16 has no ping/info command"))?;
        let head = [STX, self.addr(command), cmd, ETX];
        out.extend_from_slice(&head);
        out.push(sum8(&head));
        Ok(())
    }

    fn decode(&self, command: Command, buf: &[u8]) -> BoardDecode {
        let (Some(cmd), addr) = (Self::cmd(command), self.addr(command)) else {
            return discard(buf);
        };
        let data_len = match cmd {
            CMD_STATUS => 1,
            CMD_STATUS_ALL => 2,
            _ => 0,
        };
        decode_frame(
            buf,
            STX,
            1,
            |_| Some(5 + data_len),
            |f| {
                let n = f.len();
                if f[1] != addr || f[2] != cmd || f[n - 2] != ETX || sum8(&f[..n - 1]) != f[n - 1] {
                    return None;
                }
                let data = &f[3..n - 2];
                Some(Ok(match command {
                    Command::Unlock { channel } => Reply::Unlocked { channel },
                    Command::Status { channel } => {
                        Reply::Door { channel, state: self.config.door_from_bit(data[0] & 1 != 0) }
                    }
                    _ => Reply::Doors(doors_from_bits(&self.config, data)),
                }))
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::DoorState;

    fn enc(board: u8, command: Command) -> Vec<u8> {
        let mut out = Vec::new();
        KerongCu16::new(BoardConfig::new(board, 16)).unwrap().encode(command, &mut out).unwrap();
        out
    }

    #[test]
    fn golden_vectors_from_design() {
        assert_eq!(enc(0, Command::Unlock { channel: 1 }), [0x02, 0x00, 0x31, 0x03, 0x36]);
        assert_eq!(enc(1, Command::Unlock { channel: 1 }), [0x02, 0x10, 0x31, 0x03, 0x46]);
        assert_eq!(enc(0, Command::StatusAll), [0x02, 0xF0, 0x32, 0x03, 0x27]);
    }

    #[test]
    fn decodes_replies_and_resyncs() {
        let c = KerongCu16::new(BoardConfig::new(0, 16)).unwrap();
        let unlock = Command::Unlock { channel: 1 };
        assert_eq!(c.decode(unlock, &[0x02, 0x00, 0x31, 0x03]), BoardDecode::NeedMore);
        assert_eq!(c.decode(unlock, &[0xAA, 0x02, 0x00]), BoardDecode::Garbage { skip: 1 });
        assert_eq!(
            c.decode(unlock, &[0x02, 0x00, 0x31, 0x03, 0x36]),
            BoardDecode::Reply { reply: Reply::Unlocked { channel: 1 }, used: 5 }
        );
        assert!(matches!(c.decode(unlock, &[0x02, 0x00, 0x31, 0x03, 0x37]), BoardDecode::Garbage { .. }));
        let mut all = vec![0x02, 0xF0, 0x32, 0b0000_0100, 0x80, 0x03];
        all.push(sum8(&all));
        let BoardDecode::Reply { reply: Reply::Doors(d), used: 7 } = c.decode(Command::StatusAll, &all) else {
            panic!()
        };
        assert_eq!((d[0], d[2], d[15], d.len()), (DoorState::Closed, DoorState::Open, DoorState::Open, 16));
    }

    #[test]
    fn bad_channel_and_bad_address_are_typed() {
        let c = KerongCu16::new(BoardConfig::new(0, 16)).unwrap();
        assert_eq!(
            c.encode(Command::Unlock { channel: 17 }, &mut vec![]),
            Err(UartError::BadChannel { channel: 17, max: 16 })
        );
        assert!(matches!(KerongCu16::new(BoardConfig::new(16, 16)), Err(UartError::BadConfig(_))));
    }
}
