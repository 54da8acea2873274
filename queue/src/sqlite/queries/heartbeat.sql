-- ?1 uuid, ?2 token, ?3 new expiry (ms), ?4 now (ms)
UPDATE tasks
SET lease_expires_at = ?3, updated_at = ?4
WHERE uuid = ?1 AND lease_token = ?2 AND state = 'leased'
RETURNING lease_expires_at, cancel_requested
