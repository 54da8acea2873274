//! Test plugin `Hog`: allocates (and touches) memory until the host's memory cap stops it.

use std::hint::black_box;

use taskhost_sdk::{Error, Output, Plugin, PluginInfo, Task, export_plugin};

struct Hog;

impl Plugin for Hog {
    type Input = serde_json::Value;

    fn info() -> PluginInfo {
        PluginInfo::new("hog", env!("CARGO_PKG_VERSION"))
            .handles("Hog")
            .memory_limit(64 << 20)
    }

    fn run(_task: &Task, _input: serde_json::Value) -> Result<Vec<Output>, Error> {
        let mut blocks: Vec<Vec<u8>> = Vec::new();
        loop {
            blocks.push(black_box(vec![1u8; 1 << 20]));
            black_box(&blocks);
        }
    }
}

export_plugin!(Hog);
