//! What a plugin receives ([`Task`]), what it returns ([`Output`]) and what it declares about
//! itself ([`PluginInfo`]).

use std::time::Duration;

use serde::Serialize;

use crate::Error;
use crate::bindings::taskhost::plugin::types as wit;

/// The task being run.
#[derive(Debug, Clone)]
pub struct Task {
    /// The task id (the envelope's `uuid`).
    pub id: String,
    /// The task name (`body.name`).
    pub name: String,
    /// The experiment the task works on, if any.
    pub experiment_id: Option<String>,
    /// The `body` object as JSON text.
    pub body: String,
    /// Which attempt this is, from 1.
    pub attempt: u32,
    /// Time left before the host stops the task, measured when it started.
    pub time_left: Duration,
}

impl From<wit::Task> for Task {
    fn from(t: wit::Task) -> Self {
        Self {
            id: t.id,
            name: t.name,
            experiment_id: t.experiment_id,
            body: t.body,
            attempt: t.attempt,
            time_left: Duration::from_millis(t.time_left_ms),
        }
    }
}

/// One result of a task.
#[derive(Debug, Clone, PartialEq)]
pub struct Output {
    /// The media type, for example `application/json`.
    pub content_type: String,
    /// The bytes.
    pub body: Vec<u8>,
}

impl Output {
    /// A JSON result.
    pub fn json<T: Serialize + ?Sized>(value: &T) -> Result<Self, Error> {
        Ok(Self {
            content_type: "application/json".to_owned(),
            body: serde_json::to_vec(value)?,
        })
    }

    /// A result of any media type.
    pub fn bytes(content_type: &str, body: Vec<u8>) -> Self {
        Self {
            content_type: content_type.to_owned(),
            body,
        }
    }

    pub(crate) fn into_wit(self) -> wit::Output {
        wit::Output {
            content_type: self.content_type,
            body: self.body,
        }
    }
}

/// Who the plugin is, what it handles, and the limits it asks for.
#[derive(Debug, Clone, PartialEq)]
pub struct PluginInfo {
    name: String,
    version: String,
    tasks: Vec<String>,
    memory_bytes: Option<u64>,
    timeout: Option<Duration>,
    output_bytes: Option<u64>,
}

impl PluginInfo {
    /// A plugin called `name` at `version` that handles no task yet.
    /// Usually `PluginInfo::new(env!("CARGO_PKG_NAME"), env!("CARGO_PKG_VERSION"))`.
    pub fn new(name: &str, version: &str) -> Self {
        Self {
            name: name.to_owned(),
            version: version.to_owned(),
            tasks: Vec::new(),
            memory_bytes: None,
            timeout: None,
            output_bytes: None,
        }
    }

    /// Adds a task name (`body.name`) that this plugin handles.
    pub fn handles(mut self, task_name: &str) -> Self {
        self.tasks.push(task_name.to_owned());
        self
    }

    /// Asks for at most this much linear memory per task.
    pub fn memory_limit(mut self, bytes: u64) -> Self {
        self.memory_bytes = Some(bytes);
        self
    }

    /// Asks to be stopped after this long.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Asks for at most this many bytes of output per task.
    pub fn output_limit(mut self, bytes: u64) -> Self {
        self.output_bytes = Some(bytes);
        self
    }

    pub(crate) fn into_wit(self) -> wit::PluginInfo {
        wit::PluginInfo {
            name: self.name,
            version: self.version,
            tasks: self.tasks,
            limits: wit::Limits {
                memory_bytes: self.memory_bytes,
                timeout_ms: self
                    .timeout
                    .map(|t| u64::try_from(t.as_millis()).unwrap_or(u64::MAX)),
                output_bytes: self.output_bytes,
            },
        }
    }
}
