//! `taskhost dlq list` and `taskhost dlq redrive <uuid>|--all`: the dead letters of a running
//! host, through its API (admin token: `--token` or `TASKHOST_ADMIN_TOKEN`).

use std::process::ExitCode;

use super::api_target::ApiTarget;
use super::{EXIT_USAGE, fail, print_stdout};

/// `taskhost dlq` subcommands.
#[derive(Debug, clap::Subcommand)]
pub(crate) enum DlqCommand {
    /// Print dead tasks (oldest first) with their last error, as JSON.
    List {
        #[command(flatten)]
        target: ApiTarget,
        /// Skip this many.
        #[arg(long, default_value_t = 0)]
        offset: u64,
        /// At most this many.
        #[arg(long, default_value_t = 100)]
        limit: u64,
    },
    /// Queue dead tasks again (attempts reset).
    Redrive {
        #[command(flatten)]
        target: ApiTarget,
        /// The dead task to queue again.
        #[arg(required_unless_present = "all", conflicts_with = "all")]
        uuid: Option<String>,
        /// Every dead task.
        #[arg(long)]
        all: bool,
    },
}

/// Runs a `taskhost dlq` command.
pub(crate) async fn run(command: DlqCommand) -> ExitCode {
    let (target, outcome) = match &command {
        DlqCommand::List {
            target,
            offset,
            limit,
        } => {
            let outcome = match target.client("TASKHOST_ADMIN_TOKEN") {
                Ok(client) => client
                    .dead_letters(*offset, *limit)
                    .await
                    .map(|page| page.to_string())
                    .map_err(|e| e.to_string()),
                Err(e) => return fail(EXIT_USAGE, &e),
            };
            (target, outcome)
        }
        DlqCommand::Redrive { target, uuid, .. } => {
            let client = match target.client("TASKHOST_ADMIN_TOKEN") {
                Ok(client) => client,
                Err(e) => return fail(EXIT_USAGE, &e),
            };
            let moved = match uuid {
                Some(uuid) => client.redrive_one(uuid).await,
                None => client.redrive_all().await,
            };
            let outcome = moved
                .map(|n| serde_json::json!({ "redriven": n }).to_string())
                .map_err(|e| e.to_string());
            (target, outcome)
        }
    };
    match outcome {
        Ok(text) => {
            print_stdout(&text);
            ExitCode::SUCCESS
        }
        Err(e) => fail(EXIT_USAGE, &format!("{}: {e}", target.url())),
    }
}
