//! The server's one error enum: each variant maps to a status and a JSON body
//! `{"error": "..."}`; and the one `recover` that turns warp's rejections (no route matched,
//! wrong method) into the same shape.

use std::convert::Infallible;

use taskhost_queue::QueueError;
use warp::http::StatusCode;
use warp::http::header::{CONNECTION, HeaderValue, WWW_AUTHENTICATE};
use warp::reply::Response;
use warp::{Rejection, Reply};

use crate::wire::ErrorBody;

/// Everything a request (or starting the server) can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The request is malformed: bad JSON, a bad field, a bad query parameter.
    #[error("{0}")]
    BadRequest(String),
    /// No bearer token, or one that is not configured.
    #[error("a valid bearer token is required")]
    Unauthorized,
    /// A producer token on an admin route.
    #[error("this route needs an admin token")]
    Forbidden,
    /// No such task.
    #[error("no task {0}")]
    NotFound(String),
    /// The task finished without a result message to return.
    #[error("task {uuid} ended {state} without a result message")]
    NoResult {
        /// The task id.
        uuid: String,
        /// The state it ended in.
        state: taskhost_queue::TaskState,
    },
    /// The body is larger than the limit (or the batch longer than the limit).
    #[error("{0}")]
    PayloadTooLarge(String),
    /// A body that is not `application/json`.
    #[error("the body must be application/json, not {0:?}")]
    UnsupportedMediaType(String),
    /// The queue failed or refused.
    #[error(transparent)]
    Queue(#[from] QueueError),
    /// Binding the listening socket failed.
    #[error("api: binding {addr} failed: {reason}")]
    Bind {
        /// The address.
        addr: std::net::SocketAddr,
        /// The reason.
        reason: String,
    },
}

impl ApiError {
    /// The HTTP status of this error.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::NoResult { .. } => StatusCode::CONFLICT,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Queue(error) => queue_status(error),
            ApiError::Bind { .. } => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The JSON body of this error. 5xx bodies stay generic (details go to the log).
    pub fn body(&self) -> ErrorBody {
        match self {
            ApiError::Queue(error) => queue_body(error),
            ApiError::NotFound(uuid) => ErrorBody {
                error: self.to_string(),
                kind: Some("notFound".into()),
                uuid: Some(uuid.clone()),
                ..ErrorBody::default()
            },
            ApiError::NoResult { uuid, state } => ErrorBody {
                error: self.to_string(),
                kind: Some("noResult".into()),
                uuid: Some(uuid.clone()),
                state: Some(*state),
                ..ErrorBody::default()
            },
            other => ErrorBody {
                error: other.to_string(),
                kind: Some(other.kind().into()),
                ..ErrorBody::default()
            },
        }
    }

    /// The `kind` of the error body of the variants without details.
    fn kind(&self) -> &'static str {
        match self {
            ApiError::BadRequest(_) => "badRequest",
            ApiError::Unauthorized => "unauthorized",
            ApiError::Forbidden => "forbidden",
            ApiError::NotFound(_) => "notFound",
            ApiError::NoResult { .. } => "noResult",
            ApiError::PayloadTooLarge(_) => "payloadTooLarge",
            ApiError::UnsupportedMediaType(_) => "unsupportedMediaType",
            ApiError::Queue(_) | ApiError::Bind { .. } => "internal",
        }
    }
}

fn queue_status(error: &QueueError) -> StatusCode {
    match error {
        QueueError::LeaseLost { .. } | QueueError::NotDead { .. } => StatusCode::CONFLICT,
        QueueError::NotFound(_) => StatusCode::NOT_FOUND,
        QueueError::InvalidTask { .. } | QueueError::InvalidResult { .. } => {
            StatusCode::BAD_REQUEST
        }
        QueueError::Database { .. }
        | QueueError::Remote(_)
        | QueueError::Service { .. }
        | QueueError::Setup { .. } => StatusCode::SERVICE_UNAVAILABLE,
        QueueError::Unsupported { .. } => StatusCode::NOT_IMPLEMENTED,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

fn queue_body(error: &QueueError) -> ErrorBody {
    let plain = |kind: &str| ErrorBody {
        error: error.to_string(),
        kind: Some(kind.to_owned()),
        ..ErrorBody::default()
    };
    match error {
        QueueError::LeaseLost { uuid, state } => ErrorBody {
            uuid: Some(uuid.clone()),
            state: Some(*state),
            ..plain("leaseLost")
        },
        QueueError::NotDead { uuid, state } => ErrorBody {
            uuid: Some(uuid.clone()),
            state: Some(*state),
            ..plain("notDead")
        },
        QueueError::NotFound(uuid) => ErrorBody {
            uuid: Some(uuid.clone()),
            ..plain("notFound")
        },
        QueueError::InvalidTask { uuid, reason } => ErrorBody {
            uuid: Some(uuid.clone()),
            reason: Some(reason.clone()),
            ..plain("invalidTask")
        },
        QueueError::InvalidResult { uuid, reason } => ErrorBody {
            uuid: Some(uuid.clone()),
            reason: Some(reason.clone()),
            ..plain("invalidResult")
        },
        // Says what the backend cannot do and what to use instead; names nothing secret.
        QueueError::Unsupported { .. } => plain("unsupported"),
        QueueError::Database { .. }
        | QueueError::Remote(_)
        | QueueError::Service { .. }
        | QueueError::Setup { .. } => ErrorBody {
            error: "the queue is unavailable".into(),
            kind: Some("unavailable".into()),
            ..ErrorBody::default()
        },
        _ => ErrorBody {
            error: "internal error".into(),
            kind: Some("internal".into()),
            ..ErrorBody::default()
        },
    }
}

/// A JSON error reply with `status`.
pub(crate) fn error_reply(status: StatusCode, body: &ErrorBody) -> Response {
    let mut response = warp::reply::with_status(warp::reply::json(body), status).into_response();
    // An error may answer before the request body was read (a bad token, a declared length
    // over the limit): hyper then closes the connection, and a client that pooled it would
    // send its next request into a closing socket. Saying so lets clients open a new one.
    response
        .headers_mut()
        .insert(CONNECTION, HeaderValue::from_static("close"));
    if status == StatusCode::UNAUTHORIZED {
        response
            .headers_mut()
            .insert(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    response
}

impl Reply for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            tracing::error!(error = %self, "api: request failed");
        }
        error_reply(status, &self.body())
    }
}

/// The one `recover`: warp's rejections mean "no route matched" (404) or "wrong method" (405);
/// anything else a filter of the host's `extra` routes raised becomes a 4xx, never a 500.
pub(crate) async fn recover(rejection: Rejection) -> Result<Response, Infallible> {
    let (status, kind, message) = if rejection.is_not_found() {
        (StatusCode::NOT_FOUND, "noRoute", "no such route".to_owned())
    } else if rejection.find::<warp::reject::MethodNotAllowed>().is_some() {
        (
            StatusCode::METHOD_NOT_ALLOWED,
            "methodNotAllowed",
            "method not allowed on this route".to_owned(),
        )
    } else if let Some(error) = rejection.find::<warp::reject::PayloadTooLarge>() {
        (
            StatusCode::PAYLOAD_TOO_LARGE,
            "payloadTooLarge",
            error.to_string(),
        )
    } else if let Some(error) = rejection.find::<warp::reject::UnsupportedMediaType>() {
        (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupportedMediaType",
            error.to_string(),
        )
    } else if let Some(error) = rejection.find::<warp::reject::LengthRequired>() {
        (StatusCode::LENGTH_REQUIRED, "badRequest", error.to_string())
    } else {
        (
            StatusCode::BAD_REQUEST,
            "badRequest",
            format!("bad request: {rejection:?}"),
        )
    };
    Ok(error_reply(
        status,
        &ErrorBody {
            error: message,
            kind: Some(kind.into()),
            ..ErrorBody::default()
        },
    ))
}
