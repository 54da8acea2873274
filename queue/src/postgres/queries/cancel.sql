-- Queued: cancelled. Leased: flagged. Otherwise unchanged. $1 uuid
UPDATE tasks
SET state = CASE WHEN state = 'queued' THEN 'cancelled' ELSE state END,
    cancel_requested = CASE WHEN state = 'leased' THEN true ELSE cancel_requested END,
    finished_at = CASE WHEN state = 'queued' THEN now() ELSE finished_at END,
    updated_at = CASE WHEN state IN ('queued', 'leased') THEN now() ELSE updated_at END
WHERE uuid = $1
RETURNING state
