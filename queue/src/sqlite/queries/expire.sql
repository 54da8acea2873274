-- The task's deadline had passed. ?1 uuid, ?2 token, ?3 reason, ?4 now (ms)
UPDATE tasks
SET state = 'expired', last_error = ?3, finished_at = ?4, updated_at = ?4
WHERE uuid = ?1 AND lease_token = ?2 AND state = 'leased'
