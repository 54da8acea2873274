//! `taskhost exec`: one task, no queue. Loads the plugins, routes by `body.name`, runs the task
//! against the configured storage, prints the result message on stdout.

use std::io::{IsTerminal, Read};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use crate::assemble;
use crate::cli::progress_bar::ProgressBarObserver;
use crate::cli::{EXIT_TASK_FAILED, EXIT_USAGE, fail, print_stdout};
use crate::config::{Settings, SettingsArgs};
use crate::dispatch::{DispatchError, Outcome};
use crate::envelope::Envelope;
use crate::runtime::{IgnoreProgress, TaskObserver};

/// Arguments of `taskhost exec`.
#[derive(Debug, clap::Args)]
pub(crate) struct ExecArgs {
    #[command(flatten)]
    settings: SettingsArgs,
    /// The task envelope: a JSON file, or `-` for stdin.
    #[arg(value_name = "TASK.json|-")]
    task: PathBuf,
    /// Which attempt to report to the plugin.
    #[arg(long, default_value_t = 1)]
    attempt: u32,
}

/// Runs `exec`.
pub(crate) async fn run(args: ExecArgs) -> ExitCode {
    let bytes = match read_task(&args.task) {
        Ok(bytes) => bytes,
        Err(message) => return fail(EXIT_USAGE, &message),
    };
    let envelope = match Envelope::parse(&bytes) {
        Ok(envelope) => envelope,
        Err(e) => return fail(EXIT_USAGE, &format!("{}: {e}", args.task.display())),
    };
    let settings = match Settings::resolve(&args.settings) {
        Ok(settings) => settings,
        Err(e) => return fail(EXIT_USAGE, &e.to_string()),
    };
    let dispatcher = match assemble::dispatcher(&settings, 1).await {
        Ok(dispatcher) => dispatcher,
        Err(e) => return fail(EXIT_USAGE, &e.to_string()),
    };
    if let Err(e) = dispatcher.check_route(&envelope) {
        return fail(EXIT_USAGE, &e.to_string());
    }
    let bar = std::io::stderr()
        .is_terminal()
        .then(|| Arc::new(ProgressBarObserver::new(&envelope.task_name)));
    let observer: Arc<dyn TaskObserver> = match &bar {
        Some(bar) => bar.clone(),
        None => Arc::new(IgnoreProgress),
    };
    let dispatched = dispatcher.dispatch(&envelope, args.attempt, observer).await;
    if let Some(bar) = &bar {
        bar.finish();
    }
    match dispatched {
        Ok(dispatched) => {
            print_stdout(&dispatched.message.to_json());
            match dispatched.outcome {
                Outcome::Succeeded => ExitCode::SUCCESS,
                Outcome::Failed(_) | Outcome::Expired => ExitCode::from(EXIT_TASK_FAILED),
            }
        }
        Err(e @ DispatchError::UnknownTask { .. }) => fail(EXIT_USAGE, &e.to_string()),
        Err(e @ DispatchError::Offload(_)) => fail(EXIT_TASK_FAILED, &e.to_string()),
    }
}

fn read_task(path: &PathBuf) -> Result<Vec<u8>, String> {
    if path.as_os_str() == "-" {
        let mut bytes = Vec::new();
        std::io::stdin()
            .read_to_end(&mut bytes)
            .map_err(|e| format!("cannot read the task from stdin: {e}"))?;
        return Ok(bytes);
    }
    std::fs::read(path).map_err(|e| format!("cannot read task file {}: {e}", path.display()))
}
