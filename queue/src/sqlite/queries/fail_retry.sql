-- A retryable failure: queued again after the delay, dead after the last attempt, cancelled on
-- a cancel request. ?1 uuid, ?2 token, ?3 error, ?4 now (ms), ?5 retry at (ms),
-- ?6 result JSON, ?7 result storage key
UPDATE tasks
SET state = CASE WHEN cancel_requested = 1 THEN 'cancelled'
                 WHEN attempt >= max_attempts THEN 'dead'
                 ELSE 'queued' END,
    run_after = CASE WHEN cancel_requested = 1 OR attempt >= max_attempts THEN run_after ELSE ?5 END,
    finished_at = CASE WHEN cancel_requested = 1 OR attempt >= max_attempts THEN ?4 ELSE NULL END,
    last_error = ?3,
    result = ?6,
    result_key = ?7,
    tried_by = CASE WHEN EXISTS (SELECT 1 FROM json_each(tasks.tried_by) AS tried WHERE tried.value = tasks.lease_owner)
                    THEN tried_by
                    ELSE json_insert(tried_by, '$[#]', lease_owner) END,
    updated_at = ?4
WHERE uuid = ?1 AND lease_token = ?2 AND state = 'leased'
RETURNING state, attempt, run_after
