//! One PCA on the host's threads (a WIT `pca-job`): started on tokio's blocking pool (the
//! kernel itself fans out on rayon's), polled for cancellation and the deadline between
//! steps, its panics caught.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use taskhost_linalg::{Interrupt, Pca, PcaError, SparseRows};
use tokio::task::JoinHandle;

use super::Reservation;

/// How a computation ended, for the plugin or the runtime.
#[derive(Debug)]
pub(crate) enum Finished {
    /// The result or the kernel's error.
    Done(Result<Pca, PcaError>),
    /// The kernel panicked (a host bug): the message.
    Panicked(String),
    /// `wait` was already called.
    AlreadyTaken,
}

/// The arguments of `start-pca`, their sizes checked.
#[derive(Debug)]
pub(crate) struct PcaInput {
    pub(crate) rows: usize,
    pub(crate) columns: usize,
    pub(crate) indptr: Vec<u64>,
    pub(crate) indices: Vec<u32>,
    pub(crate) values: Vec<f32>,
    pub(crate) use_columns: Vec<u32>,
    pub(crate) components: usize,
}

impl PcaInput {
    /// Checks the matrix (a bad one is `invalid-input`) and runs the kernel.
    fn run(self, interrupt: &dyn Interrupt) -> Result<Pca, PcaError> {
        let invalid = |m: String| PcaError::InvalidInput(m);
        let indptr = self
            .indptr
            .into_iter()
            .map(usize::try_from)
            .collect::<Result<Vec<usize>, _>>()
            .map_err(|_| invalid("an indptr offset does not fit this host's memory".into()))?;
        let matrix = SparseRows::new(
            self.rows,
            self.columns,
            &indptr,
            &self.indices,
            &self.values,
        )
        .map_err(|e| invalid(e.to_string()))?;
        taskhost_linalg::pca(&matrix, &self.use_columns, self.components, interrupt)
    }
}

/// A running PCA and the memory it holds. Dropping it cancels the computation.
pub struct PcaJob {
    handle: Option<JoinHandle<Result<Result<Pca, PcaError>, String>>>,
    cancel: Arc<AtomicBool>,
    _reservation: Reservation,
}

impl std::fmt::Debug for PcaJob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PcaJob")
            .field("waited", &self.handle.is_none())
            .finish_non_exhaustive()
    }
}

impl PcaJob {
    /// Starts the PCA of `input`, stopping at `deadline`.
    pub(crate) fn start(input: PcaInput, deadline: Instant, reservation: Reservation) -> Self {
        let cancel = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&cancel);
        let handle = tokio::task::spawn_blocking(move || {
            let stop = || flag.load(Ordering::Relaxed) || Instant::now() >= deadline;
            std::panic::catch_unwind(AssertUnwindSafe(|| input.run(&stop))).map_err(|payload| {
                payload
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_owned())
                    .or_else(|| payload.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "a panic without a message".to_owned())
            })
        });
        Self {
            handle: Some(handle),
            cancel,
            _reservation: reservation,
        }
    }

    /// Waits for the computation (once).
    pub(crate) async fn wait(&mut self) -> Finished {
        let Some(handle) = self.handle.take() else {
            return Finished::AlreadyTaken;
        };
        match handle.await {
            Ok(Ok(result)) => Finished::Done(result),
            Ok(Err(message)) => Finished::Panicked(message),
            Err(join) => Finished::Panicked(join.to_string()),
        }
    }
}

impl Drop for PcaJob {
    fn drop(&mut self) {
        self.cancel.store(true, Ordering::Relaxed);
    }
}
