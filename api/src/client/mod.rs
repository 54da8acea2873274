//! The client side: [`ApiClient`] for producers and operators (the CLI), and [`HttpQueue`],
//! a [`taskhost_queue::TaskQueue`] over another host's API for remote workers.

mod http_queue;

use std::time::Duration;

use reqwest::{Method, RequestBuilder, StatusCode, Url};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::wire::{ErrorBody, RedriveReply, SubmitResponse};

pub use http_queue::{HttpQueue, connect_queue};

/// How long a request may take beyond the long-poll it asked for.
const REQUEST_SLACK: Duration = Duration::from_secs(30);

/// What a client call can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The base URL is not an `http(s)://` URL.
    #[error("api client: invalid base URL {url:?}: {reason}")]
    InvalidUrl {
        /// The URL as given.
        url: String,
        /// What is wrong.
        reason: String,
    },
    /// The server could not be reached, or the connection broke.
    #[error("api client: {method} {path} failed: {source}")]
    Transport {
        /// The method.
        method: Method,
        /// The path.
        path: String,
        /// The HTTP client's error.
        #[source]
        source: reqwest::Error,
    },
    /// The server answered with an error status.
    #[error("api client: {method} {path} answered {status}: {}", body.error)]
    Status {
        /// The method.
        method: Method,
        /// The path.
        path: String,
        /// The status.
        status: StatusCode,
        /// The error body (`error`, and `kind`/`uuid`/`state` where the server gave them);
        /// boxed to keep the error small.
        body: Box<ErrorBody>,
    },
    /// The server's answer was not what the API documents.
    #[error("api client: {method} {path}: unexpected answer: {reason}")]
    Decode {
        /// The method.
        method: Method,
        /// The path.
        path: String,
        /// What was wrong.
        reason: String,
    },
}

impl ClientError {
    /// The status of a [`ClientError::Status`].
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            ClientError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// A client of a taskhost API.
#[derive(Debug, Clone)]
pub struct ApiClient {
    http: reqwest::Client,
    base: Url,
    token: Option<String>,
}

/// A successful answer: its status and body.
pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    pub(crate) body: bytes::Bytes,
}

impl ApiClient {
    /// A client of the API at `base_url` (`http(s)://host[:port][/prefix]`), sending `token` as
    /// a bearer token when given.
    pub fn new(base_url: &str, token: Option<String>) -> Result<Self, ClientError> {
        let invalid = |reason: String| ClientError::InvalidUrl {
            url: base_url.to_owned(),
            reason,
        };
        let mut base = Url::parse(base_url).map_err(|error| invalid(error.to_string()))?;
        if !matches!(base.scheme(), "http" | "https") {
            return Err(invalid("the scheme must be http or https".into()));
        }
        if base.cannot_be_a_base() || base.host().is_none() {
            return Err(invalid("the URL has no host".into()));
        }
        if !base.path().ends_with('/') {
            let path = format!("{}/", base.path());
            base.set_path(&path);
        }
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .build()
            .map_err(|error| invalid(error.to_string()))?;
        Ok(Self { http, base, token })
    }

    /// The URL of `segments` under the base (each segment percent-encoded).
    fn url(&self, segments: &[&str]) -> Url {
        let mut url = self.base.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty();
            path.extend(segments);
        }
        url
    }

    fn request(&self, method: Method, segments: &[&str], wait: Duration) -> RequestBuilder {
        let mut request = self
            .http
            .request(method, self.url(segments))
            .timeout(wait + REQUEST_SLACK);
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        request
    }

    /// Sends a request; a status outside 2xx is a [`ClientError::Status`].
    pub(crate) async fn send(
        &self,
        method: Method,
        segments: &[&str],
        query: &[(&str, String)],
        body: Option<Vec<u8>>,
        wait: Duration,
    ) -> Result<Answer, ClientError> {
        let path = format!("/{}", segments.join("/"));
        let mut request = self.request(method.clone(), segments, wait).query(query);
        if let Some(body) = body {
            request = request
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body);
        }
        let transport = |source| ClientError::Transport {
            method: method.clone(),
            path: path.clone(),
            source,
        };
        let response = request.send().await.map_err(transport)?;
        let status = response.status();
        let bytes = response.bytes().await.map_err(transport)?;
        if status.is_success() {
            return Ok(Answer {
                status,
                body: bytes,
            });
        }
        let body = serde_json::from_slice::<ErrorBody>(&bytes).unwrap_or_else(|_| ErrorBody {
            error: String::from_utf8_lossy(&bytes).chars().take(500).collect(),
            ..ErrorBody::default()
        });
        Err(ClientError::Status {
            method,
            path,
            status,
            body: Box::new(body),
        })
    }

    /// Sends a request with an optional JSON body and decodes the JSON answer.
    pub(crate) async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        segments: &[&str],
        query: &[(&str, String)],
        body: Option<&(impl Serialize + ?Sized)>,
    ) -> Result<T, ClientError> {
        let path = format!("/{}", segments.join("/"));
        let decode = |reason: String| ClientError::Decode {
            method: method.clone(),
            path: path.clone(),
            reason,
        };
        let body = body
            .map(serde_json::to_vec)
            .transpose()
            .map_err(|error| decode(error.to_string()))?;
        let answer = self
            .send(method.clone(), segments, query, body, Duration::ZERO)
            .await?;
        serde_json::from_slice(&answer.body).map_err(|error| decode(error.to_string()))
    }

    /// `POST /v1/tasks` with an array of envelopes.
    pub async fn submit(
        &self,
        envelopes: Vec<serde_json::Value>,
    ) -> Result<SubmitResponse, ClientError> {
        self.call(Method::POST, &["v1", "tasks"], &[], Some(&envelopes))
            .await
    }

    /// `GET /v1/tasks/{uuid}`: the task's state, attempts, history.
    pub async fn task(&self, uuid: &str) -> Result<serde_json::Value, ClientError> {
        self.call(Method::GET, &["v1", "tasks", uuid], &[], None::<&()>)
            .await
    }

    /// `GET /v1/tasks/{uuid}/result`: the result message (or `{"storageKey": ...}`), `None`
    /// while the task has not finished after waiting up to `wait` (the server caps it).
    pub async fn result(
        &self,
        uuid: &str,
        wait: Option<Duration>,
    ) -> Result<Option<serde_json::Value>, ClientError> {
        let wait = wait.unwrap_or(Duration::ZERO);
        let query = if wait.is_zero() {
            Vec::new()
        } else {
            vec![("wait", format!("{:.3}", wait.as_secs_f64()))]
        };
        let segments = ["v1", "tasks", uuid, "result"];
        let answer = self
            .send(Method::GET, &segments, &query, None, wait)
            .await?;
        if answer.status == StatusCode::ACCEPTED {
            return Ok(None);
        }
        serde_json::from_slice(&answer.body)
            .map(Some)
            .map_err(|error| ClientError::Decode {
                method: Method::GET,
                path: format!("/{}", segments.join("/")),
                reason: error.to_string(),
            })
    }

    /// `DELETE /v1/tasks/{uuid}`: cancel; the outcome.
    pub async fn cancel(&self, uuid: &str) -> Result<serde_json::Value, ClientError> {
        self.call(Method::DELETE, &["v1", "tasks", uuid], &[], None::<&()>)
            .await
    }

    /// `GET /v1/dead-letters?offset&limit`: a page of dead tasks (`{"tasks": [...], "next"}`).
    pub async fn dead_letters(
        &self,
        offset: u64,
        limit: u64,
    ) -> Result<serde_json::Value, ClientError> {
        let query = [("offset", offset.to_string()), ("limit", limit.to_string())];
        self.call(Method::GET, &["v1", "dead-letters"], &query, None::<&()>)
            .await
    }

    /// `POST /v1/dead-letters/{uuid}/redrive`: how many moved (1).
    pub async fn redrive_one(&self, uuid: &str) -> Result<u64, ClientError> {
        let segments = ["v1", "dead-letters", uuid, "redrive"];
        let reply: RedriveReply = self.call(Method::POST, &segments, &[], None::<&()>).await?;
        Ok(reply.redriven)
    }

    /// `POST /v1/dead-letters/redrive`: every dead task; how many moved.
    pub async fn redrive_all(&self) -> Result<u64, ClientError> {
        let segments = ["v1", "dead-letters", "redrive"];
        let reply: RedriveReply = self.call(Method::POST, &segments, &[], None::<&()>).await?;
        Ok(reply.redriven)
    }

    /// `GET /v1/queue`: counts by state and task name.
    pub async fn queue_counts(&self) -> Result<serde_json::Value, ClientError> {
        self.call(Method::GET, &["v1", "queue"], &[], None::<&()>)
            .await
    }
}
