-- locker schema v1 (SQLite). Ids are UUIDv7 text, times UTC text
-- 'YYYY-MM-DDTHH:MM:SS.ffffffZ' (fixed width, so text order is time order), money integer
-- minor units. Later migrations: 0002_*, 0003_*.

CREATE TABLE controllers (
    id                TEXT PRIMARY KEY NOT NULL,
    name              TEXT NOT NULL CONSTRAINT controllers_name_key UNIQUE,
    station           TEXT NOT NULL,
    api_key_hash      BLOB,
    battery_percent   INTEGER CHECK (battery_percent BETWEEN 0 AND 100),
    firmware          TEXT,
    last_heartbeat_at TEXT,
    active            INTEGER NOT NULL DEFAULT 1,
    created_at        TEXT NOT NULL
);

CREATE TABLE lockers (
    id             TEXT PRIMARY KEY NOT NULL,
    code           TEXT NOT NULL CONSTRAINT lockers_code_key UNIQUE CHECK (code <> ''),
    station        TEXT NOT NULL,
    location       TEXT NOT NULL,
    size           TEXT NOT NULL CHECK (size IN ('small', 'medium', 'large')),
    status         TEXT NOT NULL CHECK (status IN ('available', 'reserved', 'in_use', 'maintenance')),
    door           TEXT NOT NULL CHECK (door IN ('open', 'closed', 'unknown')),
    controller_id  TEXT REFERENCES controllers (id),
    relay_channel  INTEGER NOT NULL CHECK (relay_channel BETWEEN 0 AND 65535),
    sensor_channel INTEGER NOT NULL CHECK (sensor_channel BETWEEN 0 AND 65535),
    price_per_hour INTEGER NOT NULL CHECK (price_per_hour >= 0),
    last_used_at   TEXT,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
);
CREATE INDEX lockers_free ON lockers (status, door, size, last_used_at);
CREATE INDEX lockers_station ON lockers (station, location);

CREATE TABLE users (
    id            TEXT PRIMARY KEY NOT NULL,
    email         TEXT CONSTRAINT users_email_key UNIQUE,
    phone         TEXT CONSTRAINT users_phone_key UNIQUE,
    username      TEXT CONSTRAINT users_username_key UNIQUE,
    full_name     TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('customer', 'technician', 'admin')),
    password_hash TEXT NOT NULL,
    active        INTEGER NOT NULL DEFAULT 1,
    balance       INTEGER NOT NULL DEFAULT 0 CHECK (balance >= 0),
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);

CREATE TABLE rentals (
    id             TEXT PRIMARY KEY NOT NULL,
    locker_id      TEXT NOT NULL REFERENCES lockers (id),
    user_id        TEXT REFERENCES users (id),
    kind           TEXT NOT NULL CHECK (kind IN ('session', 'order')),
    state          TEXT NOT NULL CHECK (state IN ('pending_payment', 'reserved', 'opening', 'active', 'completed', 'cancelled', 'expired')),
    auth_method    TEXT NOT NULL,
    half_hours     INTEGER NOT NULL CHECK (half_hours >= 0),
    price_per_hour INTEGER NOT NULL CHECK (price_per_hour >= 0),
    amount         INTEGER NOT NULL CHECK (amount >= 0),
    created_at     TEXT NOT NULL,
    started_at     TEXT,
    paid_until     TEXT,
    last_access_at TEXT,
    ended_at       TEXT
);
-- At most one live rental per locker, whatever the code does.
CREATE UNIQUE INDEX rentals_one_live_per_locker ON rentals (locker_id)
    WHERE state IN ('pending_payment', 'reserved', 'opening', 'active');
CREATE INDEX rentals_user ON rentals (user_id, created_at);
CREATE INDEX rentals_locker ON rentals (locker_id, created_at);

CREATE TABLE alerts (
    id              TEXT PRIMARY KEY NOT NULL,
    kind            TEXT NOT NULL,
    severity        TEXT NOT NULL CHECK (severity IN ('low', 'medium', 'high', 'critical')),
    locker_id       TEXT REFERENCES lockers (id) ON DELETE SET NULL,
    controller_id   TEXT REFERENCES controllers (id) ON DELETE SET NULL,
    message         TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    resolved_at     TEXT,
    resolved_by     TEXT,
    resolution_note TEXT
);
CREATE INDEX alerts_open ON alerts (resolved_at, created_at);

-- Append-only, hash-chained: hash = SHA-256(canonical row || prev_hash), see store/chain.rs.
-- No foreign keys: the log outlives what it talks about.
CREATE TABLE tx_log (
    seq         INTEGER PRIMARY KEY NOT NULL,
    id          TEXT NOT NULL UNIQUE,
    action      TEXT NOT NULL,
    locker_id   TEXT,
    rental_id   TEXT,
    actor_id    TEXT,
    auth_method TEXT,
    details     TEXT NOT NULL,
    device      TEXT,
    created_at  TEXT NOT NULL,
    prev_hash   BLOB NOT NULL,
    hash        BLOB NOT NULL
);
CREATE INDEX tx_log_locker ON tx_log (locker_id, seq);
CREATE INDEX tx_log_rental ON tx_log (rental_id, seq);

-- The newest row's seq and hash; catches removal of the last rows.
CREATE TABLE tx_log_head (
    id        INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    last_seq  INTEGER NOT NULL,
    last_hash BLOB NOT NULL
);
INSERT INTO tx_log_head (id, last_seq, last_hash) VALUES (1, 0, zeroblob(32));

CREATE TRIGGER tx_log_no_update BEFORE UPDATE ON tx_log
BEGIN
    SELECT RAISE(ABORT, 'tx_log is append-only');
END;
CREATE TRIGGER tx_log_no_delete BEFORE DELETE ON tx_log
BEGIN
    SELECT RAISE(ABORT, 'tx_log is append-only');
END;
