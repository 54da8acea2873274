-- A retryable failure: queued again after the delay, dead after the last attempt, cancelled on
-- a cancel request. $1 uuid, $2 token, $3 error, $4 delay (ms), $5 result JSON, $6 result key
UPDATE tasks
SET state = CASE WHEN cancel_requested THEN 'cancelled'
                 WHEN attempt >= max_attempts THEN 'dead'
                 ELSE 'queued' END,
    run_after = CASE WHEN cancel_requested OR attempt >= max_attempts THEN run_after
                     ELSE now() + $4::float8 * interval '1 millisecond' END,
    finished_at = CASE WHEN cancel_requested OR attempt >= max_attempts THEN now() ELSE NULL END,
    last_error = $3,
    result = $5,
    result_key = $6,
    tried_by = CASE WHEN lease_owner = ANY (tried_by) THEN tried_by ELSE array_append(tried_by, lease_owner) END,
    updated_at = now()
WHERE uuid = $1 AND lease_token = $2 AND state = 'leased'
RETURNING state, attempt, run_after
