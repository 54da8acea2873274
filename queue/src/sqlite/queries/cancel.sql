-- Queued: cancelled. Leased: flagged. Otherwise unchanged. ?1 uuid, ?2 now (ms)
UPDATE tasks
SET state = CASE WHEN state = 'queued' THEN 'cancelled' ELSE state END,
    cancel_requested = CASE WHEN state = 'leased' THEN 1 ELSE cancel_requested END,
    finished_at = CASE WHEN state = 'queued' THEN ?2 ELSE finished_at END,
    updated_at = CASE WHEN state IN ('queued', 'leased') THEN ?2 ELSE updated_at END
WHERE uuid = ?1
RETURNING state
