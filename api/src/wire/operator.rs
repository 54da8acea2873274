//! The operator routes' shapes: counts by state and task name, and what a redrive moved.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use taskhost_queue::{StateCount, TaskState};

/// Counts of tasks (`GET /v1/queue`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QueueCounts {
    /// Every (name, state) pair with tasks.
    pub counts: Vec<CountDto>,
    /// Totals by state.
    pub by_state: BTreeMap<TaskState, u64>,
    /// Totals by task name.
    pub by_name: BTreeMap<String, u64>,
    /// All tasks.
    pub total: u64,
}

/// The number of tasks of one name in one state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CountDto {
    /// The task name.
    pub name: String,
    /// The state.
    pub state: TaskState,
    /// How many.
    pub count: u64,
}

impl From<Vec<StateCount>> for QueueCounts {
    fn from(counts: Vec<StateCount>) -> Self {
        let mut totals = QueueCounts::default();
        for count in counts {
            *totals.by_state.entry(count.state).or_default() += count.count;
            *totals.by_name.entry(count.name.clone()).or_default() += count.count;
            totals.total += count.count;
            totals.counts.push(CountDto {
                name: count.name,
                state: count.state,
                count: count.count,
            });
        }
        totals
    }
}

/// The number of tasks a redrive moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RedriveReply {
    /// How many dead tasks were queued again.
    pub redriven: u64,
}
