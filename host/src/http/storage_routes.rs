//! `GET`/`PUT /v1/storage/<bucket>/<key>?method=…&expires=…&signature=…`: the host serves the
//! presigned URLs of backends without a signer of their own (a local folder, memory), after
//! checking the HMAC signature, the method and the expiry. Backends that sign their own URLs
//! (S3, ...) answer 404 here.

use std::sync::Arc;

use bytes::Bytes;
use percent_encoding::percent_decode_str;
use serde::Deserialize;
use warp::Filter;
use warp::filters::BoxedFilter;
use warp::http::StatusCode;
use warp::reply::{Reply, Response};

use super::reply;
use crate::storage::{
    ObjectKey, PresignError, PresignMethod, StorageBackend, StorageBackendExt, StorageError,
};

/// The largest object a presigned GET returns or a presigned PUT accepts through the host.
pub const MAX_OBJECT_BYTES: u64 = 512 * 1024 * 1024;

/// The URL's query. Its `method` parameter is informative: the signature covers the method,
/// so a GET URL used for a PUT fails the signature check.
#[derive(Debug, Deserialize)]
struct Signed {
    expires: u64,
    signature: String,
}

/// The GET and PUT routes.
pub(super) fn routes(storage: Arc<dyn StorageBackend>) -> BoxedFilter<(Response,)> {
    let base = warp::path!("v1" / "storage" / ..)
        .and(warp::path::tail())
        .and(warp::query::<Signed>());
    let get_storage = Arc::clone(&storage);
    let get = base
        .and(warp::get())
        .then(move |tail: warp::path::Tail, signed: Signed| {
            let storage = Arc::clone(&get_storage);
            async move { serve_get(storage.as_ref(), tail.as_str(), signed).await }
        });
    let put = base
        .and(warp::put())
        .and(warp::body::content_length_limit(MAX_OBJECT_BYTES))
        .and(warp::body::bytes())
        .then(move |tail: warp::path::Tail, signed: Signed, body: Bytes| {
            let storage = Arc::clone(&storage);
            async move { serve_put(storage.as_ref(), tail.as_str(), signed, body).await }
        });
    get.or(put).unify().boxed()
}

fn refusal(status: StatusCode, message: impl Into<String>) -> (StatusCode, String) {
    (status, message.into())
}

/// The bucket and key of a request path, after checking the URL's signature for `method`;
/// else the status and message to answer with.
fn authorize(
    storage: &dyn StorageBackend,
    tail: &str,
    signed: &Signed,
    method: PresignMethod,
) -> Result<(String, ObjectKey), (StatusCode, String)> {
    let decoded = percent_decode_str(tail)
        .decode_utf8()
        .map_err(|_| refusal(StatusCode::BAD_REQUEST, "the path is not valid UTF-8"))?;
    let Some((bucket, key)) = decoded.split_once('/') else {
        return Err(refusal(
            StatusCode::BAD_REQUEST,
            "the path needs a bucket and a key: /v1/storage/<bucket>/<key>",
        ));
    };
    let key = ObjectKey::parse(key).map_err(|e| refusal(StatusCode::BAD_REQUEST, e.to_string()))?;
    let Some(signer) = storage.host_signer(bucket) else {
        return Err(refusal(
            StatusCode::NOT_FOUND,
            "this bucket's storage backend signs its own URLs; none are served here",
        ));
    };
    signer
        .verify(method, bucket, &key, signed.expires, &signed.signature)
        .map_err(|e| match e {
            PresignError::Expired | PresignError::BadSignature => {
                refusal(StatusCode::FORBIDDEN, e.to_string())
            }
        })?;
    Ok((bucket.to_owned(), key))
}

async fn serve_get(storage: &dyn StorageBackend, tail: &str, signed: Signed) -> Response {
    let (bucket, key) = match authorize(storage, tail, &signed, PresignMethod::Get) {
        Ok(found) => found,
        Err((status, message)) => return reply::error(status, message),
    };
    let result = match storage.bucket(&bucket) {
        Ok(bucket) => bucket.get(&key, MAX_OBJECT_BYTES).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(bytes) => {
            warp::reply::with_header(bytes.to_vec(), "content-type", "application/octet-stream")
                .into_response()
        }
        Err(e) => storage_error(e),
    }
}

async fn serve_put(
    storage: &dyn StorageBackend,
    tail: &str,
    signed: Signed,
    body: Bytes,
) -> Response {
    let (bucket, key) = match authorize(storage, tail, &signed, PresignMethod::Put) {
        Ok(found) => found,
        Err((status, message)) => return reply::error(status, message),
    };
    let result = match storage.bucket(&bucket) {
        Ok(bucket) => bucket.put(&key, body).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => reply::json(
            StatusCode::OK,
            &serde_json::json!({ "stored": key.as_str() }),
        ),
        Err(e) => storage_error(e),
    }
}

fn storage_error(error: StorageError) -> Response {
    let status = match &error {
        StorageError::NotFound(_) => StatusCode::NOT_FOUND,
        StorageError::Denied(_) => StatusCode::FORBIDDEN,
        StorageError::InvalidKey(_) => StatusCode::BAD_REQUEST,
        StorageError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
        StorageError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
    };
    reply::error(status, error.to_string())
}
