-- $1 uuids, $2 tokens, $3 result JSONs, $4 result storage keys. Returns the completed uuids.
UPDATE tasks AS t
SET state = 'succeeded', result = c.result, result_key = c.result_key, finished_at = now(), updated_at = now()
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS c(uuid, token, result, result_key)
WHERE t.uuid = c.uuid AND t.lease_token = c.token AND t.state = 'leased'
RETURNING t.uuid
