-- Lease a batch in one statement (atomic; the write lock is taken before it reads).
-- ?1 JSON array of [name, cap or null] (distinct names), ?2 now (ms), ?3 worker id,
-- ?4 live-since (ms), ?5 limit, ?6 lease expiry (ms)
-- Plan (EXPLAIN QUERY PLAN): per name, the top ?5 queued tasks come from tasks_claim in claim
-- order (no sort of the queue); the outer UPDATE finds them by rowid. `+state` keeps SQLite
-- from driving it by tasks_state_name, which scanned every queued row.
WITH allowed AS (
    SELECT n.value ->> 0 AS name,
           CASE WHEN n.value ->> 1 IS NULL THEN ?5
                ELSE min(?5, max(0, (n.value ->> 1) - (
                    SELECT count(*) FROM tasks AS h INDEXED BY tasks_lease_owner
                    WHERE h.state = 'leased' AND h.lease_owner = ?3 AND h.name = n.value ->> 0)))
           END AS remaining
    FROM json_each(?1) AS n
),
ranked AS (
    SELECT t.id, t.priority, t.run_after, a.remaining,
           row_number() OVER (PARTITION BY t.name ORDER BY t.priority DESC, t.run_after, t.id) AS rank
    FROM allowed AS a
    JOIN tasks AS t ON t.id IN (
        SELECT c.id
        FROM tasks AS c
        WHERE c.state = 'queued'
          AND c.name = a.name
          AND c.run_after <= ?2
          AND NOT (
                c.retry_on_different_worker = 1
            AND EXISTS (SELECT 1 FROM json_each(c.tried_by) AS tried WHERE tried.value = ?3)
            AND EXISTS (
                  SELECT 1 FROM workers AS w
                  WHERE w.id <> ?3
                    AND w.last_seen_at >= ?4
                    AND NOT EXISTS (SELECT 1 FROM json_each(c.tried_by) AS tried WHERE tried.value = w.id)
                )
          )
        ORDER BY c.priority DESC, c.run_after, c.id
        LIMIT ?5
    )
    WHERE a.remaining > 0
)
UPDATE tasks
SET state = 'leased',
    attempt = attempt + 1,
    lease_owner = ?3,
    lease_token = lower(hex(randomblob(16))),
    lease_expires_at = ?6,
    updated_at = ?2
WHERE id IN (
        SELECT id FROM ranked
        WHERE rank <= remaining
        ORDER BY priority DESC, run_after, id
        LIMIT ?5
    )
  AND +state = 'queued'
RETURNING id, uuid, name, envelope, attempt, max_attempts, priority, run_after, lease_token, lease_expires_at
