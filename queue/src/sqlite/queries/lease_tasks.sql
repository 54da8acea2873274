-- Lease the chosen tasks, each with a new random token.
-- ?1 ids (JSON array), ?2 worker id, ?3 lease expiry (ms), ?4 now (ms)
UPDATE tasks
SET state = 'leased',
    attempt = attempt + 1,
    lease_owner = ?2,
    lease_token = lower(hex(randomblob(16))),
    lease_expires_at = ?3,
    updated_at = ?4
WHERE id IN (SELECT value FROM json_each(?1)) AND state = 'queued'
RETURNING id, uuid, name, envelope, attempt, max_attempts, priority, run_after, lease_token, lease_expires_at
