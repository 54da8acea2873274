-- Run first in a claim's transaction (both settings end with it):
-- synchronous_commit off: the commit does not wait for the WAL flush. Safe for claims only
--   (never for completions): a claim lost in a server crash leaves its task queued with the
--   attempt uncounted, and the lease's holder gets LeaseLost when it completes, as after a
--   reaped lease. Any later synchronous commit (that task's completion or failure) flushes the
--   WAL before it, so no completion can outlive the claim it was fenced on.
-- plan_cache_mode generic: claim.sql is planned once per connection instead of on every call
--   (custom planning took 0.5-0.9 ms, more than running it); every access path of its generic
--   plan is an index (checked with EXPLAIN ANALYZE under force_generic_plan).
SELECT set_config('synchronous_commit', 'off', true),
       set_config('plan_cache_mode', 'force_generic_plan', true)
