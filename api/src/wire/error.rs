//! The body of every error response.

use serde::{Deserialize, Serialize};
use taskhost_queue::TaskState;

/// The body of every error: `{"error": "..."}`, plus what a client needs to rebuild a queue
/// error (`kind`, `uuid`, `state`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorBody {
    /// What went wrong, for a person.
    pub error: String,
    /// A stable machine name: `badRequest`, `unauthorized`, `forbidden`, `notFound`, `noRoute`,
    /// `methodNotAllowed`, `noResult`, `leaseLost`, `notDead`, `invalidTask`, `invalidResult`,
    /// `payloadTooLarge`, `unsupportedMediaType`, `unavailable` or `internal`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// The task concerned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uuid: Option<String>,
    /// The task's state, for `leaseLost` and `notDead`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<TaskState>,
    /// The reason, for `invalidTask` and `invalidResult`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}
