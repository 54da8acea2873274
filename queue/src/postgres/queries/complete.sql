-- $1 uuid, $2 token, $3 result JSON, $4 result storage key
UPDATE tasks
SET state = 'succeeded', result = $3, result_key = $4, finished_at = now(), updated_at = now()
WHERE uuid = $1 AND lease_token = $2 AND state = 'leased'
