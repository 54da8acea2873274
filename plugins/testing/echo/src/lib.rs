//! Test plugin `Echo`: returns the task's body as its one JSON output. With `sleepMs` in the
//! body it first waits that long (queue and lease tests use it as a slow task); with `repeat`
//! it returns the body's `payload` string repeated that many times (large-result tests); with
//! `presignKey` it returns `{"put": url, "get": url}`, presigned URLs for that key of the
//! task's experiment (presigned-URL tests); with `readStream` it reads an object of the
//! experiment through `open-read` and returns `{"length", "fnv1a", "head"}` of what it read
//! (the FNV-1a 64 hash as a hex string, the first 32 bytes as text); with `openReaders` it
//! opens that many readers of one key and returns how many it got before a refusal; with
//! `writeBehind` it puts `text` at `key` with `put-background`, then, as asked, flushes and
//! reads the object back (streamed-storage tests); with `pca` it runs a PCA through the host's
//! `linalg` import on the matrix it gives (or a seeded random one) and returns the result
//! (linalg tests).

use std::io::Read;
use std::time::Duration;

use serde::Deserialize;
use taskhost_sdk::linalg::{self, PcaJob, SparseMatrix};
use taskhost_sdk::{
    Decoding, Error, Output, Plugin, PluginInfo, StorageError, Task, export_plugin, progress,
    storage,
};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct EchoInput {
    #[serde(default)]
    sleep_ms: u64,
    #[serde(default)]
    repeat: Option<usize>,
    #[serde(default)]
    payload: String,
    #[serde(default)]
    presign_key: Option<String>,
    #[serde(default)]
    read_stream: Option<ReadStream>,
    #[serde(default)]
    open_readers: Option<OpenReaders>,
    #[serde(default)]
    write_behind: Option<WriteBehind>,
    #[serde(default)]
    pca: Option<PcaCall>,
}

/// A PCA through the host: a matrix in CSR form or a random one, and what to do with the job.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PcaCall {
    #[serde(default)]
    rows: u32,
    #[serde(default)]
    columns: u32,
    #[serde(default)]
    indptr: Vec<u64>,
    #[serde(default)]
    indices: Vec<u32>,
    #[serde(default)]
    values: Vec<f32>,
    /// Replaces this value with NaN (JSON has no NaN).
    #[serde(default)]
    nan_at: Option<usize>,
    /// A seeded random matrix instead: `[rows, columns, stored per thousand]`.
    #[serde(default)]
    random: Option<[u32; 3]>,
    #[serde(default)]
    use_columns: Option<Vec<u32>>,
    components: u32,
    /// How many jobs to start (the last one is waited for); 0 starts one and drops it.
    #[serde(default = "one")]
    jobs: usize,
    #[serde(default)]
    wait_twice: bool,
}

fn one() -> usize {
    1
}

#[derive(Deserialize)]
struct ReadStream {
    key: String,
    gunzip: bool,
    /// Bytes asked per `read` call (0: the reader's own size).
    #[serde(default)]
    chunk: usize,
}

#[derive(Deserialize)]
struct OpenReaders {
    key: String,
    count: usize,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WriteBehind {
    key: String,
    text: String,
    #[serde(default)]
    flush: bool,
    #[serde(default)]
    read_back: bool,
}

struct Echo;

impl Plugin for Echo {
    type Input = EchoInput;

    fn info() -> PluginInfo {
        PluginInfo::new("echo", env!("CARGO_PKG_VERSION")).handles("Echo")
    }

    fn run(task: &Task, input: EchoInput) -> Result<Vec<Output>, Error> {
        if input.sleep_ms > 0 {
            progress::report(0.0, "sleeping");
            std::thread::sleep(Duration::from_millis(input.sleep_ms));
            progress::report(1.0, "awake");
        }
        if let Some(key) = input.presign_key {
            let experiment = storage::experiment();
            let expires = Duration::from_secs(600);
            let urls = serde_json::json!({
                "put": experiment.presign_put(&key, expires)?,
                "get": experiment.presign_get(&key, expires)?,
            });
            return Ok(vec![Output::json(&urls)?]);
        }
        if let Some(read) = input.read_stream {
            return Ok(vec![Output::json(&read_stream(&read)?)?]);
        }
        if let Some(open) = input.open_readers {
            let experiment = storage::experiment();
            let mut readers = Vec::new();
            let mut refusal = None;
            for _ in 0..open.count {
                match experiment.open_read(&open.key, Decoding::AsStored) {
                    Ok(reader) => readers.push(reader),
                    Err(e) => {
                        refusal = Some(e.to_string());
                        break;
                    }
                }
            }
            let opened = readers.len();
            drop(readers);
            // Once dropped, a reader can be opened again.
            let again = experiment.open_read(&open.key, Decoding::AsStored).is_ok();
            let answer = serde_json::json!({"opened": opened, "refusal": refusal, "again": again});
            return Ok(vec![Output::json(&answer)?]);
        }
        if let Some(write) = input.write_behind {
            let experiment = storage::experiment();
            experiment.put_background(&write.key, write.text.as_bytes())?;
            if write.flush {
                storage::flush()?;
            }
            let read = if write.read_back {
                Some(String::from_utf8_lossy(&experiment.get(&write.key)?).into_owned())
            } else {
                None
            };
            return Ok(vec![Output::json(&serde_json::json!({"read": read}))?]);
        }
        if let Some(call) = input.pca {
            return Ok(vec![Output::json(&pca(call)?)?]);
        }
        if let Some(times) = input.repeat {
            let text = input.payload.repeat(times);
            return Ok(vec![Output::json(&text)?]);
        }
        Ok(vec![Output::bytes(
            "application/json",
            task.body.clone().into_bytes(),
        )])
    }
}

/// Runs `call` through the `linalg` import.
fn pca(mut call: PcaCall) -> Result<serde_json::Value, Error> {
    if let Some([rows, columns, per_mille]) = call.random {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        (call.rows, call.columns) = (rows, columns);
        call.indptr = vec![0];
        for _ in 0..rows {
            for c in 0..columns {
                if next() % 1000 < u64::from(per_mille) {
                    call.indices.push(c);
                    call.values.push((next() % 16) as f32);
                }
            }
            call.indptr.push(call.indices.len() as u64);
        }
    }
    if let Some(i) = call.nan_at {
        call.values[i] = f32::NAN;
    }
    let matrix = SparseMatrix {
        rows: call.rows,
        columns: call.columns,
        indptr: &call.indptr,
        indices: &call.indices,
        values: &call.values,
    };
    let columns = call.use_columns.as_deref();
    if call.wait_twice {
        // The SDK's `wait` consumes the job; the raw binding lets a plugin call it again.
        use taskhost_sdk::bindings::taskhost::plugin::linalg as raw;
        let job = raw::start_pca(
            matrix.rows,
            matrix.columns,
            matrix.indptr,
            matrix.indices,
            matrix.values,
            columns,
            call.components,
        )
        .map_err(|e| Error::from(linalg::LinalgError::from(e)))?;
        let first = job.wait().is_ok();
        let second = job
            .wait()
            .err()
            .map(|e| linalg::LinalgError::from(e).to_string());
        return Ok(serde_json::json!({"first": first, "second": second}));
    }
    let mut jobs = Vec::new();
    for _ in 0..call.jobs.max(1) {
        jobs.push(linalg::start_pca(&matrix, columns, call.components)?);
    }
    if call.jobs == 0 {
        drop(jobs);
        return Ok(serde_json::json!({"dropped": true}));
    }
    let last = jobs.pop().map(PcaJob::wait).transpose()?;
    let Some(result) = last else {
        return Err(Error::internal("no job started"));
    };
    Ok(serde_json::json!({
        "variance": result.variance,
        "totalVariance": result.total_variance,
        "components": result.components,
        "coordinates": result.coordinates,
        "steps": result.steps,
    }))
}

/// Reads an object of the experiment through `open-read`.
fn read_stream(read: &ReadStream) -> Result<serde_json::Value, Error> {
    let decoding = if read.gunzip {
        Decoding::Gunzip
    } else {
        Decoding::AsStored
    };
    let mut reader = storage::experiment().open_read(&read.key, decoding)?;
    let (mut length, mut hash, mut head) = (0usize, 0xcbf2_9ce4_8422_2325_u64, Vec::new());
    let mut consume = |bytes: &[u8]| {
        length += bytes.len();
        for &b in bytes {
            hash = (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        head.extend(bytes.iter().take(32 - head.len().min(32)));
    };
    if read.chunk == 0 {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = reader
                .read(&mut buf)
                .map_err(|e| match StorageError::from_io(&e) {
                    Some(storage) => Error::from(storage.clone()),
                    None => Error::internal(e.to_string()),
                })?;
            if n == 0 {
                break;
            }
            consume(&buf[..n]);
        }
    } else {
        loop {
            let bytes = reader.read_chunk(read.chunk)?;
            if bytes.is_empty() {
                break;
            }
            if bytes.len() > read.chunk {
                return Err(Error::internal(format!(
                    "asked for {} bytes, got {}",
                    read.chunk,
                    bytes.len()
                )));
            }
            consume(&bytes);
        }
    }
    Ok(serde_json::json!({
        "length": length,
        "fnv1a": format!("{hash:016x}"),
        "head": String::from_utf8_lossy(&head),
    }))
}

export_plugin!(Echo);
