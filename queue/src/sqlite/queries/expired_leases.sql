-- ?1 now (ms), ?2 limit
SELECT id, attempt
FROM tasks
WHERE state = 'leased' AND lease_expires_at <= ?1
ORDER BY lease_expires_at
LIMIT ?2
