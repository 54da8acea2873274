//! Typed helpers over the `linalg` import: numerical kernels the host runs natively, on its
//! own threads, while the plugin goes on. Today: the truncated PCA of a sparse matrix
//! ([`start_pca`], then [`PcaJob::wait`]).
//!
//! ```no_run
//! use taskhost_sdk::linalg::{self, SparseMatrix};
//! # fn main() -> Result<(), taskhost_sdk::Error> {
//! // A 3 x 3 matrix in compressed sparse row form.
//! let (indptr, indices, values) = (vec![0u64, 2, 3, 5], vec![0u32, 2, 1, 0, 2], vec![1.0f32, 2.0, 3.0, 4.0, 5.0]);
//! let matrix = SparseMatrix { rows: 3, columns: 3, indptr: &indptr, indices: &indices, values: &values };
//! let job = linalg::start_pca(&matrix, None, 1)?;
//! // ... other work while the host computes ...
//! let pca = job.wait()?;
//! assert_eq!(pca.coordinates.len(), 3);
//! # Ok(()) }
//! ```

use std::fmt;

use crate::Error;
use crate::bindings::taskhost::plugin::linalg as wit;

/// A sparse matrix in compressed sparse row form, borrowed: row `r`'s column indices are
/// `indices[indptr[r]..indptr[r + 1]]` (strictly increasing) and its values the same range of
/// `values`.
#[derive(Debug, Clone, Copy)]
pub struct SparseMatrix<'a> {
    /// Number of rows.
    pub rows: u32,
    /// Number of columns.
    pub columns: u32,
    /// `rows + 1` offsets.
    pub indptr: &'a [u64],
    /// Column index of each stored value.
    pub indices: &'a [u32],
    /// The stored values.
    pub values: &'a [f32],
}

/// What a `linalg` call can fail with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinalgError {
    /// The arguments are inconsistent; the message names the first problem.
    InvalidInput(String),
    /// NaN or infinite values in the columns used.
    NotFinite,
    /// The computation would pass the task's memory limit.
    TooLarge(String),
    /// The solver did not converge.
    NoConvergence,
}

impl fmt::Display for LinalgError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidInput(m) => write!(f, "linalg: invalid input: {m}"),
            Self::NotFinite => write!(f, "linalg: the matrix holds NaN or infinite values"),
            Self::TooLarge(m) => write!(f, "linalg: too large: {m}"),
            Self::NoConvergence => write!(f, "linalg: the solver did not converge"),
        }
    }
}

impl std::error::Error for LinalgError {}

impl From<wit::LinalgError> for LinalgError {
    fn from(e: wit::LinalgError) -> Self {
        match e {
            wit::LinalgError::InvalidInput(m) => Self::InvalidInput(m),
            wit::LinalgError::NotFinite => Self::NotFinite,
            wit::LinalgError::TooLarge(m) => Self::TooLarge(m),
            wit::LinalgError::NoConvergence => Self::NoConvergence,
        }
    }
}

impl From<LinalgError> for Error {
    /// Bad arguments, non-finite data and data too large for the task's memory cannot succeed
    /// on a retry: invalid input. A solver that does not converge is internal (retried).
    fn from(error: LinalgError) -> Self {
        match error {
            LinalgError::NoConvergence => Self::Internal(error.to_string()),
            _ => Self::InvalidInput(error.to_string()),
        }
    }
}

/// The result of a PCA.
#[derive(Debug, Clone, PartialEq)]
pub struct PrincipalComponents {
    /// The variance each component explains, descending.
    pub variance: Vec<f64>,
    /// The total variance of the columns used.
    pub total_variance: f64,
    /// `components x columns-used`, row-major, unit length, largest-magnitude loading positive.
    pub components: Vec<f64>,
    /// `rows x components`, row-major.
    pub coordinates: Vec<f32>,
    /// The size of the Krylov basis the solver built.
    pub steps: u32,
}

/// A PCA running on the host's threads. Dropping it cancels it.
#[derive(Debug)]
pub struct PcaJob(wit::PcaJob);

impl PcaJob {
    /// Waits for the result.
    ///
    /// # Errors
    /// [`LinalgError::NotFinite`] or [`LinalgError::NoConvergence`] from the computation.
    pub fn wait(self) -> Result<PrincipalComponents, LinalgError> {
        let r = self.0.wait()?;
        Ok(PrincipalComponents {
            variance: r.variance,
            total_variance: r.total_variance,
            components: r.components,
            coordinates: r.coordinates,
            steps: r.steps,
        })
    }
}

/// Starts the truncated, zero-centred PCA of the columns `use_columns` (strictly increasing;
/// all when `None`) of `matrix`, with `components` components, as scikit-learn's
/// `PCA(svd_solver="arpack")` computes it. Returns once the host has checked the arguments.
///
/// # Errors
/// [`LinalgError::InvalidInput`] for a malformed matrix or bad parameters,
/// [`LinalgError::TooLarge`] when the work would pass the task's memory limit.
pub fn start_pca(
    matrix: &SparseMatrix<'_>,
    use_columns: Option<&[u32]>,
    components: u32,
) -> Result<PcaJob, LinalgError> {
    let job = wit::start_pca(
        matrix.rows,
        matrix.columns,
        matrix.indptr,
        matrix.indices,
        matrix.values,
        use_columns,
        components,
    )?;
    Ok(PcaJob(job))
}
