//! `taskhost submit`: sends task envelopes to a running host's API; with `--wait`, prints each
//! task's result message (one JSON document per line, in the order given).
//!
//! Exit codes: 0 submitted (with `--wait`: every task succeeded); 1 with `--wait`, a task
//! failed, expired or was dead-lettered (its result message is still printed); 2 bad input, or
//! the API refused or could not be reached.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::api_target::ApiTarget;
use super::{EXIT_TASK_FAILED, EXIT_USAGE, fail, print_stdout};

/// Arguments of `taskhost submit`.
#[derive(Debug, clap::Args)]
pub(crate) struct SubmitArgs {
    #[command(flatten)]
    target: ApiTarget,
    /// Wait for each task's result message and print it.
    #[arg(long)]
    wait: bool,
    /// With `--wait`: give up after this many seconds (exit 2).
    #[arg(long, default_value_t = 3600, value_name = "SECONDS")]
    wait_secs: u64,
    /// Files holding one envelope or an array of envelopes (`-` reads stdin).
    #[arg(required = true, value_name = "TASK_JSON")]
    files: Vec<PathBuf>,
}

/// Runs `taskhost submit`.
pub(crate) async fn run(args: SubmitArgs) -> ExitCode {
    let envelopes = match read_envelopes(&args.files) {
        Ok(envelopes) => envelopes,
        Err(e) => return fail(EXIT_USAGE, &e),
    };
    let client = match args.target.client("TASKHOST_API_TOKEN") {
        Ok(client) => client,
        Err(e) => return fail(EXIT_USAGE, &e),
    };
    let uuids: Vec<String> = envelopes
        .iter()
        .map(|e| e["uuid"].as_str().unwrap_or_default().to_owned())
        .collect();
    let report = match client.submit(envelopes).await {
        Ok(report) => report,
        Err(e) => {
            return fail(
                EXIT_USAGE,
                &format!("submitting to {}: {e}", args.target.url()),
            );
        }
    };
    if !args.wait {
        print_stdout(&serde_json::to_string(&report).unwrap_or_default());
        return ExitCode::SUCCESS;
    }
    let deadline = Instant::now() + Duration::from_secs(args.wait_secs);
    let mut all_succeeded = true;
    for uuid in &uuids {
        let message = loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return fail(
                    EXIT_USAGE,
                    &format!("task {uuid} has no result after {} s", args.wait_secs),
                );
            }
            match client
                .result(uuid, Some(left.min(Duration::from_secs(30))))
                .await
            {
                Ok(Some(message)) => break message,
                Ok(None) => {}
                Err(e) => return fail(EXIT_USAGE, &format!("waiting for task {uuid}: {e}")),
            }
        };
        all_succeeded &= !is_failure(&message);
        print_stdout(&serde_json::to_string(&message).unwrap_or_default());
    }
    if all_succeeded {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_TASK_FAILED)
    }
}

/// Whether a result message reports a failure (`response.error`); a result kept in storage
/// (`{"storageKey": ...}`) is a success.
fn is_failure(message: &Value) -> bool {
    message["response"]["error"].as_bool().unwrap_or(false)
}

/// Every envelope of the files, in order. Each must be a JSON object with a string `uuid`.
fn read_envelopes(files: &[PathBuf]) -> Result<Vec<Value>, String> {
    let mut envelopes = Vec::new();
    for file in files {
        let text = if file.as_os_str() == "-" {
            std::io::read_to_string(std::io::stdin()).map_err(|e| format!("reading stdin: {e}"))?
        } else {
            std::fs::read_to_string(file).map_err(|e| format!("reading {}: {e}", file.display()))?
        };
        let value: Value = serde_json::from_str(&text)
            .map_err(|e| format!("{} is not JSON: {e}", file.display()))?;
        let found = match value {
            Value::Array(items) => items,
            other => vec![other],
        };
        for envelope in found {
            if !envelope["uuid"].is_string() {
                return Err(format!(
                    "{}: every task needs a string \"uuid\"",
                    file.display()
                ));
            }
            envelopes.push(envelope);
        }
    }
    Ok(envelopes)
}
