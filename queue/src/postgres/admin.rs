//! The producer and operator side: submit, cancel, get, dead letters, redrive, counts.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use sqlx::Row;

use super::{BACKEND, PostgresQueue, rows};
use crate::error::{QueueError, db};
use crate::types::{
    CancelOutcome, NewTask, Page, PageRequest, RedriveTarget, StateCount, SubmitReport, TaskRecord,
    TaskState,
};
use crate::validate;

/// Tasks per INSERT statement.
const SUBMIT_CHUNK: usize = 1000;

impl PostgresQueue {
    pub(super) async fn submit_tasks(
        &self,
        tasks: Vec<NewTask>,
    ) -> Result<SubmitReport, QueueError> {
        validate::new_tasks(&tasks)?;
        let (tasks, repeated) = validate::first_occurrences(tasks);
        let mut report = SubmitReport {
            inserted: Vec::with_capacity(tasks.len()),
            duplicates: repeated,
        };
        if tasks.is_empty() {
            return Ok(report);
        }
        let mut tx = self.begin("submit").await?;
        for chunk in tasks.chunks(SUBMIT_CHUNK) {
            let uuids: Vec<&str> = chunk.iter().map(|task| task.uuid.as_str()).collect();
            let names: Vec<&str> = chunk.iter().map(|task| task.name.as_str()).collect();
            let envelopes: Vec<&str> = chunk.iter().map(|task| task.envelope.as_str()).collect();
            let priorities: Vec<i32> = chunk.iter().map(|task| task.priority).collect();
            let attempts: Vec<i32> = chunk
                .iter()
                .map(|task| i32::try_from(task.max_attempts).unwrap_or(i32::MAX))
                .collect();
            let run_after: Vec<Option<DateTime<Utc>>> =
                chunk.iter().map(|task| task.run_after).collect();
            let different: Vec<bool> = chunk
                .iter()
                .map(|task| task.retry_on_different_worker)
                .collect();
            let inserted: Vec<String> =
                sqlx::query_scalar(include_str!("queries/insert_tasks.sql"))
                    .bind(&uuids)
                    .bind(&names)
                    .bind(&envelopes)
                    .bind(&priorities)
                    .bind(&attempts)
                    .bind(&run_after)
                    .bind(&different)
                    .fetch_all(&mut *tx)
                    .await
                    .map_err(db(BACKEND, "submit"))?;
            let inserted: HashSet<String> = inserted.into_iter().collect();
            for task in chunk {
                if inserted.contains(&task.uuid) {
                    report.inserted.push(task.uuid.clone());
                } else {
                    report.duplicates.push(task.uuid.clone());
                }
            }
        }
        if !report.inserted.is_empty() {
            self.notify(&mut tx).await?;
        }
        tx.commit().await.map_err(db(BACKEND, "submit: commit"))?;
        Ok(report)
    }

    pub(super) async fn cancel_task(&self, uuid: &str) -> Result<CancelOutcome, QueueError> {
        let state: Option<String> = sqlx::query_scalar(include_str!("queries/cancel.sql"))
            .bind(uuid)
            .fetch_optional(&self.pool)
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
            .fetch_optional(&self.pool)
            .await
            .map_err(db(BACKEND, "get"))?;
        row.as_ref().map(rows::record).transpose()
    }

    pub(super) async fn list_dead(&self, page: PageRequest) -> Result<Page, QueueError> {
        let limit = page.effective_limit();
        let found = sqlx::query(include_str!("queries/dead_letters.sql"))
            .bind(page.after.unwrap_or(i64::MIN))
            .bind(limit)
            .fetch_all(&self.pool)
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
        let mut tx = self.begin("redrive").await?;
        let moved = match &target {
            RedriveTarget::One(uuid) => {
                let done = sqlx::query(include_str!("queries/redrive_one.sql"))
                    .bind(uuid)
                    .execute(&mut *tx)
                    .await
                    .map_err(db(BACKEND, "redrive"))?;
                if done.rows_affected() == 0 {
                    return Err(match rows::state_of(&mut tx, uuid).await? {
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
                .execute(&mut *tx)
                .await
                .map_err(db(BACKEND, "redrive"))?
                .rows_affected(),
        };
        if moved > 0 {
            self.notify(&mut tx).await?;
        }
        tx.commit().await.map_err(db(BACKEND, "redrive: commit"))?;
        Ok(moved)
    }

    pub(super) async fn count_tasks(&self) -> Result<Vec<StateCount>, QueueError> {
        let found = sqlx::query(include_str!("queries/counts.sql"))
            .fetch_all(&self.pool)
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
