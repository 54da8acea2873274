-- ?1 uuid, ?2 name, ?3 envelope, ?4 priority, ?5 max_attempts, ?6 run_after (ms),
-- ?7 retry_on_different_worker, ?8 now (ms)
INSERT INTO tasks (uuid, name, envelope, state, priority, attempt, max_attempts, run_after,
                   retry_on_different_worker, created_at, updated_at)
VALUES (?1, ?2, ?3, 'queued', ?4, 0, ?5, ?6, ?7, ?8, ?8)
ON CONFLICT (uuid) DO NOTHING
