-- ?1 uuid, ?2 now (ms)
UPDATE tasks
SET state = 'queued', attempt = 0, run_after = ?2, tried_by = '[]', cancel_requested = 0,
    result = NULL, result_key = NULL, finished_at = NULL, updated_at = ?2
WHERE uuid = ?1 AND state = 'dead'
