//! The work of each route: check the token, read and validate the request, call the queue,
//! build the reply. Every handler returns a reply; errors become their JSON status here, never
//! a rejection.

mod leases;
mod operator;
mod tasks;

use std::convert::Infallible;
use std::pin::Pin;

use bytes::Bytes;
use futures::Stream;
use serde::Serialize;
use warp::Reply;
use warp::http::StatusCode;
use warp::reply::Response;

use crate::error::ApiError;

pub(crate) use leases::{
    claim, complete, complete_many, expire, fail, heartbeat, release, wait_for_work,
};
pub(crate) use operator::{
    counts, dead_letters, queue_get, queue_submit, redrive_all, redrive_one,
};
pub(crate) use tasks::{cancel, result, status, submit};

/// A request body as the filters hand it over.
pub(crate) type BodyStream = Pin<Box<dyn Stream<Item = Result<Bytes, warp::Error>> + Send>>;

/// A JSON reply with `status`.
pub(crate) fn json<T: Serialize>(status: StatusCode, value: &T) -> Response {
    warp::reply::with_status(warp::reply::json(value), status).into_response()
}

/// The reply of a handler's outcome.
pub(crate) fn respond(outcome: Result<Response, ApiError>) -> Result<Response, Infallible> {
    Ok(outcome.unwrap_or_else(Reply::into_response))
}
