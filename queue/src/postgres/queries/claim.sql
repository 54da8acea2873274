-- Lease a batch. Run after touch_worker.sql in the same transaction: the worker's row lock
-- orders its claims, so this statement's snapshot sees the leases of the one before (caps).
-- $1 worker id, $2 task names (distinct), $3 per-name caps (NULL: none), $4 limit,
-- $5 lease length (ms), $6 worker live window (ms)
WITH held AS (
    SELECT name, count(*) AS leased
    FROM tasks
    WHERE state = 'leased' AND lease_owner = $1
    GROUP BY name
),
allowed AS (
    SELECT a.name,
           CASE WHEN a.cap IS NULL THEN $4::int8
                ELSE LEAST(GREATEST(a.cap - COALESCE(h.leased, 0), 0), $4::int8) END AS remaining
    FROM unnest($2::text[], $3::int8[]) AS a(name, cap)
    LEFT JOIN held AS h ON h.name = a.name
),
picked AS (
    SELECT c.id
    FROM allowed AS a
    CROSS JOIN LATERAL (
        SELECT t.id, t.priority, t.run_after
        FROM tasks AS t
        WHERE t.state = 'queued'
          AND t.name = a.name
          AND t.run_after <= now()
          AND NOT (
                t.retry_on_different_worker
            AND $1 = ANY (t.tried_by)
            AND EXISTS (
                  SELECT 1 FROM workers AS w
                  WHERE w.id <> $1
                    AND w.last_seen_at >= now() - $6::float8 * interval '1 millisecond'
                    AND NOT (w.id = ANY (t.tried_by))
                )
          )
        ORDER BY t.priority DESC, t.run_after, t.id
        LIMIT a.remaining
        FOR UPDATE OF t SKIP LOCKED
    ) AS c
    ORDER BY c.priority DESC, c.run_after, c.id
    LIMIT $4::int8
)
UPDATE tasks AS t
SET state = 'leased',
    attempt = t.attempt + 1,
    lease_owner = $1,
    lease_token = gen_random_uuid()::text,
    lease_expires_at = now() + $5::float8 * interval '1 millisecond',
    updated_at = now()
-- ANY (ARRAY ...) rather than a join: the generic plan then finds the rows by primary key
-- (a join with picked, whose size a generic plan does not know, scanned the table).
WHERE t.id = ANY (ARRAY (SELECT id FROM picked))
RETURNING t.id, t.uuid, t.name, t.envelope, t.attempt, t.max_attempts, t.priority, t.run_after,
          t.lease_token, t.lease_expires_at
