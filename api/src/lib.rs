//! taskhost-api: the HTTP API of taskhost (warp) and the client that speaks it.
//!
//! Server side: [`ApiState`] (the queue, [`Auth`] tokens, [`Limits`], [`SubmitDefaults`] and
//! the [`Finished`] result waiters), [`routes`] (the `/v1` API behind the host's own routes)
//! and [`serve`]. Producers submit envelopes and read results; operators cancel, inspect dead
//! letters, redrive and count; remote workers lease, heartbeat, complete and fail under
//! `/v1/leases`. Every error is JSON `{"error": "..."}` with its status; the routes are
//! described by [`OPENAPI_JSON`] (`api/openapi.json`, served at `GET /v1/openapi.json`).
//!
//! Client side: [`ApiClient`] (producer and operator calls, for the CLI), [`HttpQueue`] (a
//! [`taskhost_queue::TaskQueue`] over another host's API) and [`connect_queue`].
//!
//! This crate depends on the queue crate only, never on the host (and so not on wasmtime).

mod auth;
pub mod client;
mod error;
mod filters;
mod finished;
mod handlers;
mod request;
mod serve;
mod state;
mod submit;
pub mod wire;

pub use auth::Auth;
pub use client::{ApiClient, ClientError, HttpQueue, connect_queue};
pub use error::ApiError;
pub use filters::{OPENAPI_JSON, no_extra_routes, routes};
pub use finished::Finished;
pub use serve::{serve, serve_on};
pub use state::{ApiState, Limits, SubmitDefaults};
pub use wire::SubmitResponse;
