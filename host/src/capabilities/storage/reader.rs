//! `open-read`: one object streamed to the plugin, fetched and (with `gunzip`) decompressed by
//! the host ahead of it.
//!
//! Two stages joined by bounded channels: a tokio task streams the stored bytes; with `gunzip`
//! a blocking thread decodes them (flate2 over zlib-rs, native code on another core: several
//! times faster than the same decoder compiled into the plugin, and beside the plugin's own
//! work instead of before it). At most [`AHEAD`] chunks of about [`CHUNK`] bytes wait in each
//! channel, so a reader holds a few MiB whatever the object's size, and a gzip bomb costs the
//! host nothing: the plugin's memory limit stops it. Dropping the reader stops both stages.
//!
//! Every stage ends its output with [`Piece::End`]; a channel that closes without it (a stage
//! that died) is a failure, never a silently short object.

use std::collections::HashMap;
use std::io::{self, Read};

use bytes::{Bytes, BytesMut};
use futures::StreamExt;
use futures::stream::BoxStream;
use tokio::sync::mpsc;
use wasmtime::component::Resource;

use crate::storage::StorageError;

/// About how many bytes one chunk holds (and one `read` returns by default).
pub(crate) const CHUNK: usize = 1 << 20;
/// How many chunks each stage may run ahead of the next.
const AHEAD: usize = 4;

/// Why the next bytes could not be read (the WIT `read-error`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ReadFailure {
    /// The backend failed mid-object.
    Storage(StorageError),
    /// The bytes are not valid gzip.
    Corrupt(String),
}

/// What flows between the stages.
enum Piece {
    Data(Bytes),
    End,
    Failed(ReadFailure),
}

/// How the stored bytes are handed over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Decoding {
    AsStored,
    Gunzip,
}

/// The plugin's end of an open read (a WIT `object-reader` resource).
pub struct ObjectReader {
    pieces: mpsc::Receiver<Piece>,
    current: Bytes,
    finished: bool,
}

impl std::fmt::Debug for ObjectReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ObjectReader")
            .field("buffered", &self.current.len())
            .field("finished", &self.finished)
            .finish_non_exhaustive()
    }
}

/// A task's open readers, by the handle the plugin holds (a plain map: unlike wasmtime's
/// `ResourceTable` it is `Sync`, which the storage context's futures need).
#[derive(Debug, Default)]
pub(crate) struct OpenReaders {
    open: HashMap<u32, ObjectReader>,
    next: u32,
}

impl OpenReaders {
    pub(crate) fn len(&self) -> usize {
        self.open.len()
    }

    pub(crate) fn insert(&mut self, reader: ObjectReader) -> Resource<ObjectReader> {
        let rep = self.next;
        self.next = self.next.wrapping_add(1);
        self.open.insert(rep, reader);
        Resource::new_own(rep)
    }

    pub(crate) fn get_mut(&mut self, handle: &Resource<ObjectReader>) -> Option<&mut ObjectReader> {
        self.open.get_mut(&handle.rep())
    }

    pub(crate) fn remove(&mut self, handle: &Resource<ObjectReader>) {
        self.open.remove(&handle.rep());
    }
}

impl ObjectReader {
    /// Starts the stages over `stored` (the object's bytes as the backend streams them).
    pub(crate) fn start(
        stored: BoxStream<'static, Result<Bytes, StorageError>>,
        decoding: Decoding,
    ) -> Self {
        let (tx, pieces) = mpsc::channel(AHEAD);
        match decoding {
            Decoding::AsStored => {
                tokio::spawn(forward(stored, tx));
            }
            Decoding::Gunzip => {
                let (raw_tx, raw_rx) = mpsc::channel(AHEAD);
                tokio::spawn(forward(stored, raw_tx));
                tokio::task::spawn_blocking(move || decode(raw_rx, &tx));
            }
        }
        Self {
            pieces,
            current: Bytes::new(),
            finished: false,
        }
    }

    /// The next bytes, at most `max` (`CHUNK` when 0); empty at the end.
    pub(crate) async fn read(&mut self, max: u64) -> Result<Bytes, ReadFailure> {
        let max = match usize::try_from(max) {
            Ok(0) => CHUNK,
            Ok(m) => m,
            Err(_) => usize::MAX,
        };
        while self.current.is_empty() && !self.finished {
            match self.pieces.recv().await {
                Some(Piece::Data(bytes)) => self.current = bytes,
                Some(Piece::End) => self.finished = true,
                Some(Piece::Failed(failure)) => {
                    self.finished = true;
                    return Err(failure);
                }
                None => {
                    self.finished = true;
                    return Err(ReadFailure::Storage(StorageError::Unavailable(
                        "the host's reading stage stopped before the end of the object".into(),
                    )));
                }
            }
        }
        let n = max.min(self.current.len());
        Ok(self.current.split_to(n))
    }
}

/// Streams the stored bytes into `tx` in chunks of about [`CHUNK`] (backends stream small
/// pieces; one host call per 8 KiB would cost more than the copying).
async fn forward(
    mut stored: BoxStream<'static, Result<Bytes, StorageError>>,
    tx: mpsc::Sender<Piece>,
) {
    let mut chunk = BytesMut::new();
    while let Some(next) = stored.next().await {
        match next {
            Ok(bytes) => {
                chunk.extend_from_slice(&bytes);
                if chunk.len() >= CHUNK
                    && tx.send(Piece::Data(chunk.split().freeze())).await.is_err()
                {
                    return;
                }
            }
            Err(error) => {
                let _ = tx.send(Piece::Failed(ReadFailure::Storage(error))).await;
                return;
            }
        }
    }
    if !chunk.is_empty() && tx.send(Piece::Data(chunk.freeze())).await.is_err() {
        return;
    }
    let _ = tx.send(Piece::End).await;
}

/// The gunzip stage (a blocking thread): decodes `raw` into `tx`, or forwards it as stored when
/// it does not start with the gzip magic.
fn decode(raw: mpsc::Receiver<Piece>, tx: &mpsc::Sender<Piece>) {
    let mut input = PieceReader {
        pieces: raw,
        current: Bytes::new(),
        ended: false,
        failure: None,
    };
    let outcome = match input.starts_with_gzip_magic() {
        Ok(true) => pump(&mut flate2::read::MultiGzDecoder::new(&mut input), tx),
        Ok(false) => pump(&mut input, tx),
        Err(e) => Err(e),
    };
    let last = match outcome {
        Ok(true) => Piece::End,
        Ok(false) => return, // the plugin dropped the reader
        Err(error) => Piece::Failed(match input.failure.take() {
            Some(storage) => ReadFailure::Storage(storage),
            None => ReadFailure::Corrupt(format!("not a valid gzip stream: {error}")),
        }),
    };
    let _ = tx.blocking_send(last);
}

/// Copies `from` into `tx` in chunks of [`CHUNK`]; `Ok(false)` when the receiver is gone.
fn pump(from: &mut impl Read, tx: &mpsc::Sender<Piece>) -> io::Result<bool> {
    loop {
        let mut chunk = vec![0u8; CHUNK];
        let mut filled = 0;
        while filled < CHUNK {
            match from.read(&mut chunk[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        if filled == 0 {
            return Ok(true);
        }
        chunk.truncate(filled);
        if tx.blocking_send(Piece::Data(chunk.into())).is_err() {
            return Ok(false);
        }
        if filled < CHUNK {
            return Ok(true);
        }
    }
}

/// A blocking [`Read`] over the pieces of the fetching stage; a storage failure is kept aside
/// (so that it is not reported as corrupt gzip) and read as an I/O error.
struct PieceReader {
    pieces: mpsc::Receiver<Piece>,
    current: Bytes,
    ended: bool,
    failure: Option<StorageError>,
}

impl PieceReader {
    /// Waits for data (or the end); `Ok(false)` at the end.
    fn fill(&mut self) -> io::Result<bool> {
        while self.current.is_empty() {
            if self.ended {
                return Ok(false);
            }
            match self.pieces.blocking_recv() {
                Some(Piece::Data(bytes)) => self.current = bytes,
                Some(Piece::End) => self.ended = true,
                Some(Piece::Failed(ReadFailure::Storage(error))) => {
                    self.ended = true;
                    self.failure = Some(error);
                    return Err(io::Error::other("the storage backend failed"));
                }
                Some(Piece::Failed(ReadFailure::Corrupt(message))) => {
                    self.ended = true;
                    return Err(io::Error::other(message));
                }
                None => {
                    self.ended = true;
                    self.failure = Some(StorageError::Unavailable(
                        "the host's fetching stage stopped before the end of the object".into(),
                    ));
                    return Err(io::Error::other("fetching stopped"));
                }
            }
        }
        Ok(true)
    }

    /// Whether the stream starts with `1f 8b` (an object of one byte does not).
    fn starts_with_gzip_magic(&mut self) -> io::Result<bool> {
        if !self.fill()? {
            return Ok(false);
        }
        if self.current.len() == 1 {
            let first = self.current.clone();
            self.current = Bytes::new();
            let more = self.fill()?;
            let mut joined = BytesMut::from(&first[..]);
            if more {
                joined.extend_from_slice(&self.current);
            }
            self.current = joined.freeze();
        }
        Ok(self.current.starts_with(&[0x1f, 0x8b]))
    }
}

impl Read for PieceReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() || !self.fill()? {
            return Ok(0);
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current.split_to(n));
        Ok(n)
    }
}

#[cfg(test)]
mod tests;
