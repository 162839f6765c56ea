-- Issue 18 items 4 and 6: what must survive a restart and be shared by every server process
-- on this database.

-- Failed sign-ins per account (`locker_core::token::lockout`). `account` is a hash of the
-- account key, never the typed name; `expires_at` is when the row may be swept.
CREATE TABLE login_failures (
    account      TEXT PRIMARY KEY NOT NULL,
    failures     INTEGER NOT NULL CHECK (failures >= 0),
    window_start TEXT NOT NULL,
    lockouts     INTEGER NOT NULL CHECK (lockouts >= 0),
    locked_until TEXT,
    last_failure TEXT NOT NULL,
    expires_at   TEXT NOT NULL
);
CREATE INDEX login_failures_expires ON login_failures (expires_at);

-- `Idempotency-Key` claims (a hash of caller, path and key) and the answers stored under
-- them, kept 24 hours.
CREATE TABLE idempotency_keys (
    key          TEXT PRIMARY KEY NOT NULL,
    fingerprint  BLOB NOT NULL CHECK (length(fingerprint) = 32),
    created_at   TEXT NOT NULL,
    done         BOOLEAN NOT NULL,
    status       INTEGER,
    content_type TEXT,
    body         BLOB
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
