-- Records the worker as live and locks its row until the claim commits. $1 worker id
INSERT INTO workers (id, last_seen_at) VALUES ($1, now())
ON CONFLICT (id) DO UPDATE SET last_seen_at = now()
