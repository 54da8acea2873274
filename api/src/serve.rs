//! Serving routes on a socket with graceful shutdown.

use std::future::Future;
use std::net::SocketAddr;

use tokio::net::TcpListener;
use tokio_stream::wrappers::TcpListenerStream;
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
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|error| ApiError::Bind {
            addr,
            reason: error.to_string(),
        })?;
    serve_on(listener, routes, shutdown)
}

/// Serves on a socket bound already (so that its address, port 0 resolved, is known before
/// the routes are built), as [`serve`] does.
pub fn serve_on(
    listener: TcpListener,
    routes: BoxedFilter<(Response,)>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(SocketAddr, tokio::task::JoinHandle<()>), ApiError> {
    let bound = listener.local_addr().map_err(|error| ApiError::Bind {
        addr: SocketAddr::from(([0, 0, 0, 0], 0)),
        reason: error.to_string(),
    })?;
    let server = warp::serve(routes)
        .serve_incoming_with_graceful_shutdown(TcpListenerStream::new(listener), shutdown);
    tracing::info!(%bound, "api: listening");
    Ok((bound, tokio::spawn(server)))
}
