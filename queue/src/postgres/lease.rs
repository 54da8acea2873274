//! The worker side: claim, heartbeat, complete, fail, release, expire, and the reaper.

use std::cmp::Reverse;
use std::collections::{BTreeSet, HashSet};
use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::Row;

use super::{BACKEND, PostgresQueue, lease_lost, millis_f64, rows};
use crate::error::{QueueError, db};
use crate::types::{
    ClaimRequest, CompleteManyReport, Completion, FailOutcome, Failure, FailureKind, Heartbeat,
    Lease, LeaseToken, ReapReport, TaskResult, TaskState,
};
use crate::validate;

impl PostgresQueue {
    pub(super) async fn claim_tasks(
        &self,
        request: &ClaimRequest,
    ) -> Result<Vec<Lease>, QueueError> {
        let names: Vec<String> = request
            .names
            .iter()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .cloned()
            .collect();
        let caps: Vec<Option<i64>> = names
            .iter()
            .map(|name| request.caps.get(name).map(|cap| i64::from(*cap)))
            .collect();
        let claim = sqlx::query(include_str!("queries/claim.sql"))
            .bind(&request.worker)
            .bind(&names)
            .bind(&caps)
            .bind(i64::from(request.limit))
            .bind(millis_f64(request.lease_for))
            .bind(millis_f64(self.config.worker_ttl));
        // Measured: one statement with the worker upsert as a CTE drained 3x slower than
        // this transaction on the bench, so the worker is touched (and locked) first.
        let mut tx = self.begin("claim").await?;
        sqlx::query(include_str!("queries/claim_settings.sql"))
            .execute(&mut *tx)
            .await
            .map_err(db(BACKEND, "claim: settings"))?;
        sqlx::query(include_str!("queries/touch_worker.sql"))
            .bind(&request.worker)
            .execute(&mut *tx)
            .await
            .map_err(db(BACKEND, "claim: recording the worker"))?;
        let found = claim
            .fetch_all(&mut *tx)
            .await
            .map_err(db(BACKEND, "claim"))?;
        tx.commit().await.map_err(db(BACKEND, "claim: commit"))?;
        let mut leases: Vec<(i64, DateTime<Utc>, Lease)> = Vec::with_capacity(found.len());
        for row in found {
            let attempt: i32 = row.try_get("attempt").map_err(db(BACKEND, "claim"))?;
            let max_attempts: i32 = row.try_get("max_attempts").map_err(db(BACKEND, "claim"))?;
            let lease = Lease {
                uuid: row.try_get("uuid").map_err(db(BACKEND, "claim"))?,
                name: row.try_get("name").map_err(db(BACKEND, "claim"))?,
                envelope: row.try_get("envelope").map_err(db(BACKEND, "claim"))?,
                attempt: u32::try_from(attempt).unwrap_or(0),
                max_attempts: u32::try_from(max_attempts).unwrap_or(0),
                priority: row.try_get("priority").map_err(db(BACKEND, "claim"))?,
                token: LeaseToken(row.try_get("lease_token").map_err(db(BACKEND, "claim"))?),
                worker: request.worker.clone(),
                lease_expires_at: row
                    .try_get("lease_expires_at")
                    .map_err(db(BACKEND, "claim"))?,
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
        let mut conn = self
            .pool
            .acquire()
            .await
            .map_err(db(BACKEND, "heartbeat"))?;
        let row = sqlx::query(include_str!("queries/heartbeat.sql"))
            .bind(uuid)
            .bind(token.as_str())
            .bind(millis_f64(lease_for))
            .fetch_optional(&mut *conn)
            .await
            .map_err(db(BACKEND, "heartbeat"))?;
        match row {
            Some(row) => Ok(Heartbeat {
                lease_expires_at: row
                    .try_get("lease_expires_at")
                    .map_err(db(BACKEND, "heartbeat"))?,
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
        let mut conn = self.pool.acquire().await.map_err(db(BACKEND, "complete"))?;
        let done = sqlx::query(include_str!("queries/complete.sql"))
            .bind(uuid)
            .bind(token.as_str())
            .bind(json)
            .bind(key)
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
        let mut uuids = Vec::with_capacity(completions.len());
        let mut tokens = Vec::with_capacity(completions.len());
        let mut jsons = Vec::with_capacity(completions.len());
        let mut keys = Vec::with_capacity(completions.len());
        for completion in &completions {
            let (json, key) = validate::result_columns(Some(&completion.result));
            uuids.push(completion.uuid.as_str());
            tokens.push(completion.token.as_str());
            jsons.push(json);
            keys.push(key);
        }
        let done: Vec<String> = sqlx::query_scalar(include_str!("queries/complete_many.sql"))
            .bind(&uuids)
            .bind(&tokens)
            .bind(&jsons)
            .bind(&keys)
            .fetch_all(&self.pool)
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
        let mut tx = self.begin("fail").await?;
        let attempt: Option<i32> = sqlx::query_scalar(include_str!("queries/leased_attempt.sql"))
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
                let failed_attempt = u32::try_from(attempt).unwrap_or(0);
                let delay = after.unwrap_or_else(|| self.config.retry.delay(failed_attempt));
                sqlx::query(include_str!("queries/fail_retry.sql"))
                    .bind(uuid)
                    .bind(token.as_str())
                    .bind(&failure.error)
                    .bind(millis_f64(delay))
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
                    .bind(json)
                    .bind(key)
                    .fetch_one(&mut *tx)
                    .await
            }
        }
        .map_err(db(BACKEND, "fail"))?;
        let state_text: String = row.try_get("state").map_err(db(BACKEND, "fail"))?;
        let outcome = match rows::state(uuid, &state_text)? {
            TaskState::Queued => {
                self.notify(&mut tx).await?;
                FailOutcome::Retrying {
                    attempt: u32::try_from(attempt).unwrap_or(0),
                    run_after: row.try_get("run_after").map_err(db(BACKEND, "fail"))?,
                }
            }
            TaskState::Dead => FailOutcome::Dead,
            TaskState::Cancelled => FailOutcome::Cancelled,
            _ => FailOutcome::Failed,
        };
        tx.commit().await.map_err(db(BACKEND, "fail: commit"))?;
        Ok(outcome)
    }

    pub(super) async fn release_task(
        &self,
        uuid: &str,
        token: &LeaseToken,
    ) -> Result<(), QueueError> {
        let mut tx = self.begin("release").await?;
        let state: Option<String> = sqlx::query_scalar(include_str!("queries/release.sql"))
            .bind(uuid)
            .bind(token.as_str())
            .fetch_optional(&mut *tx)
            .await
            .map_err(db(BACKEND, "release"))?;
        match state.as_deref() {
            None => return Err(lease_lost(&mut tx, uuid).await),
            Some("queued") => self.notify(&mut tx).await?,
            Some(_) => {}
        }
        tx.commit().await.map_err(db(BACKEND, "release: commit"))
    }

    pub(super) async fn expire_task(
        &self,
        uuid: &str,
        token: &LeaseToken,
        reason: &str,
    ) -> Result<(), QueueError> {
        let mut conn = self.pool.acquire().await.map_err(db(BACKEND, "expire"))?;
        let done = sqlx::query(include_str!("queries/expire.sql"))
            .bind(uuid)
            .bind(token.as_str())
            .bind(reason)
            .execute(&mut *conn)
            .await
            .map_err(db(BACKEND, "expire"))?;
        if done.rows_affected() == 0 {
            return Err(lease_lost(&mut conn, uuid).await);
        }
        Ok(())
    }

    pub(super) async fn reap_expired(&self) -> Result<ReapReport, QueueError> {
        let mut report = ReapReport::default();
        let mut tx = self.begin("reap").await?;
        let expired = sqlx::query(include_str!("queries/expired_leases.sql"))
            .bind(i64::from(self.config.reap_batch))
            .fetch_all(&mut *tx)
            .await
            .map_err(db(BACKEND, "reap: finding expired leases"))?;
        for row in expired {
            let id: i64 = row.try_get("id").map_err(db(BACKEND, "reap"))?;
            let attempt: i32 = row.try_get("attempt").map_err(db(BACKEND, "reap"))?;
            let delay = self.config.retry.delay(u32::try_from(attempt).unwrap_or(0));
            let state: Option<String> = sqlx::query_scalar(include_str!("queries/reap_lease.sql"))
                .bind(id)
                .bind(millis_f64(delay))
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
        if report.requeued > 0 {
            self.notify(&mut tx).await?;
        }
        tx.commit().await.map_err(db(BACKEND, "reap: commit"))?;
        Ok(report)
    }
}
