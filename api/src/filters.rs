//! The routes: path and method only. Everything else (token, query, body) is read by the
//! handlers, so that a rejection only ever means "no route matched" (404) or "wrong method"
//! (405), and one `recover` turns those into JSON. Every route is listed in `api/openapi.json`
//! (the tests check both directions).

use bytes::Buf;
use warp::filters::BoxedFilter;
use warp::http::HeaderMap;
use warp::http::header::{CONTENT_TYPE, HeaderValue};
use warp::reply::Response;
use warp::{Filter, Rejection, Reply};

use crate::error::recover;
use crate::handlers::{self, BodyStream, respond};
use crate::request::Query;
use crate::state::ApiState;

/// The OpenAPI document of this API (also served at `GET /v1/openapi.json`).
pub const OPENAPI_JSON: &str = include_str!("../openapi.json");

fn with_state(
    state: ApiState,
) -> impl Filter<Extract = (ApiState,), Error = std::convert::Infallible> + Clone {
    warp::any().map(move || state.clone())
}

fn headers() -> impl Filter<Extract = (HeaderMap,), Error = std::convert::Infallible> + Clone {
    warp::header::headers_cloned()
}

/// The raw query string, empty when there is none.
fn query() -> impl Filter<Extract = (String,), Error = std::convert::Infallible> + Clone {
    warp::query::raw().or(warp::any().map(String::new)).unify()
}

/// What every handler reads besides path and body: the state, the headers (the token) and
/// the raw query string.
fn request(
    state: &ApiState,
) -> impl Filter<Extract = (ApiState, HeaderMap, String), Error = std::convert::Infallible> + Clone + use<>
{
    with_state(state.clone()).and(headers()).and(query())
}

/// The body as a stream of byte chunks (read and limited by the handler).
fn body() -> impl Filter<Extract = (BodyStream,), Error = Rejection> + Clone {
    warp::body::stream().map(|stream: _| {
        let stream = futures::StreamExt::map(stream, |chunk: Result<_, warp::Error>| {
            chunk.map(|mut buf| {
                let remaining = Buf::remaining(&buf);
                Buf::copy_to_bytes(&mut buf, remaining)
            })
        });
        Box::pin(stream) as BodyStream
    })
}

/// `GET /v1/openapi.json`: the document, open to everyone (it holds no secret).
fn openapi(query: String) -> Response {
    if let Err(error) = Query::none(&query) {
        return error.into_response();
    }
    let mut response = Response::new(OPENAPI_JSON.into());
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// Producer routes: submit, status, result; and cancel (admin) on the same path.
fn task_routes(state: &ApiState) -> BoxedFilter<(Response,)> {
    let submit = warp::path!("v1" / "tasks")
        .and(warp::post())
        .and(request(state))
        .and(body())
        .and_then(|state, headers, query, body| async move {
            respond(handlers::submit(state, headers, query, body).await)
        });
    let status = warp::path!("v1" / "tasks" / String)
        .and(warp::get())
        .and(request(state))
        .and_then(|uuid, state, headers, query| async move {
            respond(handlers::status(state, uuid, headers, query).await)
        });
    let cancel = warp::path!("v1" / "tasks" / String)
        .and(warp::delete())
        .and(request(state))
        .and_then(|uuid, state, headers, query| async move {
            respond(handlers::cancel(state, uuid, headers, query).await)
        });
    let result = warp::path!("v1" / "tasks" / String / "result")
        .and(warp::get())
        .and(request(state))
        .and_then(|uuid, state, headers, query| async move {
            respond(handlers::result(state, uuid, headers, query).await)
        });
    submit
        .or(status)
        .unify()
        .or(cancel)
        .unify()
        .or(result)
        .unify()
        .boxed()
}

/// Operator routes: dead letters, redrive, counts, raw queue access.
fn operator_routes(state: &ApiState) -> BoxedFilter<(Response,)> {
    let dead_letters = warp::path!("v1" / "dead-letters")
        .and(warp::get())
        .and(request(state))
        .and_then(|state, headers, query| async move {
            respond(handlers::dead_letters(state, headers, query).await)
        });
    let redrive_one = warp::path!("v1" / "dead-letters" / String / "redrive")
        .and(warp::post())
        .and(request(state))
        .and(body())
        .and_then(|uuid, state, headers, query, body| async move {
            respond(handlers::redrive_one(state, uuid, headers, query, body).await)
        });
    let redrive_all = warp::path!("v1" / "dead-letters" / "redrive")
        .and(warp::post())
        .and(request(state))
        .and(body())
        .and_then(|state, headers, query, body| async move {
            respond(handlers::redrive_all(state, headers, query, body).await)
        });
    let counts = warp::path!("v1" / "queue")
        .and(warp::get())
        .and(request(state))
        .and_then(|state, headers, query| async move {
            respond(handlers::counts(state, headers, query).await)
        });
    let queue_submit = warp::path!("v1" / "queue" / "tasks")
        .and(warp::post())
        .and(request(state))
        .and(body())
        .and_then(|state, headers, query, body| async move {
            respond(handlers::queue_submit(state, headers, query, body).await)
        });
    let queue_get = warp::path!("v1" / "queue" / "tasks" / String)
        .and(warp::get())
        .and(request(state))
        .and_then(|uuid, state, headers, query| async move {
            respond(handlers::queue_get(state, uuid, headers, query).await)
        });
    dead_letters
        .or(redrive_one)
        .unify()
        .or(redrive_all)
        .unify()
        .or(counts)
        .unify()
        .or(queue_submit)
        .unify()
        .or(queue_get)
        .unify()
        .boxed()
}

/// A fenced lease route `POST /v1/leases/{uuid}/<action>`.
macro_rules! lease_action {
    ($state:expr, $action:literal, $handler:path) => {
        warp::path!("v1" / "leases" / String / $action)
            .and(warp::post())
            .and(with_state($state.clone()))
            .and(headers())
            .and(query())
            .and(body())
            .and_then(|uuid, state, headers, query, body| async move {
                respond($handler(state, uuid, headers, query, body).await)
            })
    };
}

/// Remote-worker routes under `/v1/leases`.
fn lease_routes(state: &ApiState) -> BoxedFilter<(Response,)> {
    let claim = warp::path!("v1" / "leases")
        .and(warp::post())
        .and(request(state))
        .and(body())
        .and_then(|state, headers, query, body| async move {
            respond(handlers::claim(state, headers, query, body).await)
        });
    let complete_many = warp::path!("v1" / "leases" / "complete-many")
        .and(warp::post())
        .and(request(state))
        .and(body())
        .and_then(|state, headers, query, body| async move {
            respond(handlers::complete_many(state, headers, query, body).await)
        });
    let wait = warp::path!("v1" / "leases" / "wait")
        .and(warp::get())
        .and(request(state))
        .and_then(|state, headers, query| async move {
            respond(handlers::wait_for_work(state, headers, query).await)
        });
    claim
        .or(complete_many)
        .unify()
        .or(wait)
        .unify()
        .or(lease_action!(state, "heartbeat", handlers::heartbeat))
        .unify()
        .or(lease_action!(state, "complete", handlers::complete))
        .unify()
        .or(lease_action!(state, "fail", handlers::fail))
        .unify()
        .or(lease_action!(state, "release", handlers::release))
        .unify()
        .or(lease_action!(state, "expire", handlers::expire))
        .unify()
        .boxed()
}

/// All routes: `extra` (the host's own routes: `/healthz`, `/readyz`, `/metrics`,
/// `/v1/storage/...`) is tried first, then the /v1 API; every rejection becomes JSON
/// `{"error": "..."}` with the right status.
pub fn routes(state: ApiState, extra: BoxedFilter<(Response,)>) -> BoxedFilter<(Response,)> {
    let openapi = warp::path!("v1" / "openapi.json")
        .and(warp::get())
        .and(query())
        .map(openapi);
    let api = openapi
        .or(task_routes(&state))
        .unify()
        .or(operator_routes(&state))
        .unify()
        .or(lease_routes(&state))
        .unify();
    extra.or(api).unify().recover(recover).unify().boxed()
}

/// No extra routes (tests, or a host that serves only the API).
pub fn no_extra_routes() -> BoxedFilter<(Response,)> {
    warp::any()
        .and_then(|| async { Err::<Response, Rejection>(warp::reject::not_found()) })
        .boxed()
}
