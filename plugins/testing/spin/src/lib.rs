//! Test plugin `Spin`: loops forever, so that the host must stop it at its deadline.

use std::hint::black_box;
use std::time::Duration;

use taskhost_sdk::{Error, Output, Plugin, PluginInfo, Task, export_plugin};

struct Spin;

impl Plugin for Spin {
    type Input = serde_json::Value;

    fn info() -> PluginInfo {
        PluginInfo::new("spin", env!("CARGO_PKG_VERSION"))
            .handles("Spin")
            .timeout(Duration::from_secs(2))
    }

    fn run(_task: &Task, _input: serde_json::Value) -> Result<Vec<Output>, Error> {
        let mut counter: u64 = 0;
        loop {
            counter = black_box(counter.wrapping_add(1));
        }
    }
}

export_plugin!(Spin);
