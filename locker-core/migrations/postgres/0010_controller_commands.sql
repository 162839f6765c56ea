-- Issue 19: one queue of commands to controllers, whoever carries them out.
--
-- * `open_cabinet`: for a board polling `GET /api/devices/<id>/open/` (seed 001); the poll
--   that takes it moves it from `queued` to `done` (it replaces `device_commands`, whose
--   rows are moved here).
-- * `unlock`: for the server process that drives the controller's line (UART or
--   simulator), asked by another process sharing this database; the owner claims it
--   (`queued` -> `claimed`, one conditional UPDATE, so it is sent once), fires it through
--   its door machine and records the outcome (`done` or `failed`). See
--   `locker_core::controller::relay`.
CREATE TABLE controller_commands (
    id            UUID PRIMARY KEY,
    controller_id UUID NOT NULL REFERENCES controllers (id) ON DELETE CASCADE,
    command       TEXT NOT NULL CHECK (command IN ('open_cabinet', 'unlock')),
    locker_id     UUID,
    locker_code   TEXT NOT NULL,
    rental_id     UUID,
    purpose       TEXT CHECK (purpose IN ('new_renter', 'holder', 'staff')),
    requester     TEXT,
    state         TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'claimed', 'done', 'failed')),
    claimed_by    TEXT,
    outcome       TEXT,
    created_at    TIMESTAMPTZ NOT NULL,
    claimed_at    TIMESTAMPTZ,
    finished_at   TIMESTAMPTZ
);
CREATE INDEX controller_commands_queue ON controller_commands (controller_id, state, created_at);
CREATE INDEX controller_commands_open ON controller_commands (state, created_at) WHERE state IN ('queued', 'claimed');

INSERT INTO controller_commands (id, controller_id, command, locker_code, rental_id, state, created_at, claimed_at, finished_at)
SELECT id, controller_id, command, locker_code, rental_id,
       CASE WHEN delivered_at IS NULL THEN 'queued' ELSE 'done' END, created_at, delivered_at, delivered_at
FROM device_commands;
DROP TABLE device_commands;

-- Which process drives which controller's line, with its heartbeat: a process asking for
-- an unlock of a controller it does not drive queues it for the live owner.
CREATE TABLE controller_attachments (
    controller_id UUID PRIMARY KEY REFERENCES controllers (id) ON DELETE CASCADE,
    instance      TEXT NOT NULL,
    attached_at   TIMESTAMPTZ NOT NULL,
    heartbeat_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX controller_attachments_instance ON controller_attachments (instance);
