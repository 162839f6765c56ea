-- Codes and tokens (issue 3). Hashes only: no token, code or key is stored in clear.

-- Used QR token ids: the PRIMARY KEY is the single-use guarantee (second insert = QR_USED).
CREATE TABLE qr_used (
    token_id   BLOB PRIMARY KEY NOT NULL CHECK (length(token_id) = 12),
    expires_at TEXT NOT NULL,
    used_at    TEXT NOT NULL
);
CREATE INDEX qr_used_expires ON qr_used (expires_at);

-- Refresh tokens by SHA-256; a family is one login; rotated/revoked tokens stay for reuse detection.
CREATE TABLE refresh_tokens (
    token_hash BLOB PRIMARY KEY NOT NULL CHECK (length(token_hash) = 32),
    family_id  TEXT NOT NULL,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    state      TEXT NOT NULL CHECK (state IN ('active', 'rotated', 'revoked')),
    issued_at  TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);

-- One-time passwords by HMAC-SHA256(pepper, address, code); every row is one send.
CREATE TABLE otp_codes (
    id         TEXT PRIMARY KEY NOT NULL,
    address    TEXT NOT NULL,
    code_hash  BLOB NOT NULL CHECK (length(code_hash) = 32),
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    attempts   INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    used_at    TEXT,
    voided     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX otp_codes_address ON otp_codes (address, created_at);

-- Pickup codes by HMAC-SHA256(pepper, cabinet, code), unique among a cabinet's live codes.
CREATE TABLE pickup_codes (
    id         TEXT PRIMARY KEY NOT NULL,
    cabinet    TEXT NOT NULL,
    rental_id  TEXT NOT NULL,
    code_hash  BLOB NOT NULL CHECK (length(code_hash) = 32),
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at    TEXT
);
CREATE UNIQUE INDEX pickup_codes_live ON pickup_codes (cabinet, code_hash) WHERE used_at IS NULL;
CREATE INDEX pickup_codes_rental ON pickup_codes (rental_id);

-- Device API keys are looked up by their SHA-256.
CREATE UNIQUE INDEX controllers_api_key ON controllers (api_key_hash);
