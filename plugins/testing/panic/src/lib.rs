//! Test plugin `Panic`: panics, so that the host must fail the task and keep serving.

use taskhost_sdk::{Error, Output, Plugin, PluginInfo, Task, export_plugin};

struct Panic;

impl Plugin for Panic {
    type Input = serde_json::Value;

    fn info() -> PluginInfo {
        PluginInfo::new("panic", env!("CARGO_PKG_VERSION")).handles("Panic")
    }

    fn run(task: &Task, _input: serde_json::Value) -> Result<Vec<Output>, Error> {
        panic!("the Panic plugin panics on purpose (task {})", task.id)
    }
}

export_plugin!(Panic);
