//! Replies of the host's own routes, in the API's error format (`{"error": "..."}`).

use warp::http::StatusCode;
use warp::reply::{Reply, Response};

/// A JSON error reply.
pub(super) fn error(status: StatusCode, message: impl Into<String>) -> Response {
    let body = serde_json::json!({ "error": message.into() });
    warp::reply::with_status(warp::reply::json(&body), status).into_response()
}

/// A JSON reply.
pub(super) fn json(status: StatusCode, body: &serde_json::Value) -> Response {
    warp::reply::with_status(warp::reply::json(body), status).into_response()
}
