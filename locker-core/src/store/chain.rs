//! The hash chain over the transaction log (pure; both stores use it).
//!
//! Each row stores `prev_hash` (the previous row's hash, 32 zero bytes for the first) and
//! `hash = SHA-256(canonical content || prev_hash)`. The canonical content is a
//! length-prefixed encoding of the sequence number and every field, with JSON details
//! re-serialised with sorted keys, so it does not depend on how a backend stores JSON. A
//! head record (last sequence number and hash) catches removal of the newest rows.

use sha2::{Digest, Sha256};

use crate::domain::TxLogEntry;
use crate::ports::{ChainBreak, ChainReport};

/// A SHA-256 digest.
pub type Hash = [u8; 32];

/// The `prev_hash` of the first row.
pub const GENESIS: Hash = [0; 32];

/// Writes `value` as JSON with object keys sorted, whatever map type serde_json was built with.
fn canonical_json(value: &serde_json::Value, out: &mut String) {
    use serde_json::Value;
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                canonical_json(&map[k], out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                canonical_json(v, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// The hash of row `seq` holding `entry`, chained to `prev`.
pub fn row_hash(seq: i64, entry: &TxLogEntry, prev: &Hash) -> Hash {
    let mut details = String::new();
    canonical_json(&entry.details, &mut details);
    let opt = |v: Option<String>| v.unwrap_or_default();
    let fields = [
        "locker-txlog-v1".to_owned(),
        seq.to_string(),
        entry.id.to_string(),
        entry.action.as_str().to_owned(),
        opt(entry.locker_id.map(|v| v.to_string())),
        opt(entry.rental_id.map(|v| v.to_string())),
        opt(entry.actor_id.map(|v| v.to_string())),
        opt(entry.auth_method.map(|v| v.as_str().to_owned())),
        details,
        opt(entry.device.clone()),
        entry.created_at.timestamp_micros().to_string(),
    ];
    let mut h = Sha256::new();
    for f in &fields {
        h.update((f.len() as u64).to_be_bytes());
        h.update(f.as_bytes());
    }
    h.update(prev);
    h.finalize().into()
}

/// One stored row as read back for verification.
#[derive(Debug, Clone)]
pub struct StoredRow {
    /// Sequence number.
    pub seq: i64,
    /// The row's content.
    pub entry: TxLogEntry,
    /// Stored previous hash.
    pub prev_hash: Vec<u8>,
    /// Stored hash.
    pub hash: Vec<u8>,
}

/// Checks rows (in sequence order) against each other and the stored head
/// (`(last seq, last hash)`, `None` when nothing was ever appended).
pub fn verify(rows: &[StoredRow], head: Option<(i64, Vec<u8>)>) -> ChainReport {
    let broken = |seq: i64, reason: String| ChainReport {
        rows: rows.len() as u64,
        broken: Some(ChainBreak { seq, reason }),
    };
    let mut prev: Hash = GENESIS;
    let mut expected_seq = 1;
    for row in rows {
        if row.seq != expected_seq {
            return broken(
                expected_seq,
                format!("row {expected_seq} is missing (next row is {})", row.seq),
            );
        }
        if row.prev_hash != prev {
            return broken(row.seq, "prev_hash does not match the previous row".into());
        }
        let hash = row_hash(row.seq, &row.entry, &prev);
        if row.hash != hash {
            return broken(row.seq, "content does not match its hash (row edited)".into());
        }
        prev = hash;
        expected_seq += 1;
    }
    let last = expected_seq - 1;
    match head {
        None if last == 0 => {}
        None => return broken(last, "log head is missing".into()),
        Some((seq, hash)) if seq == last && hash == prev => {}
        Some((seq, _)) if seq > last => return broken(last + 1, format!("rows {} to {seq} are missing", last + 1)),
        Some((seq, _)) => return broken(seq, "log head does not match the last row".into()),
    }
    ChainReport {
        rows: rows.len() as u64,
        broken: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{TxAction, new_id};

    fn entry(n: i64) -> TxLogEntry {
        TxLogEntry {
            id: new_id(),
            action: TxAction::CheckIn,
            locker_id: Some(new_id()),
            rental_id: None,
            actor_id: None,
            auth_method: None,
            details: serde_json::json!({"b": n, "a": [1, {"z": 1, "y": 2}]}),
            device: Some("kiosk".into()),
            created_at: chrono::DateTime::from_timestamp_micros(1_700_000_000_000_000 + n).unwrap(),
        }
    }

    fn chain(n: i64) -> (Vec<StoredRow>, Option<(i64, Vec<u8>)>) {
        let mut prev = GENESIS;
        let mut rows = Vec::new();
        for seq in 1..=n {
            let e = entry(seq);
            let hash = row_hash(seq, &e, &prev);
            rows.push(StoredRow {
                seq,
                entry: e,
                prev_hash: prev.to_vec(),
                hash: hash.to_vec(),
            });
            prev = hash;
        }
        (rows, (n > 0).then(|| (n, prev.to_vec())))
    }

    #[test]
    fn key_order_does_not_change_the_hash() {
        let mut a = entry(1);
        let mut s = String::new();
        canonical_json(&a.details, &mut s);
        assert_eq!(s, r#"{"a":[1,{"y":2,"z":1}],"b":1}"#);
        let h = row_hash(1, &a, &GENESIS);
        a.details = serde_json::from_str(r#"{"a":[1,{"y":2,"z":1}],"b":1}"#).unwrap();
        assert_eq!(row_hash(1, &a, &GENESIS), h);
    }

    #[test]
    fn intact_chain_verifies() {
        let (rows, head) = chain(5);
        assert!(verify(&rows, head).is_intact());
        assert!(verify(&[], None).is_intact());
    }

    #[test]
    fn edit_removal_and_truncation_are_detected() {
        let (mut rows, head) = chain(5);
        rows[2].entry.device = Some("forged".into());
        assert_eq!(verify(&rows, head.clone()).broken.unwrap().seq, 3);

        let (mut rows, head) = chain(5);
        rows.remove(1);
        assert_eq!(verify(&rows, head.clone()).broken.unwrap().seq, 2);

        let (mut rows, head) = chain(5);
        rows.pop();
        let b = verify(&rows, head).broken.unwrap();
        assert_eq!(b.seq, 5, "{b:?}");
    }
}
