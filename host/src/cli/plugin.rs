//! `taskhost plugin inspect`: what a component's `describe` returns, the limits it would be
//! granted, its digest and its imports.

use std::path::PathBuf;
use std::process::ExitCode;

use serde_json::json;

use crate::assemble;
use crate::cli::{EXIT_USAGE, fail, print_stdout};
use crate::config::{Settings, SettingsArgs};

/// `taskhost plugin …`
#[derive(Debug, clap::Subcommand)]
pub(crate) enum PluginCommand {
    /// Print a component's `describe`, granted limits, digest and imports as JSON.
    Inspect {
        #[command(flatten)]
        settings: SettingsArgs,
        /// The component file.
        file: PathBuf,
    },
}

/// Runs a plugin subcommand.
pub(crate) async fn run(command: PluginCommand) -> ExitCode {
    match command {
        PluginCommand::Inspect { settings, file } => {
            let settings = match Settings::resolve(&settings) {
                Ok(s) => s,
                Err(e) => return fail(EXIT_USAGE, &e.to_string()),
            };
            let runtime = match assemble::start_runtime(&settings, 1) {
                Ok(r) => r,
                Err(e) => return fail(EXIT_USAGE, &e.to_string()),
            };
            let plugin = match runtime.load_file(&file).await {
                Ok((plugin, _)) => plugin,
                Err(e) => return fail(EXIT_USAGE, &e.to_string()),
            };
            let granted = runtime.limits_for(&plugin);
            let doc = json!({
                "name": plugin.info.name,
                "version": plugin.info.version,
                "tasks": plugin.info.tasks,
                "limits": {
                    "requested": plugin.info.limits,
                    "granted": {
                        "memoryBytes": granted.memory_bytes,
                        "timeoutMs": granted.timeout.as_millis() as u64,
                        "outputBytes": granted.output_bytes,
                    },
                },
                "sha256": plugin.digest,
                "imports": plugin.imports(),
            });
            print_stdout(&serde_json::to_string_pretty(&doc).unwrap_or_default());
            ExitCode::SUCCESS
        }
    }
}
