-- An expired lease: queued again at ?3, dead after the last attempt, cancelled on a cancel
-- request. ?1 id, ?2 now (ms), ?3 retry at (ms)
UPDATE tasks
SET state = CASE WHEN cancel_requested = 1 THEN 'cancelled'
                 WHEN attempt >= max_attempts THEN 'dead'
                 ELSE 'queued' END,
    run_after = CASE WHEN cancel_requested = 1 OR attempt >= max_attempts THEN run_after ELSE ?3 END,
    finished_at = CASE WHEN cancel_requested = 1 OR attempt >= max_attempts THEN ?2 ELSE NULL END,
    last_error = 'lease expired: worker ' || COALESCE(lease_owner, '?') || ' did not finish attempt '
                 || attempt || ' in time',
    tried_by = CASE WHEN EXISTS (SELECT 1 FROM json_each(tasks.tried_by) AS tried WHERE tried.value = tasks.lease_owner)
                    THEN tried_by
                    ELSE json_insert(tried_by, '$[#]', lease_owner) END,
    updated_at = ?2
WHERE id = ?1 AND state = 'leased' AND lease_expires_at <= ?2
RETURNING state
