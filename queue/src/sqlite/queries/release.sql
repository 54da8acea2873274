-- Give a lease back, the attempt uncounted. ?1 uuid, ?2 token, ?3 now (ms)
UPDATE tasks
SET state = CASE WHEN cancel_requested = 1 THEN 'cancelled' ELSE 'queued' END,
    attempt = attempt - 1,
    run_after = CASE WHEN cancel_requested = 1 THEN run_after ELSE ?3 END,
    finished_at = CASE WHEN cancel_requested = 1 THEN ?3 ELSE NULL END,
    updated_at = ?3
WHERE uuid = ?1 AND lease_token = ?2 AND state = 'leased'
