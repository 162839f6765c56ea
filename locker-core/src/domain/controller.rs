use serde::{Deserialize, Serialize};

use super::{Id, Timestamp};

/// A lock-controller board that drives a bank of locks (`ESP32_001`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Controller {
    /// Stable id.
    pub id: Id,
    /// Human name, unique (`ESP32_001`).
    pub name: String,
    /// Station it serves.
    pub station: String,
    /// Battery level in percent, if reported.
    pub battery_percent: Option<u8>,
    /// Firmware version, if reported.
    pub firmware: Option<String>,
    /// Last heartbeat.
    pub last_heartbeat_at: Option<Timestamp>,
    /// Whether it may be used.
    pub active: bool,
    /// Created.
    pub created_at: Timestamp,
}

impl Controller {
    /// Silence after which a controller counts as offline (10 minutes).
    pub const OFFLINE_AFTER: chrono::TimeDelta = chrono::TimeDelta::minutes(10);

    /// Online when it sent a heartbeat within [`Self::OFFLINE_AFTER`] of `now`.
    pub fn is_online(&self, now: Timestamp) -> bool {
        self.last_heartbeat_at.is_some_and(|t| now - t < Self::OFFLINE_AFTER)
    }
}

/// What it takes to register a controller board.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewController {
    /// Human name, unique, non-empty (`ESP32_001`).
    pub name: String,
    /// Station it serves.
    pub station: String,
    /// The hashed device API key, if one was issued (the tokens module hashes; stores keep bytes).
    #[serde(skip_serializing, default)]
    pub api_key_hash: Option<Vec<u8>>,
}

impl NewController {
    /// Checks the name: non-empty, at most 64 characters.
    pub fn validate(&self) -> crate::Result<()> {
        let name = self.name.trim();
        if name.is_empty() || name.len() > 64 {
            return Err(crate::Error::validation("name", "must be 1 to 64 characters"));
        }
        Ok(())
    }
}
