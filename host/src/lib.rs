//! # taskhost
//!
//! A WebAssembly plugin host for task workers. Data flows one way:
//! queue -> [`envelope`] -> [`router`] -> [`runtime`] -> outputs -> [`result_message`] ->
//! publisher -> ack. [`dispatch`] ties the steps together for one task.
//!
//! - [`runtime`]: the sandbox (wasmtime): compile cache, per-task instances and limits.
//! - [`capabilities`]: the host side of the WIT imports (storage, progress, log).
//! - [`storage`]: object storage backends and presigned URLs.
//! - [`config`]: settings from flags, `TASKHOST_*` variables and the TOML file.
//! - [`worker`]: `taskhost run`'s lease loop over a [`taskhost_queue::TaskQueue`].
//! - [`publish`]: where result messages go besides the queue's result store.
//! - [`http`]: `taskhost run`'s HTTP server (the task API, health, metrics, storage URLs).
//! - [`telemetry`]: Prometheus metrics and readiness.
//! - [`cli`]: the `taskhost` command line.

pub mod assemble;
pub mod capabilities;
pub mod cli;
pub mod config;
pub mod dispatch;
pub mod envelope;
pub mod http;
pub mod publish;
pub mod result_message;
pub mod router;
pub mod runtime;
pub mod storage;
pub mod telemetry;
pub mod trace;
pub mod worker;
