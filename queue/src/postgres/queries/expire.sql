-- The task's deadline had passed. $1 uuid, $2 token, $3 reason
UPDATE tasks
SET state = 'expired', last_error = $3, finished_at = now(), updated_at = now()
WHERE uuid = $1 AND lease_token = $2 AND state = 'leased'
