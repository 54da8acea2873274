-- Leases expired by the database clock, locked; rows another reaper holds are skipped. $1 limit
SELECT id, attempt
FROM tasks
WHERE state = 'leased' AND lease_expires_at <= now()
ORDER BY lease_expires_at
LIMIT $1
FOR UPDATE SKIP LOCKED
