-- ?1 now (ms), ?2 limit
-- Plan: the partial index tasks_lease_expiry in expiry order (without INDEXED BY, SQLite took
-- tasks_state_name and sorted every leased row).
SELECT id, attempt
FROM tasks INDEXED BY tasks_lease_expiry
WHERE state = 'leased' AND lease_expires_at <= ?1
ORDER BY lease_expires_at
LIMIT ?2
