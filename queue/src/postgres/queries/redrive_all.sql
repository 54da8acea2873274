UPDATE tasks
SET state = 'queued', attempt = 0, run_after = now(), tried_by = '{}', cancel_requested = false,
    result = NULL, result_key = NULL, finished_at = NULL, updated_at = now()
WHERE state = 'dead'
