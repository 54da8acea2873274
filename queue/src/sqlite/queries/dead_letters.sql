-- ?1 after seq, ?2 limit
-- Plan: the partial index tasks_dead in id order (without INDEXED BY, SQLite took
-- tasks_state_name and sorted every dead row).
SELECT id, uuid, name, envelope, state, priority, attempt, max_attempts, run_after,
       retry_on_different_worker, lease_owner, lease_token, lease_expires_at, tried_by,
       last_error, result, result_key, cancel_requested, created_at, updated_at, finished_at
FROM tasks INDEXED BY tasks_dead
WHERE state = 'dead' AND id > ?1
ORDER BY id
LIMIT ?2
