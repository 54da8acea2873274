-- ?1 uuid
SELECT state FROM tasks WHERE uuid = ?1
