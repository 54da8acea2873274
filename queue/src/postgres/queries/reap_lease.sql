-- An expired lease: queued again after the delay, dead after the last attempt, cancelled on a
-- cancel request. $1 id, $2 delay (ms)
UPDATE tasks
SET state = CASE WHEN cancel_requested THEN 'cancelled'
                 WHEN attempt >= max_attempts THEN 'dead'
                 ELSE 'queued' END,
    run_after = CASE WHEN cancel_requested OR attempt >= max_attempts THEN run_after
                     ELSE now() + $2::float8 * interval '1 millisecond' END,
    finished_at = CASE WHEN cancel_requested OR attempt >= max_attempts THEN now() ELSE NULL END,
    last_error = 'lease expired: worker ' || COALESCE(lease_owner, '?') || ' did not finish attempt '
                 || attempt || ' in time',
    tried_by = CASE WHEN lease_owner = ANY (tried_by) THEN tried_by ELSE array_append(tried_by, lease_owner) END,
    updated_at = now()
WHERE id = $1 AND state = 'leased' AND lease_expires_at <= now()
RETURNING state
