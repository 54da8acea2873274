-- Complete a batch in one statement. ?1 JSON array of [uuid, token, result JSON, result key],
-- ?2 now (ms). Returns the completed uuids.
UPDATE tasks
SET state = 'succeeded', result = c.result, result_key = c.result_key, finished_at = ?2, updated_at = ?2
FROM (
    SELECT json_extract(item.value, '$[0]') AS uuid,
           json_extract(item.value, '$[1]') AS token,
           json_extract(item.value, '$[2]') AS result,
           json_extract(item.value, '$[3]') AS result_key
    FROM json_each(?1) AS item
) AS c
WHERE tasks.uuid = c.uuid AND tasks.lease_token = c.token AND tasks.state = 'leased'
RETURNING tasks.uuid
