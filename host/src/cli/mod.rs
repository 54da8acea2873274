//! The `taskhost` command line. Exit codes: 0 success; 1 a task failed (its result message is
//! still printed); 2 usage or input errors, with a one-line reason on stderr.

mod api_target;
mod dlq;
mod exec;
mod logging;
mod plugin;
mod progress_bar;
mod run;
mod submit;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::config::{Settings, SettingsArgs};

/// A WebAssembly plugin host for task workers.
#[derive(Debug, Parser)]
#[command(name = "taskhost", version, about, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the worker: lease tasks from the queue, run them, publish results; serve the API.
    Run(run::RunArgs),
    /// Submit tasks to a running host's API (and wait for their results).
    Submit(submit::SubmitArgs),
    /// List and redrive dead-lettered tasks of a running host.
    Dlq {
        #[command(subcommand)]
        command: dlq::DlqCommand,
    },
    /// Run one task without a queue and print its result message on stdout.
    Exec(exec::ExecArgs),
    /// Work with plugin components.
    Plugin {
        #[command(subcommand)]
        command: plugin::PluginCommand,
    },
    /// Show the settings in effect.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
}

#[derive(Debug, Subcommand)]
enum ConfigCommand {
    /// Print the resolved settings as TOML (secrets redacted).
    Show {
        #[command(flatten)]
        settings: SettingsArgs,
    },
}

/// Exit code for usage and input errors.
pub const EXIT_USAGE: u8 = 2;
/// Exit code for a task that ran and failed (or expired).
pub const EXIT_TASK_FAILED: u8 = 1;

/// Runs the command line; returns the process exit code.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            // clap prints help/version to stdout (exit 0) and usage errors to stderr (exit 2).
            let _ = error.print();
            return ExitCode::from(u8::try_from(error.exit_code()).unwrap_or(EXIT_USAGE));
        }
    };
    match &cli.command {
        Command::Exec(_) => logging::init("warn,plugin=info", false),
        Command::Run(_) => logging::init("info", true),
        _ => logging::init("warn", false),
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return fail(EXIT_USAGE, &format!("cannot start the async runtime: {e}")),
    };
    runtime.block_on(async move {
        match cli.command {
            Command::Exec(args) => exec::run(args).await,
            Command::Run(args) => run::run(args).await,
            Command::Submit(args) => submit::run(args).await,
            Command::Dlq { command } => dlq::run(command).await,
            Command::Plugin { command } => plugin::run(command).await,
            Command::Config {
                command: ConfigCommand::Show { settings },
            } => match Settings::resolve(&settings) {
                Ok(settings) => {
                    print_stdout(&settings.to_toml());
                    ExitCode::SUCCESS
                }
                Err(e) => fail(EXIT_USAGE, &e.to_string()),
            },
        }
    })
}

/// Prints a one-line error and returns the exit code.
pub(crate) fn fail(code: u8, message: &str) -> ExitCode {
    let line = message.replace('\n', " ");
    eprintln!("taskhost: {line}");
    ExitCode::from(code)
}

/// Writes a document to stdout (the one place the CLI prints data).
#[allow(clippy::print_stdout)]
pub(crate) fn print_stdout(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes());
    if !text.ends_with('\n') {
        let _ = out.write_all(b"\n");
    }
    let _ = out.flush();
}
