//! The HTTP server of `taskhost run`: the task API of [`taskhost_api`] (submit, results,
//! cancel, dead letters, queue counts, remote-worker leases) plus the host's own routes:
//! `/healthz`, `/readyz`, `/metrics` ([`ops`]) and the local-storage presigned URLs
//! ([`storage_routes`]).
//!
//! Without tokens the API is open, so it only listens on a loopback address; tokens
//! (`--api-token` for producers, `--admin-token` for operators and remote workers) are needed
//! to listen anywhere else.

mod ops;
mod reply;
mod storage_routes;

use std::net::SocketAddr;
use std::sync::Arc;

use taskhost_api::{ApiState, Auth, Finished, SubmitDefaults};
use taskhost_queue::TaskQueue;
use tokio::sync::oneshot;
use warp::Filter;

use crate::config::Settings;
use crate::dispatch::Dispatcher;
use crate::telemetry::Telemetry;
use crate::worker::FinishedListener;

/// Why the server did not start.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    /// An open API (no tokens) was asked to listen beyond loopback.
    #[error(
        "refusing to serve the API on {0} without tokens: set --api-token and --admin-token, \
         or listen on a loopback address"
    )]
    OpenBeyondLoopback(SocketAddr),
    /// Binding or serving failed.
    #[error("cannot serve the API on {address}: {message}")]
    Bind {
        /// The `--listen` address.
        address: SocketAddr,
        /// Why.
        message: String,
    },
}

/// The server while it runs.
#[derive(Debug)]
pub struct RunningServer {
    address: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    handle: tokio::task::JoinHandle<()>,
    finished: Arc<Finished>,
}

impl RunningServer {
    /// The address it listens on.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// What the worker tells when a task ends, to wake result long-polls.
    pub fn finished_listener(&self) -> Arc<dyn FinishedListener> {
        Arc::new(WakeResultWaiters(Arc::clone(&self.finished)))
    }

    /// Stops accepting connections and waits for open requests to end.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = (&mut self.handle).await;
    }
}

struct WakeResultWaiters(Arc<Finished>);

impl FinishedListener for WakeResultWaiters {
    fn finished(&self, uuid: &str) {
        self.0.notify(uuid);
    }
}

/// The API's authentication from the settings: open when no token is set.
pub fn auth(settings: &Settings) -> Auth {
    let producer: Vec<String> = settings.api_token.iter().cloned().collect();
    let admin: Vec<String> = settings.admin_token.iter().cloned().collect();
    if producer.is_empty() && admin.is_empty() {
        Auth::open()
    } else {
        Auth::new(producer, admin)
    }
}

/// Starts the server on `settings.listen`.
pub async fn start(
    listener: tokio::net::TcpListener,
    settings: &Settings,
    queue: Arc<dyn TaskQueue>,
    dispatcher: &Dispatcher,
    telemetry: Telemetry,
) -> Result<RunningServer, HttpError> {
    let auth = auth(settings);
    if auth.is_open() && !settings.listen.ip().is_loopback() {
        return Err(HttpError::OpenBeyondLoopback(settings.listen));
    }
    let state = ApiState::new(queue)
        .with_auth(auth)
        .with_submit_defaults(SubmitDefaults {
            max_attempts: settings.max_attempts,
            ..SubmitDefaults::default()
        });
    let finished = state.finished();
    let host_routes = ops::routes(telemetry)
        .or(storage_routes::routes(Arc::clone(dispatcher.storage())))
        .unify()
        .boxed();
    let routes = taskhost_api::routes(state, host_routes);
    let (stop, stopped) = oneshot::channel::<()>();
    let (address, handle) = taskhost_api::serve_on(listener, routes, async move {
        let _ = stopped.await;
    })
    .map_err(|e| HttpError::Bind {
        address: settings.listen,
        message: e.to_string(),
    })?;
    Ok(RunningServer {
        address,
        stop: Some(stop),
        handle,
        finished,
    })
}
