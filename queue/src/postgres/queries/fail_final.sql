-- A failure that ends the task: $3 is 'dead' (invalid input) or 'failed'; a cancel request
-- wins. $1 uuid, $2 token, $3 state, $4 error, $5 result JSON, $6 result key
UPDATE tasks
SET state = CASE WHEN cancel_requested THEN 'cancelled' ELSE $3 END,
    finished_at = now(),
    last_error = $4,
    result = $5,
    result_key = $6,
    tried_by = CASE WHEN lease_owner = ANY (tried_by) THEN tried_by ELSE array_append(tried_by, lease_owner) END,
    updated_at = now()
WHERE uuid = $1 AND lease_token = $2 AND state = 'leased'
RETURNING state, attempt, run_after
