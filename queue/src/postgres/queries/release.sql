-- Give a lease back, the attempt uncounted. $1 uuid, $2 token
UPDATE tasks
SET state = CASE WHEN cancel_requested THEN 'cancelled' ELSE 'queued' END,
    attempt = attempt - 1,
    run_after = CASE WHEN cancel_requested THEN run_after ELSE now() END,
    finished_at = CASE WHEN cancel_requested THEN now() ELSE NULL END,
    updated_at = now()
WHERE uuid = $1 AND lease_token = $2 AND state = 'leased'
RETURNING state
