//! `taskhost run`: the long-running worker and its HTTP API.
//!
//! Start-up order: settings -> queue -> storage, runtime and plugins -> API server -> worker.
//! Any failure before the worker starts is a one-line error and exit code 2. SIGTERM or SIGINT
//! starts a graceful shutdown (see [`crate::worker`]); a second signal ends the grace period at
//! once.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use taskhost_aws::sqs::{SqsAddress, SqsOptions, SqsQueue};
use taskhost_queue::{QueueConfig, TaskQueue};
use tokio_util::sync::CancellationToken;

use crate::assemble;
use crate::cli::{EXIT_USAGE, fail};
use crate::config::{Settings, SettingsArgs};
use crate::dispatch::Dispatcher;
use crate::http;
use crate::publish::PublishTarget;
use crate::telemetry::Telemetry;
use crate::worker::{CompletionBatching, Worker, WorkerSettings};

/// Arguments of `taskhost run`.
#[derive(Debug, clap::Args)]
pub(crate) struct RunArgs {
    #[command(flatten)]
    settings: SettingsArgs,
}

/// Runs the worker until a signal stops it.
pub(crate) async fn run(args: RunArgs) -> ExitCode {
    let settings = match Settings::resolve(&args.settings) {
        Ok(settings) => settings,
        Err(e) => return fail(EXIT_USAGE, &e.to_string()),
    };
    let started = match start(&settings).await {
        Ok(started) => started,
        Err(e) => return fail(EXIT_USAGE, &format!("{e:#}")),
    };
    let shutdown = CancellationToken::new();
    let force = CancellationToken::new();
    tokio::spawn(watch_signals(shutdown.clone(), force.clone()));
    let Started {
        worker,
        telemetry,
        server,
    } = started;
    telemetry.mark_started();
    let stopping = telemetry.clone();
    let signalled = shutdown.clone();
    tokio::spawn(async move {
        signalled.cancelled().await;
        stopping.mark_stopping();
    });
    let report = worker.run(shutdown.clone(), force).await;
    telemetry.mark_stopping();
    server.stop().await;
    tracing::info!(
        leased = report.leased,
        released = report.released_at_shutdown,
        "taskhost stopped"
    );
    ExitCode::SUCCESS
}

struct Started {
    worker: Worker,
    telemetry: Telemetry,
    server: http::RunningServer,
}

async fn start(settings: &Settings) -> anyhow::Result<Started> {
    // Bound first, so that with port 0 the presigned URLs of the default public URL (which
    // names the listen address) carry the port actually bound.
    let listener = tokio::net::TcpListener::bind(settings.listen)
        .await
        .with_context(|| format!("binding the HTTP API to {}", settings.listen))?;
    let mut settings = settings.clone();
    let settings = &mut settings;
    let bound = listener.local_addr().context("the API's bound address")?;
    if settings.listen.port() == 0 {
        if settings.public_url.port() == Some(0) {
            // Only the defaulted URL has port 0; setting a known port cannot fail.
            let _ = settings.public_url.set_port(Some(bound.port()));
        }
        settings.listen = bound;
    }
    let settings = &*settings;
    let target = PublishTarget::parse(&settings.publish).map_err(anyhow::Error::msg)?;
    let sqs = SqsAddress::parse(&settings.queue);
    if sqs.is_some() {
        check_sqs_settings(settings, &target)?;
    }
    let queue = connect_queue(settings, sqs.as_ref()).await?;
    let publisher = target.open().await?;
    let dispatcher = assemble::dispatcher(settings, settings.concurrency).await?;
    let names = claim_names(settings, &dispatcher)?;
    let telemetry = Telemetry::install();
    let server = http::start(
        listener,
        settings,
        Arc::clone(&queue),
        &dispatcher,
        telemetry.clone(),
    )
    .await
    .context("starting the HTTP API")?;
    tracing::info!(listen = %server.address(), queue = queue.backend(), publish = %settings.publish,
        names = ?names, "taskhost running");
    let mut worker_settings = WorkerSettings::new(&settings.worker_id, settings.concurrency, names);
    worker_settings.lease_for = Duration::from_secs(settings.lease_secs);
    worker_settings.grace = Duration::from_secs(settings.grace_secs);
    if let Some(prefetch) = settings.prefetch {
        worker_settings.prefetch = prefetch;
    }
    if sqs.is_some() {
        worker_settings.max_batch = taskhost_aws::sqs::MAX_RECEIVE;
        // A delete is a request (billed on AWS): wait a moment for a full DeleteMessageBatch.
        worker_settings.completion_batching = CompletionBatching {
            linger: Duration::from_millis(50),
            fill: taskhost_aws::sqs::MAX_RECEIVE as usize,
        };
    }
    worker_settings.caps = settings
        .caps
        .iter()
        .map(|cap| (cap.name.clone(), cap.limit))
        .collect();
    let worker = Worker::new(
        queue,
        dispatcher,
        publisher,
        telemetry.clone(),
        server.finished_listener(),
        worker_settings,
    );
    Ok(Started {
        worker,
        telemetry,
        server,
    })
}

/// SQS can neither filter tasks by name nor keep results: refuse the settings that need that,
/// before anything connects.
fn check_sqs_settings(settings: &Settings, target: &PublishTarget) -> anyhow::Result<()> {
    if target.uses_result_store() {
        bail!(
            "--queue {}: an SQS queue keeps no results, so --publish store cannot work; publish \
             them with --publish sns://<topic-arn>, file://<dir> or stdout",
            settings.queue
        );
    }
    if !settings.names.is_empty() || !settings.caps.is_empty() {
        bail!(
            "--queue {}: SQS cannot hand out tasks by name, so --names and --cap cannot be \
             honoured; give each group of hosts its own queue",
            settings.queue
        );
    }
    Ok(())
}

async fn connect_queue(
    settings: &Settings,
    sqs: Option<&SqsAddress>,
) -> anyhow::Result<Arc<dyn TaskQueue>> {
    if let Some(address) = sqs {
        let options = SqsOptions {
            max_attempts: settings.max_attempts,
            dead_letter: settings.sqs_dead_letter.clone(),
            ..SqsOptions::default()
        };
        let config = taskhost_aws::sdk_config().await;
        let queue = SqsQueue::connect(&config, address, options)
            .await
            .with_context(|| format!("opening the SQS queue {}", settings.queue))?;
        return Ok(Arc::new(queue));
    }
    if let Some(parent) = settings
        .queue
        .strip_prefix("sqlite://")
        .and_then(|path| std::path::Path::new(path).parent())
        .filter(|parent| !parent.as_os_str().is_empty())
    {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("creating the queue's folder {}", parent.display()))?;
    }
    let token = settings.admin_token.clone();
    let queue = taskhost_api::connect_queue(&settings.queue, QueueConfig::default(), token)
        .await
        .with_context(|| format!("opening the queue {}", redact_url(&settings.queue)))?;
    Ok(queue)
}

/// The task names this host claims: its routes, narrowed by `--names`.
fn claim_names(settings: &Settings, dispatcher: &Dispatcher) -> anyhow::Result<Vec<String>> {
    let routed: Vec<String> = dispatcher
        .router()
        .task_names()
        .map(str::to_owned)
        .collect();
    if settings.names.is_empty() {
        return Ok(routed);
    }
    for name in &settings.names {
        if !routed.contains(name) {
            bail!(
                "--names: no loaded plugin handles task {name:?} (loaded: {})",
                routed.join(", ")
            );
        }
    }
    Ok(settings.names.clone())
}

/// A queue URL without its password, for messages.
fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}

/// First SIGTERM/SIGINT: graceful shutdown. Second: end the grace period now.
async fn watch_signals(shutdown: CancellationToken, force: CancellationToken) {
    let Ok(mut terminate) =
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
    else {
        tracing::error!("cannot listen for SIGTERM");
        return;
    };
    let mut signals = 0;
    loop {
        tokio::select! {
            _ = terminate.recv() => {}
            _ = tokio::signal::ctrl_c() => {}
        }
        signals += 1;
        if signals == 1 {
            tracing::info!("signal received: shutting down gracefully (again to stop at once)");
            shutdown.cancel();
        } else {
            tracing::warn!("second signal: stopping running tasks now");
            force.cancel();
            return;
        }
    }
}
