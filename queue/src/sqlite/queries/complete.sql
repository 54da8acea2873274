-- ?1 uuid, ?2 token, ?3 result JSON, ?4 result storage key, ?5 now (ms)
UPDATE tasks
SET state = 'succeeded', result = ?3, result_key = ?4, finished_at = ?5, updated_at = ?5
WHERE uuid = ?1 AND lease_token = ?2 AND state = 'leased'
