//! The generic RS-485 lock board (8–50 channels, boards 1–31), 9600 8N1, polled.
//!
//! Every frame ends with X = XOR of all previous bytes. Unlock `8A board ch 11 X`, echoed
//! by the board. Query all `80 board 00 33 X`; the reply is `80 board G.. 33 X` with one
//! status byte per 8 channels, highest group first (bit 0 of the last group is channel 1).
//! Whether a set bit means open depends on the wiring: [`BoardConfig::open_when_set`].

use super::{
    BoardCodec, BoardConfig, BoardDecode, Command, Driver, Reply, UartError, check_channel, check_config, decode_frame,
    discard, doors_from_bits, narrow_to_channel,
};

/// Unlock frame start.
pub const UNLOCK: u8 = 0x8A;
/// Query frame start.
pub const QUERY: u8 = 0x80;

fn xor(bytes: &[u8]) -> u8 {
    bytes.iter().fold(0, |a, b| a ^ b)
}

/// The generic RS-485 codec.
#[derive(Debug, Clone)]
pub struct Rs485Generic {
    config: BoardConfig,
}

impl Rs485Generic {
    /// A codec for board `config.address` (1..=31) with up to 50 channels.
    pub fn new(config: BoardConfig) -> Result<Self, UartError> {
        check_config(&config, 31, 1, 50)?;
        Ok(Self { config })
    }

    fn groups(&self) -> usize {
        usize::from(self.config.channels).div_ceil(8)
    }
}

impl BoardCodec for Rs485Generic {
    fn driver(&self) -> Driver {
        Driver::Rs485Generic
    }

    fn config(&self) -> &BoardConfig {
        &self.config
    }

    fn encode(&self, command: Command, out: &mut Vec<u8>) -> Result<(), UartError> {
        let frame = match command {
            Command::Unlock { channel } => {
                check_channel(channel, self.config.channels)?;
                [UNLOCK, self.config.address, channel as u8, 0x11]
            }
            Command::Status { channel } => {
                check_channel(channel, self.config.channels)?;
                [QUERY, self.config.address, 0x00, 0x33]
            }
            Command::StatusAll => [QUERY, self.config.address, 0x00, 0x33],
            Command::Ping | Command::Info => {
                return Err(UartError::Unsupported("rs485-generic has no ping/info command"));
            }
        };
        out.extend_from_slice(&frame);
        out.push(xor(&frame));
        Ok(())
    }

    fn decode(&self, command: Command, buf: &[u8]) -> BoardDecode {
        let checked = |f: &[u8]| f[1] == self.config.address && xor(&f[..f.len() - 1]) == f[f.len() - 1];
        match command {
            Command::Unlock { channel } => decode_frame(
                buf,
                UNLOCK,
                1,
                |_| Some(5),
                |f| (checked(f) && u16::from(f[2]) == channel).then_some(Ok(Reply::Unlocked { channel })),
            ),
            Command::Status { .. } | Command::StatusAll => {
                let g = self.groups();
                decode_frame(
                    buf,
                    QUERY,
                    1,
                    |_| Some(4 + g),
                    |f| {
                        if !checked(f) || f[2 + g] != 0x33 {
                            return None;
                        }
                        let low_first: Vec<u8> = f[2..2 + g].iter().rev().copied().collect();
                        Some(Ok(narrow_to_channel(command, Reply::Doors(doors_from_bits(&self.config, &low_first)))))
                    },
                )
            }
            Command::Ping | Command::Info => discard(buf),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::DoorState;

    fn enc(board: u8, command: Command) -> Vec<u8> {
        let mut out = Vec::new();
        Rs485Generic::new(BoardConfig::new(board, 24)).unwrap().encode(command, &mut out).unwrap();
        out
    }

    #[test]
    fn golden_vectors_from_design() {
        assert_eq!(enc(1, Command::Unlock { channel: 1 }), [0x8A, 0x01, 0x01, 0x11, 0x9B]);
        assert_eq!(enc(2, Command::Unlock { channel: 12 }), [0x8A, 0x02, 0x0C, 0x11, 0x95]);
        assert_eq!(enc(1, Command::StatusAll), [0x80, 0x01, 0x00, 0x33, 0xB2]);
    }

    #[test]
    fn status_groups_highest_first_and_polarity() {
        let mut cfg = BoardConfig::new(1, 24);
        let mut reply = vec![0x80, 0x01, 0b1000_0000, 0x00, 0b0000_0001, 0x33];
        reply.push(xor(&reply));
        let c = Rs485Generic::new(cfg).unwrap();
        let BoardDecode::Reply { reply: Reply::Doors(d), used: 7 } = c.decode(Command::StatusAll, &reply) else {
            panic!()
        };
        assert_eq!((d[0], d[1], d[23]), (DoorState::Open, DoorState::Closed, DoorState::Open));
        cfg.open_when_set = false;
        let c = Rs485Generic::new(cfg).unwrap();
        assert_eq!(
            c.decode(Command::Status { channel: 1 }, &reply),
            BoardDecode::Reply { reply: Reply::Door { channel: 1, state: DoorState::Closed }, used: 7 }
        );
    }

    #[test]
    fn board_zero_is_refused() {
        assert!(matches!(Rs485Generic::new(BoardConfig::new(0, 8)), Err(UartError::BadConfig(_))));
    }
}
