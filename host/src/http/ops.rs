//! Operations routes: `/healthz` (the process answers), `/readyz` (started, not shutting down,
//! the queue reachable: 200, else 503 with the reason) and `/metrics` (Prometheus text).

use warp::Filter;
use warp::filters::BoxedFilter;
use warp::http::StatusCode;
use warp::reply::{Reply, Response};

use super::reply;
use crate::telemetry::Telemetry;

/// The Prometheus text exposition format's content type.
const PROMETHEUS_TEXT: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The three routes, GET only.
pub(super) fn routes(telemetry: Telemetry) -> BoxedFilter<(Response,)> {
    let healthz = warp::path!("healthz")
        .and(warp::get())
        .map(|| reply::json(StatusCode::OK, &serde_json::json!({ "status": "ok" })));
    let ready = telemetry.clone();
    let readyz = warp::path!("readyz")
        .and(warp::get())
        .map(move || match ready.readiness() {
            Ok(()) => reply::json(StatusCode::OK, &serde_json::json!({ "status": "ready" })),
            Err(reason) => reply::json(
                StatusCode::SERVICE_UNAVAILABLE,
                &serde_json::json!({ "status": "not ready", "reason": reason }),
            ),
        });
    let metrics = warp::path!("metrics").and(warp::get()).map(move || {
        warp::reply::with_header(telemetry.render(), "content-type", PROMETHEUS_TEXT)
            .into_response()
    });
    healthz.or(readyz).unify().or(metrics).unify().boxed()
}
