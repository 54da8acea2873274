//! The `progress` import: progress reports and intermediate results.
//!
//! **Security boundary.** Reports go to the task's [`TaskObserver`] (a progress bar, a lease
//! heartbeat); the message is cut to 1 KiB and the fraction clamped to 0..=1. Intermediate
//! results count against the task's output limit together with its final outputs; past the
//! limit `publish` returns an error and nothing is forwarded.

pub(crate) mod host;

use std::sync::Arc;

use wasmtime::component::{HasData, Linker};

use crate::runtime::TaskObserver;
use crate::runtime::bindings::taskhost::plugin::progress as wit;

/// Longest progress message forwarded, in bytes.
pub(crate) const MAX_MESSAGE_BYTES: usize = 1024;

/// One task's progress sink and output budget.
pub(crate) struct ProgressCtx {
    observer: Arc<dyn TaskObserver>,
    output_limit: u64,
    output_used: u64,
}

impl ProgressCtx {
    pub(crate) fn new(observer: Arc<dyn TaskObserver>, output_limit: u64) -> Self {
        Self {
            observer,
            output_limit,
            output_used: 0,
        }
    }

    /// Counts `bytes` more output; `false` (and nothing counted) when over the limit.
    pub(crate) fn charge_output(&mut self, bytes: u64) -> bool {
        match self.output_used.checked_add(bytes) {
            Some(total) if total <= self.output_limit => {
                self.output_used = total;
                true
            }
            _ => false,
        }
    }

    /// The task's output limit, in bytes.
    pub(crate) fn output_limit(&self) -> u64 {
        self.output_limit
    }
}

struct ProgressData;

impl HasData for ProgressData {
    type Data<'a> = &'a mut ProgressCtx;
}

/// Registers the `progress` interface.
pub(crate) fn add_to_linker<T: Send + 'static>(
    linker: &mut Linker<T>,
    get: fn(&mut T) -> &mut ProgressCtx,
) -> wasmtime::Result<()> {
    wit::add_to_linker::<T, ProgressData>(linker, get)
}
