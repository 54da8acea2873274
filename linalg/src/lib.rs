//! Numerical kernels that the taskhost host runs natively on behalf of its plugins, through
//! the WIT interface `taskhost:plugin/linalg` (see `docs/adr/0007-native-linear-algebra.md`).
//!
//! A plugin keeps its algorithm in the sandbox and hands the host one well-defined, heavy,
//! data-parallel step, as a Python program hands ARPACK or BLAS to native code: here the
//! truncated PCA of a sparse matrix ([`pca()`]). The host runs it on its own threads (feature
//! `parallel`, rayon), where the Wasm sandbox has one thread and no SIMD beyond 128 bits.
//!
//! Everything here is safe Rust without I/O. Inputs come from untrusted plugins, so
//! [`SparseRows::new`] checks every invariant the kernels rely on, [`working_memory`] bounds
//! what a call allocates before it starts, and long loops poll an [`Interrupt`] so that a task's
//! deadline stops them. Results do not depend on the number of threads: work is split in
//! blocks fixed by the data, and partial results are added in block order.
//!
//! The hot loops (the sparse dot products, the reorthogonalisation, the Givens rotations of the
//! tridiagonal solver) are compiled twice, for baseline x86-64 and for AVX2 + FMA, and the CPU
//! picks one at run time (`multiversion`): the binary stays portable and the vector units get
//! used. The arithmetic is the same in both (Rust never fuses a multiply and an add on its own),
//! so the results are the same bits.

pub mod pca;
mod sparse;
mod threads;

pub use pca::{Pca, PcaError, pca, working_memory};
pub use sparse::{InvalidMatrix, SparseRows};

/// Asked between steps of a long computation: `true` stops it with an `Interrupted` error.
pub trait Interrupt: Sync {
    /// Whether the computation should stop now.
    fn interrupted(&self) -> bool;
}

/// Never interrupts.
#[derive(Debug, Clone, Copy, Default)]
pub struct Never;

impl Interrupt for Never {
    fn interrupted(&self) -> bool {
        false
    }
}

impl<F: Fn() -> bool + Sync> Interrupt for F {
    fn interrupted(&self) -> bool {
        self()
    }
}
