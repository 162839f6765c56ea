-- Codes and tokens (issue 3). Hashes only: no token, code or key is stored in clear.

-- Used QR token ids: the PRIMARY KEY is the single-use guarantee (second insert = QR_USED).
CREATE TABLE qr_used (
    token_id   BYTEA PRIMARY KEY CHECK (octet_length(token_id) = 12),
    expires_at TIMESTAMPTZ NOT NULL,
    used_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX qr_used_expires ON qr_used (expires_at);

-- Refresh tokens by SHA-256; a family is one login; rotated/revoked tokens stay for reuse detection.
CREATE TABLE refresh_tokens (
    token_hash BYTEA PRIMARY KEY CHECK (octet_length(token_hash) = 32),
    family_id  UUID NOT NULL,
    user_id    UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    state      TEXT NOT NULL CHECK (state IN ('active', 'rotated', 'revoked')),
    issued_at  TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);

-- One-time passwords by HMAC-SHA256(pepper, address, code); every row is one send.
CREATE TABLE otp_codes (
    id         UUID PRIMARY KEY,
    address    TEXT NOT NULL,
    code_hash  BYTEA NOT NULL CHECK (octet_length(code_hash) = 32),
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    attempts   BIGINT NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    used_at    TIMESTAMPTZ,
    voided     BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX otp_codes_address ON otp_codes (address, created_at);

-- Pickup codes by HMAC-SHA256(pepper, cabinet, code), unique among a cabinet's live codes.
CREATE TABLE pickup_codes (
    id         UUID PRIMARY KEY,
    cabinet    TEXT NOT NULL,
    rental_id  UUID NOT NULL,
    code_hash  BYTEA NOT NULL CHECK (octet_length(code_hash) = 32),
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    used_at    TIMESTAMPTZ
);
CREATE UNIQUE INDEX pickup_codes_live ON pickup_codes (cabinet, code_hash) WHERE used_at IS NULL;
CREATE INDEX pickup_codes_rental ON pickup_codes (rental_id);

-- Device API keys are looked up by their SHA-256.
CREATE UNIQUE INDEX controllers_api_key ON controllers (api_key_hash);
