-- locker schema v1 (PostgreSQL). Ids are UUIDv7 uuid, times timestamptz (UTC), money
-- bigint minor units; every integer column is bigint (one Rust type to decode). Later migrations: 0002_*, 0003_*.

CREATE TABLE controllers (
    id                UUID PRIMARY KEY,
    name              TEXT NOT NULL CONSTRAINT controllers_name_key UNIQUE,
    station           TEXT NOT NULL,
    api_key_hash      BYTEA,
    battery_percent   BIGINT CHECK (battery_percent BETWEEN 0 AND 100),
    firmware          TEXT,
    last_heartbeat_at TIMESTAMPTZ,
    active            BOOLEAN NOT NULL DEFAULT TRUE,
    created_at        TIMESTAMPTZ NOT NULL
);

CREATE TABLE lockers (
    id             UUID PRIMARY KEY,
    code           TEXT NOT NULL CONSTRAINT lockers_code_key UNIQUE CHECK (code <> ''),
    station        TEXT NOT NULL,
    location       TEXT NOT NULL,
    size           TEXT NOT NULL CHECK (size IN ('small', 'medium', 'large')),
    status         TEXT NOT NULL CHECK (status IN ('available', 'reserved', 'in_use', 'maintenance')),
    door           TEXT NOT NULL CHECK (door IN ('open', 'closed', 'unknown')),
    controller_id  UUID REFERENCES controllers (id),
    relay_channel  BIGINT NOT NULL CHECK (relay_channel BETWEEN 0 AND 65535),
    sensor_channel BIGINT NOT NULL CHECK (sensor_channel BETWEEN 0 AND 65535),
    price_per_hour BIGINT NOT NULL CHECK (price_per_hour >= 0),
    last_used_at   TIMESTAMPTZ,
    created_at     TIMESTAMPTZ NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL
);
CREATE INDEX lockers_free ON lockers (status, door, size, last_used_at);
CREATE INDEX lockers_station ON lockers (station, location);

CREATE TABLE users (
    id            UUID PRIMARY KEY,
    email         TEXT CONSTRAINT users_email_key UNIQUE,
    phone         TEXT CONSTRAINT users_phone_key UNIQUE,
    username      TEXT CONSTRAINT users_username_key UNIQUE,
    full_name     TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('customer', 'technician', 'admin')),
    password_hash TEXT NOT NULL,
    active        BOOLEAN NOT NULL DEFAULT TRUE,
    balance       BIGINT NOT NULL DEFAULT 0 CHECK (balance >= 0),
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL
);

CREATE TABLE rentals (
    id             UUID PRIMARY KEY,
    locker_id      UUID NOT NULL REFERENCES lockers (id),
    user_id        UUID REFERENCES users (id),
    kind           TEXT NOT NULL CHECK (kind IN ('session', 'order')),
    state          TEXT NOT NULL CHECK (state IN ('pending_payment', 'reserved', 'opening', 'active', 'completed', 'cancelled', 'expired')),
    auth_method    TEXT NOT NULL,
    half_hours     BIGINT NOT NULL CHECK (half_hours >= 0),
    price_per_hour BIGINT NOT NULL CHECK (price_per_hour >= 0),
    amount         BIGINT NOT NULL CHECK (amount >= 0),
    created_at     TIMESTAMPTZ NOT NULL,
    started_at     TIMESTAMPTZ,
    paid_until     TIMESTAMPTZ,
    last_access_at TIMESTAMPTZ,
    ended_at       TIMESTAMPTZ
);
-- At most one live rental per locker, whatever the code does.
CREATE UNIQUE INDEX rentals_one_live_per_locker ON rentals (locker_id)
    WHERE state IN ('pending_payment', 'reserved', 'opening', 'active');
CREATE INDEX rentals_user ON rentals (user_id, created_at);
CREATE INDEX rentals_locker ON rentals (locker_id, created_at);

CREATE TABLE alerts (
    id              UUID PRIMARY KEY,
    kind            TEXT NOT NULL,
    severity        TEXT NOT NULL CHECK (severity IN ('low', 'medium', 'high', 'critical')),
    locker_id       UUID REFERENCES lockers (id) ON DELETE SET NULL,
    controller_id   UUID REFERENCES controllers (id) ON DELETE SET NULL,
    message         TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    resolved_at     TIMESTAMPTZ,
    resolved_by     UUID,
    resolution_note TEXT
);
CREATE INDEX alerts_open ON alerts (resolved_at, created_at);

-- Append-only, hash-chained: hash = SHA-256(canonical row || prev_hash), see store/chain.rs.
-- No foreign keys: the log outlives what it talks about.
CREATE TABLE tx_log (
    seq         BIGINT PRIMARY KEY, -- given by the appender under the head lock, no gaps
    id          UUID NOT NULL UNIQUE,
    action      TEXT NOT NULL,
    locker_id   UUID,
    rental_id   UUID,
    actor_id    UUID,
    auth_method TEXT,
    details     JSONB NOT NULL,
    device      TEXT,
    created_at  TIMESTAMPTZ NOT NULL,
    prev_hash   BYTEA NOT NULL,
    hash        BYTEA NOT NULL
);
CREATE INDEX tx_log_locker ON tx_log (locker_id, seq);
CREATE INDEX tx_log_rental ON tx_log (rental_id, seq);

-- The newest row's seq and hash; catches removal of the last rows.
CREATE TABLE tx_log_head (
    id        BIGINT PRIMARY KEY NOT NULL CHECK (id = 1),
    last_seq  BIGINT NOT NULL,
    last_hash BYTEA NOT NULL
);
INSERT INTO tx_log_head (id, last_seq, last_hash) VALUES (1, 0, '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea);

CREATE FUNCTION tx_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'tx_log is append-only';
END;
$$;
CREATE TRIGGER tx_log_no_change BEFORE UPDATE OR DELETE ON tx_log
    FOR EACH ROW EXECUTE FUNCTION tx_log_append_only();
