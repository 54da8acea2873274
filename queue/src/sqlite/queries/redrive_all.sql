-- ?1 now (ms)
UPDATE tasks
SET state = 'queued', attempt = 0, run_after = ?1, tried_by = '[]', cancel_requested = 0,
    result = NULL, result_key = NULL, finished_at = NULL, updated_at = ?1
WHERE state = 'dead'
