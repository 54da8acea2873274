//! Reading SQLite rows into domain types.

use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection};

use super::{BACKEND, time};
use crate::error::{QueueError, db};
use crate::types::{LeaseToken, TaskRecord, TaskState};
use crate::validate::result_from_columns;

/// A `tasks` row as selected by `get_task.sql` and `dead_letters.sql`.
pub(super) fn record(row: &SqliteRow) -> Result<TaskRecord, QueueError> {
    let get = |error: sqlx::Error| QueueError::Database {
        backend: BACKEND,
        step: "reading a task",
        source: error,
    };
    let uuid: String = row.try_get("uuid").map_err(get)?;
    let corrupt = |reason: String| QueueError::CorruptRow {
        backend: BACKEND,
        uuid: uuid.clone(),
        reason,
    };
    let state_text: String = row.try_get("state").map_err(get)?;
    let state = state_text
        .parse::<TaskState>()
        .map_err(|error| corrupt(error.to_string()))?;
    let tried_by_text: String = row.try_get("tried_by").map_err(get)?;
    let tried_by: Vec<String> = serde_json::from_str(&tried_by_text)
        .map_err(|error| corrupt(format!("tried_by: {error}")))?;
    let attempt: i64 = row.try_get("attempt").map_err(get)?;
    let max_attempts: i64 = row.try_get("max_attempts").map_err(get)?;
    Ok(TaskRecord {
        seq: row.try_get("id").map_err(get)?,
        name: row.try_get("name").map_err(get)?,
        envelope: row.try_get("envelope").map_err(get)?,
        state,
        priority: row.try_get("priority").map_err(get)?,
        attempt: u32::try_from(attempt).unwrap_or(0),
        max_attempts: u32::try_from(max_attempts).unwrap_or(0),
        run_after: time(row.try_get("run_after").map_err(get)?),
        retry_on_different_worker: row.try_get("retry_on_different_worker").map_err(get)?,
        lease_owner: row.try_get("lease_owner").map_err(get)?,
        lease_token: row
            .try_get::<Option<String>, _>("lease_token")
            .map_err(get)?
            .map(LeaseToken),
        lease_expires_at: row
            .try_get::<Option<i64>, _>("lease_expires_at")
            .map_err(get)?
            .map(time),
        tried_by,
        last_error: row.try_get("last_error").map_err(get)?,
        result: result_from_columns(
            row.try_get("result").map_err(get)?,
            row.try_get("result_key").map_err(get)?,
        ),
        cancel_requested: row.try_get("cancel_requested").map_err(get)?,
        created_at: time(row.try_get("created_at").map_err(get)?),
        updated_at: time(row.try_get("updated_at").map_err(get)?),
        finished_at: row
            .try_get::<Option<i64>, _>("finished_at")
            .map_err(get)?
            .map(time),
        uuid,
    })
}

/// A state column read back.
pub(super) fn state(uuid: &str, text: &str) -> Result<TaskState, QueueError> {
    text.parse::<TaskState>()
        .map_err(|error| QueueError::CorruptRow {
            backend: BACKEND,
            uuid: uuid.to_owned(),
            reason: error.to_string(),
        })
}

/// The state of a task, if it exists.
pub(super) async fn state_of(
    conn: &mut SqliteConnection,
    uuid: &str,
) -> Result<Option<TaskState>, QueueError> {
    let text: Option<String> = sqlx::query_scalar(include_str!("queries/task_state.sql"))
        .bind(uuid)
        .fetch_optional(&mut *conn)
        .await
        .map_err(db(BACKEND, "reading a task's state"))?;
    text.map(|text| state(uuid, &text)).transpose()
}
