//! A loaded plugin: its compiled component, pre-instantiated against the host's linker, and
//! what its `describe` said.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use wasmtime::component::Component;

use crate::runtime::bindings::TaskPluginPre;
use crate::runtime::limits::RequestedLimits;
use crate::runtime::state::TaskState;

/// What a plugin says about itself (its `describe`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PluginInfo {
    /// The plugin's name.
    pub name: String,
    /// Its version.
    pub version: String,
    /// The task names it handles.
    pub tasks: Vec<String>,
    /// The limits it asks for.
    pub limits: RequestedLimits,
}

/// Why a `describe` result is refused.
pub(crate) fn validate_info(info: &PluginInfo) -> Result<(), String> {
    let name_ok = !info.name.is_empty()
        && info.name.len() <= 64
        && info
            .name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !name_ok {
        return Err(format!(
            "plugin name {:?} must be 1 to 64 of lower-case letters, digits and `-`",
            info.name
        ));
    }
    if info.version.trim().is_empty() {
        return Err(format!("plugin {} has an empty version", info.name));
    }
    if info.tasks.is_empty() {
        return Err(format!("plugin {} handles no task", info.name));
    }
    if let Some(bad) = info
        .tasks
        .iter()
        .find(|t| t.trim().is_empty() || t.len() > 128)
    {
        return Err(format!(
            "plugin {} declares an invalid task name {bad:?}",
            info.name
        ));
    }
    Ok(())
}

/// A plugin ready to run tasks.
pub struct LoadedPlugin {
    /// What `describe` said.
    pub info: PluginInfo,
    /// sha256 of the component, hex.
    pub digest: String,
    /// Where it was loaded from (a path or a registry reference), for messages.
    pub source: String,
    pub(crate) name: Arc<str>,
    pub(crate) component: Component,
    pub(crate) pre: TaskPluginPre<TaskState>,
}

impl std::fmt::Debug for LoadedPlugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadedPlugin")
            .field("info", &self.info)
            .field("digest", &self.digest)
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

impl LoadedPlugin {
    /// The names of the component's imports (`wasi:cli/stdout@0.2.x`, `taskhost:plugin/storage@…`).
    pub fn imports(&self) -> Vec<String> {
        let engine = self.pre.engine();
        self.component
            .component_type()
            .imports(engine)
            .map(|(name, _)| name.to_owned())
            .collect()
    }
}
