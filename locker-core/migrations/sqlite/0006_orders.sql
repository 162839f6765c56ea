-- Seed 001 (cabinets, orders, devices): integer numbers for lockers ("cabinet id") and
-- order rentals ("order id"), payments (balance debits and provider payments, for revenue),
-- unlock commands queued for controllers that poll over HTTP, device logs, and the device
-- name and location the admin edits. Battery and heartbeat live on `controllers` (0001).
CREATE TABLE locker_numbers (
    number    INTEGER PRIMARY KEY AUTOINCREMENT,
    locker_id TEXT NOT NULL CONSTRAINT locker_numbers_locker_key UNIQUE REFERENCES lockers (id) ON DELETE CASCADE
);

CREATE TABLE order_numbers (
    number    INTEGER PRIMARY KEY AUTOINCREMENT,
    rental_id TEXT NOT NULL CONSTRAINT order_numbers_rental_key UNIQUE REFERENCES rentals (id) ON DELETE CASCADE
);

-- One row per charge: the payment of an order or an extension. Written in the same
-- transaction as the rental's change and, for `balance`, the debit.
CREATE TABLE payments (
    id         TEXT PRIMARY KEY NOT NULL,
    rental_id  TEXT NOT NULL REFERENCES rentals (id),
    user_id    TEXT REFERENCES users (id),
    method     TEXT NOT NULL CHECK (method IN ('balance', 'wechat', 'alipay')),
    purpose    TEXT NOT NULL CHECK (purpose IN ('pay', 'extend')),
    amount     INTEGER NOT NULL CHECK (amount >= 0),
    created_at TEXT NOT NULL
);
CREATE INDEX payments_time ON payments (created_at);

-- Unlocks waiting for a controller that polls `GET /api/devices/<id>/open/`; each is
-- delivered once (`delivered_at` set by the poll that takes it).
CREATE TABLE device_commands (
    id            TEXT PRIMARY KEY NOT NULL,
    controller_id TEXT NOT NULL REFERENCES controllers (id) ON DELETE CASCADE,
    command       TEXT NOT NULL CHECK (command IN ('open_cabinet')),
    locker_code   TEXT NOT NULL,
    rental_id     TEXT,
    created_at    TEXT NOT NULL,
    delivered_at  TEXT
);
CREATE INDEX device_commands_queue ON device_commands (controller_id, delivered_at, created_at);

CREATE TABLE device_logs (
    number        INTEGER PRIMARY KEY AUTOINCREMENT,
    controller_id TEXT NOT NULL REFERENCES controllers (id) ON DELETE CASCADE,
    log_type      TEXT NOT NULL,
    message       TEXT NOT NULL,
    data          TEXT NOT NULL,
    created_at    TEXT NOT NULL
);
CREATE INDEX device_logs_controller ON device_logs (controller_id, number);

CREATE TABLE device_profiles (
    controller_id TEXT PRIMARY KEY NOT NULL REFERENCES controllers (id) ON DELETE CASCADE,
    display_name  TEXT,
    location      TEXT
);
