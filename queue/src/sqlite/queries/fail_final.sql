-- A failure that ends the task: ?3 is 'dead' (invalid input) or 'failed'; a cancel request
-- wins. ?1 uuid, ?2 token, ?3 state, ?4 error, ?5 now (ms), ?6 result JSON, ?7 result key
UPDATE tasks
SET state = CASE WHEN cancel_requested = 1 THEN 'cancelled' ELSE ?3 END,
    finished_at = ?5,
    last_error = ?4,
    result = ?6,
    result_key = ?7,
    tried_by = CASE WHEN EXISTS (SELECT 1 FROM json_each(tasks.tried_by) AS tried WHERE tried.value = tasks.lease_owner)
                    THEN tried_by
                    ELSE json_insert(tried_by, '$[#]', lease_owner) END,
    updated_at = ?5
WHERE uuid = ?1 AND lease_token = ?2 AND state = 'leased'
RETURNING state, attempt, run_after
