-- $1 uuid, $2 token, $3 lease length (ms)
UPDATE tasks
SET lease_expires_at = now() + $3::float8 * interval '1 millisecond', updated_at = now()
WHERE uuid = $1 AND lease_token = $2 AND state = 'leased'
RETURNING lease_expires_at, cancel_requested
