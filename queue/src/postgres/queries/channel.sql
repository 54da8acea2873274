-- The LISTEN/NOTIFY channel of the queue in the current schema.
SELECT 'taskhost_queue_' || current_schema() AS channel
