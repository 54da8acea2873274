-- The attempt number of a lease, if the token is current; locks the row. $1 uuid, $2 token
SELECT attempt FROM tasks WHERE uuid = $1 AND lease_token = $2 AND state = 'leased' FOR UPDATE
