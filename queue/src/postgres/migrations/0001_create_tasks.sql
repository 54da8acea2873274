-- taskhost queue, PostgreSQL schema v1. Additive only: never edit a released migration, add one.
-- Every time is the database's (now()).
CREATE TABLE tasks (
    id                        BIGINT      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    uuid                      TEXT        NOT NULL UNIQUE,
    name                      TEXT        NOT NULL,
    envelope                  TEXT        NOT NULL,
    state                     TEXT        NOT NULL CHECK (state IN ('queued', 'leased', 'succeeded', 'failed', 'dead', 'expired', 'cancelled')),
    priority                  INTEGER     NOT NULL DEFAULT 0,
    attempt                   INTEGER     NOT NULL DEFAULT 0,
    max_attempts              INTEGER     NOT NULL CHECK (max_attempts >= 1),
    run_after                 TIMESTAMPTZ NOT NULL DEFAULT now(),
    retry_on_different_worker BOOLEAN     NOT NULL DEFAULT false,
    lease_owner               TEXT,
    lease_token               TEXT,
    lease_expires_at          TIMESTAMPTZ,
    tried_by                  TEXT[]      NOT NULL DEFAULT '{}',
    last_error                TEXT,
    result                    TEXT,        -- the result message JSON, byte for byte as sent
    result_key                TEXT,        -- or its storage key
    cancel_requested          BOOLEAN     NOT NULL DEFAULT false,
    created_at                TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at                TIMESTAMPTZ NOT NULL DEFAULT now(),
    finished_at               TIMESTAMPTZ
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

-- Workers seen claiming (for retry on a different worker); the row also serialises one
-- worker's claims, so its per-name caps hold under concurrent claims.
CREATE TABLE workers (
    id           TEXT        PRIMARY KEY,
    last_seen_at TIMESTAMPTZ NOT NULL
);
