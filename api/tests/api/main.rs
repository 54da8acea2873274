//! The HTTP API against a real SQLite queue served on a local socket: every error status,
//! a fuzz of malformed bodies, the happy paths, the OpenAPI document, and a remote worker
//! (`HttpQueue`) running the queue's conformance suite through `/v1/leases`.

mod bodies;
mod common;
mod errors;
mod fuzz;
mod openapi;
mod remote;
mod tasks;
