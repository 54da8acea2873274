//! A plugin's stdout and stderr: each complete line becomes a log event tagged with the task
//! id, the plugin and the stream. Output past a per-task budget is dropped (with one warning),
//! and writes never fail, so a chatty plugin can neither fill the host's memory nor crash on a
//! `println!`.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use tokio::io::AsyncWrite;
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};

/// Bytes of stdout + stderr logged per task.
const BUDGET_BYTES: usize = 1 << 20;
/// Longest line logged as one event; longer lines are split.
const MAX_LINE: usize = 8 << 10;

#[derive(Debug)]
struct LineState {
    task_id: Arc<str>,
    plugin: Arc<str>,
    stream: &'static str,
    pending: Vec<u8>,
    budget: usize,
    truncated: bool,
}

impl LineState {
    fn accept(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            if self.budget == 0 {
                if !self.truncated {
                    self.truncated = true;
                    tracing::warn!(target: "plugin", task_id = %self.task_id, plugin = %self.plugin,
                        stream = self.stream, "plugin output over {BUDGET_BYTES} bytes; the rest is dropped");
                }
                return;
            }
            let take = bytes.len().min(self.budget);
            let (now, later) = bytes.split_at(take);
            self.budget -= take;
            bytes = later;
            for &b in now {
                if b == b'\n' || self.pending.len() >= MAX_LINE {
                    self.emit();
                    if b == b'\n' {
                        continue;
                    }
                }
                self.pending.push(b);
            }
        }
    }

    fn emit(&mut self) {
        let line = String::from_utf8_lossy(&self.pending);
        let line = line.trim_end_matches('\r');
        tracing::info!(target: "plugin", task_id = %self.task_id, plugin = %self.plugin,
            stream = self.stream, "{line}");
        self.pending.clear();
    }

    fn flush(&mut self) {
        if !self.pending.is_empty() {
            self.emit();
        }
    }
}

/// One of a task's output streams, handed to WASI as stdout or stderr.
#[derive(Debug, Clone)]
pub(crate) struct LogStream {
    state: Arc<Mutex<LineState>>,
}

impl LogStream {
    pub(crate) fn new(task_id: Arc<str>, plugin: Arc<str>, stream: &'static str) -> Self {
        Self {
            state: Arc::new(Mutex::new(LineState {
                task_id,
                plugin,
                stream,
                pending: Vec::new(),
                budget: BUDGET_BYTES,
                truncated: false,
            })),
        }
    }

    /// Logs a last line that had no newline.
    pub(crate) fn flush(&self) {
        if let Ok(mut state) = self.state.lock() {
            state.flush();
        }
    }
}

impl IsTerminal for LogStream {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for LogStream {
    fn async_stream(&self) -> Box<dyn AsyncWrite + Send + Sync> {
        Box::new(self.clone())
    }
}

impl AsyncWrite for LogStream {
    fn poll_write(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if let Ok(mut state) = self.state.lock() {
            state.accept(buf);
        }
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.flush();
        Poll::Ready(Ok(()))
    }
}
