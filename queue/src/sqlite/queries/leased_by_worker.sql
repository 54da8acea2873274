-- ?1 worker id. Leases the worker holds, by task name.
SELECT name, COUNT(*) AS leased
FROM tasks
WHERE state = 'leased' AND lease_owner = ?1
GROUP BY name
