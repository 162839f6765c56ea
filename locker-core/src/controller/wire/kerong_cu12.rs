//! Kerong CU12/DS12 lock board, 19200 8N1, polled.
//!
//! Frame `02 ADDR LOCK CMD ASK LEN 03 SUM [DATA]`, SUM = byte sum & 0xFF of every other byte
//! (header and data). LOCK counts from 0 (`0x0C` addresses all locks). Commands: `0x80`
//! status, `0x81` unlock, `0x82` unlock time. Reply ASK: `0x10` ok, `0x11` fail, `0x12`
//! timeout, `0x13` unknown command, `0x14` checksum error. The status reply carries LEN
//! bytes of feedback bits (bit 0 of the first is lock 1).

use super::{
    BoardCodec, BoardConfig, BoardDecode, Command, Driver, Reply, UartError, check_channel, check_config, decode_frame,
    discard, doors_from_bits, narrow_to_channel, sum8,
};

const STX: u8 = 0x02;
const ETX: u8 = 0x03;
/// Status.
pub const CMD_STATUS: u8 = 0x80;
/// Unlock.
pub const CMD_UNLOCK: u8 = 0x81;
/// Lock number meaning "all locks".
pub const ALL_LOCKS: u8 = 0x0C;
/// Reply: done.
pub const ASK_OK: u8 = 0x10;
/// Longest data block we accept.
const MAX_DATA: usize = 8;

/// The CU12 codec.
#[derive(Debug, Clone)]
pub struct KerongCu12 {
    config: BoardConfig,
}

impl KerongCu12 {
    /// A codec for board `config.address` (0..=15) with up to 12 channels.
    pub fn new(config: BoardConfig) -> Result<Self, UartError> {
        check_config(&config, 15, 0, 12)?;
        Ok(Self { config })
    }

    fn lock_and_cmd(command: Command) -> Option<(u8, u8)> {
        match command {
            Command::Unlock { channel } => Some((channel.wrapping_sub(1) as u8, CMD_UNLOCK)),
            Command::Status { .. } | Command::StatusAll => Some((ALL_LOCKS, CMD_STATUS)),
            Command::Ping | Command::Info => None,
        }
    }
}

fn ask_error(ask: u8) -> UartError {
    UartError::Fault(
        match ask {
            0x11 => "unlock failed",
            0x12 => "board timeout",
            0x13 => "unknown command",
            0x14 => "checksum error",
            _ => "unexpected answer",
        }
        .to_owned(),
    )
}

impl BoardCodec for KerongCu12 {
    fn driver(&self) -> Driver {
        Driver::KerongCu12
    }

    fn config(&self) -> &BoardConfig {
        &self.config
    }

    fn encode(&self, command: Command, out: &mut Vec<u8>) -> Result<(), UartError> {
        if let Command::Unlock { channel } | Command::Status { channel } = command {
            check_channel(channel, self.config.channels)?;
        }
        let (lock, cmd) =
            Self::lock_and_cmd(command).ok_or(UartError::Unsupported("kerong-cu12 has no ping/info command"))?;
        let head = [STX, self.config.address, lock, cmd, 0x00, 0x00, ETX];
        out.extend_from_slice(&head);
        out.push(sum8(&head));
        Ok(())
    }

    fn decode(&self, command: Command, buf: &[u8]) -> BoardDecode {
        let Some((lock, cmd)) = Self::lock_and_cmd(command) else { return discard(buf) };
        let total = |h: &[u8]| (usize::from(h[5]) <= MAX_DATA).then(|| 8 + usize::from(h[5]));
        decode_frame(buf, STX, 6, total, |f| {
            let sum = sum8(&f[..7]).wrapping_add(sum8(&f[8..]));
            if f[1] != self.config.address || f[2] != lock || f[3] != cmd || f[6] != ETX || sum != f[7] {
                return None;
            }
            if f[4] != ASK_OK {
                return Some(Err(ask_error(f[4])));
            }
            Some(Ok(match command {
                Command::Unlock { channel } => Reply::Unlocked { channel },
                _ => narrow_to_channel(command, Reply::Doors(doors_from_bits(&self.config, &f[8..]))),
            }))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::DoorState;

    fn codec() -> KerongCu12 {
        KerongCu12::new(BoardConfig::new(0, 12)).unwrap()
    }

    #[test]
    fn golden_vectors_from_design() {
        let mut out = Vec::new();
        codec().encode(Command::Unlock { channel: 3 }, &mut out).unwrap();
        assert_eq!(out, [0x02, 0x00, 0x02, 0x81, 0x00, 0x00, 0x03, 0x88]);
        out.clear();
        codec().encode(Command::StatusAll, &mut out).unwrap();
        assert_eq!(out, [0x02, 0x00, 0x0C, 0x80, 0x00, 0x00, 0x03, 0x91]);
        let reply = [0x02, 0x00, 0x02, 0x81, 0x10, 0x00, 0x03, 0x98];
        assert_eq!(
            codec().decode(Command::Unlock { channel: 3 }, &reply),
            BoardDecode::Reply { reply: Reply::Unlocked { channel: 3 }, used: 8 }
        );
    }

    #[test]
    fn failure_answers_and_status_data() {
        let mut fail = vec![0x02, 0x00, 0x02, 0x81, 0x11, 0x00, 0x03];
        fail.push(sum8(&fail));
        assert!(matches!(codec().decode(Command::Unlock { channel: 3 }, &fail), BoardDecode::Failed { used: 8, .. }));
        let mut st = vec![0x02, 0x00, 0x0C, 0x80, 0x10, 0x02, 0x03];
        let data = [0b0000_0010, 0b0000_1000];
        st.push(sum8(&st).wrapping_add(sum8(&data)));
        st.extend(data);
        assert_eq!(
            codec().decode(Command::Status { channel: 2 }, &st),
            BoardDecode::Reply { reply: Reply::Door { channel: 2, state: DoorState::Open }, used: 10 }
        );
        let BoardDecode::Reply { reply: Reply::Doors(d), .. } = codec().decode(Command::StatusAll, &st) else {
            panic!()
        };
        assert_eq!((d[0], d[11], d.len()), (DoorState::Closed, DoorState::Open, 12));
        assert_eq!(codec().decode(Command::StatusAll, &st[..9]), BoardDecode::NeedMore);
    }
}
