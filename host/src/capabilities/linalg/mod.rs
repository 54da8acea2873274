//! The `linalg` import: numerical kernels ([`taskhost_linalg`]) run natively for the plugin,
//! on rayon's thread pool, while the plugin goes on (see
//! `docs/adr/0007-native-linear-algebra.md`).
//!
//! **Security boundary.** A kernel sees only the numbers the plugin passed in and returns only
//! numbers: no storage, no clock, nothing of the host. The plugin is untrusted, so:
//! - every argument is checked before any work starts (a malformed matrix, a bad column list or
//!   too many components is `invalid-input`, never a panic);
//! - the host memory a computation may take (its copy of the input, its working memory and its
//!   result, bounded by [`taskhost_linalg::working_memory`] before it starts) counts against
//!   the task's memory limit, shared by all of a task's running computations (`too-large`
//!   past it), and a task runs at most [`MAX_JOBS`] at once;
//! - a computation polls the task's deadline between steps: past it, `wait` traps as a
//!   timeout; dropping a job (or the whole task) cancels its computation;
//! - a panic inside a kernel (a host bug) is caught and fails the task, not the host.

pub(crate) mod host;
mod job;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use wasmtime::component::{HasData, Linker};

use crate::runtime::bindings::taskhost::plugin::linalg as wit;

pub use job::PcaJob;

/// Most computations one task may run at once.
pub(crate) const MAX_JOBS: usize = 4;

/// One task's running computations and what they may use.
#[derive(Debug)]
pub(crate) struct LinalgCtx {
    deadline: Instant,
    budget: Arc<MemoryBudget>,
    jobs: HashMap<u32, PcaJob>,
    next: u32,
}

impl LinalgCtx {
    /// The context of a task whose memory limit is `memory_limit` bytes and which the host
    /// stops at `deadline`.
    pub(crate) fn new(memory_limit: u64, deadline: Instant) -> Self {
        Self {
            deadline,
            budget: Arc::new(MemoryBudget {
                limit: memory_limit,
                used: AtomicU64::new(0),
            }),
            jobs: HashMap::new(),
            next: 0,
        }
    }
}

/// Host memory held by a task's computations, against its limit.
#[derive(Debug)]
pub(crate) struct MemoryBudget {
    limit: u64,
    used: AtomicU64,
}

impl MemoryBudget {
    /// Takes `bytes` from the budget; `None` (and nothing taken) when it would pass the limit.
    fn reserve(self: &Arc<Self>, bytes: u64) -> Option<Reservation> {
        self.used
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |used| {
                used.checked_add(bytes).filter(|&total| total <= self.limit)
            })
            .ok()?;
        Some(Reservation {
            budget: Arc::clone(self),
            bytes,
        })
    }
}

/// Bytes taken from a [`MemoryBudget`], given back when dropped.
#[derive(Debug)]
pub(crate) struct Reservation {
    budget: Arc<MemoryBudget>,
    bytes: u64,
}

impl Drop for Reservation {
    fn drop(&mut self) {
        self.budget.used.fetch_sub(self.bytes, Ordering::AcqRel);
    }
}

struct LinalgData;

impl HasData for LinalgData {
    type Data<'a> = &'a mut LinalgCtx;
}

/// Registers the `linalg` interface.
pub(crate) fn add_to_linker<T: Send + 'static>(
    linker: &mut Linker<T>,
    get: fn(&mut T) -> &mut LinalgCtx,
) -> wasmtime::Result<()> {
    wit::add_to_linker::<T, LinalgData>(linker, get)
}
