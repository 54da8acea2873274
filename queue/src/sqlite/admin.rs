//! The producer and operator side: submit, cancel, get, dead letters, redrive, counts.

use sqlx::Row;

use super::{BACKEND, SqliteQueue, begin_write, now_ms, rows};
use crate::error::{QueueError, db};
use crate::types::{
    CancelOutcome, NewTask, Page, PageRequest, RedriveTarget, StateCount, SubmitReport, TaskRecord,
    TaskState,
};
use crate::validate;

impl SqliteQueue {
    pub(super) async fn submit_tasks(
        &self,
        tasks: Vec<NewTask>,
    ) -> Result<SubmitReport, QueueError> {
        validate::new_tasks(&tasks)?;
        let (tasks, repeated) = validate::first_occurrences(tasks);
        let now = now_ms();
        let mut report = SubmitReport {
            inserted: Vec::with_capacity(tasks.len()),
            duplicates: repeated,
        };
        let mut conn = self.writer("submit").await?;
        let mut tx = begin_write(&mut conn, "submit").await?;
        for task in tasks {
            let run_after = task.run_after.map_or(now, |at| at.timestamp_millis());
            let done = sqlx::query(include_str!("queries/insert_task.sql"))
                .bind(&task.uuid)
                .bind(&task.name)
                .bind(&task.envelope)
                .bind(task.priority)
                .bind(i64::from(task.max_attempts))
                .bind(run_after)
                .bind(task.retry_on_different_worker)
                .bind(now)
                .execute(&mut *tx)
                .await
                .map_err(db(BACKEND, "submit"))?;
            if done.rows_affected() == 0 {
                report.duplicates.push(task.uuid);
            } else {
                report.inserted.push(task.uuid);
            }
        }
        tx.commit().await.map_err(db(BACKEND, "submit: commit"))?;
        if !report.inserted.is_empty() {
            self.signal.wake();
        }
        Ok(report)
    }

    pub(super) async fn cancel_task(&self, uuid: &str) -> Result<CancelOutcome, QueueError> {
        let mut conn = self.writer("cancel").await?;
        let state: Option<String> = sqlx::query_scalar(include_str!("queries/cancel.sql"))
            .bind(uuid)
            .bind(now_ms())
            .fetch_optional(&mut *conn)
            .await
            .map_err(db(BACKEND, "cancel"))?;
        let Some(state) = state else {
            return Err(QueueError::NotFound(uuid.to_owned()));
        };
        Ok(match rows::state(uuid, &state)? {
            TaskState::Cancelled => CancelOutcome::Cancelled,
            TaskState::Leased => CancelOutcome::StopRequested,
            other => CancelOutcome::AlreadyFinished(other),
        })
    }

    pub(super) async fn get_task(&self, uuid: &str) -> Result<Option<TaskRecord>, QueueError> {
        let row = sqlx::query(include_str!("queries/get_task.sql"))
            .bind(uuid)
            .fetch_optional(&self.read)
            .await
            .map_err(db(BACKEND, "get"))?;
        row.as_ref().map(rows::record).transpose()
    }

    pub(super) async fn list_dead(&self, page: PageRequest) -> Result<Page, QueueError> {
        let limit = page.effective_limit();
        let found = sqlx::query(include_str!("queries/dead_letters.sql"))
            .bind(page.after.unwrap_or(i64::MIN))
            .bind(limit)
            .fetch_all(&self.read)
            .await
            .map_err(db(BACKEND, "dead_letters"))?;
        let tasks = found
            .iter()
            .map(rows::record)
            .collect::<Result<Vec<_>, _>>()?;
        let next = if i64::try_from(tasks.len()).unwrap_or(i64::MAX) >= limit && limit > 0 {
            tasks.last().map(|task| task.seq)
        } else {
            None
        };
        Ok(Page { tasks, next })
    }

    pub(super) async fn redrive_dead(&self, target: RedriveTarget) -> Result<u64, QueueError> {
        let now = now_ms();
        let mut conn = self.writer("redrive").await?;
        let moved = match &target {
            RedriveTarget::One(uuid) => {
                let done = sqlx::query(include_str!("queries/redrive_one.sql"))
                    .bind(uuid)
                    .bind(now)
                    .execute(&mut *conn)
                    .await
                    .map_err(db(BACKEND, "redrive"))?;
                if done.rows_affected() == 0 {
                    return Err(match rows::state_of(&mut conn, uuid).await? {
                        Some(state) => QueueError::NotDead {
                            uuid: uuid.clone(),
                            state,
                        },
                        None => QueueError::NotFound(uuid.clone()),
                    });
                }
                done.rows_affected()
            }
            RedriveTarget::AllDead => sqlx::query(include_str!("queries/redrive_all.sql"))
                .bind(now)
                .execute(&mut *conn)
                .await
                .map_err(db(BACKEND, "redrive"))?
                .rows_affected(),
        };
        if moved > 0 {
            self.signal.wake();
        }
        Ok(moved)
    }

    pub(super) async fn count_tasks(&self) -> Result<Vec<StateCount>, QueueError> {
        let found = sqlx::query(include_str!("queries/counts.sql"))
            .fetch_all(&self.read)
            .await
            .map_err(db(BACKEND, "counts"))?;
        let mut counts = Vec::with_capacity(found.len());
        for row in found {
            let name: String = row.try_get("name").map_err(db(BACKEND, "counts"))?;
            let state: String = row.try_get("state").map_err(db(BACKEND, "counts"))?;
            let count: i64 = row.try_get("tasks").map_err(db(BACKEND, "counts"))?;
            counts.push(StateCount {
                state: rows::state(&name, &state)?,
                name,
                count: u64::try_from(count).unwrap_or(0),
            });
        }
        Ok(counts)
    }
}
