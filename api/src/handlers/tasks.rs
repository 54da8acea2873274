//! Producer routes: submit, status, result (with long-poll); and cancel (admin).

use std::time::Duration;

use serde_json::json;
use taskhost_queue::{TaskRecord, TaskResult};
use tokio::time::Instant;
use warp::http::header::{CONTENT_TYPE, HeaderValue};
use warp::http::{HeaderMap, StatusCode};
use warp::reply::Response;

use super::{BodyStream, json};
use crate::auth::Role;
use crate::error::ApiError;
use crate::request::{Query, path_uuid, read_json_body};
use crate::state::ApiState;
use crate::submit::{SubmitOptions, tasks_from_body};
use crate::wire::{CancelReply, SubmitResponse, TaskStatus};

/// How often a result long-poll re-reads the task, for results completed by another host.
const RECHECK: Duration = Duration::from_millis(250);

/// `POST /v1/tasks`: one envelope or an array; 202 with the submit report.
pub(crate) async fn submit(
    state: ApiState,
    headers: HeaderMap,
    query: String,
    body: BodyStream,
) -> Result<Response, ApiError> {
    state.auth.check(&headers, Role::Producer)?;
    let query = Query::parse(&query, &["priority", "maxAttempts"])?;
    let options = SubmitOptions::new(
        state.defaults,
        query.get("priority")?,
        query.get("maxAttempts")?,
    )?;
    let bytes = read_json_body(&headers, body, state.limits.max_body_bytes).await?;
    let tasks = tasks_from_body(&bytes, options, &state.limits)?;
    let report = state.queue.submit(tasks).await?;
    Ok(json(StatusCode::ACCEPTED, &SubmitResponse::from(report)))
}

async fn record(state: &ApiState, uuid: &str) -> Result<TaskRecord, ApiError> {
    state
        .queue
        .get(uuid)
        .await?
        .ok_or_else(|| ApiError::NotFound(uuid.to_owned()))
}

/// `GET /v1/tasks/{uuid}`.
pub(crate) async fn status(
    state: ApiState,
    uuid: String,
    headers: HeaderMap,
    query: String,
) -> Result<Response, ApiError> {
    state.auth.check(&headers, Role::Producer)?;
    Query::none(&query)?;
    let uuid = path_uuid(&uuid)?;
    let record = record(&state, &uuid).await?;
    Ok(json(StatusCode::OK, &TaskStatus::from(&record)))
}

/// The reply for a finished task, `None` while it is not finished.
fn finished_reply(record: TaskRecord) -> Result<Option<Response>, ApiError> {
    if !record.state.is_final() {
        return Ok(None);
    }
    match record.result {
        Some(TaskResult::Json(text)) => {
            let mut response = Response::new(text.into());
            response
                .headers_mut()
                .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
            Ok(Some(response))
        }
        Some(TaskResult::StorageKey(key)) => {
            Ok(Some(json(StatusCode::OK, &json!({ "storageKey": key }))))
        }
        None => Err(ApiError::NoResult {
            uuid: record.uuid,
            state: record.state,
        }),
    }
}

/// `GET /v1/tasks/{uuid}/result[?wait=SECONDS]`.
pub(crate) async fn result(
    state: ApiState,
    uuid: String,
    headers: HeaderMap,
    query: String,
) -> Result<Response, ApiError> {
    state.auth.check(&headers, Role::Producer)?;
    let uuid = path_uuid(&uuid)?;
    let query = Query::parse(&query, &["wait"])?;
    let wait = match query.get::<f64>("wait")? {
        None => Duration::ZERO,
        Some(seconds) if seconds.is_finite() && seconds >= 0.0 => {
            Duration::try_from_secs_f64(seconds)
                .unwrap_or(state.limits.max_wait)
                .min(state.limits.max_wait)
        }
        Some(_) => {
            return Err(ApiError::BadRequest(
                "query parameter wait must be a number of seconds >= 0".into(),
            ));
        }
    };
    let deadline = Instant::now() + wait;
    let watch = state.finished.watch(&uuid);
    loop {
        let notified = watch.notify.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        let record = record(&state, &uuid).await?;
        let current = record.state;
        if let Some(reply) = finished_reply(record)? {
            return Ok(reply);
        }
        let now = Instant::now();
        if now >= deadline {
            return Ok(json(StatusCode::ACCEPTED, &json!({ "state": current })));
        }
        let pause = RECHECK.min(deadline - now);
        tokio::select! {
            () = &mut notified => {}
            () = tokio::time::sleep(pause) => {}
        }
    }
}

/// `DELETE /v1/tasks/{uuid}` (admin): cancel.
pub(crate) async fn cancel(
    state: ApiState,
    uuid: String,
    headers: HeaderMap,
    query: String,
) -> Result<Response, ApiError> {
    state.auth.check(&headers, Role::Admin)?;
    Query::none(&query)?;
    let uuid = path_uuid(&uuid)?;
    let outcome = state.queue.cancel(&uuid).await?;
    state.finished.notify(&uuid);
    Ok(json(StatusCode::OK, &CancelReply::from(outcome)))
}
