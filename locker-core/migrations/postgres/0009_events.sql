-- Issue 19 (scaling out): the service's events, shared by every server process on this
-- database. A process appends the events it raises and sends `NOTIFY locker_events, '<id>'`;
-- every process reads the rows after the last id it saw, in id order, and sends them to its
-- WebSocket subscribers. Appenders serialise on an advisory transaction lock before taking
-- an id, so ids grow in commit order and no reader skips a row that committed late.
-- Rows are pruned after an hour (a reader is never that far behind). PostgreSQL only:
-- SQLite serves one process, whose events never leave it.
CREATE TABLE service_events (
    id         BIGSERIAL PRIMARY KEY,
    origin     UUID NOT NULL,
    payload    JSONB NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX service_events_created ON service_events (created_at);
