//! Serving routes on a socket with graceful shutdown.

use std::future::Future;
use std::net::SocketAddr;

use warp::filters::BoxedFilter;
use warp::reply::Response;

use crate::error::ApiError;

/// Binds `addr` (port 0 allowed), serves until `shutdown` resolves (in-flight requests
/// finish), and returns the bound address with the server's task.
pub async fn serve(
    addr: SocketAddr,
    routes: BoxedFilter<(Response,)>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(SocketAddr, tokio::task::JoinHandle<()>), ApiError> {
    let (bound, server) = warp::serve(routes)
        .try_bind_with_graceful_shutdown(addr, shutdown)
        .map_err(|error| ApiError::Bind {
            addr,
            reason: error.to_string(),
        })?;
    tracing::info!(%bound, "api: listening");
    Ok((bound, tokio::spawn(server)))
}
