-- ?1 id, ?2 worker id, ?3 token, ?4 lease expiry (ms), ?5 now (ms)
UPDATE tasks
SET state = 'leased',
    attempt = attempt + 1,
    lease_owner = ?2,
    lease_token = ?3,
    lease_expires_at = ?4,
    updated_at = ?5
WHERE id = ?1 AND state = 'queued'
RETURNING uuid, name, envelope, attempt, max_attempts, priority, lease_expires_at
