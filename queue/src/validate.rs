//! Checks every backend applies before touching the database, so that they reject the same
//! input the same way.

use std::collections::HashSet;

use crate::error::QueueError;
use crate::types::{NewTask, TaskResult};

/// The longest uuid or task name accepted.
pub const MAX_ID_LEN: usize = 256;

/// Rejects a batch containing a task with an empty or overlong uuid or name, or no attempts
/// (every backend calls it first, so that all reject the same input the same way).
///
/// # Errors
/// [`QueueError::InvalidTask`] naming the first bad task.
pub fn new_tasks(tasks: &[NewTask]) -> Result<(), QueueError> {
    for task in tasks {
        let reason = if task.uuid.trim().is_empty() {
            Some("the uuid is empty".to_owned())
        } else if task.uuid.len() > MAX_ID_LEN {
            Some(format!("the uuid is longer than {MAX_ID_LEN} bytes"))
        } else if task.name.trim().is_empty() {
            Some("the task name is empty".to_owned())
        } else if task.name.len() > MAX_ID_LEN {
            Some(format!("the task name is longer than {MAX_ID_LEN} bytes"))
        } else if task.max_attempts == 0 {
            Some("max_attempts must be at least 1".to_owned())
        } else if task.max_attempts > i32::MAX as u32 {
            Some("max_attempts is too large".to_owned())
        } else {
            None
        };
        if let Some(reason) = reason {
            return Err(QueueError::InvalidTask {
                uuid: task.uuid.clone(),
                reason,
            });
        }
    }
    Ok(())
}

/// Splits a batch into the tasks to insert (first occurrence of each uuid) and the uuids that
/// repeat an earlier one in the same batch.
pub(crate) fn first_occurrences(tasks: Vec<NewTask>) -> (Vec<NewTask>, Vec<String>) {
    let mut seen = HashSet::with_capacity(tasks.len());
    let mut unique = Vec::with_capacity(tasks.len());
    let mut repeated = Vec::new();
    for task in tasks {
        if seen.insert(task.uuid.clone()) {
            unique.push(task);
        } else {
            repeated.push(task.uuid);
        }
    }
    (unique, repeated)
}

/// Rejects a result message that is not JSON.
pub(crate) fn result(uuid: &str, result: &TaskResult) -> Result<(), QueueError> {
    match result {
        TaskResult::Json(text) => serde_json::from_str::<serde::de::IgnoredAny>(text)
            .map(|_| ())
            .map_err(|error| QueueError::InvalidResult {
                uuid: uuid.to_owned(),
                reason: error.to_string(),
            }),
        TaskResult::StorageKey(_) => Ok(()),
    }
}

/// The two result columns (`result`, `result_key`) of a result.
pub(crate) fn result_columns(result: Option<&TaskResult>) -> (Option<&str>, Option<&str>) {
    match result {
        Some(TaskResult::Json(text)) => (Some(text), None),
        Some(TaskResult::StorageKey(key)) => (None, Some(key)),
        None => (None, None),
    }
}

/// The result of the two result columns.
pub(crate) fn result_from_columns(json: Option<String>, key: Option<String>) -> Option<TaskResult> {
    match (json, key) {
        (Some(text), _) => Some(TaskResult::Json(text)),
        (None, Some(key)) => Some(TaskResult::StorageKey(key)),
        (None, None) => None,
    }
}
