-- Complete a batch in one statement. ?1 JSON array of [uuid, token, result JSON, result key],
-- ?2 now (ms). Returns the completed uuids.
-- Plan (EXPLAIN QUERY PLAN): for each item, a search of the uuid index. `+state` keeps SQLite
-- from driving it by tasks_state_name instead, which scanned every leased row for each item.
UPDATE tasks
SET state = 'succeeded', result = c.result, result_key = c.result_key, finished_at = ?2, updated_at = ?2
FROM (
    SELECT item.value ->> 0 AS uuid,
           item.value ->> 1 AS token,
           item.value ->> 2 AS result,
           item.value ->> 3 AS result_key
    FROM json_each(?1) AS item
) AS c
WHERE tasks.uuid = c.uuid AND tasks.lease_token = c.token AND +tasks.state = 'leased'
RETURNING tasks.uuid
