//! The worker side: claim, heartbeat, complete, fail, release, expire, and the reaper.

use std::cmp::Reverse;
use std::collections::{BTreeSet, HashSet};
use std::time::Duration;

use sqlx::Row;

use super::{BACKEND, SqliteQueue, begin_write, lease_lost, now_ms, rows, time};
use crate::config::millis;
use crate::error::{QueueError, db};
use crate::types::{
    ClaimRequest, CompleteManyReport, Completion, FailOutcome, Failure, FailureKind, Heartbeat,
    Lease, LeaseToken, ReapReport, TaskResult, TaskState,
};
use crate::validate;

/// The worker's liveness, then the claim (`?3` worker id, `?2` now).
const CLAIM: &str = concat!(
    include_str!("queries/touch_worker.sql"),
    ";\n",
    include_str!("queries/claim.sql")
);

impl SqliteQueue {
    pub(super) async fn claim_tasks(
        &self,
        request: &ClaimRequest,
    ) -> Result<Vec<Lease>, QueueError> {
        let now = now_ms();
        // Distinct names with their caps, as the JSON array claim.sql reads.
        let names: Vec<(&String, Option<u32>)> = request
            .names
            .iter()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .map(|name| (name, request.caps.get(name).copied()))
            .collect();
        let names = serde_json::to_string(&names).unwrap_or_else(|_| "[]".to_owned());
        // touch_worker.sql then claim.sql, in one call: two statements, each atomic and each
        // taking the write lock before it reads (a write statement outside BEGIN does, like
        // BEGIN IMMEDIATE). The touch needs no atomicity with the claim: it only records that
        // the worker called claim, and the claim does not read the worker's own row.
        let leased = sqlx::query(CLAIM)
            .bind(names)
            .bind(now)
            .bind(&request.worker)
            .bind(now.saturating_sub(millis(self.config.worker_ttl)))
            .bind(i64::from(request.limit))
            .bind(now.saturating_add(millis(request.lease_for)))
            .fetch_all(&mut *self.writer("claim").await?)
            .await
            .map_err(db(BACKEND, "claim"))?;
        let mut leases: Vec<(i64, i64, Lease)> = Vec::with_capacity(leased.len());
        for row in leased {
            let attempt: i64 = row.try_get("attempt").map_err(db(BACKEND, "claim"))?;
            let max_attempts: i64 = row.try_get("max_attempts").map_err(db(BACKEND, "claim"))?;
            let lease = Lease {
                uuid: row.try_get("uuid").map_err(db(BACKEND, "claim"))?,
                name: row.try_get("name").map_err(db(BACKEND, "claim"))?,
                envelope: row.try_get("envelope").map_err(db(BACKEND, "claim"))?,
                attempt: u32::try_from(attempt).unwrap_or(0),
                max_attempts: u32::try_from(max_attempts).unwrap_or(0),
                priority: row.try_get("priority").map_err(db(BACKEND, "claim"))?,
                token: LeaseToken(row.try_get("lease_token").map_err(db(BACKEND, "claim"))?),
                worker: request.worker.clone(),
                lease_expires_at: time(
                    row.try_get("lease_expires_at")
                        .map_err(db(BACKEND, "claim"))?,
                ),
                trace_parent: None,
            };
            leases.push((
                row.try_get("id").map_err(db(BACKEND, "claim"))?,
                row.try_get("run_after").map_err(db(BACKEND, "claim"))?,
                lease,
            ));
        }
        // UPDATE ... RETURNING has no order: restore the claim order.
        leases.sort_by_key(|(id, run_after, lease)| (Reverse(lease.priority), *run_after, *id));
        Ok(leases.into_iter().map(|(_, _, lease)| lease).collect())
    }

    pub(super) async fn extend_lease(
        &self,
        uuid: &str,
        token: &LeaseToken,
        lease_for: Duration,
    ) -> Result<Heartbeat, QueueError> {
        let now = now_ms();
        let mut conn = self.writer("heartbeat").await?;
        let row = sqlx::query(include_str!("queries/heartbeat.sql"))
            .bind(uuid)
            .bind(token.as_str())
            .bind(now.saturating_add(millis(lease_for)))
            .bind(now)
            .fetch_optional(&mut *conn)
            .await
            .map_err(db(BACKEND, "heartbeat"))?;
        match row {
            Some(row) => Ok(Heartbeat {
                lease_expires_at: time(
                    row.try_get("lease_expires_at")
                        .map_err(db(BACKEND, "heartbeat"))?,
                ),
                cancel_requested: row
                    .try_get("cancel_requested")
                    .map_err(db(BACKEND, "heartbeat"))?,
            }),
            None => Err(lease_lost(&mut conn, uuid).await),
        }
    }

    pub(super) async fn complete_task(
        &self,
        uuid: &str,
        token: &LeaseToken,
        result: TaskResult,
    ) -> Result<(), QueueError> {
        validate::result(uuid, &result)?;
        let (json, key) = validate::result_columns(Some(&result));
        let mut conn = self.writer("complete").await?;
        let done = sqlx::query(include_str!("queries/complete.sql"))
            .bind(uuid)
            .bind(token.as_str())
            .bind(json)
            .bind(key)
            .bind(now_ms())
            .execute(&mut *conn)
            .await
            .map_err(db(BACKEND, "complete"))?;
        if done.rows_affected() == 0 {
            return Err(lease_lost(&mut conn, uuid).await);
        }
        Ok(())
    }

    pub(super) async fn complete_tasks(
        &self,
        completions: Vec<Completion>,
    ) -> Result<CompleteManyReport, QueueError> {
        for completion in &completions {
            validate::result(&completion.uuid, &completion.result)?;
        }
        if completions.is_empty() {
            return Ok(CompleteManyReport::default());
        }
        let items: Vec<(&str, &str, Option<&str>, Option<&str>)> = completions
            .iter()
            .map(|completion| {
                let (json, key) = validate::result_columns(Some(&completion.result));
                (
                    completion.uuid.as_str(),
                    completion.token.as_str(),
                    json,
                    key,
                )
            })
            .collect();
        let items = serde_json::to_string(&items).unwrap_or_else(|_| "[]".to_owned());
        // One statement: atomic on its own, no explicit transaction needed.
        let done: Vec<String> = sqlx::query_scalar(include_str!("queries/complete_many.sql"))
            .bind(items)
            .bind(now_ms())
            .fetch_all(&mut *self.writer("complete_many").await?)
            .await
            .map_err(db(BACKEND, "complete_many"))?;
        let mut completed: HashSet<String> = done.into_iter().collect();
        let mut report = CompleteManyReport::default();
        for completion in completions {
            // A uuid listed twice completes once; the repeat is reported lost.
            if completed.remove(&completion.uuid) {
                report.completed += 1;
            } else {
                report.lease_lost.push(completion.uuid);
            }
        }
        Ok(report)
    }

    pub(super) async fn fail_task(
        &self,
        uuid: &str,
        token: &LeaseToken,
        failure: Failure,
    ) -> Result<FailOutcome, QueueError> {
        if let Some(result) = &failure.result {
            validate::result(uuid, result)?;
        }
        let (json, key) = validate::result_columns(failure.result.as_ref());
        let now = now_ms();
        let mut conn = self.writer("fail").await?;
        let mut tx = begin_write(&mut conn, "fail").await?;
        let attempt: Option<i64> = sqlx::query_scalar(include_str!("queries/leased_attempt.sql"))
            .bind(uuid)
            .bind(token.as_str())
            .fetch_optional(&mut *tx)
            .await
            .map_err(db(BACKEND, "fail"))?;
        let Some(attempt) = attempt else {
            return Err(lease_lost(&mut tx, uuid).await);
        };
        let row = match failure.kind {
            FailureKind::Retry { after } => {
                let failed_attempt = u32::try_from(attempt).unwrap_or(u32::MAX);
                let delay = after.unwrap_or_else(|| self.config.retry.delay(failed_attempt));
                sqlx::query(include_str!("queries/fail_retry.sql"))
                    .bind(uuid)
                    .bind(token.as_str())
                    .bind(&failure.error)
                    .bind(now)
                    .bind(now.saturating_add(millis(delay)))
                    .bind(json)
                    .bind(key)
                    .fetch_one(&mut *tx)
                    .await
            }
            FailureKind::InvalidInput | FailureKind::Final => {
                let state = if failure.kind == FailureKind::InvalidInput {
                    TaskState::Dead
                } else {
                    TaskState::Failed
                };
                sqlx::query(include_str!("queries/fail_final.sql"))
                    .bind(uuid)
                    .bind(token.as_str())
                    .bind(state.as_str())
                    .bind(&failure.error)
                    .bind(now)
                    .bind(json)
                    .bind(key)
                    .fetch_one(&mut *tx)
                    .await
            }
        }
        .map_err(db(BACKEND, "fail"))?;
        tx.commit().await.map_err(db(BACKEND, "fail: commit"))?;
        let state_text: String = row.try_get("state").map_err(db(BACKEND, "fail"))?;
        let outcome = match rows::state(uuid, &state_text)? {
            TaskState::Queued => {
                self.signal.wake();
                FailOutcome::Retrying {
                    attempt: u32::try_from(attempt).unwrap_or(0),
                    run_after: time(row.try_get("run_after").map_err(db(BACKEND, "fail"))?),
                }
            }
            TaskState::Dead => FailOutcome::Dead,
            TaskState::Cancelled => FailOutcome::Cancelled,
            _ => FailOutcome::Failed,
        };
        Ok(outcome)
    }

    pub(super) async fn release_task(
        &self,
        uuid: &str,
        token: &LeaseToken,
    ) -> Result<(), QueueError> {
        let mut conn = self.writer("release").await?;
        let done = sqlx::query(include_str!("queries/release.sql"))
            .bind(uuid)
            .bind(token.as_str())
            .bind(now_ms())
            .execute(&mut *conn)
            .await
            .map_err(db(BACKEND, "release"))?;
        if done.rows_affected() == 0 {
            return Err(lease_lost(&mut conn, uuid).await);
        }
        self.signal.wake();
        Ok(())
    }

    pub(super) async fn expire_task(
        &self,
        uuid: &str,
        token: &LeaseToken,
        reason: &str,
    ) -> Result<(), QueueError> {
        let mut conn = self.writer("expire").await?;
        let done = sqlx::query(include_str!("queries/expire.sql"))
            .bind(uuid)
            .bind(token.as_str())
            .bind(reason)
            .bind(now_ms())
            .execute(&mut *conn)
            .await
            .map_err(db(BACKEND, "expire"))?;
        if done.rows_affected() == 0 {
            return Err(lease_lost(&mut conn, uuid).await);
        }
        Ok(())
    }

    pub(super) async fn reap_expired(&self) -> Result<ReapReport, QueueError> {
        let now = now_ms();
        let mut report = ReapReport::default();
        let mut conn = self.writer("reap").await?;
        let mut tx = begin_write(&mut conn, "reap").await?;
        let expired = sqlx::query(include_str!("queries/expired_leases.sql"))
            .bind(now)
            .bind(i64::from(self.config.reap_batch))
            .fetch_all(&mut *tx)
            .await
            .map_err(db(BACKEND, "reap: finding expired leases"))?;
        for row in expired {
            let id: i64 = row.try_get("id").map_err(db(BACKEND, "reap"))?;
            let attempt: i64 = row.try_get("attempt").map_err(db(BACKEND, "reap"))?;
            let delay = self
                .config
                .retry
                .delay(u32::try_from(attempt).unwrap_or(u32::MAX));
            let state: Option<String> = sqlx::query_scalar(include_str!("queries/reap_lease.sql"))
                .bind(id)
                .bind(now)
                .bind(now.saturating_add(millis(delay)))
                .fetch_optional(&mut *tx)
                .await
                .map_err(db(BACKEND, "reap: moving a lease"))?;
            match state.as_deref() {
                Some("queued") => report.requeued += 1,
                Some("dead") => report.dead += 1,
                Some("cancelled") => report.cancelled += 1,
                _ => {}
            }
        }
        tx.commit().await.map_err(db(BACKEND, "reap: commit"))?;
        if report.requeued > 0 {
            self.signal.wake();
        }
        Ok(report)
    }
}
