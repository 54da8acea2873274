-- The next claimable tasks of one name for one worker.
-- ?1 name, ?2 now (ms), ?3 worker id, ?4 live-since (ms), ?5 limit
SELECT t.id, t.priority, t.run_after
FROM tasks AS t
WHERE t.state = 'queued'
  AND t.name = ?1
  AND t.run_after <= ?2
  AND NOT (
        t.retry_on_different_worker = 1
    AND EXISTS (SELECT 1 FROM json_each(t.tried_by) AS tried WHERE tried.value = ?3)
    AND EXISTS (
          SELECT 1 FROM workers AS w
          WHERE w.id <> ?3
            AND w.last_seen_at >= ?4
            AND NOT EXISTS (SELECT 1 FROM json_each(t.tried_by) AS tried WHERE tried.value = w.id)
        )
  )
ORDER BY t.priority DESC, t.run_after, t.id
LIMIT ?5
