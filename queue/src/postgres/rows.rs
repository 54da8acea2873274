//! Reading PostgreSQL rows into domain types.

use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Row};

use super::BACKEND;
use crate::error::{QueueError, db};
use crate::types::{LeaseToken, TaskRecord, TaskState};
use crate::validate::result_from_columns;

/// A `tasks` row as selected by `get_task.sql` and `dead_letters.sql`.
pub(super) fn record(row: &PgRow) -> Result<TaskRecord, QueueError> {
    let get = |error: sqlx::Error| QueueError::Database {
        backend: BACKEND,
        step: "reading a task",
        source: error,
    };
    let uuid: String = row.try_get("uuid").map_err(get)?;
    let state_text: String = row.try_get("state").map_err(get)?;
    let attempt: i32 = row.try_get("attempt").map_err(get)?;
    let max_attempts: i32 = row.try_get("max_attempts").map_err(get)?;
    Ok(TaskRecord {
        seq: row.try_get("id").map_err(get)?,
        name: row.try_get("name").map_err(get)?,
        envelope: row.try_get("envelope").map_err(get)?,
        state: state(&uuid, &state_text)?,
        priority: row.try_get("priority").map_err(get)?,
        attempt: u32::try_from(attempt).unwrap_or(0),
        max_attempts: u32::try_from(max_attempts).unwrap_or(0),
        run_after: row.try_get("run_after").map_err(get)?,
        retry_on_different_worker: row.try_get("retry_on_different_worker").map_err(get)?,
        lease_owner: row.try_get("lease_owner").map_err(get)?,
        lease_token: row
            .try_get::<Option<String>, _>("lease_token")
            .map_err(get)?
            .map(LeaseToken),
        lease_expires_at: row.try_get("lease_expires_at").map_err(get)?,
        tried_by: row.try_get("tried_by").map_err(get)?,
        last_error: row.try_get("last_error").map_err(get)?,
        result: result_from_columns(
            row.try_get("result").map_err(get)?,
            row.try_get("result_key").map_err(get)?,
        ),
        cancel_requested: row.try_get("cancel_requested").map_err(get)?,
        created_at: row.try_get("created_at").map_err(get)?,
        updated_at: row.try_get("updated_at").map_err(get)?,
        finished_at: row.try_get("finished_at").map_err(get)?,
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
    conn: &mut PgConnection,
    uuid: &str,
) -> Result<Option<TaskState>, QueueError> {
    let text: Option<String> = sqlx::query_scalar(include_str!("queries/task_state.sql"))
        .bind(uuid)
        .fetch_optional(&mut *conn)
        .await
        .map_err(db(BACKEND, "reading a task's state"))?;
    text.map(|text| state(uuid, &text)).transpose()
}
