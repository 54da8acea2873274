//! Operator routes (admin): dead letters, redrive, counts, and the raw queue routes the
//! remote [`crate::HttpQueue`] uses (submit prepared tasks, read a full task record).

use chrono::Datelike;
use taskhost_queue::{NewTask, PageRequest, QueueError, RedriveTarget, TaskRecord};
use warp::http::{HeaderMap, StatusCode};
use warp::reply::Response;

use super::{BodyStream, json};
use crate::auth::Role;
use crate::error::ApiError;
use crate::request::{Query, parse_json, path_uuid, read_empty_body, read_json_body};
use crate::state::ApiState;
use crate::wire::{NewTaskDto, PageDto, QueueCounts, RedriveReply, SubmitResponse, TaskRecordDto};

/// The default dead-letter page.
const DEFAULT_PAGE: u32 = 100;

/// Skips `offset` dead letters from the start, a page at a time; returns the cursor after them.
async fn cursor_after_offset(state: &ApiState, offset: u64) -> Result<Option<i64>, ApiError> {
    let mut after = None;
    let mut left = offset;
    while left > 0 {
        let limit = u32::try_from(left.min(u64::from(PageRequest::MAX_LIMIT)))
            .unwrap_or(PageRequest::MAX_LIMIT);
        let page = state
            .queue
            .dead_letters(PageRequest { after, limit })
            .await?;
        let Some(last) = page.tasks.last() else {
            break;
        };
        after = Some(last.seq);
        left = left.saturating_sub(page.tasks.len() as u64);
        if page.next.is_none() {
            // Past the end: an empty page follows.
            after = Some(i64::MAX);
            break;
        }
    }
    Ok(after)
}

/// `GET /v1/dead-letters?after|offset&limit`.
pub(crate) async fn dead_letters(
    state: ApiState,
    headers: HeaderMap,
    query: String,
) -> Result<Response, ApiError> {
    state.auth.check(&headers, Role::Admin)?;
    let query = Query::parse(&query, &["after", "offset", "limit"])?;
    let limit = query.get::<u32>("limit")?.unwrap_or(DEFAULT_PAGE);
    let after = match (query.get::<i64>("after")?, query.get::<u64>("offset")?) {
        (Some(_), Some(_)) => {
            return Err(ApiError::BadRequest(
                "give either after (a cursor) or offset, not both".into(),
            ));
        }
        (Some(after), None) => Some(after),
        (None, Some(offset)) => cursor_after_offset(&state, offset).await?,
        (None, None) => None,
    };
    let page = state
        .queue
        .dead_letters(PageRequest { after, limit })
        .await?;
    Ok(json(StatusCode::OK, &PageDto::from(page)))
}

/// `POST /v1/dead-letters/{uuid}/redrive`.
pub(crate) async fn redrive_one(
    state: ApiState,
    uuid: String,
    headers: HeaderMap,
    query: String,
    body: BodyStream,
) -> Result<Response, ApiError> {
    state.auth.check(&headers, Role::Admin)?;
    Query::none(&query)?;
    let uuid = path_uuid(&uuid)?;
    read_empty_body(&headers, body, state.limits.max_body_bytes).await?;
    let redriven = state.queue.redrive(RedriveTarget::One(uuid)).await?;
    Ok(json(StatusCode::OK, &RedriveReply { redriven }))
}

/// `POST /v1/dead-letters/redrive`: every dead task.
pub(crate) async fn redrive_all(
    state: ApiState,
    headers: HeaderMap,
    query: String,
    body: BodyStream,
) -> Result<Response, ApiError> {
    state.auth.check(&headers, Role::Admin)?;
    Query::none(&query)?;
    read_empty_body(&headers, body, state.limits.max_body_bytes).await?;
    let redriven = state.queue.redrive(RedriveTarget::AllDead).await?;
    Ok(json(StatusCode::OK, &RedriveReply { redriven }))
}

/// `GET /v1/queue`: counts by state and task name.
pub(crate) async fn counts(
    state: ApiState,
    headers: HeaderMap,
    query: String,
) -> Result<Response, ApiError> {
    state.auth.check(&headers, Role::Admin)?;
    Query::none(&query)?;
    let counts = state.queue.counts().await?;
    Ok(json(StatusCode::OK, &QueueCounts::from(counts)))
}

/// `POST /v1/queue/tasks`: prepared tasks (uuid, name, envelope text, settings).
pub(crate) async fn queue_submit(
    state: ApiState,
    headers: HeaderMap,
    query: String,
    body: BodyStream,
) -> Result<Response, ApiError> {
    state.auth.check(&headers, Role::Admin)?;
    Query::none(&query)?;
    let bytes = read_json_body(&headers, body, state.limits.max_body_bytes).await?;
    let tasks: Vec<NewTaskDto> = parse_json(&bytes)?;
    if tasks.len() > state.limits.max_batch {
        return Err(ApiError::PayloadTooLarge(format!(
            "{} tasks in one request; the limit is {}",
            tasks.len(),
            state.limits.max_batch
        )));
    }
    for task in &tasks {
        check_run_after(task)?;
    }
    let tasks: Vec<NewTask> = tasks.into_iter().map(NewTask::from).collect();
    let report = state.queue.submit(tasks).await?;
    Ok(json(StatusCode::OK, &SubmitResponse::from(report)))
}

/// A `runAfter` outside years 1 to 9999 rejects the batch as the queue rejects an invalid
/// task (PostgreSQL's `timestamptz` does not reach chrono's whole range).
fn check_run_after(task: &NewTaskDto) -> Result<(), ApiError> {
    let Some(run_after) = task.run_after else {
        return Ok(());
    };
    if (1..=9999).contains(&run_after.year()) {
        return Ok(());
    }
    Err(ApiError::Queue(QueueError::InvalidTask {
        uuid: task.uuid.clone(),
        reason: "runAfter must be between the years 1 and 9999".into(),
    }))
}

/// `GET /v1/queue/tasks/{uuid}`: the full record (envelope, lease token, result).
pub(crate) async fn queue_get(
    state: ApiState,
    uuid: String,
    headers: HeaderMap,
    query: String,
) -> Result<Response, ApiError> {
    state.auth.check(&headers, Role::Admin)?;
    Query::none(&query)?;
    let uuid = path_uuid(&uuid)?;
    let record: TaskRecord = state
        .queue
        .get(&uuid)
        .await?
        .ok_or_else(|| ApiError::NotFound(uuid.clone()))?;
    Ok(json(StatusCode::OK, &TaskRecordDto::from(record)))
}
