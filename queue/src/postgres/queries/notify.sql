-- Wake the workers listening on this schema's channel.
SELECT pg_notify('taskhost_queue_' || current_schema(), '')
