-- Issue 19: one queue of commands to controllers (see the PostgreSQL migration). On SQLite
-- (one process) only the seed-001 boards' `open_cabinet` rows are used; the columns of the
-- cross-process `unlock` commands are kept so both backends have one schema.
CREATE TABLE controller_commands (
    id            TEXT PRIMARY KEY NOT NULL,
    controller_id TEXT NOT NULL REFERENCES controllers (id) ON DELETE CASCADE,
    command       TEXT NOT NULL CHECK (command IN ('open_cabinet', 'unlock')),
    locker_id     TEXT,
    locker_code   TEXT NOT NULL,
    rental_id     TEXT,
    purpose       TEXT CHECK (purpose IN ('new_renter', 'holder', 'staff')),
    requester     TEXT,
    state         TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'claimed', 'done', 'failed')),
    claimed_by    TEXT,
    outcome       TEXT,
    created_at    TEXT NOT NULL,
    claimed_at    TEXT,
    finished_at   TEXT
);
CREATE INDEX controller_commands_queue ON controller_commands (controller_id, state, created_at);

INSERT INTO controller_commands (id, controller_id, command, locker_code, rental_id, state, created_at, claimed_at, finished_at)
SELECT id, controller_id, command, locker_code, rental_id,
       CASE WHEN delivered_at IS NULL THEN 'queued' ELSE 'done' END, created_at, delivered_at, delivered_at
FROM device_commands;
DROP TABLE device_commands;

CREATE TABLE controller_attachments (
    controller_id TEXT PRIMARY KEY NOT NULL REFERENCES controllers (id) ON DELETE CASCADE,
    instance      TEXT NOT NULL,
    attached_at   TEXT NOT NULL,
    heartbeat_at  TEXT NOT NULL
);
