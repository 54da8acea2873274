-- taskhost queue, SQLite schema v1. Additive only: never edit a released migration, add one.
-- Times are Unix milliseconds from the host's clock (INTEGER).
CREATE TABLE tasks (
    id                        INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid                      TEXT    NOT NULL UNIQUE,
    name                      TEXT    NOT NULL,
    envelope                  TEXT    NOT NULL,
    state                     TEXT    NOT NULL CHECK (state IN ('queued', 'leased', 'succeeded', 'failed', 'dead', 'expired', 'cancelled')),
    priority                  INTEGER NOT NULL DEFAULT 0,
    attempt                   INTEGER NOT NULL DEFAULT 0,
    max_attempts              INTEGER NOT NULL CHECK (max_attempts >= 1),
    run_after                 INTEGER NOT NULL,
    retry_on_different_worker INTEGER NOT NULL DEFAULT 0,
    lease_owner               TEXT,
    lease_token               TEXT,
    lease_expires_at          INTEGER,
    tried_by                  TEXT    NOT NULL DEFAULT '[]', -- JSON array of worker ids
    last_error                TEXT,
    result                    TEXT,                          -- the result message JSON, as sent
    result_key                TEXT,                          -- or its storage key
    cancel_requested          INTEGER NOT NULL DEFAULT 0,
    created_at                INTEGER NOT NULL,
    updated_at                INTEGER NOT NULL,
    finished_at               INTEGER
);

-- Claims: per name, by priority, run_after, submission order.
CREATE INDEX tasks_claim ON tasks (name, priority DESC, run_after, id) WHERE state = 'queued';
-- Reaper.
CREATE INDEX tasks_lease_expiry ON tasks (lease_expires_at) WHERE state = 'leased';
-- Per-name caps: what a worker holds.
CREATE INDEX tasks_lease_owner ON tasks (lease_owner, name) WHERE state = 'leased';
-- Dead-letter listing.
CREATE INDEX tasks_dead ON tasks (id) WHERE state = 'dead';
-- Counts by state and name.
CREATE INDEX tasks_state_name ON tasks (state, name);

-- Workers seen claiming (for retry on a different worker).
CREATE TABLE workers (
    id           TEXT    PRIMARY KEY,
    last_seen_at INTEGER NOT NULL
);
