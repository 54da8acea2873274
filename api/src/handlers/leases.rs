//! Remote-worker routes (admin) under `/v1/leases`: one route per fenced [`TaskQueue`] call.
//! A lost lease is a 409 with `kind: "leaseLost"`, which [`crate::HttpQueue`] turns back into
//! [`taskhost_queue::QueueError::LeaseLost`]. Ending a task wakes its result long-polls.
//!
//! [`TaskQueue`]: taskhost_queue::TaskQueue

use std::time::Duration;

use taskhost_queue::{ClaimRequest, Completion};
use warp::http::{HeaderMap, StatusCode};
use warp::reply::Response;

use super::{BodyStream, json};
use crate::auth::Role;
use crate::error::ApiError;
use crate::request::{Query, duration_ms, parse_json, path_uuid, read_json_body};
use crate::state::ApiState;
use crate::wire::{
    ClaimDto, CompleteDto, CompleteManyReply, CompletionDto, ExpireDto, FailDto, FailOutcomeDto,
    HeartbeatDto, HeartbeatReply, LeaseDto, TokenDto, WaitReply,
};

/// The admin token, no query parameter, then a JSON body read into `T` (in that order, so
/// that a request without a valid token learns nothing else).
async fn admin_body<T: serde::de::DeserializeOwned>(
    state: &ApiState,
    headers: &HeaderMap,
    query: &str,
    body: BodyStream,
) -> Result<T, ApiError> {
    state.auth.check(headers, Role::Admin)?;
    Query::none(query)?;
    let bytes = read_json_body(headers, body, state.limits.max_body_bytes).await?;
    parse_json(&bytes)
}

/// Like [`admin_body`], for a `/v1/leases/{uuid}/<action>` route: also decodes the uuid.
async fn lease_body<T: serde::de::DeserializeOwned>(
    state: &ApiState,
    uuid: &str,
    headers: &HeaderMap,
    query: &str,
    body: BodyStream,
) -> Result<(String, T), ApiError> {
    state.auth.check(headers, Role::Admin)?;
    Query::none(query)?;
    let uuid = path_uuid(uuid)?;
    let bytes = read_json_body(headers, body, state.limits.max_body_bytes).await?;
    Ok((uuid, parse_json(&bytes)?))
}

/// An empty `{}` reply.
fn done() -> Response {
    json(StatusCode::OK, &serde_json::json!({}))
}

/// `POST /v1/leases`: claim a batch.
pub(crate) async fn claim(
    state: ApiState,
    headers: HeaderMap,
    query: String,
    body: BodyStream,
) -> Result<Response, ApiError> {
    let dto: ClaimDto = admin_body(&state, &headers, &query, body).await?;
    duration_ms("leaseForMs", dto.lease_for_ms)?;
    let request = ClaimRequest::from(dto);
    let leases = state.queue.claim(&request).await?;
    let leases: Vec<LeaseDto> = leases.into_iter().map(LeaseDto::from).collect();
    Ok(json(StatusCode::OK, &leases))
}

/// `POST /v1/leases/{uuid}/heartbeat`.
pub(crate) async fn heartbeat(
    state: ApiState,
    uuid: String,
    headers: HeaderMap,
    query: String,
    body: BodyStream,
) -> Result<Response, ApiError> {
    let (uuid, dto): (_, HeartbeatDto) = lease_body(&state, &uuid, &headers, &query, body).await?;
    let lease_for = duration_ms("leaseForMs", dto.lease_for_ms)?;
    let beat = state.queue.heartbeat(&uuid, &dto.token, lease_for).await?;
    Ok(json(StatusCode::OK, &HeartbeatReply::from(beat)))
}

/// `POST /v1/leases/{uuid}/complete`.
pub(crate) async fn complete(
    state: ApiState,
    uuid: String,
    headers: HeaderMap,
    query: String,
    body: BodyStream,
) -> Result<Response, ApiError> {
    let (uuid, dto): (_, CompleteDto) = lease_body(&state, &uuid, &headers, &query, body).await?;
    state
        .queue
        .complete(&uuid, &dto.token, dto.result.into())
        .await?;
    state.finished.notify(&uuid);
    Ok(done())
}

/// `POST /v1/leases/complete-many`.
pub(crate) async fn complete_many(
    state: ApiState,
    headers: HeaderMap,
    query: String,
    body: BodyStream,
) -> Result<Response, ApiError> {
    let dtos: Vec<CompletionDto> = admin_body(&state, &headers, &query, body).await?;
    if dtos.len() > state.limits.max_batch {
        return Err(ApiError::PayloadTooLarge(format!(
            "{} completions in one request; the limit is {}",
            dtos.len(),
            state.limits.max_batch
        )));
    }
    let completions: Vec<Completion> = dtos.into_iter().map(Completion::from).collect();
    let uuids: Vec<String> = completions.iter().map(|c| c.uuid.clone()).collect();
    let report = state.queue.complete_many(completions).await?;
    for uuid in &uuids {
        state.finished.notify(uuid);
    }
    Ok(json(StatusCode::OK, &CompleteManyReply::from(report)))
}

/// `POST /v1/leases/{uuid}/fail`.
pub(crate) async fn fail(
    state: ApiState,
    uuid: String,
    headers: HeaderMap,
    query: String,
    body: BodyStream,
) -> Result<Response, ApiError> {
    let (uuid, dto): (_, FailDto) = lease_body(&state, &uuid, &headers, &query, body).await?;
    if let Some(after) = dto.retry_after_ms {
        duration_ms("retryAfterMs", after)?;
    }
    let (token, failure) = dto.into_parts();
    let outcome = state.queue.fail(&uuid, &token, failure).await?;
    state.finished.notify(&uuid);
    Ok(json(StatusCode::OK, &FailOutcomeDto::from(outcome)))
}

/// `POST /v1/leases/{uuid}/release`.
pub(crate) async fn release(
    state: ApiState,
    uuid: String,
    headers: HeaderMap,
    query: String,
    body: BodyStream,
) -> Result<Response, ApiError> {
    let (uuid, dto): (_, TokenDto) = lease_body(&state, &uuid, &headers, &query, body).await?;
    state.queue.release(&uuid, &dto.token).await?;
    state.finished.notify(&uuid);
    Ok(done())
}

/// `POST /v1/leases/{uuid}/expire`.
pub(crate) async fn expire(
    state: ApiState,
    uuid: String,
    headers: HeaderMap,
    query: String,
    body: BodyStream,
) -> Result<Response, ApiError> {
    let (uuid, dto): (_, ExpireDto) = lease_body(&state, &uuid, &headers, &query, body).await?;
    state.queue.expire(&uuid, &dto.token, &dto.reason).await?;
    state.finished.notify(&uuid);
    Ok(done())
}

/// `GET /v1/leases/wait?timeoutMs=N`: long-poll until work may have arrived (capped at
/// `Limits::max_wait`).
pub(crate) async fn wait_for_work(
    state: ApiState,
    headers: HeaderMap,
    query: String,
) -> Result<Response, ApiError> {
    state.auth.check(&headers, Role::Admin)?;
    let query = Query::parse(&query, &["timeoutMs"])?;
    let timeout = query
        .get::<u64>("timeoutMs")?
        .map_or(state.limits.max_wait, Duration::from_millis)
        .min(state.limits.max_wait);
    let woken = state.queue.wait_for_work(timeout).await;
    Ok(json(StatusCode::OK, &WaitReply { woken }))
}
