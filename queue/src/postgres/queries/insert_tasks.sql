-- A batch, in order; existing uuids are left alone. $1 uuids, $2 names, $3 envelopes,
-- $4 priorities, $5 max attempts, $6 run_after (NULL: now()), $7 retry_on_different_worker
INSERT INTO tasks (uuid, name, envelope, state, priority, max_attempts, run_after, retry_on_different_worker)
SELECT x.uuid, x.name, x.envelope, 'queued', x.priority, x.max_attempts, COALESCE(x.run_after, now()), x.different
FROM unnest($1::text[], $2::text[], $3::text[], $4::int4[], $5::int4[], $6::timestamptz[], $7::bool[])
     WITH ORDINALITY AS x(uuid, name, envelope, priority, max_attempts, run_after, different, ord)
ORDER BY x.ord
ON CONFLICT (uuid) DO NOTHING
RETURNING uuid
