-- Records the worker as live, in claim.sql's numbering. ?3 worker id, ?2 now (ms)
INSERT INTO workers (id, last_seen_at) VALUES (?3, ?2)
ON CONFLICT (id) DO UPDATE SET last_seen_at = excluded.last_seen_at
